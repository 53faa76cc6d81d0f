// What the service's link socket captures: the engine's capture set (plain data) as BPF matchers, so
// that only frames about proxied hosts reach JavaScript (ARCHITECTURE.md "Performance shape"), plus
// unicast mDNS to our own addresses, which the service's mDNS socket leaves to other responders on
// this host (see MdnsSocketOptions.multicastOnly) and takes from here instead.
import type { CaptureSet } from '../core/actions';
import type { LinkMatcher } from '../io/link';
import { MDNS_PORT } from '../io/mdns-socket';
import { parseFrame } from '../wire/frame';

export function captureMatchers(set: CaptureSet | undefined, ownAddresses: readonly string[]): LinkMatcher[] {
  const matchers: LinkMatcher[] = [];
  if (ownAddresses.length > 0) matchers.push({ kind: 'udp', destinations: ownAddresses, ports: [MDNS_PORT] });
  if (!set) return matchers;
  const destinations = [...set.ipv4, ...set.ipv6];
  // ARP naming a proxied address as target (requests to answer) or sender (owner back, conflicts).
  if (set.ipv4.length > 0) matchers.push({ kind: 'arp', addresses: set.ipv4, field: 'either' });
  if (set.ipv6.length > 0) matchers.push({ kind: 'ndp', targets: set.ipv6 });
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
  const parsed = parseFrame(frame, { verifyTransportChecksums: false });
  if (!parsed.ok || parsed.value.kind !== 'udp') return undefined;
  const { ip, udp } = parsed.value;
  if (udp.dstPort !== MDNS_PORT || !ownAddresses.includes(ip.dst)) return undefined;
  return { payload: udp.payload, from: { address: ip.src, port: udp.srcPort } };
}
