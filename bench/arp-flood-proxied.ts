// Row: an ARP flood of 10,000 requests/s for addresses we proxy (the sleeper's and eight virtual
// sleepers' IPv4), from the waker through our own link socket. The waker counts the replies that
// come back; the proxy process (the service in a bench agent) reports its CPU (every thread, so
// the native answerer's too) and its event loop's lag during the flood. Targets: every request
// answered, <= 50 % of one core, event-loop lag p99 <= 10 ms.
import { agentProxy } from './agent-proxy';
import { cpuPercent, startFlooder } from './arp-flood';
import { proxyLan } from './proxy-lan';
import { single, type BenchRow } from './row';

const RATE = 10_000;
const SPAN_MS = 3000;
const VIRTUAL = 8;

export async function benchArpFloodProxied(): Promise<BenchRow[]> {
  const stage = await proxyLan(agentProxy(), VIRTUAL);
  try {
    const { proxy, waker, sleeper, virtual } = stage;
    const targets = [sleeper.ipv4, ...virtual.map((v) => v.ipv4)];
    const flooder = await startFlooder(waker);
    const before = await proxy.call('sample');
    await proxy.call('lagStart');
    const sent = await flooder.call('flood', 'eth0', waker.mac, waker.ipv4, targets, RATE, SPAN_MS);
    const lag = await proxy.call('lagStop');
    const after = await proxy.call('sample');
    await flooder.close();
    const cpu = cpuPercent(before, after, sent.elapsedMs);
    const unanswered = sent.sent - sent.replies;
    const rate = (sent.sent * 1000) / sent.elapsedMs;
    const answered = (after.answerer?.arpReplies ?? 0) - (before.answerer?.arpReplies ?? 0);
    const delivered = after.link.delivered - before.link.delivered;
    const note =
      `${sent.sent} requests sent at ${rate.toFixed(0)}/s (${sent.failed} refused by the sender's queue), ` +
      `${sent.replies} replies received; the proxy's native answerer sent ${answered} ` +
      `(${after.answerer ? `${after.answerer.workers} threads, ${after.answerer.realtimeWorkers} real-time` : 'not running'}), ` +
      `${delivered} frames reached its JavaScript; event-loop lag max ${lag.max.toFixed(1)} ms`;
    const name = `ARP flood ${RATE}/s, proxied addresses`;
    return [
      {
        name: `${name}: unanswered requests`,
        unit: 'requests',
        value: single(unanswered),
        samples: sent.sent,
        target: '0',
        met: unanswered <= 0,
        note,
      },
      {
        name: `${name}: proxy CPU`,
        unit: '% of a core',
        value: single(cpu),
        samples: 1,
        target: '<= 50 %',
        met: cpu <= 50,
      },
      {
        name: `${name}: event-loop lag p99`,
        unit: 'ms',
        value: single(lag.p99),
        samples: 1,
        target: '<= 10 ms',
        met: lag.p99 <= 10,
      },
    ];
  } finally {
    await stage.proxy.close().catch(() => undefined);
    await stage.close();
  }
}
