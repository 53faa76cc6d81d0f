// What the service's link socket captures: the engine's capture set (plain data) as BPF matchers, so
// that only frames about proxied hosts reach JavaScript (ARCHITECTURE.md "Performance shape"), plus
// unicast mDNS to our own addresses, which the service's mDNS socket leaves to other responders on
// this host (see MdnsSocketOptions.multicastOnly) and takes from here instead.
import type { CaptureSet } from '../core/actions';
import { ICMPV6_NEIGHBOR_ADVERTISEMENT, ICMPV6_NEIGHBOR_SOLICITATION, type LinkMatcher } from '../io/link';
import { MDNS_PORT } from '../io/mdns-socket';
import { parseFrame } from '../wire/frame';

/**
 * `nativeAnswers`: a native answerer replies to ARP requests and solicitations for proxied
 * addresses, so only what the engine judges comes here: ARP naming one as sender, NA naming one as
 * target, NS sent from one (owner back, conflicts); the owners' own requests still arrive by their
 * source MAC.
 */
export function captureMatchers(
  set: CaptureSet | undefined,
  ownAddresses: readonly string[],
  nativeAnswers = false,
): LinkMatcher[] {
  const matchers: LinkMatcher[] = [];
  if (ownAddresses.length > 0) matchers.push({ kind: 'udp', destinations: ownAddresses, ports: [MDNS_PORT] });
  if (!set) return matchers;
  const destinations = [...set.ipv4, ...set.ipv6];
  // ARP naming a proxied address as target (requests to answer) or sender (owner back, conflicts).
  if (set.ipv4.length > 0)
    matchers.push({ kind: 'arp', addresses: set.ipv4, field: nativeAnswers ? 'sender' : 'either' });
  if (set.ipv6.length > 0 && nativeAnswers) {
    // NA for a proxied target (owner back, conflicts), NS from a proxied address (conflicts)
    matchers.push({ kind: 'ndp', targets: set.ipv6, types: [ICMPV6_NEIGHBOR_ADVERTISEMENT] });
    matchers.push({ kind: 'ndp', targets: set.ipv6, types: [ICMPV6_NEIGHBOR_SOLICITATION], field: 'source' });
  } else if (set.ipv6.length > 0) {
    // NDP naming a proxied address as target (to answer; NA conflicts) or IPv6 source (NS conflicts).
    matchers.push({ kind: 'ndp', targets: set.ipv6, field: 'either' });
  }
  if (destinations.length > 0 && set.tcpPorts.length > 0) {
    matchers.push({ kind: 'tcp', destinations, ports: set.tcpPorts });
  }
  if (destinations.length > 0 && set.udpPorts.length > 0) {
    matchers.push({ kind: 'udp', destinations, ports: set.udpPorts });
  }
  if (set.macs.length > 0) matchers.push({ kind: 'source-mac', macs: set.macs });
  return matchers;
}

/** A captured unicast mDNS datagram to one of our addresses, or undefined for any other frame. */
export function unicastMdns(
  frame: Buffer,
  ownAddresses: readonly string[],
): { payload: Buffer; from: { address: string; port: number } } | undefined {
  // Every proxied SYN reaches here too: look at the destination port first, and parse only mDNS.
  if (udpDestinationPort(frame) !== MDNS_PORT) return undefined;
  const parsed = parseFrame(frame, { verifyTransportChecksums: false });
  if (!parsed.ok || parsed.value.kind !== 'udp') return undefined;
  const { ip, udp } = parsed.value;
  if (udp.dstPort !== MDNS_PORT || !ownAddresses.includes(ip.dst)) return undefined;
  return { payload: udp.payload, from: { address: ip.src, port: udp.srcPort } };
}

/** The UDP destination port of an untagged IPv4/IPv6 frame, read in place; undefined if not UDP. */
function udpDestinationPort(frame: Buffer): number | undefined {
  if (frame.length < 14) return undefined;
  const etherType = frame.readUInt16BE(12);
  let udp: number;
  if (etherType === 0x0800 && frame.length >= 34 && frame[23] === 17) udp = 14 + (frame[14] & 0x0f) * 4;
  else if (etherType === 0x86dd && frame.length >= 54 && frame[20] === 17) udp = 54;
  else return undefined;
  return udp + 4 <= frame.length ? frame.readUInt16BE(udp + 2) : undefined;
}
