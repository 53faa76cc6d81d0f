import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ICMPV6_TYPE,
  emitIcmpv6,
  encodeIcmpv6,
  icmpv6EncodingLength,
  parseIcmpv6,
} from '../../../src/wire/icmpv6';
import type { PseudoHeaderContext } from '../../../src/wire/checksum';
import {
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
  withContext,
} from '../../support/wire-roundtrip';
import { ETH, NS } from './vectors';

const ctx: PseudoHeaderContext = { src: 'fe80::53:50ff:fe00:14', dst: 'ff02::1:ff00:a' };
const codec = withContext(parseIcmpv6, emitIcmpv6, icmpv6EncodingLength, ctx);
const ns = NS.subarray(ETH + 40);

describe('icmpv6', () => {
  test('parse: type, code and body of a scapy NS', () => {
    const { value, bytes } = expectParsed(parseIcmpv6(ns, 0, ctx));
    assert.equal(value.type, ICMPV6_TYPE.NEIGHBOR_SOLICITATION);
    assert.equal(value.code, 0);
    assert.equal(value.body.length, 28);
    assert.equal(bytes, 32);
  });

  test('round-trip (checksum 0x8b67 as scapy computed it)', () => {
    roundTrip(codec, ns);
    assert.equal(encodeIcmpv6(expectParsed(parseIcmpv6(ns)).value, ctx).readUInt16BE(2), 0x8b67);
  });

  test('emit at an offset into garbage: echo request with odd-length body', () => {
    emitIntoGarbage(codec, { type: ICMPV6_TYPE.ECHO_REQUEST, code: 0, body: Buffer.from('ping!') });
    emitIntoGarbage(codec, { type: 255, code: 255, body: Buffer.alloc(0) });
  });

  const flipped = Buffer.from(ns);
  flipped[10] ^= 1;
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['3 bytes', ns.subarray(0, 3), 'truncated'],
    ['target bit flip', flipped, 'bad-checksum'],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseIcmpv6(wire, 0, ctx), reason));
  }

  test('the pseudo-header is part of the checksum', () => {
    expectError(parseIcmpv6(ns, 0, { src: '::', dst: 'ff02::1:ff00:a' }), 'bad-checksum');
  });
});
