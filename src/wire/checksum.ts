// The Internet checksum (RFC 1071) and the pseudo-header sums that UDP, TCP and ICMPv6 add to it
// (RFC 768, RFC 9293 §3.1, RFC 8200 §8.1). Sums are kept unfolded in a JS number (exact up to 2^53,
// i.e. far beyond any frame), folded once at the end.
import { ipv4Bytes, ipv6Bytes } from './bytes';

/**
 * The source and destination of the enclosing IP header, which transport checksums cover.
 * Text (IPv4 dotted or IPv6) or raw bytes (4 or 16); the capture path passes bytes to skip parsing.
 */
export interface PseudoHeaderContext {
  readonly src: string | Uint8Array;
  readonly dst: string | Uint8Array;
}

/** One's-complement sum of the 16-bit big-endian words of buf[start, end), unfolded; an odd tail byte is padded with zero. */
export function onesComplementSum(buf: Uint8Array, start = 0, end = buf.length, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i] << 8) | buf[i + 1];
  if (i < end) sum += buf[i] << 8;
  return sum;
}

/** Folds the carries back in and complements: the value to write into a checksum field. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/** RFC 1071 checksum of buf[start, end). Over data that includes a correct checksum it is 0. */
export function internetChecksum(buf: Uint8Array, start = 0, end = buf.length): number {
  return finishChecksum(onesComplementSum(buf, start, end));
}

function addressBytes(address: string | Uint8Array): Uint8Array {
  if (typeof address !== 'string') {
    if (address.length !== 4 && address.length !== 16) {
      throw new RangeError(`pseudo-header address must be 4 or 16 bytes, got ${address.length}`);
    }
    return address;
  }
  return address.includes(':') ? ipv6Bytes(address) : ipv4Bytes(address);
}

/** The address family of a context: 4 or 6. Throws on a mixed or malformed context (caller's bug). */
export function pseudoHeaderVersion(ctx: PseudoHeaderContext): 4 | 6 {
  return addressBytes(ctx.src).length === 4 ? 4 : 6;
}

/** IPv4 pseudo-header (RFC 768 / RFC 9293 §3.1): src, dst, zero, protocol, transport length. */
export function ipv4PseudoHeaderSum(
  src: Uint8Array,
  dst: Uint8Array,
  protocol: number,
  length: number,
): number {
  return onesComplementSum(src, 0, 4) + onesComplementSum(dst, 0, 4) + protocol + length;
}

/** IPv6 pseudo-header (RFC 8200 §8.1): src, dst, 32-bit upper-layer length, 24 zero bits, next header. */
export function ipv6PseudoHeaderSum(
  src: Uint8Array,
  dst: Uint8Array,
  nextHeader: number,
  length: number,
): number {
  return (
    onesComplementSum(src, 0, 16) +
    onesComplementSum(dst, 0, 16) +
    Math.floor(length / 0x10000) +
    (length & 0xffff) +
    nextHeader
  );
}

/** The pseudo-header sum for ctx, choosing IPv4 or IPv6 by the addresses' family. */
export function pseudoHeaderSum(ctx: PseudoHeaderContext, protocol: number, length: number): number {
  const src = addressBytes(ctx.src);
  const dst = addressBytes(ctx.dst);
  if (src.length !== dst.length) throw new RangeError('pseudo-header: src and dst of different families');
  return src.length === 4
    ? ipv4PseudoHeaderSum(src, dst, protocol, length)
    : ipv6PseudoHeaderSum(src, dst, protocol, length);
}

/** Checksum of a transport message buf[start, end) under its pseudo-header (checksum field included as it is). */
export function transportChecksum(
  buf: Uint8Array,
  start: number,
  end: number,
  ctx: PseudoHeaderContext,
  protocol: number,
): number {
  return finishChecksum(onesComplementSum(buf, start, end, pseudoHeaderSum(ctx, protocol, end - start)));
}
