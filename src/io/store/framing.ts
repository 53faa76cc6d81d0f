// Record framing shared by the journal and the snapshot file:
//   u32 BE body length | u32 BE CRC-32 (over seq and body) | u64 BE sequence number | body (UTF-8 JSON)
// The sequence number ties journal entries to the snapshot that covers them: replay skips entries
// whose seq the snapshot already includes, which makes a crash between the snapshot's rename and
// the journal's truncation harmless.
//
// scanRecords() walks a file image and stops at the first record that does not check out. It tells a
// torn tail (the last write of a crashed process: the record runs past the end, or only zeros
// follow, as a file extended but not yet written reads) from damage in the middle (something
// readable follows the bad record), because the journal reports the second loudly.
import { crc32 as zlibCrc32 } from 'node:zlib';

export const RECORD_HEADER_LEN = 16;
/** A bigger length field is damage, not a record (a registry entry is a few KB at most). */
export const MAX_RECORD_BODY = 16 * 1024 * 1024;

export interface FramedRecord {
  readonly seq: number;
  readonly body: unknown;
  /** Offset just past this record. */
  readonly end: number;
}

export type ScanProblem =
  | { readonly kind: 'torn'; readonly offset: number; readonly bytes: number }
  | { readonly kind: 'corrupt'; readonly offset: number; readonly bytes: number; readonly reason: string };

export interface ScanResult {
  readonly records: FramedRecord[];
  /** Offset just past the last good record: where the file should end. */
  readonly goodEnd: number;
  readonly problem?: ScanProblem;
}

// zlib.crc32 exists from Node 20.15; the table version keeps older 20.x working.
const crc32: (data: Uint8Array, initial?: number) => number =
  typeof zlibCrc32 === 'function' ? zlibCrc32 : tableCrc32;

let table: Uint32Array | undefined;
function tableCrc32(data: Uint8Array, initial = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = ~initial >>> 0;
  for (const byte of data) crc = (table[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** One framed record. Throws (a programming error) when `value` is not JSON-serialisable. */
export function encodeRecord(seq: number, value: unknown): Buffer {
  const json = JSON.stringify(value);
  if (json === undefined) throw new TypeError('state store: entry is not JSON-serialisable');
  const body = Buffer.from(json, 'utf8');
  const out = Buffer.allocUnsafe(RECORD_HEADER_LEN + body.length);
  out.writeUInt32BE(body.length, 0);
  out.writeBigUInt64BE(BigInt(seq), 8);
  body.copy(out, RECORD_HEADER_LEN);
  out.writeUInt32BE(crc32(out.subarray(8)), 4);
  return out;
}

export function scanRecords(buf: Buffer): ScanResult {
  const records: FramedRecord[] = [];
  let offset = 0;
  while (offset < buf.length) {
    const record = checkRecord(buf, offset);
    if (typeof record === 'string') {
      const bytes = buf.length - offset;
      // the last record of the file: a write that did not finish (or a file extended before its data)
      const torn = record === 'past-end' || isLast(buf, offset) || isZero(buf, offset);
      return {
        records,
        goodEnd: offset,
        problem: torn ? { kind: 'torn', offset, bytes } : { kind: 'corrupt', offset, bytes, reason: record },
      };
    }
    records.push(record);
    offset = record.end;
  }
  return { records, goodEnd: offset };
}

function checkRecord(buf: Buffer, offset: number): FramedRecord | string {
  if (buf.length - offset < RECORD_HEADER_LEN) return 'past-end';
  const length = buf.readUInt32BE(offset);
  if (length > MAX_RECORD_BODY) return 'bad-length';
  const end = offset + RECORD_HEADER_LEN + length;
  if (end > buf.length) return 'past-end';
  if (crc32(buf.subarray(offset + 8, end)) !== buf.readUInt32BE(offset + 4)) return 'bad-checksum';
  const seq = Number(buf.readBigUInt64BE(offset + 8));
  try {
    const body: unknown = JSON.parse(buf.toString('utf8', offset + RECORD_HEADER_LEN, end));
    return { seq, body, end };
  } catch {
    return 'bad-json';
  }
}

function isLast(buf: Buffer, offset: number): boolean {
  return offset + RECORD_HEADER_LEN + buf.readUInt32BE(offset) === buf.length;
}

function isZero(buf: Buffer, from: number): boolean {
  for (let i = from; i < buf.length; i++) if (buf[i] !== 0) return false;
  return true;
}
