// Agent (run inside a LAN host with host.runNode): UDP sockets on demand. Every datagram received
// becomes a 'datagram' event: (socketId, data: Buffer, from: { address, port }).
import { createSocket, type Socket } from 'node:dgram';
import { emit } from '../agent';

export interface OpenOptions {
  readonly type: 'udp4' | 'udp6';
  readonly port?: number;
  readonly address?: string;
  /** Multicast groups to join on the host's NIC (by its address), e.g. ['224.0.0.251']. */
  readonly groups?: readonly string[];
  readonly interfaceAddress?: string;
}

const sockets = new Map<number, Socket>();
let nextId = 1;

/** Opens and binds a socket; resolves with its id and the bound address. */
export function open(opts: OpenOptions): Promise<{ id: number; address: string; port: number }> {
  const id = nextId++;
  const socket = createSocket({ type: opts.type, reuseAddr: true });
  sockets.set(id, socket);
  socket.on('message', (data, from) =>
    emit('datagram', id, data, { address: from.address, port: from.port }),
  );
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(opts.port ?? 0, opts.address, () => {
      for (const g of opts.groups ?? []) socket.addMembership(g, opts.interfaceAddress);
      const a = socket.address();
      resolve({ id, address: a.address, port: a.port });
    });
  });
}

export function send(id: number, data: Buffer | string, port: number, address: string): Promise<number> {
  const socket = sockets.get(id);
  if (!socket) throw new Error(`no socket ${id}`);
  return new Promise((resolve, reject) =>
    socket.send(data, port, address, (err, bytes) => (err ? reject(err) : resolve(bytes))),
  );
}

export function shutdown(): void {
  for (const s of sockets.values()) s.close();
  sockets.clear();
}
