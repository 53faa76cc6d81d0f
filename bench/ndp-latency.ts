// Row: Neighbour Solicitation -> Advertisement latency for a proxied IPv6 (the sleeping sleeper's
// fd77::10) against the proxy host's kernel answering for its own fd77::2; probe tool: ndisc6, one
// solicitation per run.
import { probeLatencyRow } from './probe-latency';
import type { BenchRow } from './row';
import { ndpClass } from './wire-pairs';

export function benchNdpLatency(trials: number): Promise<BenchRow[]> {
  return probeLatencyRow(trials, (stage) => ({
    name: 'NDP NS->NA latency, proxied IPv6',
    filter: 'icmp6 and (ip6[40] == 135 or ip6[40] == 136)',
    classify: ndpClass,
    probe: async ({ waker }, address, count) => {
      for (let i = 0; i < count; i++) {
        await waker.exec('ndisc6', ['-1', '-q', '-r', '1', '-w', '500', address, 'eth0']);
      }
    },
    proxied: stage.sleeper.ipv6,
    reference: { name: 'kernel NDP for its own IPv6', address: stage.proxyHost.ipv6 },
  }));
}
