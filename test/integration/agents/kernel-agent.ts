// Agent for test/integration/kernel.test.ts. In the proxy host: reads the kernel settings and
// holds a BlackholeRoutes. In the waker host: connect() tries a TCP connection and reports how it
// ended (an ICMP host unreachable ends it with EHOSTUNREACH; silence ends it by our timeout).
import { connect as tcpConnect } from 'node:net';
import { BlackholeRoutes, readKernelSettings } from '../../../src/io/kernel';

let routes = new BlackholeRoutes();

export async function settings(ifname: string) {
  const r = await readKernelSettings(ifname);
  return r.ok ? { ok: true, value: r.value } : { ok: false, code: r.error.code, message: r.error.message };
}

export async function add(address: string) {
  const r = await routes.add(address);
  return r.ok
    ? { ok: true, value: r.value }
    : { ok: false, code: r.error.code, fix: r.error.fix, message: r.error.message };
}

export async function remove(address: string) {
  const r = await routes.remove(address);
  return r.ok ? { ok: true } : { ok: false, code: r.error.code, message: r.error.message };
}

export async function close() {
  const r = await routes.close();
  routes = new BlackholeRoutes();
  return r.ok ? { ok: true } : { ok: false, code: r.error.code, message: r.error.message };
}

export async function flushStale() {
  const r = await new BlackholeRoutes().flushStale();
  return r.ok ? { ok: true } : { ok: false, code: r.error.code, message: r.error.message };
}

export function connect(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{ outcome: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (outcome: string): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ outcome, ms: Date.now() - started });
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    socket.once('connect', () => done('connected'));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

export function shutdown() {
  return routes.close();
}
