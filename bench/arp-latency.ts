// Row: ARP reply latency for a proxied IPv4 (the sleeping sleeper's) against the proxy host's kernel
// answering for its own IPv4; probe tool: arping -b (broadcast requests, like a host with an empty
// neighbour cache), one request per run of the tool (this arping takes whole seconds as interval).
import { probeLatencyRow } from './probe-latency';
import type { BenchRow } from './row';
import { arpClass } from './wire-pairs';

export function benchArpLatency(trials: number): Promise<BenchRow[]> {
  return probeLatencyRow(trials, (stage) => ({
    name: 'ARP reply latency, proxied IPv4',
    filter: 'arp',
    classify: arpClass,
    probe: async ({ waker }, address, count) => {
      for (let i = 0; i < count; i++) {
        await waker.exec('arping', ['-b', '-f', '-c', '1', '-w', '1', '-I', 'eth0', address]);
      }
    },
    proxied: stage.sleeper.ipv4,
    reference: { name: 'kernel ARP for its own IPv4', address: stage.proxyHost.ipv4 },
  }));
}
