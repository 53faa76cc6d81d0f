// Row: registrations answered (each after its journal entry is fsynced). From the waker (a live
// host), registrations for ten virtual sleepers in turn, each with its own message ID: first one at
// a time for the latency (client-side, send to reply), then 64 outstanding for a few seconds for the
// sustained rate. Targets: p99 <= 20 ms; >= 500 registrations/s. Reference for the latency: what
// the disk alone takes, a write + fdatasync of a journal-sized record in the same file system (the
// state directory's, a temporary one), as many times, right before.
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type * as Load from './agents/registration-load-agent';
import { cliProxy, PORT, proxyLan, registrationWithIpv6, virtualSleeper } from './proxy-lan';
import { ratioRow, single, type BenchRow } from './row';
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

/** ms of each of `count` appends of `bytes` bytes, each fdatasync'ed, as the journal does. */
function fsyncLatencies(count: number, bytes: number): number[] {
  const dir = mkdtempSync(join(tmpdir(), 'sps-bench-fsync-'));
  const fd = openSync(join(dir, 'journal'), 'a');
  const record = Buffer.alloc(bytes, 0x7b);
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = performance.now();
      writeSync(fd, record);
      fdatasyncSync(fd);
      out.push(performance.now() - start);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function benchRegistrations(trials: number): Promise<BenchRow[]> {
  const stage = await proxyLan(cliProxy);
  try {
    const { proxyHost, waker } = stage;
    const load = await waker.runNode<typeof Load>(LOAD);
    const count = Math.max(50, trials);
    const disk = summarize(fsyncLatencies(count, 1024));
    const latencies = await load.call('sequential', proxyHost.ipv4, PORT, payloads(1, count), 1000);
    // IDs of the burst differ from the sequential ones, and the window never reuses an outstanding ID
    const burst = await load.call('sustained', proxyHost.ipv4, PORT, payloads(20_000, 4096), WINDOW, SPAN_MS);
    await load.close();
    const answered = latencies.filter((l) => l >= 0);
    const value = summarize(answered);
    const rate = (burst.answered * 1000) / burst.elapsedMs;
    const lost = latencies.length - answered.length;
    return [
      ratioRow(
        {
          name: 'registration answered (journal fsynced), one at a time',
          unit: 'ms',
          value,
          reference: { name: 'write + fdatasync of 1 KB, same file system', value: disk },
          samples: answered.length,
          target: 'p99 <= 20 ms',
          ...(lost ? { note: `${lost} registrations unanswered` } : {}),
        },
        () => value.p99 <= 20 && lost === 0,
      ),
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
