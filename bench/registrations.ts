// Row: registrations answered (each after its journal entry is fsynced). From the waker (a live
// host), registrations for ten virtual sleepers in turn, each with its own message ID: first one at
// a time for the latency (client-side, send to reply), then 64 outstanding for a few seconds for the
// sustained rate. Targets: p99 <= 20 ms; >= 500 registrations/s.
import { join } from 'node:path';
import type * as Load from './agents/registration-load-agent';
import { cliProxy, PORT, proxyLan, registrationWithIpv6, virtualSleeper } from './proxy-lan';
import { single, type BenchRow } from './row';
import { summarize } from './stats';

const LOAD = join(__dirname, 'agents', 'registration-load-agent.js');
const WINDOW = 64;
const SPAN_MS = 3000;

/** `n` registrations with distinct message IDs from `first`, cycling over ten virtual sleepers. */
function payloads(first: number, n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) =>
    registrationWithIpv6({ ...virtualSleeper(50 + (i % 10)), id: (first + i) & 0xffff }),
  );
}

export async function benchRegistrations(trials: number): Promise<BenchRow[]> {
  const stage = await proxyLan(cliProxy);
  try {
    const { proxyHost, waker } = stage;
    const load = await waker.runNode<typeof Load>(LOAD);
    const count = Math.max(50, trials);
    const latencies = await load.call('sequential', proxyHost.ipv4, PORT, payloads(1, count), 1000);
    // IDs of the burst differ from the sequential ones, and the window never reuses an outstanding ID
    const burst = await load.call('sustained', proxyHost.ipv4, PORT, payloads(20_000, 4096), WINDOW, SPAN_MS);
    await load.close();
    const answered = latencies.filter((l) => l >= 0);
    const value = summarize(answered);
    const rate = (burst.answered * 1000) / burst.elapsedMs;
    const lost = latencies.length - answered.length;
    return [
      {
        name: 'registration answered (journal fsynced), one at a time',
        unit: 'ms',
        value,
        samples: answered.length,
        target: 'p99 <= 20 ms',
        met: value.p99 <= 20 && lost === 0,
        ...(lost ? { note: `${lost} registrations unanswered` } : {}),
      },
      {
        name: `registrations answered, ${WINDOW} outstanding for ${SPAN_MS / 1000} s`,
        unit: '/s',
        value: single(rate),
        samples: burst.answered,
        target: '>= 500/s',
        met: rate >= 500,
        note: `${burst.sent} sent, ${burst.answered} answered; latency under load p50 ${summarize(burst.latencies).median.toFixed(1)} ms, p99 ${summarize(burst.latencies).p99.toFixed(1)} ms`,
      },
    ];
  } finally {
    await stage.close();
  }
}
