// The Bonjour Sleep Proxy registration (sps-protocol.md §2, §3, §7): a DNS UPDATE whose update section
// holds the sleeper's mDNS records and whose additional section holds an OPT with Update Lease and Owner;
// and the SPS's reply. Both directions parse and emit, so tests and our own client can build requests.
//
// Acceptance, as Apple's mDNSCoreReceiveUpdate decides it:
// - Not a DNS message, or not QR=0 + opcode UPDATE: plain error, no `formErr` (Apple ignores it; so do we).
// - An UPDATE we cannot use: error with `formErr` {id, reason}, to be answered with FormErr and counted:
//   'malformed' the record sections cannot be walked (so no OPT can be found: Apple's LocateOptRR fails too);
//   'no-opt'    no OPT with RDLENGTH >= 20 in the additional section (the first such OPT is the one used,
//               even when several are present, e.g. one per interface from OS X 10.10's discoveryd);
//   'bad-opt'   that OPT is not well formed (an option overruns it, or bytes are left over);
//   'no-lease' / 'bad-lease'  no Lease option of length 4 / lease 0 or only Lease options of another length;
//   'no-owner' / 'bad-owner'  no Owner option / only Owner options with a bad length or version != 0, or an
//               HMAC whose first 4 bytes are zero.
//   With several Lease or usable Owner options, the last one wins (Apple's loop overwrites).
// - Records, per record (Apple skips them individually): RDATA that does not decode for its type, TTL 0,
//   RDLENGTH > 8192, RDLENGTH 0 where data is needed, and OPT in the update section are skipped and counted.
//   The zone and prerequisite sections are walked but not used (Apple sends ZOCOUNT 0, SPC one `. SOA`).
// - Reverse-mapping PTRs (d.c.b.a.in-addr.arpa, 32-nibble ip6.arpa) name the addresses to take over;
//   malformed reverse names are ordinary records that yield no address.
// TTL caps (4500 s) and lease grants (min(request, 86400 s)) are the engine's policy, not applied here.
import { ipv4ToString, ipv6ToString } from './address';
import {
  additionalOpts,
  DNS_HEADER_LEN,
  DnsClass,
  dnsFlags,
  dnsMessageCodec,
  DnsMessageRepr,
  DnsOpcode,
  dnsOpcode,
  dnsRcode,
  DnsRecord,
  headerAndAdditionals,
  isDnsResponse,
  optRecord,
  parseDnsMessage,
  ParsedDnsRecord,
} from './dns';
import { parseReverseName } from './dns-name';
import { canonicalRdata, DnsType } from './dns-rdata';
import {
  EDNS_OPTION_OWNER,
  EDNS_OPTION_UPDATE_LEASE,
  EdnsOption,
  leaseOption,
  ownerOption,
  ownerProblem,
  OwnerRepr,
  parseLeaseOption,
  parseOwnerOption,
} from './edns';
import { fail, ok, Parsed, WireError } from './result';

/** mDNSCoreReceiveUpdate: LocateOptRR(msg, end, DNSOpt_LeaseData_Space + DNSOpt_OwnerData_ID_Space). */
export const SPS_OPT_MIN_RDLENGTH = 20;
/** mDNSCoreReceiveUpdateR / GetPktLease: LocateOptRR(msg, end, DNSOpt_LeaseData_Space). */
export const SPS_REPLY_OPT_MIN_RDLENGTH = 8;
/** GetLargeResourceRecord: larger RDATA is not stored. */
export const SPS_MAX_RDLENGTH = 8192;
/** What Apple writes in the OPT of requests and replies: CLASS 1440, TTL 0x00001194. */
export const SPS_OPT_UDP_PAYLOAD = 1440;
export const SPS_OPT_TTL_FLAGS = 0x1194;
/** The grant cap of Apple's server (mDNSCoreReceiveUpdate). */
export const SPS_MAX_GRANTED_LEASE = 86400;

export type SpsFormErrReason =
  'malformed' | 'no-opt' | 'bad-opt' | 'no-lease' | 'bad-lease' | 'no-owner' | 'bad-owner';

export interface SpsFormErr {
  readonly id: number;
  readonly reason: SpsFormErrReason;
}

export type SpsSkipReason = 'malformed' | 'ttl-zero' | 'too-large' | 'no-data' | 'opt';

export interface SpsSkippedRecord {
  readonly name: string;
  readonly type: number;
  readonly reason: SpsSkipReason;
  readonly detail?: string;
}

export interface SpsRecord extends DnsRecord {
  readonly cacheFlush: boolean;
  /** The RDATA without compression: self-contained, comparable byte-for-byte. */
  readonly rdata: Buffer;
}

export interface ProxiedAddress {
  readonly family: 4 | 6;
  /** Dotted quad or RFC 5952 text. */
  readonly address: string;
  /** The reverse-mapping PTR name it came from. */
  readonly from: string;
}

export interface SpsRegistrationRepr {
  readonly id: number;
  readonly zoneCount: number;
  readonly prerequisiteCount: number;
  readonly owner: OwnerRepr;
  /** Requested lease in seconds, after Apple's parse-time clamp; always > 0. */
  readonly lease: number;
  readonly records: readonly SpsRecord[];
  readonly proxiedAddresses: readonly ProxiedAddress[];
  readonly skippedRecords: number;
  readonly skipped: readonly SpsSkippedRecord[];
  /** OPT RRs in the additional section, well formed or not. */
  readonly optCount: number;
}

export type SpsRegistrationResult =
  | { readonly ok: true; readonly value: SpsRegistrationRepr; readonly bytes: number }
  | { readonly ok: false; readonly error: WireError; readonly formErr?: SpsFormErr };

function formErr(id: number, reason: SpsFormErrReason, detail: string): SpsRegistrationResult {
  return { ok: false, error: new WireError('malformed', `${reason}: ${detail}`), formErr: { id, reason } };
}

type LeaseOwner = { lease: number; owner: OwnerRepr } | { reason: SpsFormErrReason; detail: string };

/** Apple's option loop over the chosen OPT: the last Lease of length 4 and the last version-0 Owner win. */
function leaseAndOwner(options: readonly EdnsOption[]): LeaseOwner {
  let lease: number | undefined;
  let owner: OwnerRepr | undefined;
  let badLease = false;
  let badOwner = '';
  for (const o of options) {
    if (o.code === EDNS_OPTION_UPDATE_LEASE) {
      const parsed = parseLeaseOption(o.data);
      if (parsed.ok) lease = parsed.value;
      else badLease = true;
    } else if (o.code === EDNS_OPTION_OWNER) {
      const parsed = parseOwnerOption(o.data);
      if (!parsed.ok) badOwner = parsed.error.message;
      else if (parsed.value.version !== 0) badOwner = `owner version ${parsed.value.version}`;
      else owner = parsed.value;
    }
  }
  if (lease === undefined)
    return badLease
      ? { reason: 'bad-lease', detail: 'lease option length' }
      : { reason: 'no-lease', detail: 'no lease option' };
  if (lease === 0) return { reason: 'bad-lease', detail: 'lease 0' };
  if (!owner)
    return badOwner
      ? { reason: 'bad-owner', detail: badOwner }
      : { reason: 'no-owner', detail: 'no owner option' };
  if (ownerProblem(owner)) return { reason: 'bad-owner', detail: 'zero HMAC' };
  return { lease, owner };
}

function skipReason(r: ParsedDnsRecord): SpsSkipReason | undefined {
  if (r.type === DnsType.OPT) return 'opt';
  if (r.ttl === 0) return 'ttl-zero';
  if (r.rdlength > SPS_MAX_RDLENGTH) return 'too-large';
  if (r.data.kind === 'empty') return 'no-data';
  return undefined;
}

function proxiedAddresses(records: readonly SpsRecord[]): ProxiedAddress[] {
  const seen = new Map<string, ProxiedAddress>();
  for (const r of records) {
    if (r.type !== DnsType.PTR) continue;
    const reverse = parseReverseName(r.name);
    if (!reverse) continue;
    const address = reverse.family === 4 ? ipv4ToString(reverse.bytes) : ipv6ToString(reverse.bytes);
    if (!seen.has(address)) seen.set(address, { family: reverse.family, address, from: r.name });
  }
  return [...seen.values()];
}

export function parseRegistration(buf: Buffer, offset = 0, end = buf.length): SpsRegistrationResult {
  if (offset < 0 || end > buf.length || offset + DNS_HEADER_LEN > end) return fail('truncated', 'DNS header');
  const id = buf.readUInt16BE(offset);
  const flags = buf.readUInt16BE(offset + 2);
  if (isDnsResponse(flags) || dnsOpcode(flags) !== DnsOpcode.UPDATE)
    return fail('unsupported', 'not a DNS UPDATE request');
  const parsed = parseDnsMessage(buf, offset, end);
  if (!parsed.ok) return formErr(id, 'malformed', parsed.error.message);
  const msg = parsed.value;
  const opts = additionalOpts(msg);
  const opt = opts.find((o) => o.rdlength >= SPS_OPT_MIN_RDLENGTH);
  if (!opt) return formErr(id, 'no-opt', `no OPT with RDLENGTH >= ${SPS_OPT_MIN_RDLENGTH}`);
  if (!opt.options) return formErr(id, 'bad-opt', 'OPT options are not well formed');
  const lo = leaseAndOwner(opt.options);
  if ('reason' in lo) return formErr(id, lo.reason, lo.detail);

  const skipped: SpsSkippedRecord[] = msg.skipped
    .filter((s) => s.section === 'authorities')
    .map((s) => ({ name: s.name, type: s.type, reason: 'malformed', detail: s.error.message }));
  const records: SpsRecord[] = [];
  for (const r of msg.authorities) {
    const reason = skipReason(r);
    if (reason) {
      skipped.push({ name: r.name, type: r.type, reason });
      continue;
    }
    const { name, type, class: klass, cacheFlush, ttl, data } = r;
    records.push({ name, type, class: klass, cacheFlush, ttl, data, rdata: canonicalRdata(data) });
  }
  const registration: SpsRegistrationRepr = {
    id,
    zoneCount: msg.questions.length,
    prerequisiteCount: msg.answers.length,
    owner: lo.owner,
    lease: lo.lease,
    records,
    proxiedAddresses: proxiedAddresses(records),
    skippedRecords: skipped.length,
    skipped,
    optCount: opts.length,
  };
  return { ok: true, value: registration, bytes: parsed.bytes };
}

/** The lease Apple's server grants for a request. */
export function grantedLease(requested: number): number {
  return Math.min(requested, SPS_MAX_GRANTED_LEASE);
}

/** The OPT RR as Apple writes it in SPS requests, replies and Owner announcements. */
export function spsOptRecord(
  options: readonly EdnsOption[],
  udpPayloadSize = SPS_OPT_UDP_PAYLOAD,
): DnsRecord {
  return optRecord({ udpPayloadSize, extendedRcode: 0, version: 0, flags: SPS_OPT_TTL_FLAGS }, options);
}

// --- The request, for tests and for our own client.

export interface SpsRegistrationRequest {
  readonly id: number;
  readonly owner: OwnerRepr;
  readonly lease: number;
  readonly records: readonly DnsRecord[];
  /** Add SPC's zone entry `. SOA IN` (dnspython's Update("")); Apple sends no zone. */
  readonly zone?: boolean;
  /** OPT CLASS; Apple 1440, SPC 4096. */
  readonly udpPayloadSize?: number;
}

/** Apple compresses owner names and PTR targets, never SRV targets, in its updates. */
const REQUEST_CTX = { compress: true, mdns: false } as const;

function requestMessage(r: SpsRegistrationRequest): DnsMessageRepr {
  return {
    id: r.id,
    flags: dnsFlags({ opcode: DnsOpcode.UPDATE }),
    questions: r.zone ? [{ name: '.', type: DnsType.SOA, class: DnsClass.IN }] : [],
    answers: [],
    authorities: r.records,
    additionals: [spsOptRecord([leaseOption(r.lease), ownerOption(r.owner)], r.udpPayloadSize)],
  };
}

const requestCodec = dnsMessageCodec(requestMessage, REQUEST_CTX);
export const registrationEncodingLength = requestCodec.encodingLength;
export const emitRegistration = requestCodec.emit;
export const encodeRegistration = requestCodec.encode;

// --- The reply (sps-protocol.md §3.1): ID echoed, flags A8 rcode, nothing echoed; on success one OPT
// (1440, 0x00001194) with the granted lease: 31 bytes. Errors are the 12-byte header alone.

export interface SpsReplyRepr {
  readonly id: number;
  /** DnsRcode: NOERROR, FORMERR or REFUSED. */
  readonly rcode: number;
  /** Granted lease in seconds; omitted for error replies. */
  readonly lease?: number;
}

function replyMessage(r: SpsReplyRepr): DnsMessageRepr {
  const flags = dnsFlags({ qr: true, opcode: DnsOpcode.UPDATE, rcode: r.rcode });
  return headerAndAdditionals(
    r.id,
    flags,
    r.lease === undefined ? [] : [spsOptRecord([leaseOption(r.lease)])],
  );
}

const replyCodec = dnsMessageCodec(replyMessage);
export const registrationReplyEncodingLength = replyCodec.encodingLength;
export const emitRegistrationReply = replyCodec.emit;
export const encodeRegistrationReply = replyCodec.encode;

/**
 * A reply as Apple's client reads it: QR=1 + opcode UPDATE (else 'unsupported'); the lease from the
 * first OPT with RDLENGTH >= 8 that carries a valid Lease option, undefined if none (the client then
 * assumes 3600 s).
 */
export function parseRegistrationReply(buf: Buffer, offset = 0, end = buf.length): Parsed<SpsReplyRepr> {
  const parsed = parseDnsMessage(buf, offset, end);
  if (!parsed.ok) return parsed;
  const msg = parsed.value;
  if (!isDnsResponse(msg.flags) || dnsOpcode(msg.flags) !== DnsOpcode.UPDATE) {
    return fail('unsupported', 'not a DNS UPDATE response');
  }
  const opt = additionalOpts(msg).find((o) => o.rdlength >= SPS_REPLY_OPT_MIN_RDLENGTH);
  let lease: number | undefined;
  for (const o of opt?.options ?? []) {
    if (o.code !== EDNS_OPTION_UPDATE_LEASE) continue;
    const parsedLease = parseLeaseOption(o.data);
    if (parsedLease.ok) lease = parsedLease.value;
  }
  return ok({ id: msg.id, rcode: dnsRcode(msg.flags), lease }, parsed.bytes);
}
