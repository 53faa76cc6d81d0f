// Agent for the sleep-proxy lifecycle tests, run in a sleeper host. register() sends the datagrams
// of one registration back to back from one socket (as mDNSResponder sends the fragments of a split
// UPDATE, from port 5353) and returns every reply that came back within the time limit; sendMdns()
// sends one mDNS datagram from port 5353 to 224.0.0.251 (a waking client's Owner announcement).
import { createSocket, type Socket } from 'node:dgram';
import type { Reply } from './registration-client-agent';

export const MDNS_PORT = 5353;
export const MDNS_GROUP = '224.0.0.251';

/** An IPv4 UDP socket bound to `port` (0: any) and `address` if given, sharing the port (mDNS). */
export function bound(port: number, address?: string): Promise<Socket> {
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

/**
 * Sends `payloads` to address:port and collects replies until one per payload arrived or `timeoutMs`;
 * from `sourceAddress` when given (one of several addresses of the host), else the kernel's choice.
 */
export async function register(
  address: string,
  port: number,
  payloads: readonly Buffer[],
  sourcePort = MDNS_PORT,
  timeoutMs = 3000,
  sourceAddress?: string,
): Promise<Reply[]> {
  const socket = await bound(sourcePort, sourceAddress);
  const replies: Reply[] = [];
  try {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      socket.on('message', (data, from) => {
        if (from.address !== address || from.port !== port) return;
        replies.push({ data, address: from.address, port: from.port });
        if (replies.length === payloads.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      for (const p of payloads) socket.send(p, port, address);
    });
  } finally {
    socket.close();
  }
  return replies;
}

/** One mDNS datagram from `ownAddress`:5353 to the IPv4 mDNS group. */
export async function sendMdns(payload: Buffer, ownAddress: string): Promise<void> {
  const socket = await bound(MDNS_PORT);
  try {
    socket.setMulticastInterface(ownAddress);
    socket.setMulticastTTL(255);
    await new Promise<void>((resolve, reject) =>
      socket.send(payload, MDNS_PORT, MDNS_GROUP, (error) => (error ? reject(error) : resolve())),
    );
  } finally {
    socket.close();
  }
}
