// Resource-record data (RDATA) for the types a Sleep Proxy handles: A, AAAA, PTR (and the other
// single-name types CNAME, NS, DNAME), SRV, TXT, NSEC, OPT; NULL and every other type are kept as raw
// bytes (RFC 3597). RDATA is always decoded from the slice RDLENGTH delimits (names inside it may point
// anywhere earlier in the message), and must fill that slice exactly, so a bad record can be skipped
// without losing step. RDLENGTH 0 is legal on the wire for any type (RFC 2136 deletes, mDNS negative
// answers) and decodes to { kind: 'empty' } for every type but OPT.
//
// parseRdata never throws. emitRdata throws only on caller misuse (an address that is not an address,
// an invalid name); with `buf` undefined it only measures, so compressed lengths can be computed.
import { ipv4ToBytes, ipv4ToString, ipv6ToBytes, ipv6ToString } from './address';
import { emitDnsName, NameTable, parseDnsName } from './dns-name';
import { ednsOptionsEncodingLength, EdnsOption, emitEdnsOptions, parseEdnsOptions } from './edns';
import { fail, ok, Parsed } from './result';

/** RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 4034. Numbers stay numbers; unknown types pass through. */
export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  NULL: 10,
  PTR: 12,
  HINFO: 13,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  DNAME: 39,
  OPT: 41,
  NSEC: 47,
  ANY: 255,
} as const;

const TYPE_NAMES = new Map<number, string>(Object.entries(DnsType).map(([k, v]) => [v, k]));

export function dnsTypeName(type: number): string {
  return TYPE_NAMES.get(type) ?? `TYPE${type}`;
}

/** Types whose RDATA is exactly one domain name (compression allowed, RFC 1035 §3.3, RFC 6672). */
const NAME_TYPES: readonly number[] = [DnsType.NS, DnsType.CNAME, DnsType.PTR, DnsType.DNAME];

export type DnsRdata =
  | { readonly kind: 'a'; readonly address: string }
  | { readonly kind: 'aaaa'; readonly address: string }
  | { readonly kind: 'name'; readonly target: string }
  | {
      readonly kind: 'srv';
      readonly priority: number;
      readonly weight: number;
      readonly port: number;
      readonly target: string;
    }
  /** Character-strings as bytes; an empty list emits the single zero byte RFC 6763 §6.1 requires. */
  | { readonly kind: 'txt'; readonly strings: readonly Buffer[] }
  | { readonly kind: 'opt'; readonly options: readonly EdnsOption[] }
  | { readonly kind: 'nsec'; readonly next: string; readonly types: readonly number[] }
  | { readonly kind: 'raw'; readonly data: Buffer }
  | { readonly kind: 'empty' };

const SRV_FIXED_LEN = 6;
/** RFC 4034 §4.1.2: window number, bitmap length 1..32, bitmap. */
const NSEC_MAX_BITMAP = 32;

function parseNameRdata(msg: Buffer, start: number, end: number, messageStart: number): Parsed<string> {
  const name = parseDnsName(msg, start, messageStart, end);
  if (!name.ok) return name;
  if (start + name.bytes !== end) return fail('malformed', 'bytes after the name in RDATA');
  return name;
}

function parseTxt(msg: Buffer, start: number, end: number): Parsed<DnsRdata> {
  const strings: Buffer[] = [];
  for (let pos = start; pos < end;) {
    const len = msg[pos];
    if (pos + 1 + len > end) return fail('bad-length', 'TXT string overruns RDATA');
    strings.push(Buffer.from(msg.subarray(pos + 1, pos + 1 + len)));
    pos += 1 + len;
  }
  // The lone empty string is how an empty TXT looks on the wire (RFC 6763 §6.1); emit writes it back.
  if (strings.length === 1 && strings[0].length === 0) strings.length = 0;
  return ok({ kind: 'txt', strings }, end - start);
}

function parseNsec(msg: Buffer, start: number, end: number, messageStart: number): Parsed<DnsRdata> {
  const next = parseDnsName(msg, start, messageStart, end);
  if (!next.ok) return next;
  const types: number[] = [];
  for (let pos = start + next.bytes; pos < end;) {
    if (pos + 2 > end) return fail('truncated', 'NSEC window header');
    const window = msg[pos];
    const len = msg[pos + 1];
    if (len === 0 || len > NSEC_MAX_BITMAP || pos + 2 + len > end) return fail('bad-length', 'NSEC bitmap');
    for (let i = 0; i < len; i++) {
      const bits = msg[pos + 2 + i];
      for (let bit = 0; bit < 8; bit++) if (bits & (0x80 >> bit)) types.push(window * 256 + i * 8 + bit);
    }
    pos += 2 + len;
  }
  return ok({ kind: 'nsec', next: next.value, types }, end - start);
}

/**
 * Decodes the RDATA of a record of `type` lying at [start, start+rdlength) of the message that begins at
 * `messageStart`. The caller has already checked that the slice lies inside the buffer.
 */
export function parseRdata(
  type: number,
  msg: Buffer,
  start: number,
  rdlength: number,
  messageStart: number,
): Parsed<DnsRdata> {
  const end = start + rdlength;
  if (type === DnsType.OPT) {
    const options = parseEdnsOptions(msg, start, end);
    return options.ok ? ok({ kind: 'opt', options: options.value }, rdlength) : options;
  }
  if (rdlength === 0) return ok({ kind: 'empty' }, 0);
  switch (type) {
    case DnsType.A:
      if (rdlength !== 4) return fail('bad-length', `A RDATA of ${rdlength} bytes`);
      return ok({ kind: 'a', address: ipv4ToString(msg, start) }, 4);
    case DnsType.AAAA:
      if (rdlength !== 16) return fail('bad-length', `AAAA RDATA of ${rdlength} bytes`);
      return ok({ kind: 'aaaa', address: ipv6ToString(msg, start) }, 16);
    case DnsType.SRV: {
      if (rdlength < SRV_FIXED_LEN + 1) return fail('bad-length', `SRV RDATA of ${rdlength} bytes`);
      const target = parseNameRdata(msg, start + SRV_FIXED_LEN, end, messageStart);
      if (!target.ok) return target;
      const [priority, weight, port] = [0, 2, 4].map((o) => msg.readUInt16BE(start + o));
      return ok({ kind: 'srv', priority, weight, port, target: target.value }, rdlength);
    }
    case DnsType.TXT:
      return parseTxt(msg, start, end);
    case DnsType.NSEC:
      return parseNsec(msg, start, end, messageStart);
  }
  if (NAME_TYPES.includes(type)) {
    const target = parseNameRdata(msg, start, end, messageStart);
    return target.ok ? ok({ kind: 'name', target: target.value }, rdlength) : target;
  }
  return ok({ kind: 'raw', data: Buffer.from(msg.subarray(start, end)) }, rdlength);
}

export interface RdataEmitOptions {
  /** Compression table of the message being written; names in PTR/CNAME/NS/DNAME RDATA use it. */
  readonly table?: NameTable;
  /**
   * Also compress SRV targets and NSEC next names, as mDNS allows (RFC 6762 §18.14) and unicast DNS
   * forbids (RFC 2782, RFC 4034 §4.1.1); Apple's SPS updates compress neither.
   */
  readonly mdns?: boolean;
}

function addressBytes(data: { kind: 'a' | 'aaaa'; address: string }): Buffer {
  const bytes = data.kind === 'a' ? ipv4ToBytes(data.address) : ipv6ToBytes(data.address);
  if (!bytes) throw new RangeError(`not an ${data.kind === 'a' ? 'IPv4' : 'IPv6'} address: ${data.address}`);
  return bytes;
}

function nsecBitmap(types: readonly number[]): Buffer {
  const windows = new Map<number, number[]>();
  for (const t of types) {
    const bits = windows.get(t >> 8) ?? [];
    bits[(t & 0xff) >> 3] = (bits[(t & 0xff) >> 3] ?? 0) | (0x80 >> (t & 7));
    windows.set(t >> 8, bits);
  }
  const parts = [...windows.entries()]
    .sort(([a], [b]) => a - b)
    .map(([window, bits]) => Buffer.from([window, bits.length, ...Array.from(bits, (b) => b ?? 0)]));
  return Buffer.concat(parts);
}

/** Writes RDATA (without the RDLENGTH field) at `offset`; returns its length. `buf` undefined = measure only. */
export function emitRdata(
  data: DnsRdata,
  buf: Buffer | undefined,
  offset: number,
  opts: RdataEmitOptions = {},
): number {
  const put = (bytes: Buffer): number => {
    if (buf) bytes.copy(buf, offset);
    return bytes.length;
  };
  switch (data.kind) {
    case 'a':
    case 'aaaa':
      return put(addressBytes(data));
    case 'name':
      return emitDnsName(data.target, buf, offset, opts.table);
    case 'srv': {
      if (buf)
        [data.priority, data.weight, data.port].forEach((v, i) => buf.writeUInt16BE(v, offset + 2 * i));
      const target = offset + SRV_FIXED_LEN;
      return SRV_FIXED_LEN + emitDnsName(data.target, buf, target, opts.table, opts.mdns ?? false);
    }
    case 'txt': {
      const strings = data.strings.length === 0 ? [Buffer.alloc(0)] : data.strings;
      if (strings.some((s) => s.length > 255)) throw new RangeError('TXT string over 255 bytes');
      return put(Buffer.concat(strings.flatMap((s) => [Buffer.from([s.length]), s])));
    }
    case 'opt':
      if (buf) emitEdnsOptions(data.options, buf, offset);
      return ednsOptionsEncodingLength(data.options);
    case 'nsec': {
      const nameLen = emitDnsName(data.next, buf, offset, opts.table, opts.mdns ?? false);
      const bitmap = nsecBitmap(data.types);
      if (buf) bitmap.copy(buf, offset + nameLen);
      return nameLen + bitmap.length;
    }
    case 'raw':
      return put(data.data);
    case 'empty':
      return 0;
  }
}

/** The uncompressed RDATA bytes, e.g. to compare two records for identity. */
export function canonicalRdata(data: DnsRdata): Buffer {
  // the kinds without names are their bytes as they stand: no measuring pass
  if (data.kind === 'a' || data.kind === 'aaaa') return addressBytes(data);
  if (data.kind === 'raw') return Buffer.from(data.data);
  const buf = Buffer.alloc(emitRdata(data, undefined, 0));
  emitRdata(data, buf, 0);
  return buf;
}
