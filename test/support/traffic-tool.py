#!/usr/bin/python3
# What a waker (or a rival host) sends in the wake-trigger tests, run inside a LAN host with Debian's
# python3 (python3-scapy). Plain UDP goes through the kernel (a socket: routing and ARP as any
# application); what a socket cannot send is crafted with scapy and sent on the link. Each command sends
# its frames and exits; errors go to stderr with a non-zero exit code.
#   udp DST PORT HEX                      one datagram with payload HEX
#   tcp IFACE DSTMAC DST PORT FLAGS HEX   one TCP segment (scapy flags, e.g. PA) to DSTMAC
#   na IFACE ADDRESS                      unsolicited Neighbor Advertisement (O=1) claiming ADDRESS
#   mdns IFACE NAME TYPE RDATA COUNT      COUNT unsolicited mDNS responses (cache-flush, TTL 120), 1 s apart
import socket
import sys


def udp(dst, port, payload):
    family = socket.AF_INET6 if ":" in dst else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.sendto(bytes.fromhex(payload), (dst, int(port)))


def tcp(iface, dstmac, dst, port, flags, payload):
    from scapy.all import IP, TCP, Ether, Raw, sendp

    segment = TCP(sport=40022, dport=int(port), flags=flags, seq=1000, ack=1)
    frame = Ether(dst=dstmac) / IP(dst=dst) / segment
    if payload:
        frame = frame / Raw(bytes.fromhex(payload))
    sendp(frame, iface=iface, verbose=False)


def na(iface, address):
    from scapy.all import IPv6, Ether, ICMPv6ND_NA, ICMPv6NDOptDstLLAddr, get_if_hwaddr, sendp

    mac = get_if_hwaddr(iface)
    frame = (
        Ether(src=mac, dst="33:33:00:00:00:01")
        / IPv6(src=address, dst="ff02::1", hlim=255)
        / ICMPv6ND_NA(tgt=address, R=0, S=0, O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=mac)
    )
    sendp(frame, iface=iface, verbose=False)


def mdns(iface, name, rtype, rdata, count):
    from scapy.all import DNS, DNSRR, IP, UDP, Ether, get_if_addr, sendp

    answer = DNSRR(rrname=name, type=rtype, rclass=0x8001, ttl=120, rdata=rdata)
    frame = (
        Ether(dst="01:00:5e:00:00:fb")
        / IP(src=get_if_addr(iface), dst="224.0.0.251", ttl=255)
        / UDP(sport=5353, dport=5353)
        / DNS(id=0, qr=1, aa=1, qd=None, an=answer)
    )
    sendp(frame, iface=iface, count=int(count), inter=1, verbose=False)


COMMANDS = {"udp": udp, "tcp": tcp, "na": na, "mdns": mdns}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
