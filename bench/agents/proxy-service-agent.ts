// Bench agent, run in the proxy host: the sleep proxy service in this process (what `sleep-proxy`
// runs), so a row can read what the command does not print: the link socket's counters (frames
// the kernel filter let through to JavaScript), the native answerer's, this process's CPU time
// from /proc/self/stat (every thread), its resident set size, and the event loop's lag.
import { readFileSync } from 'node:fs';
import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { AnswererStats, LinkStats } from '../../src/io/link';
import { SleepProxyService, type SleepProxyServiceOptions } from '../../src/service/sleep-proxy-service';

let service: SleepProxyService | undefined;
const takenOver = new Set<string>();
const waiters = new Map<string, () => void>();

export async function start(
  ifname: string,
  stateDir: string,
  port: number,
  limits?: SleepProxyServiceOptions['limits'],
): Promise<number> {
  // Virtual sleepers are registered from one real host, many at once: what the policy refuses by default.
  const policy = { sourceMustBeProxied: false, rateLimit: { burst: 0, perSecond: 0 } };
  service = await SleepProxyService.start({ ifname, stateDir, port, name: 'Bench Proxy', limits, policy });
  service.on('event', (event) => {
    if (event.type !== 'takeover') return;
    takenOver.add(event.address);
    waiters.get(event.address)?.();
  });
  return process.pid;
}

export function takeover(address: string, timeoutMs: number): Promise<void> {
  if (takenOver.has(address)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no takeover of ${address} in ${timeoutMs} ms`)),
      timeoutMs,
    );
    waiters.set(address, () => (clearTimeout(timer), resolve()));
  });
}

/** Resolves once every one of `addresses` was taken over. */
export async function takeovers(addresses: readonly string[], timeoutMs: number): Promise<void> {
  await Promise.all(addresses.map((a) => takeover(a, timeoutMs)));
}

export interface Sample {
  readonly link: LinkStats;
  readonly answerer?: AnswererStats;
  /** utime + stime of this process, in clock ticks. */
  readonly cpuTicks: number;
  /** Resident set size and V8 heap in use, bytes, after a full garbage collection. */
  readonly rss: number;
  readonly heapUsed: number;
  /** The V8 heap as reserved (used or not) and memory outside it (Buffers), bytes. */
  readonly heapTotal: number;
  readonly external: number;
}

// A full collection before memory is read, so that the figure is what the service holds, not
// garbage a collection would free anyway.
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

export function sample(): Sample {
  const link = service!.linkStats();
  // fields after the ")" of comm: state is field 3, utime 14, stime 15
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  collectGarbage();
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { link, answerer: service!.answererStats(), cpuTicks, rss, heapUsed, heapTotal, external };
}

let lag: IntervalHistogram | undefined;

/** Starts measuring how late the event loop runs (1 ms resolution). */
export function lagStart(): void {
  lag = monitorEventLoopDelay({ resolution: 1 });
  lag.enable();
}

/** The event-loop lag since lagStart, in ms: p99 and max. */
export function lagStop(): { p99: number; max: number } {
  if (!lag) throw new Error('lagStart first');
  lag.disable();
  const ms = (ns: number) => ns / 1e6;
  return { p99: ms(lag.percentile(99)), max: ms(lag.max) };
}

export async function shutdown(): Promise<void> {
  await service?.close();
}
