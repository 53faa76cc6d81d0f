// Packet capture with tcpdump inside a LAN namespace, returned as classic pcap bytes (parse them
// with parsePcap() from ../pcap). start waits for tcpdump's "listening on" line, so frames sent
// after `await capture(...)` are seen; --immediate-mode and -U hand each frame over at once, so
// stop() right after the last awaited frame loses nothing.
import type { ChildProcess } from 'node:child_process';
import { waitForExit, waitForOutput, which } from './exec';
import type { NsEndpoint } from './endpoint';

export interface CaptureOptions {
  /** Interface to capture on; default: the endpoint's (eth0 on a host, br0 on the switch). */
  readonly iface?: string;
  /** Only inbound ('in') or outbound ('out') frames of `iface`. */
  readonly direction?: 'in' | 'out';
  readonly timeoutMs?: number;
}

export interface Capture {
  /** Ends the capture and returns the pcap file (header + records). */
  stop(): Promise<Buffer>;
}

/** Why capture() cannot work on `target`, if it cannot. */
export function captureUnavailableReason(target: NsEndpoint): string | undefined {
  // tcpdump run as (mapped) root always drops privileges with initgroups(), which a user namespace
  // without a setgroups mapping refuses; -Z root does not avoid it
  if (target.mode === 'userns')
    return 'capture needs root: tcpdump cannot run in an unprivileged user namespace';
  if (!which('tcpdump')) return 'capture needs tcpdump (not installed)';
  return undefined;
}

/** Starts tcpdump in `target`'s namespace with a pcap-filter expression (e.g. 'arp or icmp6'). */
export async function capture(target: NsEndpoint, filter = '', opts: CaptureOptions = {}): Promise<Capture> {
  const unavailable = captureUnavailableReason(target);
  if (unavailable) throw new Error(unavailable);
  // -Z root: stay root, so the pcap stream is not subject to the "tcpdump" user's permissions
  const args = [
    '-i',
    opts.iface ?? target.defaultIface,
    '-Z',
    'root',
    '-n',
    '-U',
    '--immediate-mode',
    '-w',
    '-',
  ];
  if (opts.direction) args.push('-Q', opts.direction);
  if (filter) args.push(filter);
  const child = target.spawn('tcpdump', args);
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (b: Buffer) => chunks.push(b));
  try {
    await waitForOutput(child, /listening on/, { stream: 'stderr', timeoutMs: opts.timeoutMs ?? 5000 });
  } catch (e) {
    child.kill('SIGKILL');
    throw new Error(`capture on ${target.ns}: ${(e as Error).message}`);
  }
  return { stop: () => stopCapture(child, closed, chunks) };
}

async function stopCapture(child: ChildProcess, closed: Promise<void>, chunks: Buffer[]): Promise<Buffer> {
  child.kill('SIGINT');
  await waitForExit(child, 2000);
  await closed;
  return Buffer.concat(chunks);
}
