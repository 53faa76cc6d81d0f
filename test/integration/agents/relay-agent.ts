// Agent (run inside a segment host): a RelayService (the broadcast relay), and plain UDP clients
// and listeners that play EPICS-style search/reply: `listen` answers every datagram by unicast to
// its source, `broadcast` sends from a fixed port and reports the replies it gets.
import { createSocket, type Socket } from 'node:dgram';
import { emit } from '../../support/lan/agent';
import { compileFilter, openLink } from '../../../src/io/link';
import { RelayService, type RelayServiceOptions } from '../../../src/relay/relay-service';
import type { RelayCounters } from '../../../src/relay/relay-core';

let relay: RelayService | undefined;
const sockets: Socket[] = [];

// Stands in for Docker's DNS (tasks.<service>) when a test passes one to startRelay.
let fakeDns: Record<string, string[]> | undefined;

export function setFakeDns(records: Record<string, string[]>): void {
  fakeDns = records;
}

export async function startRelay(
  options: RelayServiceOptions,
  dns?: Record<string, string[]>,
): Promise<string> {
  fakeDns = dns;
  const resolve = async (name: string): Promise<string[]> => {
    const found = fakeDns?.[name];
    if (!found) throw new Error(`ENOTFOUND ${name}`);
    return found;
  };
  const mesh = options.mesh && dns ? { ...options.mesh, resolve } : options.mesh;
  relay = new RelayService({ ...options, mesh });
  relay.on('peers', (peers) => emit('peers', peers));
  relay.on('rebroadcast', (d) => emit('rebroadcast', d.source, d.port, d.payload.length));
  relay.on('broadcast', (d) => emit('captured', d.source, d.port, d.payload.length));
  relay.on('drop', (reason) => emit('drop', reason));
  relay.on('error', (error) => emit('error', error.message));
  await relay.start();
  return relay.broadcastAddress;
}

export function counters(): RelayCounters {
  if (!relay) throw new Error('no relay');
  return relay.counters;
}

export function peers(): unknown {
  return relay?.peers;
}

export async function stopRelay(): Promise<void> {
  await relay?.close();
  relay = undefined;
}

/**
 * A socket bound to `port`: IPv4 with broadcast allowed, or IPv6 only with eth0 (the only NIC of
 * a segment host) as its multicast interface, joined to `group` if given (a sender does not join:
 * no copy of its own).
 */
function open(port: number, family: 4 | 6 = 4, group?: string): Promise<Socket> {
  const socket = createSocket(
    family === 4 ? { type: 'udp4', reuseAddr: true } : { type: 'udp6', reuseAddr: true, ipv6Only: true },
  );
  sockets.push(socket);
  return new Promise((resolve) =>
    socket.bind(port, () => {
      if (family === 4) socket.setBroadcast(true);
      else {
        if (group) socket.addMembership(group, '::%eth0');
        socket.setMulticastInterface('::%eth0');
      }
      resolve(socket);
    }),
  );
}

/** Every datagram is emitted ('datagram') and, with `reply`, answered by "reply:" + payload. */
function answer(socket: Socket, reply: boolean): void {
  socket.on('message', (data, from) => {
    emit('datagram', data, from.address, from.port);
    if (reply)
      socket.send(Buffer.concat([Buffer.from('reply:'), data.subarray(0, 32)]), from.port, from.address);
  });
}

/** Receives on `port` (see answer()). */
export async function listen(port: number, reply = true): Promise<void> {
  answer(await open(port), reply);
}

/** Joins IPv6 `group` on eth0 and receives on `port` (see answer()). */
export async function listen6(group: string, port: number, reply = true): Promise<void> {
  answer(await open(port, 6, group), reply);
}

/** Sends from the socket of `fromPort` (made on first use); replies to it are emitted as 'reply'. */
async function sendFrom(family: 4 | 6, fromPort: number, address: string, port: number, payload: Buffer) {
  const ipFamily = family === 4 ? 'IPv4' : 'IPv6';
  let socket = sockets.find((s) => s.address().family === ipFamily && s.address().port === fromPort);
  if (!socket) {
    socket = await open(fromPort, family);
    socket.on('message', (data, from) => emit('reply', data, from.address, from.port));
  }
  const s = socket;
  await new Promise<void>((resolve, reject) =>
    s.send(payload, port, address, (e) => (e ? reject(e) : resolve())),
  );
}

/** Sends `payload` from `fromPort` to `address:port` (a broadcast, usually). */
export function broadcast(address: string, port: number, payload: Buffer, fromPort: number): Promise<void> {
  return sendFrom(4, fromPort, address, port, payload);
}

/** Sends `payload` from `fromPort` to IPv6 `group:port` on eth0. */
export function multicast6(group: string, port: number, payload: Buffer, fromPort: number): Promise<void> {
  return sendFrom(6, fromPort, group, port, payload);
}

/** A raw datagram (a hand-made mesh message) to a unicast address. */
export async function sendTo(address: string, port: number, payload: Buffer): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) =>
    socket.send(payload, port, address, (e) => (e ? reject(e) : resolve())),
  );
  socket.close();
}

export async function shutdown(): Promise<void> {
  for (const s of sockets.splice(0)) s.close();
  await stopRelay();
}

/**
 * Opens a link on eth0 (outgoing frames delivered or not), sends one UDP broadcast to `port` from a
 * socket of this host, and returns the packet types of the frames the link delivered for it.
 */
export async function localBroadcastSeen(outgoing: boolean, port: number): Promise<number[]> {
  const link = openLink('eth0', {
    outgoing,
    filter: compileFilter([{ kind: 'udp', destinations: ['10.78.1.255', '255.255.255.255'], ports: [port] }]),
  });
  const types: number[] = [];
  link.on('frame', (_frame, info) => types.push(info.packetType));
  await broadcast('255.255.255.255', port, Buffer.from('local'), port);
  await new Promise((r) => setTimeout(r, 200));
  link.close();
  return types;
}
