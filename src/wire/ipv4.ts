// IPv4 headers (RFC 791 §3.1). parseIpv4 never throws. It checks version, IHL and Total Length
// against the buffer and verifies the header checksum ('bad-checksum'). Options are kept as raw
// bytes, undecoded, so that a re-emit is byte-identical (IGMP reports carry Router Alert). The
// payload is a zero-copy view of exactly Total Length - IHL*4 bytes, so trailing Ethernet padding
// is left out. Fragments are not reassembled: the repr says where the fragment sits, the payload is
// that fragment's bytes. emitIpv4 computes Total Length and the header checksum.
import { ipv4ToString } from './address';
import { checkField, ensureRoom, ipv4Bytes } from './bytes';
import { internetChecksum } from './checksum';
import { type Parsed, fail, ok } from './result';

// RFC 791 §3.1 "Internet Header Format".
const VERSION_IHL_OFFSET = 0;
const TOS_OFFSET = 1; // DSCP(6) ECN(2), RFC 2474 / RFC 3168
const TOTAL_LENGTH_OFFSET = 2;
const IDENT_OFFSET = 4;
const FLAGS_FRAGMENT_OFFSET = 6; // reserved(1) DF(1) MF(1) fragment offset(13, in 8-byte units)
const TTL_OFFSET = 8;
const PROTOCOL_OFFSET = 9;
const CHECKSUM_OFFSET = 10;
const SRC_OFFSET = 12;
const DST_OFFSET = 16;
export const IPV4_HEADER_LEN = 20;
export const IPV4_MAX_OPTIONS_LEN = 40;
const FLAG_DF = 0x4000;
const FLAG_MF = 0x2000;
const FRAGMENT_OFFSET_MASK = 0x1fff;
const MAX_TOTAL_LENGTH = 0xffff;

export interface Ipv4Repr {
  readonly version: 4;
  readonly dscp: number;
  readonly ecn: number;
  readonly ident: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Byte offset of this fragment in the original datagram (the field times 8). */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  /** Raw option bytes (a multiple of 4, at most 40), empty when IHL is 5. */
  readonly options: Buffer;
  readonly payload: Buffer;
}

/** True when the payload is not a whole datagram (a fragment, first or not). */
export function isIpv4Fragment(repr: Pick<Ipv4Repr, 'moreFragments' | 'fragmentOffset'>): boolean {
  return repr.moreFragments || repr.fragmentOffset !== 0;
}

export function parseIpv4(buf: Buffer, offset = 0): Parsed<Ipv4Repr> {
  const available = buf.length - offset;
  if (offset < 0 || available < IPV4_HEADER_LEN) return fail('truncated', 'ipv4 header');
  const versionIhl = buf[offset + VERSION_IHL_OFFSET];
  if (versionIhl >> 4 !== 4) return fail('bad-version', `ipv4: version ${versionIhl >> 4}`);
  const headerLength = (versionIhl & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LEN) return fail('bad-length', `ipv4: IHL ${headerLength / 4}`);
  const totalLength = buf.readUInt16BE(offset + TOTAL_LENGTH_OFFSET);
  if (totalLength < headerLength) return fail('bad-length', `ipv4: total length ${totalLength} < header`);
  if (totalLength > available) return fail('truncated', `ipv4: total length ${totalLength} > ${available}`);
  if (internetChecksum(buf, offset, offset + headerLength) !== 0) return fail('bad-checksum', 'ipv4 header');
  const tos = buf[offset + TOS_OFFSET];
  const flagsFragment = buf.readUInt16BE(offset + FLAGS_FRAGMENT_OFFSET);
  return ok(
    {
      version: 4,
      dscp: tos >> 2,
      ecn: tos & 0x03,
      ident: buf.readUInt16BE(offset + IDENT_OFFSET),
      dontFragment: (flagsFragment & FLAG_DF) !== 0,
      moreFragments: (flagsFragment & FLAG_MF) !== 0,
      fragmentOffset: (flagsFragment & FRAGMENT_OFFSET_MASK) * 8,
      ttl: buf[offset + TTL_OFFSET],
      protocol: buf[offset + PROTOCOL_OFFSET],
      src: ipv4ToString(buf, offset + SRC_OFFSET),
      dst: ipv4ToString(buf, offset + DST_OFFSET),
      options: buf.subarray(offset + IPV4_HEADER_LEN, offset + headerLength),
      payload: buf.subarray(offset + headerLength, offset + totalLength),
    },
    totalLength,
  );
}

export function ipv4HeaderLength(repr: Pick<Ipv4Repr, 'options'>): number {
  return IPV4_HEADER_LEN + repr.options.length;
}

export function ipv4EncodingLength(repr: Ipv4Repr): number {
  return ipv4HeaderLength(repr) + repr.payload.length;
}

/** Writes the header (reserved flag zero) and payload; throws on a repr that cannot be encoded. */
export function emitIpv4(repr: Ipv4Repr, buf: Buffer, offset: number): number {
  const headerLength = ipv4HeaderLength(repr);
  const totalLength = headerLength + repr.payload.length;
  if (repr.options.length % 4 !== 0 || repr.options.length > IPV4_MAX_OPTIONS_LEN) {
    throw new RangeError(`ipv4 options must be a multiple of 4 up to 40 bytes, got ${repr.options.length}`);
  }
  checkField(totalLength, MAX_TOTAL_LENGTH, 'ipv4 total length');
  checkField(repr.dscp, 0x3f, 'ipv4 dscp');
  checkField(repr.ecn, 0x03, 'ipv4 ecn');
  checkField(repr.ident, 0xffff, 'ipv4 ident');
  checkField(repr.fragmentOffset / 8, FRAGMENT_OFFSET_MASK, 'ipv4 fragment offset / 8');
  checkField(repr.ttl, 0xff, 'ipv4 ttl');
  checkField(repr.protocol, 0xff, 'ipv4 protocol');
  ensureRoom(buf, offset, totalLength, 'ipv4');
  buf[offset + VERSION_IHL_OFFSET] = 0x40 | (headerLength / 4);
  buf[offset + TOS_OFFSET] = (repr.dscp << 2) | repr.ecn;
  buf.writeUInt16BE(totalLength, offset + TOTAL_LENGTH_OFFSET);
  buf.writeUInt16BE(repr.ident, offset + IDENT_OFFSET);
  const flags = (repr.dontFragment ? FLAG_DF : 0) | (repr.moreFragments ? FLAG_MF : 0);
  buf.writeUInt16BE(flags | (repr.fragmentOffset / 8), offset + FLAGS_FRAGMENT_OFFSET);
  buf[offset + TTL_OFFSET] = repr.ttl;
  buf[offset + PROTOCOL_OFFSET] = repr.protocol;
  buf.writeUInt16BE(0, offset + CHECKSUM_OFFSET);
  ipv4Bytes(repr.src).copy(buf, offset + SRC_OFFSET);
  ipv4Bytes(repr.dst).copy(buf, offset + DST_OFFSET);
  repr.options.copy(buf, offset + IPV4_HEADER_LEN);
  buf.writeUInt16BE(internetChecksum(buf, offset, offset + headerLength), offset + CHECKSUM_OFFSET);
  repr.payload.copy(buf, offset + headerLength);
  return totalLength;
}

export function encodeIpv4(repr: Ipv4Repr): Buffer {
  const buf = Buffer.alloc(ipv4EncodingLength(repr));
  emitIpv4(repr, buf, 0);
  return buf;
}
