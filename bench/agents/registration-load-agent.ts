// Bench agent, run in a live host: sends registrations to the proxy from one ephemeral UDP port and
// times each until its reply (matched by message ID). sequential(): one at a time, the latency of
// each; sustained(): keeps `window` outstanding for `durationMs` and counts the replies that came;
// each(): every payload once, `window` outstanding.
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';

function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  return new Promise((resolve) => socket.bind(0, () => resolve(socket)));
}

/** Replies by message ID, to `onReply(id, at)`. */
function listen(
  socket: Socket,
  address: string,
  port: number,
  onReply: (id: number, at: number) => void,
): void {
  socket.on('message', (data, from) => {
    if (from.address === address && from.port === port && data.length >= 12) {
      onReply(data.readUInt16BE(0), performance.now());
    }
  });
}

/** ms from send to reply of each payload, one at a time; -1 for a payload unanswered within `timeoutMs`. */
export async function sequential(
  address: string,
  port: number,
  payloads: readonly Buffer[],
  timeoutMs = 1000,
): Promise<number[]> {
  const socket = await bound();
  const latencies: number[] = [];
  let waiting: ((id: number, at: number) => void) | undefined;
  listen(socket, address, port, (id, at) => waiting?.(id, at));
  try {
    for (const payload of payloads) {
      const id = payload.readUInt16BE(0);
      const sent = performance.now();
      latencies.push(
        await new Promise<number>((resolve) => {
          const timer = setTimeout(() => resolve(-1), timeoutMs);
          waiting = (replyId, at) => {
            if (replyId !== id) return;
            clearTimeout(timer);
            resolve(at - sent);
          };
          socket.send(payload, port, address);
        }),
      );
    }
  } finally {
    socket.close();
  }
  return latencies;
}

/** Sends `payloads` round-robin with `window` outstanding for `durationMs`; replies counted and timed. */
export async function sustained(
  address: string,
  port: number,
  payloads: readonly Buffer[],
  window: number,
  durationMs: number,
): Promise<{ sent: number; answered: number; elapsedMs: number; latencies: number[] }> {
  const socket = await bound();
  const outstanding = new Map<number, number>();
  const latencies: number[] = [];
  let next = 0;
  let sent = 0;
  const start = performance.now();
  const sendOne = () => {
    const payload = payloads[next++ % payloads.length];
    const id = payload.readUInt16BE(0);
    outstanding.set(id, performance.now());
    sent++;
    socket.send(payload, port, address);
  };
  try {
    await new Promise<void>((resolve) => {
      listen(socket, address, port, (id, at) => {
        const t = outstanding.get(id);
        if (t === undefined) return;
        outstanding.delete(id);
        latencies.push(at - t);
        if (at - start < durationMs) sendOne();
      });
      for (let i = 0; i < window; i++) sendOne();
      setTimeout(resolve, durationMs + 500); // the last window's replies may still come
    });
  } finally {
    socket.close();
  }
  const answered = latencies.length;
  return { sent, answered, elapsedMs: performance.now() - start - 500, latencies };
}

/** Sends each of `payloads` once, `window` outstanding at a time; how many were answered. */
export async function each(
  address: string,
  port: number,
  payloads: readonly Buffer[],
  window: number,
  timeoutMs: number,
): Promise<{ answered: number; elapsedMs: number }> {
  const socket = await bound();
  const outstanding = new Set<number>();
  let next = 0;
  let answered = 0;
  const start = performance.now();
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      const sendOne = () => {
        if (next >= payloads.length) {
          if (outstanding.size > 0) return;
          clearTimeout(timer);
          resolve();
          return;
        }
        const payload = payloads[next++];
        outstanding.add(payload.readUInt16BE(0));
        socket.send(payload, port, address);
      };
      listen(socket, address, port, (id) => {
        if (!outstanding.delete(id)) return;
        answered++;
        sendOne();
      });
      for (let i = 0; i < window; i++) sendOne();
    });
  } finally {
    socket.close();
  }
  return { answered, elapsedMs: performance.now() - start };
}
