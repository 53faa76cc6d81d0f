// The link filter of the sleep proxy: the engine's capture set (plain data) as BPF matchers, so
// that only frames about proxied hosts reach JavaScript (ARCHITECTURE.md "Performance shape").
import type { CaptureSet } from '../core/actions';
import type { LinkMatcher } from '../io/link';

export function captureMatchers(set: CaptureSet): LinkMatcher[] {
  const destinations = [...set.ipv4, ...set.ipv6];
  const matchers: LinkMatcher[] = [];
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
