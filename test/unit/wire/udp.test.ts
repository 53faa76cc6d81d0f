import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type UdpRepr, emitUdp, encodeUdp, parseUdp, udpEncodingLength } from '../../../src/wire/udp';
import type { PseudoHeaderContext } from '../../../src/wire/checksum';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
  withContext,
} from '../../support/wire-roundtrip';
import { ETH, UDP4, UDP6 } from './vectors';

const ctx4: PseudoHeaderContext = { src: '10.77.0.10', dst: '224.0.0.251' };
const ctx6: PseudoHeaderContext = { src: 'fe80::53:50ff:fe00:a', dst: 'ff02::fb' };
const codecFor = (ctx: PseudoHeaderContext): WireCodec<UdpRepr> =>
  withContext(parseUdp, emitUdp, udpEncodingLength, ctx);
const udp4 = UDP4.subarray(ETH + 20);
const udp6 = UDP6.subarray(ETH + 40);

describe('udp', () => {
  test('parse: ports and a zero-copy payload, scapy checksum verified', () => {
    const { value, bytes } = expectParsed(parseUdp(udp4, 0, ctx4));
    assert.equal(value.srcPort, 5353);
    assert.equal(value.dstPort, 5353);
    assert.equal(value.payload.length, 12);
    assert.equal(value.payload.buffer, UDP4.buffer);
    assert.equal(bytes, 20);
  });

  test('round-trip over IPv4 and IPv6 (checksums equal to scapy)', () => {
    roundTrip(codecFor(ctx4), udp4);
    roundTrip(codecFor(ctx6), udp6);
  });

  test('emit at an offset into garbage, empty payload', () => {
    emitIntoGarbage(codecFor(ctx6), { srcPort: 0, dstPort: 65535, payload: Buffer.alloc(0) });
    emitIntoGarbage(codecFor(ctx4), { srcPort: 9, dstPort: 7, payload: Buffer.from('odd') });
  });

  test('bytes after the Length field are ignored', () => {
    const longer = Buffer.concat([udp4, Buffer.from([1, 2, 3])]);
    assert.equal(expectParsed(parseUdp(longer, 0, ctx4)).bytes, 20);
  });

  test('a zero checksum means "none" over IPv4', () => {
    const b = Buffer.from(udp4);
    b.writeUInt16BE(0, 6);
    expectParsed(parseUdp(b, 0, ctx4));
  });

  test('without a context the checksum is not checked', () => {
    const b = Buffer.from(udp4);
    b.writeUInt16BE(0x1234, 6);
    expectParsed(parseUdp(b));
  });

  test('a computed checksum of 0 is sent as ffff', () => {
    // With a zero payload word the checksum is C = ~S; putting C in that word makes the sum ffff.
    const repr: UdpRepr = { srcPort: 1, dstPort: 2, payload: Buffer.alloc(2) };
    const complement = encodeUdp(repr, ctx4).readUInt16BE(6);
    const zeroing = { ...repr, payload: Buffer.from([complement >> 8, complement & 0xff]) };
    const wire = encodeUdp(zeroing, ctx4);
    assert.equal(wire.readUInt16BE(6), 0xffff);
    expectParsed(parseUdp(wire, 0, ctx4));
  });

  const mutate = (src: Buffer, f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(src);
    f(b);
    return b;
  };
  const negatives: [string, Buffer, PseudoHeaderContext | undefined, string][] = [
    ['empty', Buffer.alloc(0), undefined, 'truncated'],
    ['7 bytes', udp4.subarray(0, 7), undefined, 'truncated'],
    ['length 7', mutate(udp4, (b) => b.writeUInt16BE(7, 4)), undefined, 'bad-length'],
    ['length beyond the buffer', mutate(udp4, (b) => b.writeUInt16BE(21, 4)), undefined, 'truncated'],
    ['payload bit flip', mutate(udp4, (b) => (b[19] ^= 0x80)), ctx4, 'bad-checksum'],
    ['wrong pseudo-header', udp4, { src: '10.77.0.11', dst: '224.0.0.251' }, 'bad-checksum'],
    ['zero checksum over IPv6', mutate(udp6, (b) => b.writeUInt16BE(0, 6)), ctx6, 'bad-checksum'],
  ];
  for (const [name, wire, ctx, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseUdp(wire, 0, ctx), reason));
  }

  test('emit refuses bad ports and oversize payloads', () => {
    assert.throws(
      () => encodeUdp({ srcPort: 65536, dstPort: 1, payload: Buffer.alloc(0) }, ctx4),
      RangeError,
    );
    assert.throws(
      () => encodeUdp({ srcPort: 1, dstPort: 1, payload: Buffer.alloc(65528) }, ctx4),
      RangeError,
    );
  });
});
