// Shared write helpers of the wire emitters (internal, not re-exported). Emitters treat a bad repr
// as our own bug, so these throw a RangeError instead of returning a WireError: text addresses that
// do not parse and buffers too small for the encoding never come from the network.
import { ipv4ToBytes, ipv6ToBytes, macToBytes } from './address';

/** Throws unless `length` bytes fit in `buf` from `offset`. */
export function ensureRoom(buf: Uint8Array, offset: number, length: number, what: string): void {
  if (!Number.isInteger(offset) || offset < 0 || offset + length > buf.length) {
    throw new RangeError(
      `${what}: ${length} bytes do not fit at offset ${offset} of a ${buf.length}-byte buffer`,
    );
  }
}

export function macBytes(text: string): Buffer {
  const bytes = macToBytes(text);
  if (!bytes) throw new RangeError(`not a MAC address: ${JSON.stringify(text)}`);
  return bytes;
}

export function ipv4Bytes(text: string): Buffer {
  const bytes = ipv4ToBytes(text);
  if (!bytes) throw new RangeError(`not an IPv4 address: ${JSON.stringify(text)}`);
  return bytes;
}

export function ipv6Bytes(text: string): Buffer {
  const bytes = ipv6ToBytes(text);
  if (!bytes) throw new RangeError(`not an IPv6 address: ${JSON.stringify(text)}`);
  return bytes;
}

export function writeMac(buf: Buffer, offset: number, text: string): void {
  macBytes(text).copy(buf, offset);
}

/** Throws unless `value` is an integer in [0, max]: a field of the repr that cannot be encoded. */
export function checkField(value: number, max: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} out of range: ${value} (0..${max})`);
  }
}
