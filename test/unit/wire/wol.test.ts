import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type MagicPacketRepr,
  APPLE_WAKE_FRAME_LEN,
  MAGIC_PACKET_LEN,
  emitMagicPacket,
  encodeMagicFrame,
  encodeMagicPacket,
  magicPacketEncodingLength,
  parseMagicPacket,
  parseSecureOnPassword,
} from '../../../src/wire/wol';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
} from '../../support/wire-roundtrip';
import { ETH, WOL_ETHER, WOL_UDP } from './vectors';

const codec: WireCodec<MagicPacketRepr> = {
  parse: parseMagicPacket,
  emit: emitMagicPacket,
  encodingLength: magicPacketEncodingLength,
};
const OWNER = '02:53:50:00:00:0a';
const SPS = '02:53:50:00:00:14';
const udpPayload = WOL_UDP.subarray(ETH + 20 + 8);
const magic = udpPayload.subarray(0, MAGIC_PACKET_LEN);

describe('wol', () => {
  test('parse: UDP payload with a 6-byte SecureOn password', () => {
    const { value, bytes } = expectParsed(parseMagicPacket(udpPayload));
    assert.equal(value.target, OWNER);
    assert.deepEqual(value.password, Buffer.from('010203040506', 'hex'));
    assert.equal(bytes, 108);
  });

  test('parse: EtherType 0x0842 payload (Apple form, zero password field)', () => {
    const { value } = expectParsed(parseMagicPacket(WOL_ETHER.subarray(ETH)));
    assert.equal(value.target, OWNER);
    assert.deepEqual(value.password, Buffer.alloc(6));
  });

  test('parse: no password, 4-byte password, trailing bytes tolerated', () => {
    assert.equal(expectParsed(parseMagicPacket(magic)).value.password, undefined);
    const short = Buffer.concat([magic, Buffer.from([9, 8, 7])]);
    assert.equal(expectParsed(parseMagicPacket(short)).value.password, undefined);
    const four = Buffer.concat([magic, Buffer.from([1, 2, 3, 4, 0])]);
    assert.deepEqual(expectParsed(parseMagicPacket(four)).value.password, Buffer.from([1, 2, 3, 4]));
    const padded = Buffer.concat([udpPayload, Buffer.alloc(20)]);
    const parsed = expectParsed(parseMagicPacket(padded));
    assert.deepEqual(parsed.value.password, Buffer.from('010203040506', 'hex'));
    assert.equal(parsed.bytes, 108);
  });

  test('parse: finds the packet after a header and after extra FF bytes; a MAC of ff bytes works', () => {
    const withHeader = Buffer.concat([Buffer.from('header\xff\xff', 'latin1'), magic]);
    const found = expectParsed(parseMagicPacket(withHeader));
    assert.equal(found.value.target, OWNER);
    assert.equal(found.bytes, withHeader.length);
    const broadcastTarget = encodeMagicPacket({ target: 'ff:ff:ff:ff:ff:ff' });
    assert.equal(expectParsed(parseMagicPacket(broadcastTarget)).value.target, 'ff:ff:ff:ff:ff:ff');
    const leadingFf = encodeMagicPacket({ target: 'ff:ff:00:00:00:01' });
    assert.equal(expectParsed(parseMagicPacket(leadingFf)).value.target, 'ff:ff:00:00:00:01');
  });

  test('round-trip and emit into garbage', () => {
    roundTrip(codec, magic);
    roundTrip(codec, udpPayload);
    emitIntoGarbage(codec, { target: SPS, password: Buffer.from([1, 2, 3, 4]) });
  });

  test('encodeMagicPacket (the UDP form) equals the scapy payload', () => {
    assert.deepEqual(
      encodeMagicPacket({ target: OWNER, password: Buffer.from('010203040506', 'hex') }),
      udpPayload,
    );
  });

  test("Apple's 122-byte 0x0842 frame equals scapy's; a 4-byte password is zero-padded to 6", () => {
    const frame = encodeMagicFrame({ destination: OWNER, source: SPS, target: OWNER });
    assert.equal(frame.length, APPLE_WAKE_FRAME_LEN);
    assert.deepEqual(frame, WOL_ETHER);
    const four = encodeMagicFrame({
      destination: OWNER,
      source: SPS,
      target: OWNER,
      password: Buffer.from([1, 2, 3, 4]),
    });
    assert.equal(four.length, 122);
    assert.deepEqual(four.subarray(116), Buffer.from([1, 2, 3, 4, 0, 0]));
  });

  test('passwords of other lengths are refused on emit', () => {
    assert.throws(() => encodeMagicPacket({ target: OWNER, password: Buffer.alloc(5) }), RangeError);
    assert.throws(
      () => encodeMagicFrame({ destination: OWNER, source: SPS, target: OWNER, password: Buffer.alloc(8) }),
      RangeError,
    );
  });

  test('parseSecureOnPassword reads 4 or 6 hex bytes', () => {
    assert.deepEqual(parseSecureOnPassword('01:02:03:04'), Buffer.from([1, 2, 3, 4]));
    assert.deepEqual(parseSecureOnPassword('aa-bb-cc-dd-ee-ff'), Buffer.from('aabbccddeeff', 'hex'));
    assert.deepEqual(parseSecureOnPassword(' AABBCCDDEEFF '), Buffer.from('aabbccddeeff', 'hex'));
    for (const bad of [
      '',
      '01:02:03',
      '01:02:03:04:05',
      '01:02-03:04',
      '01:02:03:04:05:06:07',
      'zz:zz:zz:zz',
    ]) {
      assert.equal(parseSecureOnPassword(bad), undefined, bad);
    }
  });

  const broken = Buffer.from(magic);
  broken[6 + 6 * 15] ^= 1; // the last MAC copy differs
  const noSync = Buffer.from(magic);
  noSync[2] = 0xfe;
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['101 bytes', magic.subarray(0, 101), 'truncated'],
    ['a MAC copy differs', broken, 'malformed'],
    ['sync stream broken', noSync, 'malformed'],
    ['all zeros', Buffer.alloc(200), 'malformed'],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseMagicPacket(wire), reason));
  }
});
