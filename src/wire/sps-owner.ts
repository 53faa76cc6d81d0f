// The EDNS0 Owner option outside registrations (sps-protocol.md §4.5, §4.6): a woken client puts it in
// every mDNS query and response it sends, and macOS IPConfiguration sends a bare "I am awake" message
// (DNS response flags 0x8400, ID 0, only an OPT with Owner) unicast to the SPS's port 5353. Seeing a
// usable Owner is the only thing that tells Apple's SPS its client woke.
//
// Which OPTs count, as Apple's ProcessQuery and mDNSCoreReceiveResponse read them: in a query, only the
// first OPT of the additional section with RDLENGTH >= 12; in a response, every OPT. Malformed OPTs and
// unusable Owners (version != 0, HMAC's first 4 bytes zero, bad length) are ignored. Never throws.
import {
  additionalOpts,
  dnsFlags,
  dnsMessageCodec,
  DnsMessageRepr,
  DnsOpcode,
  headerAndAdditionals,
  isDnsResponse,
  ParsedDnsMessage,
  parseDnsMessage,
} from './dns';
import { EDNS_OPTION_OWNER, ownerOption, ownerProblem, OwnerRepr, parseOwnerOption } from './edns';
import { ok, Parsed } from './result';
import { spsOptRecord } from './sps-registration';

/** ProcessQuery: LocateOptRR(msg, end, DNSOpt_OwnerData_ID_Space). */
export const OWNER_QUERY_OPT_MIN_RDLENGTH = 12;

/** The usable Owner options of a parsed mDNS message, in message order. */
export function ownerOptionsOf(msg: ParsedDnsMessage): OwnerRepr[] {
  const opts = additionalOpts(msg);
  const chosen = isDnsResponse(msg.flags)
    ? opts
    : opts.filter((o) => o.rdlength >= OWNER_QUERY_OPT_MIN_RDLENGTH).slice(0, 1);
  const owners: OwnerRepr[] = [];
  for (const o of chosen.flatMap((entry) => entry.options ?? [])) {
    if (o.code !== EDNS_OPTION_OWNER) continue;
    const owner = parseOwnerOption(o.data);
    if (owner.ok && !ownerProblem(owner.value)) owners.push(owner.value);
  }
  return owners;
}

/** Parses an mDNS datagram and returns its usable Owner options (often none). */
export function parseOwnerOptions(buf: Buffer, offset = 0, end = buf.length): Parsed<OwnerRepr[]> {
  const msg = parseDnsMessage(buf, offset, end);
  return msg.ok ? ok(ownerOptionsOf(msg.value), msg.bytes) : msg;
}

export interface OwnerAnnouncementRepr {
  readonly owner: OwnerRepr;
  /** IPConfiguration's stored record uses ID 0. */
  readonly id?: number;
}

function announcementMessage(a: OwnerAnnouncementRepr): DnsMessageRepr {
  const opt = spsOptRecord([ownerOption(a.owner)]);
  return headerAndAdditionals(a.id ?? 0, dnsFlags({ qr: true, opcode: DnsOpcode.QUERY, aa: true }), [opt]);
}

const announcementCodec = dnsMessageCodec(announcementMessage);
export const ownerAnnouncementEncodingLength = announcementCodec.encodingLength;
export const emitOwnerAnnouncement = announcementCodec.emit;
export const encodeOwnerAnnouncement = announcementCodec.encode;
