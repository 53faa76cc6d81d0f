#!/usr/bin/python3
# What a waker (or a rival host) sends in the wake-trigger tests, run inside a LAN host with Debian's
# python3 (python3-scapy). Plain UDP goes through the kernel (a socket: routing and ARP as any
# application); what a socket cannot send is crafted with scapy and sent on the link. Each command sends
# its frames and exits; errors go to stderr with a non-zero exit code.
#   udp DST PORT HEX                      one datagram with payload HEX
#   tcp IFACE DSTMAC DST PORT FLAGS HEX   one TCP segment (scapy flags, e.g. PA) to DSTMAC
#   claim IFACE ADDRESS na|ns             an unsolicited NA (O=1) for ADDRESS, or an NS from ADDRESS
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


def claim(iface, address, how):
    """Speaks with ADDRESS as its own: an unsolicited NA for it (O=1), or an NS from it (address resolution)."""
    from scapy.all import (
        IPv6,
        Ether,
        ICMPv6ND_NA,
        ICMPv6ND_NS,
        ICMPv6NDOptDstLLAddr,
        ICMPv6NDOptSrcLLAddr,
        get_if_hwaddr,
        in6_getnsma,
        in6_getnsmac,
        inet_ntop,
        inet_pton,
        sendp,
    )

    mac = get_if_hwaddr(iface)
    if how == "na":
        ip = IPv6(src=address, dst="ff02::1", hlim=255)
        frame = Ether(src=mac, dst="33:33:00:00:00:01") / ip / ICMPv6ND_NA(tgt=address, R=0, S=0, O=1)
        frame = frame / ICMPv6NDOptDstLLAddr(lladdr=mac)
    else:
        target = "fd77::2"  # the proxy host: any neighbour will do
        group = in6_getnsma(inet_pton(socket.AF_INET6, target))
        ip = IPv6(src=address, dst=inet_ntop(socket.AF_INET6, group), hlim=255)
        frame = Ether(src=mac, dst=in6_getnsmac(group)) / ip / ICMPv6ND_NS(tgt=target)
        frame = frame / ICMPv6NDOptSrcLLAddr(lladdr=mac)
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


COMMANDS = {"udp": udp, "tcp": tcp, "claim": claim, "mdns": mdns}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
