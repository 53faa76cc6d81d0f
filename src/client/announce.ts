// "I am awake" after a resume (sps-protocol.md §3.4, §4.5): the Owner option with a new sequence number in
// an mDNS response to 224.0.0.251:5353. A proxy holding our registration (stored with the old seq) drops
// it at once, silently, instead of waiting for the lease or waking us. Sent twice, 1 s apart, against loss.
import { setTimeout as delay } from 'node:timers/promises';
import type { OwnerRepr } from '../wire/edns';
import { encodeOwnerAnnouncement } from '../wire/sps-owner';
import { MdnsSocket } from '../io/mdns-socket';

export async function announceOwner(
  ifname: string,
  owner: OwnerRepr,
  copies = 2,
  gapMs = 1000,
): Promise<void> {
  const socket = await MdnsSocket.open({ interface: ifname });
  const errors: Error[] = [];
  socket.on('error', (err) => errors.push(err));
  try {
    const message = encodeOwnerAnnouncement({ owner });
    for (let i = 0; i < copies; i++) {
      if (i > 0) await delay(gapMs);
      await socket.send(message, 'multicast');
    }
  } finally {
    await socket.close();
  }
  if (errors.length > 0) throw errors[0];
}
