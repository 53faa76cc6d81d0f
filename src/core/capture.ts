// The capture set (sps-protocol.md §4.7) derived from the registry: what the service's link filter
// must let through. Recomputed only when sleepers or their addresses/ports change, never per frame.
import type { CaptureSet } from './actions';
import type { Registry } from './registry';
import { ARD_PORT, IPSEC_NAT_T_PORT } from './wake';

const sortedStrings = (set: Set<string>): string[] => [...set].sort();
const sortedNumbers = (set: Set<number>): number[] => [...set].sort((a, b) => a - b);

/** `watched`: MACs of watched hosts (watch.ts), whose every frame says they are awake. */
export function captureSet(registry: Registry, watched: Iterable<string> = []): CaptureSet {
  const ipv4 = new Set<string>();
  const ipv6 = new Set<string>();
  const tcpPorts = new Set<number>();
  const udpPorts = new Set<number>();
  const macs = new Set<string>(watched);
  for (const s of registry.sleepers.values()) {
    for (const claim of s.claims.values()) (claim.family === 4 ? ipv4 : ipv6).add(claim.address);
    for (const p of s.tcpPorts) tcpPorts.add(p);
    for (const k of s.keepalives) tcpPorts.add(k.info.localPort);
    for (const p of s.udpPorts) udpPorts.add(p);
    macs.add(s.hostMac);
    macs.add(s.wakeMac);
  }
  if (ipv4.size + ipv6.size > 0) {
    // Wake without a registered SRV (§5.1).
    udpPorts.add(IPSEC_NAT_T_PORT);
    udpPorts.add(ARD_PORT);
  }
  return {
    ipv4: sortedStrings(ipv4),
    ipv6: sortedStrings(ipv6),
    tcpPorts: sortedNumbers(tcpPorts),
    udpPorts: sortedNumbers(udpPorts),
    macs: sortedStrings(macs),
  };
}

export function sameCaptureSet(a: CaptureSet | undefined, b: CaptureSet): boolean {
  return a !== undefined && JSON.stringify(a) === JSON.stringify(b);
}
