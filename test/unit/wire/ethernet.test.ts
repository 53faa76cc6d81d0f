import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type EthernetRepr,
  ETHERTYPE,
  emitEthernet,
  encodeEthernet,
  ethernetEncodingLength,
  parseEthernet,
} from '../../../src/wire/ethernet';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
} from '../../support/wire-roundtrip';
import { ARP_REQUEST, VLAN_ARP } from './vectors';

const codec: WireCodec<EthernetRepr> = {
  parse: parseEthernet,
  emit: emitEthernet,
  encodingLength: ethernetEncodingLength,
};

describe('ethernet', () => {
  test('parse: addresses, EtherType and a zero-copy payload', () => {
    const { value, bytes } = expectParsed(parseEthernet(ARP_REQUEST));
    assert.equal(value.dst, 'ff:ff:ff:ff:ff:ff');
    assert.equal(value.src, '02:53:50:00:00:14');
    assert.equal(value.etherType, ETHERTYPE.ARP);
    assert.equal(value.vlan, undefined);
    assert.equal(value.payload.length, 28);
    assert.equal(value.payload.buffer, ARP_REQUEST.buffer, 'payload shares memory with the frame');
    assert.equal(bytes, ARP_REQUEST.length);
  });

  test('parse: one 802.1Q tag is decoded (scapy Dot1Q prio 5 vlan 42)', () => {
    const { value } = expectParsed(parseEthernet(VLAN_ARP));
    assert.deepEqual(value.vlan, { pcp: 5, dei: false, id: 42 });
    assert.equal(value.etherType, ETHERTYPE.ARP);
    assert.equal(value.payload.length, 28);
  });

  test('round-trip: untagged and tagged frames re-encode byte for byte', () => {
    roundTrip(codec, ARP_REQUEST);
    roundTrip(codec, VLAN_ARP);
  });

  test('emit: at an offset into garbage, with DEI and an unknown EtherType passing through', () => {
    const repr: EthernetRepr = {
      dst: '01:02:03:04:05:06',
      src: 'aa:bb:cc:dd:ee:ff',
      etherType: 0x88b5,
      vlan: { pcp: 7, dei: true, id: 4095 },
      payload: Buffer.from('payload'),
    };
    const wire = emitIntoGarbage(codec, repr);
    assert.equal(wire.readUInt16BE(12), ETHERTYPE.VLAN);
    assert.equal(wire.readUInt16BE(14), 0xffff);
  });

  test('emit pads nothing: a 42-byte ARP frame stays 42 bytes', () => {
    const parsed = expectParsed(parseEthernet(ARP_REQUEST)).value;
    assert.equal(encodeEthernet(parsed).length, 42);
  });

  test('an empty payload is fine', () => {
    const repr: EthernetRepr = {
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:00:01',
      etherType: 0x0800,
      payload: Buffer.alloc(0),
    };
    emitIntoGarbage(codec, repr);
  });

  const tagged = (inner: number): Buffer => {
    const b = Buffer.from(VLAN_ARP);
    b.writeUInt16BE(inner, 16);
    return b;
  };
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['13 bytes', ARP_REQUEST.subarray(0, 13), 'truncated'],
    ['tag cut short', VLAN_ARP.subarray(0, 17), 'truncated'],
    ['stacked 802.1Q tags', tagged(ETHERTYPE.VLAN), 'unsupported'],
    ['802.1ad inside 802.1Q', tagged(ETHERTYPE.QINQ), 'unsupported'],
    [
      'outer 802.1ad tag',
      Buffer.concat([ARP_REQUEST.subarray(0, 12), Buffer.from([0x88, 0xa8, 0, 1, 8, 6])]),
      'unsupported',
    ],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseEthernet(wire), reason));
  }

  test('parse at an offset past the end is truncated, not a throw', () => {
    expectError(parseEthernet(ARP_REQUEST, 100), 'truncated');
  });

  test('emit refuses a bad MAC, a small buffer and a bad VLAN id', () => {
    const base: EthernetRepr = {
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:00:01',
      etherType: 0x0800,
      payload: Buffer.alloc(4),
    };
    assert.throws(() => encodeEthernet({ ...base, src: 'zz' }), RangeError);
    assert.throws(() => emitEthernet(base, Buffer.alloc(17), 0), RangeError);
    assert.throws(() => encodeEthernet({ ...base, vlan: { pcp: 0, dei: false, id: 4096 } }), RangeError);
  });
});
