// DNS domain names (RFC 1035 §3.1, §4.1.4): wire <-> text, with compression.
//
// Text form: labels joined by '.', with '.' and '\' inside a label escaped as "\." and "\\", so DNS-SD
// instance names such as "Printer v1.2._ipp._tcp.local" survive (dns-packet joins labels unescaped and
// would split that label in two). Labels are UTF-8 as received; a label that is not valid UTF-8 is
// written with "\DDD" escapes so that text -> wire gives back the same bytes. The root name is ".".
//
// parseDnsName never throws: compression pointers must point strictly before the start of the label run
// that holds them (so every jump goes backwards and a loop is impossible), labels use only the 00 and 11
// length-type bits, and the wire length is at most 255 bytes. emitDnsName may compress against a
// NameTable; it throws (caller misuse) only if given a name whose labels exceed 63 bytes or 255 in total.
import { fail, ok, Parsed, WireError } from './result';

/** RFC 1035 §2.3.4 */
export const DNS_MAX_LABEL = 63;
export const DNS_MAX_NAME = 255;
/** RFC 1035 §4.1.4: the two top bits of a length byte mark a compression pointer. */
const POINTER_MASK = 0xc0;
const POINTER_MAX_OFFSET = 0x3fff;

const BACKSLASH = 0x5c;
const DOT = 0x2e;

function labelToText(label: Buffer): string {
  let ascii = true;
  let special = false;
  for (let i = 0; i < label.length; i++) {
    const b = label[i];
    if (b >= 0x80) ascii = false;
    else if (b === DOT || b === BACKSLASH) special = true;
  }
  if (ascii && !special) return label.toString('latin1');
  const text = label.toString('utf8');
  if (ascii || Buffer.from(text, 'utf8').equals(label)) return text.replace(/[.\\]/g, (c) => `\\${c}`);
  let out = '';
  for (const b of label) {
    if (b === DOT || b === BACKSLASH) out += `\\${String.fromCharCode(b)}`;
    else if (b > 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\${b.toString().padStart(3, '0')}`;
  }
  return out;
}

export function labelsToDnsName(labels: readonly Buffer[]): string {
  return labels.length === 0 ? '.' : labels.map(labelToText).join('.');
}

/**
 * The labels of a name in text form, as raw bytes. Fails on an empty label inside the name, a bad
 * escape, a label over 63 bytes or a name over 255 bytes on the wire.
 */
export function dnsNameToLabels(name: string): Parsed<Buffer[]> {
  if (name === '' || name === '.') return ok([], 1);
  if (!name.includes('\\')) return plainLabels(name);
  const labels: Buffer[] = [];
  let current: number[] = [];
  const bytes = Buffer.from(name, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b === DOT) {
      if (current.length === 0) return fail('malformed', `empty label in "${name}"`);
      labels.push(Buffer.from(current));
      current = [];
    } else if (b === BACKSLASH) {
      const digits = bytes.subarray(i + 1, i + 4).toString('latin1');
      if (/^\d{3}$/.test(digits)) {
        const value = Number(digits);
        if (value > 255) return fail('malformed', `bad escape \\${digits}`);
        current.push(value);
        i += 3;
      } else if (i + 1 < bytes.length) {
        current.push(bytes[++i]);
      } else {
        return fail('malformed', 'dangling backslash');
      }
    } else {
      current.push(b);
    }
    if (current.length > DNS_MAX_LABEL) return fail('bad-length', `label over ${DNS_MAX_LABEL} bytes`);
  }
  // An empty last label means the name ended with an unescaped '.', the optional root of a full name.
  if (current.length > 0) labels.push(Buffer.from(current));
  const wire = labels.reduce((n, l) => n + l.length + 1, 1);
  if (wire > DNS_MAX_NAME) return fail('bad-length', `name over ${DNS_MAX_NAME} bytes`);
  return ok(labels, wire);
}

/** dnsNameToLabels without escapes (the common case): labels are slices of one buffer, not copies. */
function plainLabels(name: string): Parsed<Buffer[]> {
  const bytes = Buffer.from(name, 'utf8');
  const labels: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== DOT) continue;
    const length = i - start;
    if (length === 0) {
      // An empty last label means the name ended with '.', the optional root of a full name.
      if (i === bytes.length) break;
      return fail('malformed', `empty label in "${name}"`);
    }
    if (length > DNS_MAX_LABEL) return fail('bad-length', `label over ${DNS_MAX_LABEL} bytes`);
    labels.push(bytes.subarray(start, i));
    start = i + 1;
  }
  const wire = bytes.length + (bytes[bytes.length - 1] === DOT ? 1 : 2);
  if (wire > DNS_MAX_NAME) return fail('bad-length', `name over ${DNS_MAX_NAME} bytes`);
  return ok(labels, wire);
}

/** The unescaped text of each label (for grammar checks on a label, e.g. an SPS instance name). */
export function splitDnsName(name: string): string[] | undefined {
  const labels = dnsNameToLabels(name);
  return labels.ok ? labels.value.map((l) => l.toString('utf8')) : undefined;
}

/** Joins label texts into a name, escaping '.' and '\' inside labels. */
export function joinDnsName(labels: readonly string[]): string {
  return labelsToDnsName(labels.map((l) => Buffer.from(l, 'utf8')));
}

// Names repeat (every query and record of a host names it): keys are remembered, up to a bound.
const KEY_CACHE_LIMIT = 4096;
const keyCache = new Map<string, string>();

/** DNS compares names ASCII-case-insensitively (RFC 4343); use this as a map key. */
export function dnsNameKey(name: string): string {
  let key = keyCache.get(name);
  if (key !== undefined) return key;
  const labels = dnsNameToLabels(name);
  const canonical = labels.ok ? labelsToDnsName(labels.value) : name;
  key = canonical.replace(/[A-Z]/g, (c) => c.toLowerCase());
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear();
  keyCache.set(name, key);
  return key;
}

export function dnsNameEquals(a: string, b: string): boolean {
  return dnsNameKey(a) === dnsNameKey(b);
}

/**
 * Reads a name at `offset`. `messageStart` is where the DNS header begins (pointers count from there);
 * `end` bounds every byte read. `bytes` is how much the name occupies at `offset` (up to and including
 * the zero byte or the first pointer).
 */
export function parseDnsName(
  buf: Buffer,
  offset: number,
  messageStart: number,
  end = buf.length,
): Parsed<string> {
  const labels: Buffer[] = [];
  let pos = offset;
  let runStart = offset;
  let consumed = -1;
  let wire = 1;
  for (;;) {
    if (pos >= end) return fail('truncated', 'name runs past the end');
    const len = buf[pos];
    if (len === 0) {
      if (consumed < 0) consumed = pos + 1 - offset;
      return ok(labelsToDnsName(labels), consumed);
    }
    const kind = len & POINTER_MASK;
    if (kind === POINTER_MASK) {
      if (pos + 2 > end) return fail('truncated', 'pointer runs past the end');
      const target = messageStart + (buf.readUInt16BE(pos) & POINTER_MAX_OFFSET);
      if (target >= runStart) return fail('malformed', 'compression pointer does not point backwards');
      if (consumed < 0) consumed = pos + 2 - offset;
      pos = target;
      runStart = target;
    } else if (kind !== 0) {
      return fail('malformed', `label type 0x${kind.toString(16)}`);
    } else {
      if (pos + 1 + len > end) return fail('truncated', 'label runs past the end');
      wire += len + 1;
      if (wire > DNS_MAX_NAME) return fail('bad-length', `name over ${DNS_MAX_NAME} bytes`);
      labels.push(buf.subarray(pos + 1, pos + 1 + len));
      pos += 1 + len;
    }
  }
}

/**
 * Where names already written in the current message start, for compression (RFC 1035 §4.1.4).
 * Keys are the exact label bytes of a suffix, so compression never changes a name's letter case.
 * The latest occurrence wins, as in Apple's FindCompressionPointer (it scans the message backwards),
 * which keeps our re-encoding of Apple's updates byte-identical.
 */
export class NameTable {
  private readonly offsets = new Map<string, number>();
  constructor(readonly messageStart: number) {}

  find(key: string): number | undefined {
    return this.offsets.get(key);
  }

  remember(key: string, at: number): void {
    const relative = at - this.messageStart;
    if (relative <= POINTER_MAX_OFFSET) this.offsets.set(key, relative);
  }
}

function suffixKey(labels: readonly Buffer[], from: number): string {
  return labels
    .slice(from)
    .map((l) => String.fromCharCode(l.length) + l.toString('latin1'))
    .join('');
}

function labelsOrThrow(name: string): Buffer[] {
  const labels = dnsNameToLabels(name);
  if (!labels.ok) throw labels.error;
  return labels.value;
}

/** Wire length of a name written without compression. */
export function dnsNameEncodingLength(name: string): number {
  return labelsOrThrow(name).reduce((n, l) => n + l.length + 1, 1);
}

/**
 * Writes a name at `offset`, compressing against `table` when given (and recording its own suffixes
 * there). `usePointers: false` records the suffixes without compressing (SRV targets in unicast DNS).
 * With `buf` undefined nothing is written but the table is updated and the length returned, so a dry
 * run yields the exact encoding length of a compressed message.
 */
export function emitDnsName(
  name: string,
  buf: Buffer | undefined,
  offset: number,
  table?: NameTable,
  usePointers = true,
): number {
  const labels = labelsOrThrow(name);
  let pos = offset;
  for (let i = 0; i < labels.length; i++) {
    const key = table && suffixKey(labels, i);
    const pointer = key !== undefined && usePointers ? table?.find(key) : undefined;
    if (pointer !== undefined) {
      buf?.writeUInt16BE(0xc000 | pointer, pos);
      return pos + 2 - offset;
    }
    if (key !== undefined) table?.remember(key, pos);
    if (buf) {
      buf[pos] = labels[i].length;
      labels[i].copy(buf, pos + 1);
    }
    pos += 1 + labels[i].length;
  }
  if (buf) buf[pos] = 0;
  return pos + 1 - offset;
}

export function encodeDnsName(name: string): Buffer {
  const buf = Buffer.alloc(dnsNameEncodingLength(name));
  emitDnsName(name, buf, 0);
  return buf;
}

// Reverse-mapping names (RFC 1035 §3.5, RFC 3596 §2.5): the SPS takes over exactly the addresses named
// by the reverse PTRs of a registration.

const DECIMAL_OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const NIBBLE = /^[0-9a-fA-F]$/;
const REVERSE_SUFFIX = /\.(in-addr|ip6)\.arpa\.?$/i;

export interface ReverseAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Buffer;
}

/** The address a `d.c.b.a.in-addr.arpa` or 32-nibble `ip6.arpa` name stands for; undefined otherwise. */
export function parseReverseName(name: string): ReverseAddress | undefined {
  if (!REVERSE_SUFFIX.test(name)) return undefined; // most names are not: spare them the split
  const labels = splitDnsName(name);
  if (!labels) return undefined;
  const lower = labels.map((l) => l.toLowerCase());
  const tail = lower.slice(-2).join('.');
  if (tail === 'in-addr.arpa' && labels.length === 6) {
    const octets = labels.slice(0, 4);
    if (!octets.every((o) => DECIMAL_OCTET.test(o))) return undefined;
    return { family: 4, bytes: Buffer.from(octets.reverse().map(Number)) };
  }
  if (tail === 'ip6.arpa' && labels.length === 34) {
    const nibbles = labels.slice(0, 32);
    if (!nibbles.every((n) => NIBBLE.test(n))) return undefined;
    return { family: 6, bytes: Buffer.from(nibbles.reverse().join(''), 'hex') };
  }
  return undefined;
}

/** The reverse-mapping name of a 4- or 16-byte address (lowercase nibbles). */
export function reverseNameFor(address: Uint8Array): string {
  if (address.length === 4) return `${[...address].reverse().join('.')}.in-addr.arpa`;
  if (address.length === 16) {
    const hex = Buffer.from(address).toString('hex');
    return `${[...hex].reverse().join('.')}.ip6.arpa`;
  }
  throw new WireError('bad-length', `address of ${address.length} bytes`);
}
