import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Ipv4Repr,
  emitIpv4,
  encodeIpv4,
  ipv4EncodingLength,
  isIpv4Fragment,
  parseIpv4,
} from '../../../src/wire/ipv4';
import { IP_PROTOCOL } from '../../../src/wire/ip';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
} from '../../support/wire-roundtrip';
import { ETH, FRAGMENT, IGMP_ROUTER_ALERT, SYN4, UDP4 } from './vectors';

const codec: WireCodec<Ipv4Repr> = { parse: parseIpv4, emit: emitIpv4, encodingLength: ipv4EncodingLength };

const base: Ipv4Repr = {
  version: 4,
  dscp: 46,
  ecn: 1,
  ident: 0xbeef,
  dontFragment: false,
  moreFragments: true,
  fragmentOffset: 8 * 0x1fff,
  ttl: 1,
  protocol: 253,
  src: '192.0.2.1',
  dst: '198.51.100.2',
  options: Buffer.from([1, 1, 1, 0]),
  payload: Buffer.from('data'),
};

describe('ipv4', () => {
  test('parse: a scapy TCP SYN header', () => {
    const { value, bytes } = expectParsed(parseIpv4(SYN4.subarray(ETH)));
    assert.equal(bytes, 60);
    assert.equal(value.ident, 0x1234);
    assert.equal(value.dontFragment, true);
    assert.equal(value.moreFragments, false);
    assert.equal(value.fragmentOffset, 0);
    assert.equal(value.ttl, 64);
    assert.equal(value.protocol, IP_PROTOCOL.TCP);
    assert.equal(value.src, '10.77.0.30');
    assert.equal(value.dst, '10.77.0.10');
    assert.equal(value.options.length, 0);
    assert.equal(value.payload.length, 40);
  });

  test('parse: options kept raw (Router Alert), DSCP/ECN split', () => {
    const { value } = expectParsed(parseIpv4(IGMP_ROUTER_ALERT.subarray(ETH)));
    assert.deepEqual(value.options, Buffer.from('94040000', 'hex'));
    assert.equal(value.dscp, 48);
    assert.equal(value.ecn, 0);
    assert.equal(value.payload.length, 16);
  });

  test('parse: a non-first fragment reports where it sits', () => {
    const { value } = expectParsed(parseIpv4(FRAGMENT.subarray(ETH)));
    assert.equal(value.fragmentOffset, 185 * 8);
    assert.equal(value.moreFragments, false);
    assert.ok(isIpv4Fragment(value));
    assert.equal(value.payload.toString(), 'tail-of-datagram');
  });

  test('trailing Ethernet padding is excluded from the payload', () => {
    const padded = Buffer.concat([UDP4.subarray(ETH), Buffer.alloc(10)]);
    const { value, bytes } = expectParsed(parseIpv4(padded));
    assert.equal(bytes, 40);
    assert.equal(value.payload.length, 20);
  });

  test('round-trip: scapy headers with and without options', () => {
    roundTrip(codec, SYN4.subarray(ETH));
    roundTrip(codec, UDP4.subarray(ETH));
    roundTrip(codec, IGMP_ROUTER_ALERT.subarray(ETH));
    roundTrip(codec, FRAGMENT.subarray(ETH));
  });

  test('emit at an offset into garbage: every field at its extreme, checksum filled', () => {
    const wire = emitIntoGarbage(codec, base);
    assert.equal(wire[0], 0x46);
    assert.notEqual(wire.readUInt16BE(10), 0);
  });

  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(SYN4.subarray(ETH));
    f(b);
    return b;
  };
  const withIhl15 = (ip: Buffer): Buffer => {
    const b = Buffer.from(ip);
    b[0] = 0x4f;
    return b;
  };
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['19 bytes', SYN4.subarray(ETH, ETH + 19), 'truncated'],
    ['version 6', mutate((b) => (b[0] = 0x65)), 'bad-version'],
    ['IHL 4', mutate((b) => (b[0] = 0x44)), 'bad-length'],
    ['total length < IHL*4', mutate((b) => b.writeUInt16BE(19, 2)), 'bad-length'],
    ['total length beyond the buffer', mutate((b) => b.writeUInt16BE(61, 2)), 'truncated'],
    ['IHL beyond total length (40)', withIhl15(UDP4.subarray(ETH)), 'bad-length'],
    ['bit flip in the header', mutate((b) => (b[8] ^= 1)), 'bad-checksum'],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseIpv4(wire), reason));
  }

  test('emit refuses unencodable reprs', () => {
    assert.throws(() => encodeIpv4({ ...base, options: Buffer.alloc(3) }), RangeError);
    assert.throws(() => encodeIpv4({ ...base, options: Buffer.alloc(44) }), RangeError);
    assert.throws(() => encodeIpv4({ ...base, fragmentOffset: 12 }), RangeError);
    assert.throws(() => encodeIpv4({ ...base, payload: Buffer.alloc(0x10000) }), RangeError);
    assert.throws(() => encodeIpv4({ ...base, dst: '::1' }), RangeError);
  });
});
