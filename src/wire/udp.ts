// UDP datagrams (RFC 768). parseUdp never throws. It checks the Length field against the buffer
// (bytes after Length, inside the IP payload, are ignored) and, when given the pseudo-header
// context, the checksum: over IPv4 a zero checksum means "none sent" and is accepted; over IPv6 a
// zero checksum is 'bad-checksum' (RFC 8200 §8.1). Without a context the checksum is not checked
// (captures of locally sent frames often hold an unfinished offloaded checksum). emitUdp always
// computes the checksum, so it needs the context; a computed 0 is sent as 0xffff (RFC 768).
import { checkField, ensureRoom } from './bytes';
import { type PseudoHeaderContext, pseudoHeaderVersion, transportChecksum } from './checksum';
import { IP_PROTOCOL } from './ip';
import { type Parsed, fail, ok } from './result';

// RFC 768 "Format".
const SRC_PORT_OFFSET = 0;
const DST_PORT_OFFSET = 2;
const LENGTH_OFFSET = 4;
const CHECKSUM_OFFSET = 6;
export const UDP_HEADER_LEN = 8;
const MAX_LENGTH = 0xffff;

export interface UdpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

export function parseUdp(buf: Buffer, offset = 0, ctx?: PseudoHeaderContext): Parsed<UdpRepr> {
  const available = buf.length - offset;
  if (offset < 0 || available < UDP_HEADER_LEN) return fail('truncated', 'udp header');
  const length = buf.readUInt16BE(offset + LENGTH_OFFSET);
  if (length < UDP_HEADER_LEN) return fail('bad-length', `udp: length ${length}`);
  if (length > available) return fail('truncated', `udp: length ${length} > ${available}`);
  if (ctx) {
    const sent = buf.readUInt16BE(offset + CHECKSUM_OFFSET);
    if (sent === 0) {
      if (pseudoHeaderVersion(ctx) === 6) return fail('bad-checksum', 'udp: zero checksum over IPv6');
    } else if (transportChecksum(buf, offset, offset + length, ctx, IP_PROTOCOL.UDP) !== 0) {
      return fail('bad-checksum', 'udp');
    }
  }
  return ok(
    {
      srcPort: buf.readUInt16BE(offset + SRC_PORT_OFFSET),
      dstPort: buf.readUInt16BE(offset + DST_PORT_OFFSET),
      payload: buf.subarray(offset + UDP_HEADER_LEN, offset + length),
    },
    length,
  );
}

export function udpEncodingLength(repr: UdpRepr): number {
  return UDP_HEADER_LEN + repr.payload.length;
}

export function emitUdp(repr: UdpRepr, buf: Buffer, offset: number, ctx: PseudoHeaderContext): number {
  const length = UDP_HEADER_LEN + repr.payload.length;
  checkField(length, MAX_LENGTH, 'udp length');
  checkField(repr.srcPort, 0xffff, 'udp source port');
  checkField(repr.dstPort, 0xffff, 'udp destination port');
  ensureRoom(buf, offset, length, 'udp');
  buf.writeUInt16BE(repr.srcPort, offset + SRC_PORT_OFFSET);
  buf.writeUInt16BE(repr.dstPort, offset + DST_PORT_OFFSET);
  buf.writeUInt16BE(length, offset + LENGTH_OFFSET);
  buf.writeUInt16BE(0, offset + CHECKSUM_OFFSET);
  repr.payload.copy(buf, offset + UDP_HEADER_LEN);
  const checksum = transportChecksum(buf, offset, offset + length, ctx, IP_PROTOCOL.UDP);
  buf.writeUInt16BE(checksum === 0 ? 0xffff : checksum, offset + CHECKSUM_OFFSET);
  return length;
}

export function encodeUdp(repr: UdpRepr, ctx: PseudoHeaderContext): Buffer {
  const buf = Buffer.alloc(udpEncodingLength(repr));
  emitUdp(repr, buf, 0, ctx);
  return buf;
}
