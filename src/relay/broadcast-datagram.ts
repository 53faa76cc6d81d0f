// UDP broadcasts as the relay sees them (pure). A captured Ethernet frame becomes an IPv4 packet
// (maybe a fragment, reassembled by the caller), a whole IPv4/UDP datagram becomes a
// BroadcastDatagram, and a BroadcastDatagram becomes the Ethernet frames that rebroadcast it on
// another segment: our source MAC, the broadcast MAC, the original source IP, port, IP ident, TTL
// and DSCP kept, the destination rewritten when it was a directed broadcast, fresh IPv4 and UDP
// checksums (captured frames may carry partial ones, or Ethernet padding), fragmented to the MTU.
import { createHash } from 'node:crypto';
import { BROADCAST_MAC } from '../wire/address';
import { ETHERTYPE, encodeEthernet, parseEthernet } from '../wire/ethernet';
import { IP_PROTOCOL } from '../wire/ip';
import { type Ipv4Repr, encodeIpv4, parseIpv4 } from '../wire/ipv4';
import { fragmentIpv4 } from '../wire/ipv4-reassembly';
import { type Parsed, fail, ok } from '../wire/result';
import { UDP_HEADER_LEN, encodeUdp, parseUdp } from '../wire/udp';

export const LIMITED_BROADCAST = '255.255.255.255';
/** The largest UDP payload IPv4 can carry (65535 - 20 - 8). */
export const MAX_UDP_PAYLOAD = 65_507;

export interface BroadcastDatagram {
  /** The original sender: kept on rebroadcast so that replies go straight back to it. */
  readonly source: { readonly address: string; readonly port: number };
  /** Destination address as captured (255.255.255.255 or a directed broadcast such as 10.78.1.255). */
  readonly destination: string;
  readonly port: number;
  readonly payload: Buffer;
  readonly ident: number;
  readonly ttl: number;
  readonly dscp: number;
}

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

/** 255.255.255.255 stays; any other (directed) broadcast becomes the receiving segment's own. */
export function rebroadcastDestination(original: string, segmentBroadcast: string): string {
  return original === LIMITED_BROADCAST ? original : segmentBroadcast;
}

export interface RebroadcastSpec {
  readonly sourceMac: string;
  readonly destination: string;
  /** The interface MTU (IPv4 packet size per frame). */
  readonly mtu: number;
}

/** The frames that put `d` on the wire; throws RangeError on a payload IPv4 cannot carry. */
export function encodeBroadcastFrames(d: BroadcastDatagram, spec: RebroadcastSpec): Buffer[] {
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
