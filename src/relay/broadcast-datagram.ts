// UDP broadcasts as the relay sees them (pure). A captured Ethernet frame becomes an IPv4 packet
// (maybe a fragment, reassembled by the caller), a whole IPv4/UDP datagram becomes a
// BroadcastDatagram, and a BroadcastDatagram becomes the Ethernet frames that rebroadcast it on
// another segment: our source MAC, the broadcast MAC, the original source IP, port, IP ident, TTL
// and DSCP kept, the destination rewritten when it was a directed broadcast, fresh IPv4 and UDP
// checksums (captured frames may carry partial ones, or Ethernet padding), fragmented to the MTU.
// IPv6 multicast (a chosen group, e.g. ff15::4b50) is the same datagram in one frame: to the
// group's 33:33:xx:xx:xx:xx, source address, port, hop limit, traffic class and flow label kept
// (the flow label stands in for the IPv4 ident), UDP checksum recomputed (mandatory on IPv6).
// IPv6 fragments and extension headers are not handled: such datagrams are dropped, and a
// datagram is only relayed when it fits the MTU in one frame.
import { createHash } from 'node:crypto';
import { BROADCAST_MAC } from '../wire/address';
import { ETHERTYPE, encodeEthernet, parseEthernet } from '../wire/ethernet';
import { IP_PROTOCOL } from '../wire/ip';
import { type Ipv4Repr, encodeIpv4, parseIpv4 } from '../wire/ipv4';
import { fragmentIpv4 } from '../wire/ipv4-reassembly';
import { IPV6_HEADER_LEN, encodeIpv6, parseIpv6 } from '../wire/ipv6';
import { ipv6MulticastMac } from '../wire/ndp';
import { type Parsed, fail, ok } from '../wire/result';
import { UDP_HEADER_LEN, encodeUdp, parseUdp } from '../wire/udp';

export const LIMITED_BROADCAST = '255.255.255.255';
/** The largest UDP payload IPv4 can carry (65535 - 20 - 8). */
export const MAX_UDP_PAYLOAD = 65_507;

export interface BroadcastDatagram {
  /** The original sender: kept on rebroadcast so that replies go straight back to it. */
  readonly source: { readonly address: string; readonly port: number };
  /**
   * Destination address as captured (255.255.255.255 or a directed broadcast such as 10.78.1.255,
   * or an IPv6 multicast group such as ff15::4b50 when the source is IPv6).
   */
  readonly destination: string;
  readonly port: number;
  readonly payload: Buffer;
  /** IPv4 identification, or the IPv6 flow label. */
  readonly ident: number;
  /** TTL, or IPv6 hop limit. */
  readonly ttl: number;
  readonly dscp: number;
}

/** An IPv6 multicast datagram (else an IPv4 broadcast). */
export const isIpv6Datagram = (d: BroadcastDatagram): boolean => d.source.address.includes(':');

/** The Ethernet frame's EtherType, or undefined for a frame too short to have one. */
export function frameEtherType(frame: Buffer): number | undefined {
  const eth = parseEthernet(frame);
  return eth.ok ? eth.value.etherType : undefined;
}

/**
 * An IPv6/UDP datagram to a multicast group in one Ethernet frame (checksum not checked). Fails
 * 'unsupported' on anything but UDP to a multicast group (extension headers included; a fragment,
 * next header 44, with the detail IPV6_FRAGMENT), and as the codecs do on malformed input.
 */
export function parseIpv6MulticastFrame(frame: Buffer): Parsed<BroadcastDatagram> {
  const eth = parseEthernet(frame);
  if (!eth.ok) return eth;
  if (eth.value.etherType !== ETHERTYPE.IPV6) return fail('unsupported', 'not IPv6');
  const packet = parseIpv6(eth.value.payload);
  if (!packet.ok) return packet;
  const ip = packet.value;
  if (ip.nextHeader === IPV6_NEXT_HEADER_FRAGMENT) return fail('unsupported', IPV6_FRAGMENT);
  if (ip.nextHeader !== IP_PROTOCOL.UDP) return fail('unsupported', 'not UDP');
  if (!ip.dst.startsWith('ff')) return fail('unsupported', 'not multicast');
  const udp = parseUdp(ip.payload);
  if (!udp.ok) return udp;
  return ok(
    {
      source: { address: ip.src, port: udp.value.srcPort },
      destination: ip.dst,
      port: udp.value.dstPort,
      payload: udp.value.payload,
      ident: ip.flowLabel,
      ttl: ip.hopLimit,
      dscp: ip.trafficClass >> 2,
    },
    packet.bytes,
  );
}

const IPV6_NEXT_HEADER_FRAGMENT = 44;
export const IPV6_FRAGMENT = 'ipv6 fragment';

/** The IPv4 packet inside an untagged (or kernel-untagged) Ethernet frame. */
export function parseIpv4Frame(frame: Buffer): Parsed<Ipv4Repr> {
  const eth = parseEthernet(frame);
  if (!eth.ok) return eth;
  if (eth.value.etherType !== ETHERTYPE.IPV4) return fail('unsupported', 'not IPv4');
  return parseIpv4(eth.value.payload);
}

/** A whole (unfragmented or reassembled) IPv4 packet as a UDP datagram; the checksum is not checked. */
export function toBroadcastDatagram(packet: Ipv4Repr): Parsed<BroadcastDatagram> {
  if (packet.protocol !== IP_PROTOCOL.UDP) return fail('unsupported', 'not UDP');
  const udp = parseUdp(packet.payload);
  if (!udp.ok) return udp;
  return ok(
    {
      source: { address: packet.src, port: udp.value.srcPort },
      destination: packet.dst,
      port: udp.value.dstPort,
      payload: udp.value.payload,
      ident: packet.ident,
      ttl: packet.ttl,
      dscp: packet.dscp,
    },
    udp.bytes,
  );
}

/**
 * Identifies one broadcast wherever it is seen (captured on either segment, before or after the
 * destination rewrite): source, port, IP ident and the payload's hash; not TTL, MACs or checksums.
 */
export function broadcastFingerprint(d: BroadcastDatagram): string {
  const hash = createHash('sha256').update(d.payload).digest('base64').slice(0, 22);
  return `${d.source.address}:${d.source.port}>${d.port}#${d.ident}/${d.payload.length}/${hash}`;
}

/**
 * 255.255.255.255 stays; any other (directed) broadcast becomes the receiving segment's own; an
 * IPv6 multicast group stays.
 */
export function rebroadcastDestination(original: string, segmentBroadcast: string): string {
  return original === LIMITED_BROADCAST || original.includes(':') ? original : segmentBroadcast;
}

export interface RebroadcastSpec {
  readonly sourceMac: string;
  readonly destination: string;
  /** The interface MTU (IPv4 packet size per frame). */
  readonly mtu: number;
}

/**
 * The frames that put `d` on the wire; throws RangeError on a payload IPv4 cannot carry, or an
 * IPv6 datagram that does not fit the MTU (IPv6 fragments are not sent).
 */
export function encodeBroadcastFrames(d: BroadcastDatagram, spec: RebroadcastSpec): Buffer[] {
  if (isIpv6Datagram(d)) return [encodeIpv6MulticastFrame(d, spec)];
  if (d.payload.length > MAX_UDP_PAYLOAD) throw new RangeError(`UDP payload of ${d.payload.length} bytes`);
  const udp = encodeUdp(
    { srcPort: d.source.port, dstPort: d.port, payload: d.payload },
    { src: d.source.address, dst: spec.destination },
  );
  const packet: Ipv4Repr = {
    version: 4,
    dscp: d.dscp,
    ecn: 0,
    ident: d.ident,
    dontFragment: UDP_HEADER_LEN + d.payload.length + 20 <= spec.mtu,
    moreFragments: false,
    fragmentOffset: 0,
    // the relay is a hop of its own; never send a TTL of 0
    ttl: Math.max(1, d.ttl),
    protocol: IP_PROTOCOL.UDP,
    src: d.source.address,
    dst: spec.destination,
    options: Buffer.alloc(0),
    payload: udp,
  };
  return fragmentIpv4(packet, spec.mtu).map((fragment) => encodeIpv4Frame(fragment, spec.sourceMac));
}

/** One IPv4 packet in a broadcast Ethernet frame (the kernel pads short frames). */
export function encodeIpv4Frame(packet: Ipv4Repr, sourceMac: string): Buffer {
  return encodeEthernet({
    dst: BROADCAST_MAC,
    src: sourceMac,
    etherType: ETHERTYPE.IPV4,
    payload: encodeIpv4(packet),
  });
}

function encodeIpv6MulticastFrame(d: BroadcastDatagram, spec: RebroadcastSpec): Buffer {
  const size = IPV6_HEADER_LEN + UDP_HEADER_LEN + d.payload.length;
  if (size > spec.mtu) throw new RangeError(`IPv6 datagram of ${size} bytes over the MTU ${spec.mtu}`);
  const udp = encodeUdp(
    { srcPort: d.source.port, dstPort: d.port, payload: d.payload },
    { src: d.source.address, dst: spec.destination },
  );
  return encodeEthernet({
    dst: ipv6MulticastMac(spec.destination),
    src: spec.sourceMac,
    etherType: ETHERTYPE.IPV6,
    payload: encodeIpv6({
      version: 6,
      trafficClass: (d.dscp << 2) & 0xff,
      flowLabel: d.ident & 0xfffff,
      nextHeader: IP_PROTOCOL.UDP,
      hopLimit: Math.max(1, d.ttl),
      src: d.source.address,
      dst: spec.destination,
      payload: udp,
    }),
  });
}
