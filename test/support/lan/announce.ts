// What a waking host says on the link: a gratuitous ARP request and reply for its IPv4 address and
// an unsolicited Neighbor Advertisement (override flag, to ff02::1) per IPv6 address, so peers
// replace neighbour entries that point elsewhere (e.g. at a sleep proxy's MAC). Node cannot send
// raw frames, so a stdlib-only Python script does it over an AF_PACKET socket.
import { which } from './exec';

// argv: ifname mac ipv4 ipv6...
const SCRIPT = String.raw`
import socket, struct, sys
ifname, mac, ip4, *ip6s = sys.argv[1:]
m = bytes.fromhex(mac.replace(':', ''))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
bcast = b'\xff' * 6
def arp(op, tha):  # RFC 5227 announcement: sender and target protocol address are both ours
    a = socket.inet_aton(ip4)
    return bcast + m + b'\x08\x06' + struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + m + a + tha + a
def csum(b):
    b += b'\0' * (len(b) % 2)
    t = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while t >> 16: t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
def na(addr):  # RFC 4861 4.4, unsolicited: S=0, O=1, target link-layer address option
    src = socket.inet_pton(socket.AF_INET6, addr)
    dst = socket.inet_pton(socket.AF_INET6, 'ff02::1')
    body = struct.pack('!BBHI', 136, 0, 0, 0x20000000) + src + struct.pack('!BB', 2, 1) + m
    c = csum(src + dst + struct.pack('!I', len(body)) + b'\0\0\0\x3a' + body)
    body = body[:2] + struct.pack('!H', c) + body[4:]
    ip6 = struct.pack('!IHBB', 0x60000000, len(body), 58, 255) + src + dst
    return b'\x33\x33\x00\x00\x00\x01' + m + b'\x86\xdd' + ip6 + body
for f in [arp(1, b'\0' * 6), arp(2, m)] + [na(a) for a in ip6s]:
    s.send(f.ljust(60, b'\0'))
`;

/** The command line that announces a host, or undefined when there is no python3. */
export function announceCommand(
  ifname: string,
  mac: string,
  ipv4: string,
  ipv6: readonly string[],
): [string, string[]] | undefined {
  // prefer the system interpreter: a pyenv/venv python3 first on PATH may not run as root
  const python = which('/usr/bin/python3') ?? which('python3');
  return python ? [python, ['-c', SCRIPT, ifname, mac, ipv4, ...ipv6]] : undefined;
}
