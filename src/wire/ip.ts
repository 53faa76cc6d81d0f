// IP protocol numbers (IANA "Assigned Internet Protocol Numbers"), shared by the IPv4 Protocol
// field and the IPv6 Next Header field. Fields stay plain numbers; this table is for code and logs.

export const IP_PROTOCOL = {
  HOP_BY_HOP: 0, // IPv6 Hop-by-Hop Options (RFC 8200 §4.3); MLD reports carry one
  ICMP: 1,
  IGMP: 2,
  TCP: 6,
  UDP: 17,
  IPV6_ROUTING: 43,
  IPV6_FRAGMENT: 44,
  ICMPV6: 58,
  IPV6_NO_NEXT: 59,
  IPV6_DEST_OPTS: 60,
} as const;
