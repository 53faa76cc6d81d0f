// Known-answer frames for the wire codec tests, produced by scapy 2.5 (python3-scapy on Debian 12)
// with the script in the comment of each constant, e.g.
//   Ether(...)/ARP(...)  ->  bytes(p).hex()
// Checksums in them are scapy's, an implementation independent of ours.

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

/** Ether(dst=bcast, src=02:53:50:00:00:14)/ARP(op=1, hwsrc=02:53:50:00:00:14, psrc=10.77.0.20, pdst=10.77.0.10) */
export const ARP_REQUEST = hex(
  'ffffffffffff025350000014080600010800060400010253500000140a4d00140000000000000a4d000a',
);

/** Ether(dst=..:14, src=..:0a)/ARP(op=2, hwsrc=..:0a, psrc=10.77.0.10, hwdst=..:14, pdst=10.77.0.20) */
export const ARP_REPLY = hex(
  '02535000001402535000000a0806000108000604000202535000000a0a4d000a0253500000140a4d0014',
);

/**
 * Ether(dst=33:33:ff:00:00:0a, src=02:53:50:00:00:14)/IPv6(src=fe80::53:50ff:fe00:14, dst=ff02::1:ff00:a,
 * hlim=255)/ICMPv6ND_NS(tgt=fe80::53:50ff:fe00:a)/ICMPv6NDOptSrcLLAddr(lladdr=02:53:50:00:00:14); checksum 0x8b67
 */
export const NS = hex(
  '3333ff00000a02535000001486dd6000000000203afffe80000000000000005350fffe000014ff0200000000000000000001ff00000a' +
    '87008b6700000000fe80000000000000005350fffe00000a0101025350000014',
);

/**
 * Ether(dst=..:14, src=..:0a)/IPv6(src=fe80::53:50ff:fe00:a, dst=fe80::53:50ff:fe00:14, hlim=255)/
 * ICMPv6ND_NA(R=0, S=1, O=1, tgt=fe80::53:50ff:fe00:a)/ICMPv6NDOptDstLLAddr(lladdr=02:53:50:00:00:0a); checksum 0xd9a1
 */
export const NA = hex(
  '02535000001402535000000a86dd6000000000203afffe80000000000000005350fffe00000afe80000000000000005350fffe000014' +
    '8800d9a160000000fe80000000000000005350fffe00000a020102535000000a',
);

/**
 * Ether(dst=..:0a, src=..:1e)/IP(src=10.77.0.30, dst=10.77.0.10, id=0x1234, flags=DF, ttl=64)/TCP(sport=51000,
 * dport=22, seq=0x01020304, flags=S, window=64240, options=[MSS 1460, SAckOK, Timestamp (1,0), NOP, WScale 7])
 */
export const SYN4 = hex(
  '02535000000a02535000001e08004500003c12344000400613c70a4d001e0a4d000ac73800160102030400000000a002faf06cf80000' +
    '020405b40402080a000000010000000001030307',
);

/** Ether(...)/IPv6(src=fd00::1e, dst=fd00::a, hlim=64)/TCP(sport=51001, dport=445, seq=0xfffffff0, flags=S, window=65535, options=[MSS 1440]) */
export const SYN6 = hex(
  '02535000000a02535000001e86dd6000000000180640fd00000000000000000000000000001efd00000000000000000000000000000a' +
    'c73901bdfffffff0000000006002ffffd5290000020405a0',
);

/** Ether(dst=01:00:5e:00:00:fb, src=..:0a)/IP(src=10.77.0.10, dst=224.0.0.251, id=0, flags=DF, ttl=255)/UDP(5353, 5353)/12-byte DNS header */
export const UDP4 = hex(
  '01005e0000fb02535000000a08004500002800004000ff1190720a4d000ae00000fb14e914e90014eaa0000000000001000000000000',
);

/** Ether(dst=33:33:00:00:00:fb, src=..:0a)/IPv6(src=fe80::53:50ff:fe00:a, dst=ff02::fb, hlim=255)/UDP(5353, 5353)/same 12 bytes */
export const UDP6 = hex(
  '3333000000fb02535000000a86dd60000000001411fffe80000000000000005350fffe00000aff0200000000000000000000000000fb' +
    '14e914e900148817000000000001000000000000',
);

const MAGIC_0A = 'ffffffffffff' + '02535000000a'.repeat(16);

/** Ether(dst=..:0a, src=..:14, type=0x0842)/Raw(6xFF + 16 x 02:53:50:00:00:0a + 6 zero bytes): Apple's 122-byte form */
export const WOL_ETHER = hex('02535000000a0253500000140842' + MAGIC_0A + '000000000000');

/** Ether(dst=bcast, src=..:14)/IP(src=10.77.0.20, dst=255.255.255.255, id=7, flags=DF)/UDP(40000, 9)/Raw(magic + password 010203040506) */
export const WOL_UDP = hex(
  'ffffffffffff0253500000140800450000880007400040112ffe0a4d0014ffffffff9c4000090074297b' +
    MAGIC_0A +
    '010203040506',
);

/** Ether(dst=bcast, src=..:14)/Dot1Q(prio=5, vlan=42)/ARP(op=1, hwsrc=..:14, psrc=10.77.0.20, pdst=10.77.0.10) */
export const VLAN_ARP = hex(
  'ffffffffffff0253500000148100a02a080600010800060400010253500000140a4d00140000000000000a4d000a',
);

/** Ether(...)/IP(src=10.77.0.10, dst=224.0.0.22, ttl=1, tos=0xc0, id=0, proto=2, options=[Router Alert])/Raw(IGMPv3 report bytes) */
export const IGMP_ROUTER_ALERT = hex(
  '01005e00001602535000000a080046c0002800000000010239a30a4d000ae0000016940400002200f9020000000104000000e00000fb',
);

/** Ether(...)/IP(src=10.77.0.30, dst=10.77.0.10, id=99, frag=185, proto=17)/Raw("tail-of-datagram"): a non-first fragment */
export const FRAGMENT = hex(
  '02535000000a02535000001e080045000024006300b9401164ec0a4d001e0a4d000a7461696c2d6f662d646174616772616d',
);

export const ETH = 14;
