// Agent for test/integration/registration-socket.test.ts, run in the sleeper host: sends one
// datagram from a chosen source port (5353 as Apple's mDNSResponder up to macOS 14 does, or an
// ephemeral one) and returns the first reply with the address and port it came from.
import { createSocket } from 'node:dgram';

export interface Reply {
  readonly data: Buffer;
  readonly address: string;
  readonly port: number;
}

export function exchange(
  family: 'udp4' | 'udp6',
  address: string,
  port: number,
  payload: Buffer,
  sourcePort = 0,
  timeoutMs = 2000,
): Promise<Reply> {
  const socket = createSocket({ type: family, ipv6Only: family === 'udp6' });
  return new Promise<Reply>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no reply from ${address}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.once('message', (data, rinfo) => {
      clearTimeout(timer);
      resolve({ data, address: rinfo.address, port: rinfo.port });
    });
    socket.bind(sourcePort, () => socket.send(payload, port, address));
  }).finally(() => socket.close());
}
