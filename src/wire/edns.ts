// EDNS0 (RFC 6891 §6) OPT RR contents and the two options a Sleep Proxy registration carries:
// Update Lease (code 2, draft-sekar-dns-ul) and Owner (code 4, draft-cheshire-edns0-owner-option).
//
// Contract: parseEdnsOptions checks the whole OPT rdata the way Apple's SetRData does: every option
// header and body must fit, and no bytes may be left over; otherwise the OPT is rejected as a whole.
// Unknown options are kept (code + data) and re-emitted unchanged. The option parsers never throw;
// emitters write every byte. Whether an Owner is *usable* (version 0, non-zero HMAC) is a separate
// question, answered by ownerProblem(), because Apple parses such options and only then ignores them.
import { macToBytes, macToString } from './address';
import { fail, ok, Parsed } from './result';

/** RFC 6891 §6.1.2: OPT RDATA is a sequence of {code u16, length u16, data}. */
const OPTION_HEADER_LEN = 4;

export const EDNS_OPTION_LLQ = 1;
export const EDNS_OPTION_UPDATE_LEASE = 2;
export const EDNS_OPTION_NSID = 3;
export const EDNS_OPTION_OWNER = 4;
/** Apple private options (mDNSEmbeddedAPI.h kDNSOpt_Trace, kDNSOpt_TSR): kept as unknown options. */
export const EDNS_OPTION_TRACE = 65001;
export const EDNS_OPTION_TSR = 65002;

export interface EdnsOption {
  readonly code: number;
  readonly data: Buffer;
}

export function parseEdnsOptions(buf: Buffer, offset = 0, end = buf.length): Parsed<EdnsOption[]> {
  const options: EdnsOption[] = [];
  let pos = offset;
  while (pos < end) {
    if (pos + OPTION_HEADER_LEN > end) return fail('malformed', 'trailing bytes after the last EDNS option');
    const code = buf.readUInt16BE(pos);
    const length = buf.readUInt16BE(pos + 2);
    const dataStart = pos + OPTION_HEADER_LEN;
    if (dataStart + length > end) return fail('bad-length', `EDNS option ${code} overruns the OPT rdata`);
    options.push({ code, data: Buffer.from(buf.subarray(dataStart, dataStart + length)) });
    pos = dataStart + length;
  }
  return ok(options, pos - offset);
}

export function ednsOptionsEncodingLength(options: readonly EdnsOption[]): number {
  return options.reduce((n, o) => n + OPTION_HEADER_LEN + o.data.length, 0);
}

export function emitEdnsOptions(options: readonly EdnsOption[], buf: Buffer, offset: number): number {
  let pos = offset;
  for (const o of options) {
    buf.writeUInt16BE(o.code, pos);
    buf.writeUInt16BE(o.data.length, pos + 2);
    o.data.copy(buf, pos + OPTION_HEADER_LEN);
    pos += OPTION_HEADER_LEN + o.data.length;
  }
  return pos - offset;
}

// --- The OPT pseudo-RR's fixed fields (RFC 6891 §6.1.3): CLASS = UDP payload size, TTL = ext-RCODE,
// VERSION, flags (DO = top bit). Apple sends TTL 0x00001194 ("4500"): the bits are meaningless, ignore them.

export interface OptFields {
  readonly udpPayloadSize: number;
  readonly extendedRcode: number;
  readonly version: number;
  readonly flags: number;
}

export function optFieldsFromClassTtl(klass: number, ttl: number): OptFields {
  return {
    udpPayloadSize: klass,
    extendedRcode: ttl >>> 24,
    version: (ttl >>> 16) & 0xff,
    flags: ttl & 0xffff,
  };
}

export function optTtl(fields: OptFields): number {
  return (
    ((fields.extendedRcode & 0xff) * 0x1000000 +
      ((fields.version & 0xff) << 16) +
      (fields.flags & 0xffff)) >>>
    0
  );
}

// --- Update Lease (code 2): u32 seconds. Apple ignores the option unless its length is exactly 4.

export const LEASE_OPTION_LEN = 4;
/** DNSCommon.c SetRData: leases are clamped at parse time to what fits Apple's tick arithmetic. */
export const LEASE_PARSE_CLAMP = Math.floor(0x70000000 / 1000);

/** The lease in seconds, clamped as Apple's parser does. Zero is returned as zero (the caller refuses it). */
export function parseLeaseOption(data: Buffer): Parsed<number> {
  if (data.length !== LEASE_OPTION_LEN) return fail('bad-length', `lease option of ${data.length} bytes`);
  return ok(Math.min(data.readUInt32BE(0), LEASE_PARSE_CLAMP), LEASE_OPTION_LEN);
}

export function leaseOption(seconds: number): EdnsOption {
  const data = Buffer.alloc(LEASE_OPTION_LEN);
  data.writeUInt32BE(seconds >>> 0, 0);
  return { code: EDNS_OPTION_UPDATE_LEASE, data };
}

// --- Owner (code 4): version, seq, HMAC (host identity), then optionally IMAC (the MAC to wake) and a
// 4- or 6-byte wake password (mDNSEmbeddedAPI.h OwnerOptData, ValidOwnerLength).

export const OWNER_VERSION_OFFSET = 0;
export const OWNER_SEQ_OFFSET = 1;
export const OWNER_HMAC_OFFSET = 2;
export const OWNER_IMAC_OFFSET = 8;
export const OWNER_PASSWORD_OFFSET = 14;
export type OwnerOptionLength = 8 | 14 | 18 | 20;
const OWNER_LENGTHS: readonly number[] = [8, 14, 18, 20];

export interface OwnerRepr {
  readonly version: number;
  /** Sleep/wake epoch; +1 on every wake, compared only for equality. */
  readonly seq: number;
  /** The host's identity ("primary" MAC). */
  readonly hostMac: string;
  /** The MAC the magic packet goes to; equals hostMac when the option carries no IMAC. */
  readonly wakeMac: string;
  /** Always 6 bytes (a 4-byte password is zero-padded); absent when the option carries none. */
  readonly password?: Buffer;
  /** The option length as received, so that a parsed option re-emits identically. */
  readonly length?: OwnerOptionLength;
}

export function parseOwnerOption(data: Buffer): Parsed<OwnerRepr> {
  if (!OWNER_LENGTHS.includes(data.length)) return fail('bad-length', `owner option of ${data.length} bytes`);
  const length = data.length as OwnerOptionLength;
  const hostMac = macToString(data, OWNER_HMAC_OFFSET);
  const wakeMac = length >= 14 ? macToString(data, OWNER_IMAC_OFFSET) : hostMac;
  let password: Buffer | undefined;
  if (length > 14) {
    password = Buffer.alloc(6);
    data.copy(password, 0, OWNER_PASSWORD_OFFSET, length);
  }
  return ok(
    { version: data[OWNER_VERSION_OFFSET], seq: data[OWNER_SEQ_OFFSET], hostMac, wakeMac, password, length },
    length,
  );
}

/** Why Apple would ignore this owner, or undefined if it is usable (version 0, HMAC's first 4 bytes not 0). */
export function ownerProblem(owner: OwnerRepr): 'bad-version' | 'zero-hmac' | undefined {
  if (owner.version !== 0) return 'bad-version';
  return /^00:00:00:00:/.test(owner.hostMac) ? 'zero-hmac' : undefined;
}

/** The smallest option length that carries these fields (the password's zero padding is not carried). */
function minimalOwnerLength(owner: OwnerRepr): OwnerOptionLength {
  const p = owner.password;
  if (p?.some((b) => b !== 0)) return p[4] || p[5] ? 20 : 18;
  return owner.wakeMac !== owner.hostMac ? 14 : 8;
}

/** The option length ownerOption will use: `length` as parsed when it carries the fields, else the smallest. */
export function ownerOptionLength(owner: OwnerRepr): OwnerOptionLength {
  const minimal = minimalOwnerLength(owner);
  return owner.length !== undefined && owner.length >= minimal ? owner.length : minimal;
}

export function ownerOption(owner: OwnerRepr): EdnsOption {
  const length = ownerOptionLength(owner);
  const data = Buffer.alloc(length);
  data[OWNER_VERSION_OFFSET] = owner.version;
  data[OWNER_SEQ_OFFSET] = owner.seq;
  writeMac(owner.hostMac, data, OWNER_HMAC_OFFSET);
  if (length >= 14) writeMac(owner.wakeMac, data, OWNER_IMAC_OFFSET);
  if (length > 14) owner.password?.copy(data, OWNER_PASSWORD_OFFSET, 0, length - OWNER_PASSWORD_OFFSET);
  return { code: EDNS_OPTION_OWNER, data };
}

function writeMac(mac: string, buf: Buffer, offset: number): void {
  const bytes = macToBytes(mac);
  if (!bytes) throw new RangeError(`not a MAC: ${mac}`);
  bytes.copy(buf, offset);
}
