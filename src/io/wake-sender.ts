// Sends Wake-on-LAN magic packets: as UDP datagrams (port 9 or 7; no privilege needed) and as raw
// Ethernet frames with EtherType 0x0842 (needs CAP_NET_RAW), repeated at an interval.
import dgram from 'node:dgram';
import { networkInterfaces } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { BROADCAST_MAC, ipv4ToBytes, macToBytes } from '../wire/address';
import { encodeMagicPacket, encodeMagicFrame } from '../wire/wol';
import { openLink } from './link';

export type WakeForm = 'udp' | 'ethernet';

export interface WakeRequest {
  /** The MAC to wake. */
  readonly mac: string;
  /** SecureOn password, 4 or 6 bytes. */
  readonly password?: Buffer;
  readonly forms: readonly WakeForm[];
  /** UDP destination: a broadcast, directed broadcast or unicast IPv4 address. */
  readonly address: string;
  readonly port: number;
  /** Interface for the Ethernet form (and the UDP source); the first external IPv4 one if empty. */
  readonly interface?: string;
  /** Ethernet destination of the 0x0842 frame; broadcast unless given. */
  readonly ethernetDestination?: string;
  readonly repeats: number;
  readonly intervalMs: number;
}

export interface WakeResult {
  readonly packets: number;
  readonly interface?: string;
}

/** The interface to send on: the named one, or the first up, non-internal interface with IPv4. */
export function pickInterface(name?: string): { name: string; ipv4?: string } | undefined {
  const all = networkInterfaces();
  const candidates = name ? [name] : Object.keys(all);
  for (const candidate of candidates) {
    const addresses = all[candidate] ?? [];
    const external = addresses.filter((a) => !a.internal);
    if (name && addresses.length === 0) return { name }; // up without addresses: still usable for Ethernet
    if (external.length === 0) continue;
    return { name: candidate, ipv4: external.find((a) => a.family === 'IPv4')?.address };
  }
  return undefined;
}

/** The directed broadcast address of the interface's first IPv4 subnet (e.g. 192.168.1.255). */
export function directedBroadcast(name?: string): string | undefined {
  const iface = pickInterface(name);
  const entry = iface && networkInterfaces()[iface.name]?.find((a) => a.family === 'IPv4');
  if (!entry) return undefined;
  const ip = ipv4ToBytes(entry.address);
  const mask = ipv4ToBytes(entry.netmask);
  if (!ip || !mask) return undefined;
  return Array.from(ip, (b, i) => (b & mask[i]) | (~mask[i] & 0xff)).join('.');
}

export async function sendWake(request: WakeRequest): Promise<WakeResult> {
  const target = macToBytes(request.mac);
  if (!target) throw new TypeError(`not a MAC address: ${request.mac}`);
  const payload = encodeMagicPacket({ target: request.mac, password: request.password });
  const needsInterface = request.forms.includes('ethernet') || request.interface;
  const iface = needsInterface ? pickInterface(request.interface) : undefined;
  if (needsInterface && !iface) throw new Error(`no usable interface ${request.interface ?? ''}`.trim());

  const link = request.forms.includes('ethernet') && iface ? openLink(iface.name) : undefined;
  const socket = request.forms.includes('udp') ? await openUdp(iface?.ipv4) : undefined;
  let packets = 0;
  try {
    const frame =
      link &&
      encodeMagicFrame({
        source: link.mac,
        destination: request.ethernetDestination ?? BROADCAST_MAC,
        target: request.mac,
        password: request.password,
      });
    for (let round = 0; round < request.repeats; round++) {
      if (round > 0) await delay(request.intervalMs);
      if (link && frame) {
        link.send(frame);
        packets++;
      }
      if (socket) {
        await new Promise<void>((resolve, reject) =>
          socket.send(payload, request.port, request.address, (err) => (err ? reject(err) : resolve())),
        );
        packets++;
      }
    }
  } finally {
    link?.close();
    socket?.close();
  }
  return { packets, interface: iface?.name };
}

function openUdp(bindAddress?: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.once('error', reject);
    socket.bind({ address: bindAddress, port: 0 }, () => {
      socket.off('error', reject);
      socket.setBroadcast(true);
      resolve(socket);
    });
  });
}
