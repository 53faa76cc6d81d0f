// "Wait until awake": probes a host after a wake-up until it answers or a timeout passes.
//   arp  - an ARP request for the host's IPv4 address on the link socket (needs CAP_NET_RAW); awake on
//          its ARP reply (or any ARP it sends from that address, e.g. its gratuitous ARP on waking);
//   tcp  - a connection to a port; awake when it connects or is refused (a RST means the host is up);
//   ping - `ping -c1 -W1`; awake when it exits 0.
// One attempt per interval (each attempt gets at most the interval to answer); cancellable with an
// AbortSignal so a node's close() ends it at once. Every socket, link and child is released.
import { execFile } from 'node:child_process';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { isIpv4 } from '../wire/address';
import { networkInterfaces } from 'node:os';
import { ARP_OP, ZERO_MAC, ZERO_IPV4 } from '../wire/arp';
import { encodeArpFrame, parseFrame } from '../wire/frame';
import { BROADCAST_MAC } from '../wire/address';
import { compileFilter, openLink, type LinkSocket } from './link';

export type ProbeMethod = 'arp' | 'tcp' | 'ping';

export interface ProbeRequest {
  readonly method: ProbeMethod;
  readonly ip: string;
  /** TCP port (tcp only). */
  readonly port?: number;
  /** Link for ARP. */
  readonly interface?: string;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  readonly signal?: AbortSignal;
  /** Called before each attempt (1-based), e.g. to show progress. */
  readonly onAttempt?: (attempt: number) => void;
}

export interface ProbeResult {
  readonly awake: boolean;
  readonly elapsedMs: number;
  readonly attempts: number;
}

interface Prober {
  /** Resolves true when the host answered within `windowMs`. */
  attempt(windowMs: number, signal: AbortSignal): Promise<boolean>;
  close(): void;
}

function tcpProber(ip: string, port: number): Prober {
  return {
    attempt: (windowMs, signal) =>
      new Promise((resolve) => {
        const socket = net.connect({ host: ip, port });
        const finish = (awake: boolean) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          socket.destroy();
          resolve(awake);
        };
        const onAbort = () => finish(false);
        const timer = setTimeout(() => finish(false), windowMs);
        signal.addEventListener('abort', onAbort);
        socket.once('connect', () => finish(true));
        socket.once('error', (err: NodeJS.ErrnoException) => finish(err.code === 'ECONNREFUSED'));
      }),
    close: () => undefined,
  };
}

function pingProber(ip: string): Prober {
  return {
    attempt: (windowMs, signal) =>
      new Promise((resolve) => {
        // iputils takes fractional -W; with the default 1 s interval this is `ping -c1 -W1`.
        const waitS = Math.max(0.2, windowMs / 1000).toFixed(1);
        const args = [isIpv4(ip) ? '-4' : '-6', '-n', '-c1', `-W${waitS}`, ip];
        execFile('ping', args, { signal, timeout: windowMs + 500 }, (err) => resolve(!err));
      }),
    close: () => undefined,
  };
}

function arpProber(ip: string, ifname: string): Prober {
  const link: LinkSocket = openLink(ifname);
  let answered = false;
  let wake: (() => void) | undefined;
  link.setFilter(compileFilter([{ kind: 'arp', addresses: [ip], field: 'sender' }]));
  link.on('frame', (frame) => {
    const parsed = parseFrame(frame, { verifyTransportChecksums: false });
    if (!parsed.ok || parsed.value.kind !== 'arp') return;
    const arp = parsed.value.arp;
    if (arp.senderIp !== ip || arp.senderMac === link.mac) return;
    if (arp.op === ARP_OP.REPLY || arp.op === ARP_OP.REQUEST) {
      answered = true;
      wake?.();
    }
  });
  // An ordinary request from our own address where we have one: every stack answers that, while some
  // ignore RFC 5227 probes (sender 0.0.0.0).
  const ours = networkInterfaces()[ifname]?.find((a) => a.family === 'IPv4')?.address ?? ZERO_IPV4;
  const request = encodeArpFrame(
    { op: ARP_OP.REQUEST, senderMac: link.mac, senderIp: ours, targetMac: ZERO_MAC, targetIp: ip },
    BROADCAST_MAC,
  );
  return {
    attempt: async (windowMs, signal) => {
      if (answered) return true;
      link.send(request);
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          wake = undefined;
          resolve();
        };
        const timer = setTimeout(done, windowMs);
        signal.addEventListener('abort', done);
        wake = done;
      });
      return answered;
    },
    close: () => link.close(),
  };
}

export async function waitUntilAwake(request: ProbeRequest): Promise<ProbeResult> {
  if (request.method === 'arp' && !request.interface) throw new Error('ARP probing needs an interface');
  if (request.method === 'tcp' && !request.port) throw new Error('TCP probing needs a port');
  const prober =
    request.method === 'arp'
      ? arpProber(request.ip, request.interface ?? '')
      : request.method === 'tcp'
        ? tcpProber(request.ip, request.port ?? 0)
        : pingProber(request.ip);
  const started = Date.now();
  const local = new AbortController();
  const onAbort = () => local.abort();
  request.signal?.addEventListener('abort', onAbort);
  let attempts = 0;
  try {
    while (!local.signal.aborted) {
      const elapsed = Date.now() - started;
      if (elapsed >= request.timeoutMs) break;
      attempts++;
      request.onAttempt?.(attempts);
      const attemptStart = Date.now();
      const window = Math.min(request.intervalMs, request.timeoutMs - elapsed);
      if (await prober.attempt(window, local.signal)) {
        return { awake: true, elapsedMs: Date.now() - started, attempts };
      }
      const rest = window - (Date.now() - attemptStart);
      if (rest > 0 && !local.signal.aborted)
        await delay(rest, undefined, { signal: local.signal }).catch(() => undefined);
    }
    return { awake: false, elapsedMs: Date.now() - started, attempts };
  } finally {
    request.signal?.removeEventListener('abort', onAbort);
    prober.close();
  }
}
