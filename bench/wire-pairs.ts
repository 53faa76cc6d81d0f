// Wire latencies from a capture: each request frame paired with the first later reply frame that
// answers it (same key), in pcap time (tcpdump's kernel timestamps), in milliseconds. Frames are
// read at fixed offsets (no VLAN, no IPv6 extension headers: what the LAN's tools send).
import type { PcapRecord } from '../test/support/pcap';

export interface FrameClass {
  readonly kind: 'request' | 'reply';
  readonly key: string;
}

/** ms from each request to its reply; unanswered requests are counted, not timed. */
export function pairLatencies(
  records: readonly PcapRecord[],
  classify: (frame: Buffer) => FrameClass | undefined,
): { latenciesMs: number[]; unanswered: number } {
  const open = new Map<string, number>();
  const latenciesMs: number[] = [];
  let unanswered = 0;
  for (const r of records) {
    const c = classify(r.data);
    if (!c) continue;
    if (c.kind === 'request') {
      if (open.has(c.key)) unanswered++;
      open.set(c.key, r.time);
    } else {
      const sent = open.get(c.key);
      if (sent === undefined) continue;
      open.delete(c.key);
      latenciesMs.push((r.time - sent) * 1000);
    }
  }
  return { latenciesMs, unanswered: unanswered + open.size };
}

const macHex = (mac: string) => mac.replace(/:/g, '').toLowerCase();

/**
 * Keeps only the exchange of `client`: requests it sent and replies addressed to it, so the
 * responder's own announcements and probes (gratuitous ARP, unsolicited NA) are not taken for
 * either.
 */
export function exchangesOf(
  clientMac: string,
  classify: (frame: Buffer) => FrameClass | undefined,
): (frame: Buffer) => FrameClass | undefined {
  const mac = macHex(clientMac);
  return (frame) => {
    const c = classify(frame);
    if (!c) return undefined;
    const side = frame.subarray(c.kind === 'request' ? 6 : 0, c.kind === 'request' ? 12 : 6);
    return side.toString('hex') === mac ? c : undefined;
  };
}

export const ipv4At = (b: Buffer, at: number) => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** ARP request "who has T" and the reply "T is at", keyed by T. */
export function arpClass(frame: Buffer): FrameClass | undefined {
  if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0806) return undefined;
  const op = frame.readUInt16BE(20);
  if (op === 1) return { kind: 'request', key: ipv4At(frame, 38) };
  if (op === 2) return { kind: 'reply', key: ipv4At(frame, 28) };
  return undefined;
}

/** Neighbour Solicitation and Advertisement, keyed by their target address. */
export function ndpClass(frame: Buffer): FrameClass | undefined {
  if (frame.length < 78 || frame.readUInt16BE(12) !== 0x86dd || frame[20] !== 58) return undefined;
  const type = frame[54];
  const key = frame.subarray(62, 78).toString('hex');
  if (type === 135) return { kind: 'request', key };
  if (type === 136) return { kind: 'reply', key };
  return undefined;
}
