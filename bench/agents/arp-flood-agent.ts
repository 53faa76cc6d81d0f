// Bench agent, run in the flooding host: broadcasts ARP requests through our own link socket at a
// fixed rate for a fixed time (1 ms ticks, each sending what the schedule owes), cycling through
// `targets`. Traffic stays on the test LAN's segment.
import { performance } from 'node:perf_hooks';
import { openLink } from '../../src/io/link';
import { BROADCAST_MAC } from '../../src/wire/address';
import { ARP_OP } from '../../src/wire/arp';
import { encodeArpFrame } from '../../src/wire/frame';

export async function flood(
  ifname: string,
  mac: string,
  ipv4: string,
  targets: readonly string[],
  perSecond: number,
  durationMs: number,
): Promise<{ sent: number; failed: number; elapsedMs: number }> {
  const link = openLink(ifname);
  link.on('error', () => undefined); // counted as `failed` below
  const frames = targets.map((targetIp) =>
    encodeArpFrame(
      { op: ARP_OP.REQUEST, senderMac: mac, senderIp: ipv4, targetMac: '00:00:00:00:00:00', targetIp },
      BROADCAST_MAC,
    ),
  );
  let sent = 0;
  let failed = 0;
  const start = performance.now();
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
  } finally {
    link.close();
  }
  return { sent, failed, elapsedMs: performance.now() - start };
}
