import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type Ipv6Repr, emitIpv6, encodeIpv6, ipv6EncodingLength, parseIpv6 } from '../../../src/wire/ipv6';
import { IP_PROTOCOL } from '../../../src/wire/ip';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
} from '../../support/wire-roundtrip';
import { ETH, NS, SYN6 } from './vectors';

const codec: WireCodec<Ipv6Repr> = { parse: parseIpv6, emit: emitIpv6, encodingLength: ipv6EncodingLength };

describe('ipv6', () => {
  test('parse: a scapy NS header', () => {
    const { value, bytes } = expectParsed(parseIpv6(NS.subarray(ETH)));
    assert.equal(bytes, 72);
    assert.deepEqual(
      { ...value, payload: value.payload.length },
      {
        version: 6,
        trafficClass: 0,
        flowLabel: 0,
        nextHeader: IP_PROTOCOL.ICMPV6,
        hopLimit: 255,
        src: 'fe80::53:50ff:fe00:14',
        dst: 'ff02::1:ff00:a',
        payload: 32,
      },
    );
  });

  test('padding after Payload Length is excluded', () => {
    const padded = Buffer.concat([SYN6.subarray(ETH), Buffer.alloc(6)]);
    assert.equal(expectParsed(parseIpv6(padded)).value.payload.length, 24);
  });

  test('round-trip: scapy NS and TCP headers', () => {
    roundTrip(codec, NS.subarray(ETH));
    roundTrip(codec, SYN6.subarray(ETH));
  });

  test('emit at an offset into garbage: traffic class and flow label at their extremes', () => {
    const wire = emitIntoGarbage(codec, {
      version: 6,
      trafficClass: 0xff,
      flowLabel: 0xfffff,
      nextHeader: IP_PROTOCOL.HOP_BY_HOP,
      hopLimit: 1,
      src: '2001:db8::1',
      dst: 'ff02::16',
      payload: Buffer.from('x'),
    });
    assert.equal(wire.readUInt32BE(0), 0x6fffffff);
  });

  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(NS.subarray(ETH));
    f(b);
    return b;
  };
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['39 bytes', NS.subarray(ETH, ETH + 39), 'truncated'],
    ['version 4', mutate((b) => (b[0] = 0x45)), 'bad-version'],
    ['payload length beyond the buffer', mutate((b) => b.writeUInt16BE(33, 4)), 'truncated'],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseIpv6(wire), reason));
  }

  test('emit refuses unencodable reprs', () => {
    const repr = expectParsed(parseIpv6(NS.subarray(ETH))).value;
    assert.throws(() => encodeIpv6({ ...repr, flowLabel: 0x100000 }), RangeError);
    assert.throws(() => encodeIpv6({ ...repr, src: '10.0.0.1' }), RangeError);
  });
});
