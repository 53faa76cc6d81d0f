#!/usr/bin/python3
"""Both ends of one real TCP connection for the keepalive-offload tests, driven by JSON lines.

server PORT: accepts one connection, answers the first line, then prints the socket's own sequence
  numbers read with TCP_REPAIR (as a sleeping Mac's mDNSResponder reads them from its kernel before it
  hands the connection to a sleep proxy), then echoes every later line back.
client HOST PORT IDLE INTVL CNT: connects with kernel keepalive probes (TCP_KEEPIDLE/INTVL/CNT), sends a
  first line and waits for its echo; then reads commands on stdin: "state" prints the socket state,
  "send TEXT" sends a line and prints the echo (or the error).
"""
import json
import select
import socket
import struct
import sys

TCP_REPAIR = 19
TCP_REPAIR_QUEUE = 20
TCP_QUEUE_SEQ = 21
TCP_RECV_QUEUE = 1
TCP_SEND_QUEUE = 2
TCP_REPAIR_OFF_NO_WP = -1  # leave repair mode without sending a window probe
TCP_INFO_STATES = {1: 'established'}


def say(**fields):
    print(json.dumps(fields), flush=True)


def queue_seq(sock, queue):
    sock.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR_QUEUE, queue)
    return struct.unpack('I', sock.getsockopt(socket.IPPROTO_TCP, TCP_QUEUE_SEQ, 4))[0]


def read_line(sock, timeout):
    sock.settimeout(timeout)
    data = b''
    while not data.endswith(b'\n'):
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError('closed by peer')
        data += chunk
    return data.decode()


def server(port):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('0.0.0.0', port))
    listener.listen(1)
    say(event='listening', port=port)
    conn, peer = listener.accept()
    first = read_line(conn, 10)
    conn.sendall(first.encode())
    conn.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, 1)
    snd_nxt = queue_seq(conn, TCP_SEND_QUEUE)
    rcv_nxt = queue_seq(conn, TCP_RECV_QUEUE)
    conn.setsockopt(socket.IPPROTO_TCP, TCP_REPAIR, TCP_REPAIR_OFF_NO_WP)
    local = conn.getsockname()
    say(event='connection', local=local[0], localPort=local[1], remote=peer[0], remotePort=peer[1],
        sndNxt=snd_nxt, rcvNxt=rcv_nxt)
    conn.settimeout(None)
    while True:
        try:
            line = read_line(conn, None)
        except (ConnectionError, OSError) as e:
            say(event='closed', error=str(e))
            return
        conn.sendall(line.encode())
        say(event='echoed', text=line.strip())


def client(host, port, idle, intvl, cnt):
    sock = socket.create_connection((host, port), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, intvl)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, cnt)
    sock.sendall(b'hello\n')
    say(event='connected', echo=read_line(sock, 10).strip(), localPort=sock.getsockname()[1])
    for command in sys.stdin:
        command = command.strip()
        if command == 'state':
            info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            # Is the kernel still waiting on anything? A closed connection reads as EOF at once.
            readable, _, _ = select.select([sock], [], [], 0)
            say(event='state', state=TCP_INFO_STATES.get(info[0], info[0]), error=error,
                readable=bool(readable))
        elif command.startswith('send '):
            try:
                sock.sendall((command[5:] + '\n').encode())
                say(event='reply', text=read_line(sock, 30).strip())
            except (ConnectionError, OSError) as e:
                say(event='reply', error=str(e))


if __name__ == '__main__':
    if sys.argv[1] == 'server':
        server(int(sys.argv[2]))
    else:
        client(sys.argv[2], int(sys.argv[3]), *[int(a) for a in sys.argv[4:7]])
