// IPv6 fixed headers (RFC 8200 §3). parseIpv6 never throws; it checks the version and that Payload
// Length fits the buffer. Extension headers are not walked: `nextHeader` is reported as found (e.g.
// 0 = Hop-by-Hop for MLD), and the payload starts right after the 40-byte header. NDP and the
// transports we decode carry no extension headers (Apple's SPS filter doesn't parse them either,
// sps-protocol.md §4.7). The payload is a zero-copy view of exactly Payload Length bytes, so
// Ethernet padding is left out; a jumbogram (Payload Length 0 with a Hop-by-Hop Jumbo option) reads
// as an empty payload.
import { ipv6ToString } from './address';
import { checkField, ensureRoom, ipv6Bytes } from './bytes';
import { type Parsed, fail, ok } from './result';

// RFC 8200 §3 "IPv6 Header Format": version(4) traffic class(8) flow label(20).
const VERSION_CLASS_FLOW_OFFSET = 0;
const PAYLOAD_LENGTH_OFFSET = 4;
const NEXT_HEADER_OFFSET = 6;
const HOP_LIMIT_OFFSET = 7;
const SRC_OFFSET = 8;
const DST_OFFSET = 24;
export const IPV6_HEADER_LEN = 40;
const MAX_PAYLOAD_LENGTH = 0xffff;

export interface Ipv6Repr {
  readonly version: 6;
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly nextHeader: number;
  readonly hopLimit: number;
  readonly src: string;
  readonly dst: string;
  readonly payload: Buffer;
}

export function parseIpv6(buf: Buffer, offset = 0): Parsed<Ipv6Repr> {
  const available = buf.length - offset;
  if (offset < 0 || available < IPV6_HEADER_LEN) return fail('truncated', 'ipv6 header');
  const word = buf.readUInt32BE(offset + VERSION_CLASS_FLOW_OFFSET);
  const version = word >>> 28;
  if (version !== 6) return fail('bad-version', `ipv6: version ${version}`);
  const payloadLength = buf.readUInt16BE(offset + PAYLOAD_LENGTH_OFFSET);
  if (IPV6_HEADER_LEN + payloadLength > available) {
    return fail('truncated', `ipv6: payload length ${payloadLength} > ${available - IPV6_HEADER_LEN}`);
  }
  const start = offset + IPV6_HEADER_LEN;
  return ok(
    {
      version: 6,
      trafficClass: (word >>> 20) & 0xff,
      flowLabel: word & 0xfffff,
      nextHeader: buf[offset + NEXT_HEADER_OFFSET],
      hopLimit: buf[offset + HOP_LIMIT_OFFSET],
      src: ipv6ToString(buf, offset + SRC_OFFSET),
      dst: ipv6ToString(buf, offset + DST_OFFSET),
      payload: buf.subarray(start, start + payloadLength),
    },
    IPV6_HEADER_LEN + payloadLength,
  );
}

export function ipv6EncodingLength(repr: Ipv6Repr): number {
  return IPV6_HEADER_LEN + repr.payload.length;
}

export function emitIpv6(repr: Ipv6Repr, buf: Buffer, offset: number): number {
  const length = IPV6_HEADER_LEN + repr.payload.length;
  checkField(repr.payload.length, MAX_PAYLOAD_LENGTH, 'ipv6 payload length');
  checkField(repr.trafficClass, 0xff, 'ipv6 traffic class');
  checkField(repr.flowLabel, 0xfffff, 'ipv6 flow label');
  checkField(repr.nextHeader, 0xff, 'ipv6 next header');
  checkField(repr.hopLimit, 0xff, 'ipv6 hop limit');
  ensureRoom(buf, offset, length, 'ipv6');
  buf.writeUInt32BE(
    ((6 << 28) | (repr.trafficClass << 20) | repr.flowLabel) >>> 0,
    offset + VERSION_CLASS_FLOW_OFFSET,
  );
  buf.writeUInt16BE(repr.payload.length, offset + PAYLOAD_LENGTH_OFFSET);
  buf[offset + NEXT_HEADER_OFFSET] = repr.nextHeader;
  buf[offset + HOP_LIMIT_OFFSET] = repr.hopLimit;
  ipv6Bytes(repr.src).copy(buf, offset + SRC_OFFSET);
  ipv6Bytes(repr.dst).copy(buf, offset + DST_OFFSET);
  repr.payload.copy(buf, offset + IPV6_HEADER_LEN);
  return length;
}

export function encodeIpv6(repr: Ipv6Repr): Buffer {
  const buf = Buffer.alloc(ipv6EncodingLength(repr));
  emitIpv6(repr, buf, 0);
  return buf;
}
