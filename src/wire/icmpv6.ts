// ICMPv6 messages (RFC 4443 §2.1): type, code, checksum, then a type-specific body. A message has
// no length of its own: it runs to the end of `buf`, so pass the IPv6 payload. parseIcmpv6 never
// throws; given the pseudo-header context it verifies the checksum ('bad-checksum'), which ICMPv6
// makes mandatory. ndp.ts decodes the Neighbour Discovery bodies.
import { checkField, ensureRoom } from './bytes';
import { type PseudoHeaderContext, transportChecksum } from './checksum';
import { IP_PROTOCOL } from './ip';
import { type Parsed, fail, ok } from './result';

// RFC 4443 §2.1 "Message General Format".
const TYPE_OFFSET = 0;
const CODE_OFFSET = 1;
const CHECKSUM_OFFSET = 2;
export const ICMPV6_HEADER_LEN = 4;

// RFC 4443 §2.1 and RFC 4861 §4; others pass through as numbers.
export const ICMPV6_TYPE = {
  DESTINATION_UNREACHABLE: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAMETER_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICITATION: 133,
  ROUTER_ADVERTISEMENT: 134,
  NEIGHBOR_SOLICITATION: 135,
  NEIGHBOR_ADVERTISEMENT: 136,
  REDIRECT: 137,
  MLDV2_REPORT: 143,
} as const;

export interface Icmpv6Repr {
  readonly type: number;
  readonly code: number;
  /** Everything after the checksum, up to the end of the message. */
  readonly body: Buffer;
}

export function parseIcmpv6(buf: Buffer, offset = 0, ctx?: PseudoHeaderContext): Parsed<Icmpv6Repr> {
  if (offset < 0 || buf.length - offset < ICMPV6_HEADER_LEN) return fail('truncated', 'icmpv6 header');
  if (ctx && transportChecksum(buf, offset, buf.length, ctx, IP_PROTOCOL.ICMPV6) !== 0) {
    return fail('bad-checksum', 'icmpv6');
  }
  return ok(
    {
      type: buf[offset + TYPE_OFFSET],
      code: buf[offset + CODE_OFFSET],
      body: buf.subarray(offset + ICMPV6_HEADER_LEN),
    },
    buf.length - offset,
  );
}

export function icmpv6EncodingLength(repr: Icmpv6Repr): number {
  return ICMPV6_HEADER_LEN + repr.body.length;
}

export function emitIcmpv6(repr: Icmpv6Repr, buf: Buffer, offset: number, ctx: PseudoHeaderContext): number {
  const length = ICMPV6_HEADER_LEN + repr.body.length;
  checkField(repr.type, 0xff, 'icmpv6 type');
  checkField(repr.code, 0xff, 'icmpv6 code');
  ensureRoom(buf, offset, length, 'icmpv6');
  buf[offset + TYPE_OFFSET] = repr.type;
  buf[offset + CODE_OFFSET] = repr.code;
  buf.writeUInt16BE(0, offset + CHECKSUM_OFFSET);
  repr.body.copy(buf, offset + ICMPV6_HEADER_LEN);
  const checksum = transportChecksum(buf, offset, offset + length, ctx, IP_PROTOCOL.ICMPV6);
  buf.writeUInt16BE(checksum, offset + CHECKSUM_OFFSET);
  return length;
}

export function encodeIcmpv6(repr: Icmpv6Repr, ctx: PseudoHeaderContext): Buffer {
  const buf = Buffer.alloc(icmpv6EncodingLength(repr));
  emitIcmpv6(repr, buf, 0, ctx);
  return buf;
}
