// A small reader for classic pcap files (both byte orders, micro- and nanosecond stamps), enough to
// feed the captures in test/fixtures to the codecs.
import { readFileSync } from 'node:fs';

export interface PcapRecord {
  /** 1-based frame number, as tshark numbers frames in the decodes beside the captures. */
  readonly frame: number;
  /** Seconds since the epoch, with fractional part. */
  readonly time: number;
  readonly data: Buffer;
  readonly originalLength: number;
}

export interface Pcap {
  readonly linkType: number;
  readonly records: PcapRecord[];
}

export const LINKTYPE_ETHERNET = 1;

export function parsePcap(file: Buffer): Pcap {
  if (file.length < 24) throw new Error('pcap: file shorter than its header');
  const magic = file.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magic === 0xa1b2c3d4 || magic === 0xa1b23c4d) {
    le = true;
    nano = magic === 0xa1b23c4d;
  } else if (magic === 0xd4c3b2a1 || magic === 0x4d3cb2a1) {
    le = false;
    nano = magic === 0x4d3cb2a1;
  } else {
    throw new Error(`pcap: unknown magic 0x${magic.toString(16)} (pcapng is not supported)`);
  }
  const u32 = (off: number): number => (le ? file.readUInt32LE(off) : file.readUInt32BE(off));
  const linkType = u32(20) & 0x0fffffff;
  const records: PcapRecord[] = [];
  for (let off = 24; off + 16 <= file.length;) {
    const seconds = u32(off);
    const fraction = u32(off + 4);
    const caplen = u32(off + 8);
    const originalLength = u32(off + 12);
    off += 16;
    if (off + caplen > file.length) throw new Error('pcap: truncated record');
    records.push({
      frame: records.length + 1,
      time: seconds + fraction / (nano ? 1e9 : 1e6),
      data: file.subarray(off, off + caplen),
      originalLength,
    });
    off += caplen;
  }
  return { linkType, records };
}

export function readPcap(path: string): Pcap {
  return parsePcap(readFileSync(path));
}
