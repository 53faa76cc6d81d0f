// Agent for the sleeper host: a simulated Mac that sleeps until a magic packet for it arrives, then
// "wakes" as macOS does: its NIC works again (the test LAN's nftables sleep table is deleted) and
// its mDNSResponder announces the new sleep/wake epoch (an Owner option with seq + 1) to 224.0.0.251.
// Also runs a TCP service the waker connects to.
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';
import { promisify } from 'node:util';
import { compileFilter, openLink, type LinkSocket } from '../../../src/io/link';
import { ETHERTYPE } from '../../../src/wire/ethernet';
import { parseMagicPacket } from '../../../src/wire/wol';
import { encodeOwnerAnnouncement } from '../../../src/wire/sps-owner';
import { emit } from '../../support/lan/agent';

const run = promisify(execFile);
let server: Server | undefined;
let link: LinkSocket | undefined;

export function listen(port: number): Promise<void> {
  server = createServer((socket) => socket.end());
  return new Promise((resolve) => server!.listen(port, '0.0.0.0', () => resolve()));
}

export interface WakeOn {
  readonly hostMac: string;
  readonly wakeMac: string;
  /** The epoch after waking. */
  readonly seq: number;
  /** How long the host takes to wake after the magic packet (default: as fast as it can). */
  readonly afterMs?: number;
}

/** Arms the wake: the first magic packet for `wakeMac` wakes the host; emits 'woke' with the time. */
export function sleepUntilMagicPacket(owner: WakeOn): void {
  link = openLink('eth0', { filter: compileFilter([{ kind: 'ethertype', types: [ETHERTYPE.WOL] }]) });
  link.on('frame', (frame) => {
    const magic = parseMagicPacket(frame.subarray(14));
    if (!magic.ok || magic.value.target !== owner.wakeMac || !link) return;
    link.close();
    link = undefined;
    void wake(owner);
  });
}

async function wake(owner: WakeOn): Promise<void> {
  const magicAt = Date.now();
  if (owner.afterMs) await new Promise((resolve) => setTimeout(resolve, owner.afterMs));
  await run('nft', ['delete', 'table', 'netdev', 'sps_sleep']);
  const { hostMac, wakeMac, seq } = owner;
  const announcement = encodeOwnerAnnouncement({ owner: { version: 0, hostMac, wakeMac, seq } });
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  await new Promise<void>((resolve) => socket.bind(5353, resolve));
  await new Promise<void>((resolve, reject) =>
    socket.send(announcement, 5353, '224.0.0.251', (err) => (err ? reject(err) : resolve())),
  );
  socket.close();
  emit('woke', magicAt, Date.now());
}

export function shutdown(): void {
  link?.close();
  server?.close();
}
