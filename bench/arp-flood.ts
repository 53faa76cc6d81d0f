// Row: an ARP flood of 20,000 requests/s for addresses we do not proxy (10.77.0.200-249, nobody's),
// from the waker through our own link socket, while the proxy holds the sleeper. Measured in the
// proxy process (the service in a bench agent): frames its link delivered to JavaScript during the
// flood (the kernel filter should drop them all) and its CPU (/proc/self/stat) against the same
// span idle. Target: ~0 frames, <= 5 % of one core.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { LanHost, NodeChild } from '../test/support/lan';
import { agentProxy } from './agent-proxy';
import type * as Flooder from './agents/arp-flood-agent';
import type * as ProxyService from './agents/proxy-service-agent';
import { proxyLan } from './proxy-lan';
import { single, type BenchRow } from './row';

const FLOODER = join(__dirname, 'agents', 'arp-flood-agent.js');
const RATE = 20_000;
const SPAN_MS = 3000;
const TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Percent of one core used between two samples `ms` apart. */
export const cpuPercent = (a: ProxyService.Sample, b: ProxyService.Sample, ms: number): number =>
  (((b.cpuTicks - a.cpuTicks) / TICKS) * 100_000) / ms;

/** Starts the flooding agent in `host`. */
export const startFlooder = (host: LanHost): Promise<NodeChild<typeof Flooder>> =>
  host.runNode<typeof Flooder>(FLOODER);

/** Frames received by the host's eth0 (netlink, so the namespace's own counters). */
export async function rxPackets(host: LanHost): Promise<number> {
  const r = await host.exec('ip', ['-s', '-j', 'link', 'show', 'eth0']);
  const [link] = JSON.parse(r.stdout) as { stats64?: { rx?: { packets?: number } } }[];
  return link.stats64?.rx?.packets ?? Number.NaN;
}

export async function benchArpFlood(): Promise<BenchRow[]> {
  const stage = await proxyLan(agentProxy());
  try {
    const { proxy, waker } = stage;

    const idle0 = await proxy.call('sample');
    await new Promise((r) => setTimeout(r, SPAN_MS));
    const idle1 = await proxy.call('sample');
    const idleCpu = cpuPercent(idle0, idle1, SPAN_MS);

    const flooder = await startFlooder(waker);
    const targets = Array.from({ length: 50 }, (_, i) => `10.77.0.${200 + i}`);
    const rx0 = await rxPackets(stage.proxyHost);
    const before = await proxy.call('sample');
    const sent = await flooder.call('flood', 'eth0', waker.mac, waker.ipv4, targets, RATE, SPAN_MS);
    const after = await proxy.call('sample');
    const arrived = (await rxPackets(stage.proxyHost)) - rx0;
    await flooder.close();
    const floodCpu = cpuPercent(before, after, sent.elapsedMs);
    const delivered = after.link.delivered - before.link.delivered;
    const rate = (sent.sent * 1000) / sent.elapsedMs;
    const passed = after.link.kernelPackets - before.link.kernelPackets;
    const note =
      `${sent.sent} requests sent at ${rate.toFixed(0)}/s (${sent.failed} refused by the sender's queue), ` +
      `${arrived} frames arrived at the proxy's eth0, ${passed} passed its link filter`;
    return [
      {
        name: `ARP flood ${RATE}/s, unproxied addresses: frames reaching JS`,
        unit: 'frames',
        value: single(delivered),
        samples: 1,
        target: '~0 (<= 1 per 1,000 sent)',
        met: delivered <= sent.sent / 1000,
        note,
      },
      {
        name: `ARP flood ${RATE}/s, unproxied addresses: proxy CPU`,
        unit: '% of a core',
        value: single(floodCpu),
        reference: { name: 'idle', value: single(idleCpu) },
        samples: 1,
        target: '<= 5 %',
        met: floodCpu <= 5,
      },
    ];
  } finally {
    await stage.proxy.close().catch(() => undefined);
    await stage.close();
  }
}
