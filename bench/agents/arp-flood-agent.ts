// Bench agent, run in the flooding host: broadcasts ARP requests through our own link socket at a
// fixed rate for a fixed time (1 ms ticks, each sending what the schedule owes), cycling through
// `targets`, and counts the ARP replies that come back to `ipv4`. Traffic stays on the test LAN's
// segment.
import { performance } from 'node:perf_hooks';
import { compileFilter, openLink } from '../../src/io/link';
import { BROADCAST_MAC } from '../../src/wire/address';
import { ARP_OP } from '../../src/wire/arp';
import { encodeArpFrame } from '../../src/wire/frame';

/** Replies still on their way when the last request left. */
const SETTLE_MS = 300;
const ARP_OP_OFFSET = 14 + 6;

export async function flood(
  ifname: string,
  mac: string,
  ipv4: string,
  targets: readonly string[],
  perSecond: number,
  durationMs: number,
): Promise<{ sent: number; failed: number; elapsedMs: number; replies: number }> {
  // ARP naming us as target: the replies to our requests (and nobody else's requests to us here).
  const link = openLink(ifname, {
    filter: compileFilter([{ kind: 'arp', addresses: [ipv4], field: 'target' }]),
  });
  link.on('error', () => undefined); // counted as `failed` below
  let replies = 0;
  link.on('frame', (frame) => {
    if (frame.length >= ARP_OP_OFFSET + 2 && frame.readUInt16BE(ARP_OP_OFFSET) === ARP_OP.REPLY) replies++;
  });
  const frames = targets.map((targetIp) =>
    encodeArpFrame(
      { op: ARP_OP.REQUEST, senderMac: mac, senderIp: ipv4, targetMac: '00:00:00:00:00:00', targetIp },
      BROADCAST_MAC,
    ),
  );
  let sent = 0;
  let failed = 0;
  const start = performance.now();
  let elapsedMs = 0;
  try {
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = performance.now() - start;
        const owed = Math.min(
          perSecond * (Math.min(elapsed, durationMs) / 1000),
          (perSecond * durationMs) / 1000,
        );
        while (sent + failed < owed) {
          if (link.send(frames[(sent + failed) % frames.length])) sent++;
          else failed++;
        }
        if (elapsed >= durationMs) {
          clearInterval(tick);
          resolve();
        }
      }, 1);
    });
    elapsedMs = performance.now() - start;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
  } finally {
    link.close();
  }
  return { sent, failed, elapsedMs, replies };
}
