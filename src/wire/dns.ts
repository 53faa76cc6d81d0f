// DNS messages (RFC 1035 §4.1) as used by mDNS (RFC 6762) and DNS UPDATE (RFC 2136): header,
// questions (the UPDATE zone section) and three record sections (answers = prerequisites,
// authorities = updates, additionals).
//
// Why our own walk rather than dns-packet 5.6.1's decode/encode: dns-packet throws on malformed input
// (one bad record loses the whole packet), ignores RDLENGTH (a zero-length record desyncs everything after
// it), decodes the QU bit as class 'UNKNOWN_32769' and re-encodes it as 0, cannot encode class NONE (254),
// joins labels without escaping '.' (DNS-SD instance names may contain dots) and never compresses. Here
// every record is cut by its RDLENGTH and its RDATA decoded from that slice only (dns-rdata.ts).
// dns-packet stays in the tests as an independent decoder of what we emit.
//
// Contract: parseDnsMessage never throws. A broken header, question or record *framing* (a name or a
// fixed field running past the end, RDLENGTH overrunning the datagram, a bad compression pointer in an
// owner name) fails the whole message, because nothing after it can be located. A record whose framing
// is sound but whose RDATA does not decode for its type is left out of its section and listed in
// `skipped` (with its error), and parsing continues. Bytes after the last counted record are ignored
// (`bytes` says where the message ended). Class numbers are exact: the top bit is reported separately
// as `qu` (questions) or `cacheFlush` (records), except for OPT whose CLASS is the UDP payload size.
// emitDnsMessage throws only on caller misuse (see emitDnsName/emitRdata) or a too-small buffer.
import { emitDnsName, NameTable, parseDnsName } from './dns-name';
import { DnsRdata, DnsType, emitRdata, parseRdata, RdataEmitOptions } from './dns-rdata';
import { EdnsOption, OptFields, optTtl } from './edns';
import { fail, ok, Parsed, WireError } from './result';

/** RFC 1035 §4.1.1 */
export const DNS_HEADER_LEN = 12;
const ID_OFFSET = 0;
const FLAGS_OFFSET = 2;
const COUNTS_OFFSET = 4;
/** RFC 1035 §4.1.3: TYPE, CLASS, TTL, RDLENGTH after the owner name. */
const RR_FIXED_LEN = 10;
const QUESTION_FIXED_LEN = 4;

/** RFC 6762 §5.4 (questions) and §10.2 (records) put a flag in the top bit of CLASS. */
const CLASS_TOP_BIT = 0x8000;
const CLASS_MASK = 0x7fff;

/** RFC 1035 §3.2.4, RFC 2136 §1.3 (NONE). */
export const DnsClass = { IN: 1, CH: 3, HS: 4, NONE: 254, ANY: 255 } as const;
/** RFC 1035 §4.1.1, RFC 2136 §1.3. */
export const DnsOpcode = { QUERY: 0, NOTIFY: 4, UPDATE: 5 } as const;
export const DnsRcode = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

const QR_BIT = 0x8000;
const OPCODE_SHIFT = 11;
const AA_BIT = 0x0400;
const TC_BIT = 0x0200;

export interface DnsFlagFields {
  readonly qr?: boolean;
  readonly opcode?: number;
  readonly aa?: boolean;
  readonly tc?: boolean;
  readonly rcode?: number;
}

/** The 16-bit flags word from its fields (RD, RA, Z, AD, CD stay 0: neither mDNS nor UPDATE use them). */
export function dnsFlags(f: DnsFlagFields): number {
  return (
    (f.qr ? QR_BIT : 0) |
    (((f.opcode ?? 0) & 0xf) << OPCODE_SHIFT) |
    (f.aa ? AA_BIT : 0) |
    (f.tc ? TC_BIT : 0) |
    ((f.rcode ?? 0) & 0xf)
  );
}

export const isDnsResponse = (flags: number): boolean => (flags & QR_BIT) !== 0;
export const dnsOpcode = (flags: number): number => (flags >> OPCODE_SHIFT) & 0xf;
export const dnsRcode = (flags: number): number => flags & 0xf;

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  /** Without the QU bit. */
  readonly class: number;
  /** RFC 6762 §5.4 unicast-response bit. */
  readonly qu?: boolean;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  /** Without the cache-flush bit; for OPT the whole 16-bit CLASS (= UDP payload size). */
  readonly class: number;
  /** RFC 6762 §10.2; also Apple's "unique record" mark in SPS registrations. Ignored for OPT. */
  readonly cacheFlush?: boolean;
  /** Seconds; for OPT the packed extended-RCODE/version/flags word. */
  readonly ttl: number;
  readonly data: DnsRdata;
}

export interface DnsMessageRepr {
  readonly id: number;
  readonly flags: number;
  /** In an UPDATE: the zone section. */
  readonly questions: readonly DnsQuestion[];
  /** In an UPDATE: the prerequisite section. */
  readonly answers: readonly DnsRecord[];
  /** In an UPDATE: the update section. */
  readonly authorities: readonly DnsRecord[];
  readonly additionals: readonly DnsRecord[];
}

export type DnsSection = 'answers' | 'authorities' | 'additionals';

export interface ParsedDnsQuestion extends DnsQuestion {
  readonly qu: boolean;
}

export interface ParsedDnsRecord extends DnsRecord {
  readonly cacheFlush: boolean;
  /** RDLENGTH as received (Apple selects OPT RRs by it). */
  readonly rdlength: number;
  /** Position within its section, counting skipped records too. */
  readonly index: number;
}

/** A record whose framing was sound but whose RDATA did not decode; it is not in its section. */
export interface SkippedDnsRecord {
  readonly section: DnsSection;
  readonly index: number;
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly cacheFlush: boolean;
  readonly ttl: number;
  readonly rdlength: number;
  readonly error: WireError;
}

export interface ParsedDnsMessage extends DnsMessageRepr {
  readonly questions: readonly ParsedDnsQuestion[];
  readonly answers: readonly ParsedDnsRecord[];
  readonly authorities: readonly ParsedDnsRecord[];
  readonly additionals: readonly ParsedDnsRecord[];
  readonly skipped: readonly SkippedDnsRecord[];
}

type RecordOutcome =
  | { ok: true; record: ParsedDnsRecord; next: number }
  | { ok: true; skipped: SkippedDnsRecord; next: number }
  | { ok: false; error: WireError };

function parseRecord(
  buf: Buffer,
  pos: number,
  start: number,
  end: number,
  section: DnsSection,
  index: number,
): RecordOutcome {
  const name = parseDnsName(buf, pos, start, end);
  if (!name.ok) return name;
  const fixed = pos + name.bytes;
  if (fixed + RR_FIXED_LEN > end) return { ok: false, error: new WireError('truncated', 'record header') };
  const type = buf.readUInt16BE(fixed);
  const rawClass = buf.readUInt16BE(fixed + 2);
  const ttl = buf.readUInt32BE(fixed + 4);
  const rdlength = buf.readUInt16BE(fixed + 8);
  const rdata = fixed + RR_FIXED_LEN;
  if (rdata + rdlength > end)
    return { ok: false, error: new WireError('truncated', 'RDATA overruns the message') };
  const isOpt = type === DnsType.OPT;
  const klass = isOpt ? rawClass : rawClass & CLASS_MASK;
  const cacheFlush = !isOpt && (rawClass & CLASS_TOP_BIT) !== 0;
  const data = parseRdata(type, buf, rdata, rdlength, start);
  const next = rdata + rdlength;
  if (!data.ok) {
    const skipped = {
      section,
      index,
      name: name.value,
      type,
      class: klass,
      cacheFlush,
      ttl,
      rdlength,
      error: data.error,
    };
    return { ok: true, skipped, next };
  }
  return {
    ok: true,
    record: { name: name.value, type, class: klass, cacheFlush, ttl, data: data.value, rdlength, index },
    next,
  };
}

/** Decodes a DNS message starting at `offset` and ending at `end` (default: the end of `buf`). */
export function parseDnsMessage(buf: Buffer, offset = 0, end = buf.length): Parsed<ParsedDnsMessage> {
  if (offset < 0 || end > buf.length || offset + DNS_HEADER_LEN > end) return fail('truncated', 'DNS header');
  const counts = [0, 1, 2, 3].map((i) => buf.readUInt16BE(offset + COUNTS_OFFSET + 2 * i));
  let pos = offset + DNS_HEADER_LEN;
  const questions: ParsedDnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const name = parseDnsName(buf, pos, offset, end);
    if (!name.ok) return name;
    pos += name.bytes;
    if (pos + QUESTION_FIXED_LEN > end) return fail('truncated', 'question');
    const rawClass = buf.readUInt16BE(pos + 2);
    questions.push({
      name: name.value,
      type: buf.readUInt16BE(pos),
      class: rawClass & CLASS_MASK,
      qu: (rawClass & CLASS_TOP_BIT) !== 0,
    });
    pos += QUESTION_FIXED_LEN;
  }
  const sections: Record<DnsSection, ParsedDnsRecord[]> = { answers: [], authorities: [], additionals: [] };
  const skipped: SkippedDnsRecord[] = [];
  const order: DnsSection[] = ['answers', 'authorities', 'additionals'];
  for (const [s, section] of order.entries()) {
    for (let i = 0; i < counts[s + 1]; i++) {
      const outcome = parseRecord(buf, pos, offset, end, section, i);
      if (!outcome.ok) return { ok: false, error: outcome.error };
      if ('record' in outcome) sections[section].push(outcome.record);
      else skipped.push(outcome.skipped);
      pos = outcome.next;
    }
  }
  const message: ParsedDnsMessage = {
    id: buf.readUInt16BE(offset + ID_OFFSET),
    flags: buf.readUInt16BE(offset + FLAGS_OFFSET),
    questions,
    ...sections,
    skipped,
  };
  return ok(message, pos - offset);
}

export interface DnsEmitContext {
  /** Compress owner names and single-name RDATA (RFC 1035 §4.1.4). Default false. */
  readonly compress?: boolean;
  /** With `compress`: also compress SRV targets and NSEC next names (RFC 6762 §18.14). Default false. */
  readonly mdns?: boolean;
}

const MAX_COUNT = 0xffff;

function emitRecord(r: DnsRecord, buf: Buffer | undefined, pos: number, opts: RdataEmitOptions): number {
  const start = pos;
  pos += emitDnsName(r.name, buf, pos, opts.table);
  const isOpt = r.type === DnsType.OPT;
  const rdataLen = emitRdata(r.data, buf, pos + RR_FIXED_LEN, opts);
  if (buf) {
    buf.writeUInt16BE(r.type, pos);
    const klass = isOpt ? r.class & 0xffff : (r.class & CLASS_MASK) | (r.cacheFlush ? CLASS_TOP_BIT : 0);
    buf.writeUInt16BE(klass, pos + 2);
    buf.writeUInt32BE(r.ttl >>> 0, pos + 4);
    buf.writeUInt16BE(rdataLen, pos + 8);
  }
  return pos + RR_FIXED_LEN + rdataLen - start;
}

/** Writes the message at `offset` (or only measures it when `buf` is undefined); returns its length. */
function writeMessage(
  m: DnsMessageRepr,
  buf: Buffer | undefined,
  offset: number,
  ctx: DnsEmitContext,
): number {
  const sections = [m.answers, m.authorities, m.additionals];
  const counts = [m.questions.length, ...sections.map((s) => s.length)];
  if (counts.some((c) => c > MAX_COUNT)) throw new RangeError('more than 65535 entries in a DNS section');
  const table = ctx.compress ? new NameTable(offset) : undefined;
  const opts: RdataEmitOptions = { table, mdns: ctx.mdns };
  if (buf) {
    buf.writeUInt16BE(m.id & 0xffff, offset + ID_OFFSET);
    buf.writeUInt16BE(m.flags & 0xffff, offset + FLAGS_OFFSET);
    counts.forEach((c, i) => buf.writeUInt16BE(c, offset + COUNTS_OFFSET + 2 * i));
  }
  let pos = offset + DNS_HEADER_LEN;
  for (const q of m.questions) {
    pos += emitDnsName(q.name, buf, pos, table);
    if (buf) {
      buf.writeUInt16BE(q.type, pos);
      buf.writeUInt16BE((q.class & CLASS_MASK) | (q.qu ? CLASS_TOP_BIT : 0), pos + 2);
    }
    pos += QUESTION_FIXED_LEN;
  }
  for (const section of sections) for (const r of section) pos += emitRecord(r, buf, pos, opts);
  return pos - offset;
}

export function dnsMessageEncodingLength(m: DnsMessageRepr, ctx: DnsEmitContext = {}): number {
  return writeMessage(m, undefined, 0, ctx);
}

export function emitDnsMessage(m: DnsMessageRepr, buf: Buffer, offset = 0, ctx: DnsEmitContext = {}): number {
  const length = dnsMessageEncodingLength(m, ctx);
  if (offset + length > buf.length) throw new RangeError('buffer too small for the DNS message');
  return writeMessage(m, buf, offset, ctx);
}

export function encodeDnsMessage(m: DnsMessageRepr, ctx: DnsEmitContext = {}): Buffer {
  const buf = Buffer.alloc(dnsMessageEncodingLength(m, ctx));
  writeMessage(m, buf, 0, ctx);
  return buf;
}

/** encodingLength / emit / encode for a codec whose wire form is a DNS message built from its repr. */
export interface DnsMessageCodec<R> {
  readonly encodingLength: (repr: R) => number;
  readonly emit: (repr: R, buf: Buffer, offset?: number) => number;
  readonly encode: (repr: R) => Buffer;
}

export function dnsMessageCodec<R>(
  toMessage: (repr: R) => DnsMessageRepr,
  ctx: DnsEmitContext = {},
): DnsMessageCodec<R> {
  return {
    encodingLength: (repr) => dnsMessageEncodingLength(toMessage(repr), ctx),
    emit: (repr, buf, offset = 0) => emitDnsMessage(toMessage(repr), buf, offset, ctx),
    encode: (repr) => encodeDnsMessage(toMessage(repr), ctx),
  };
}

/** A message of a header and an additional section only (replies, Owner announcements). */
export function headerAndAdditionals(
  id: number,
  flags: number,
  additionals: readonly DnsRecord[],
): DnsMessageRepr {
  return { id, flags, questions: [], answers: [], authorities: [], additionals };
}

/** An OPT pseudo-record (RFC 6891 §6.1.2) for an additional section. */
export function optRecord(fields: OptFields, options: readonly EdnsOption[]): DnsRecord {
  return {
    name: '.',
    type: DnsType.OPT,
    class: fields.udpPayloadSize,
    ttl: optTtl(fields),
    data: { kind: 'opt', options },
  };
}

export interface OptEntry {
  readonly index: number;
  readonly rdlength: number;
  /** Undefined when the OPT's RDATA was not well formed (it is then in `skipped`). */
  readonly options?: readonly EdnsOption[];
}

/** The OPT RRs of the additional section in message order, malformed ones included (Apple picks by RDLENGTH). */
export function additionalOpts(msg: ParsedDnsMessage): OptEntry[] {
  const entries: OptEntry[] = [];
  for (const r of msg.additionals) {
    if (r.data.kind === 'opt')
      entries.push({ index: r.index, rdlength: r.rdlength, options: r.data.options });
  }
  for (const s of msg.skipped) {
    if (s.section === 'additionals' && s.type === DnsType.OPT)
      entries.push({ index: s.index, rdlength: s.rdlength });
  }
  return entries.sort((a, b) => a.index - b.index);
}
