import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type ArpRepr,
  ARP_OP,
  arpAnnouncement,
  arpEncodingLength,
  arpProbe,
  arpReply,
  emitArp,
  encodeArp,
  parseArp,
} from '../../../src/wire/arp';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
} from '../../support/wire-roundtrip';
import { ARP_REPLY, ARP_REQUEST, ETH } from './vectors';

const codec: WireCodec<ArpRepr> = { parse: parseArp, emit: emitArp, encodingLength: arpEncodingLength };
const request = ARP_REQUEST.subarray(ETH);
const SPS = '02:53:50:00:00:14';

describe('arp', () => {
  test('parse: a scapy who-has', () => {
    const { value, bytes } = expectParsed(parseArp(request));
    assert.deepEqual(value, {
      op: ARP_OP.REQUEST,
      senderMac: SPS,
      senderIp: '10.77.0.20',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.77.0.10',
    });
    assert.equal(bytes, 28);
  });

  test('round-trip: request and reply', () => {
    roundTrip(codec, request);
    const reply = roundTrip(codec, ARP_REPLY.subarray(ETH));
    assert.equal(reply.op, ARP_OP.REPLY);
  });

  test('Ethernet padding after the 28 bytes is ignored', () => {
    const padded = Buffer.concat([request, Buffer.alloc(18)]);
    assert.equal(expectParsed(parseArp(padded)).bytes, 28);
  });

  test('emit at an offset into garbage; unknown ops pass through', () => {
    emitIntoGarbage(codec, { ...arpProbe(SPS, '10.0.0.1'), op: 3 });
  });

  test('sps-protocol §4.3 frames', () => {
    assert.deepEqual(arpProbe(SPS, '10.77.0.10'), {
      op: 1,
      senderMac: SPS,
      senderIp: '0.0.0.0',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.77.0.10',
    });
    assert.deepEqual(arpAnnouncement(SPS, '10.77.0.10'), {
      op: 1,
      senderMac: SPS,
      senderIp: '10.77.0.10',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.77.0.10',
    });
    const asker = expectParsed(parseArp(ARP_REPLY.subarray(ETH))).value; // 02:..:0a at 10.77.0.10
    const question: ArpRepr = { ...asker, op: 1, targetMac: '00:00:00:00:00:00', targetIp: '10.77.0.99' };
    assert.deepEqual(arpReply(SPS, question), {
      op: 2,
      senderMac: SPS,
      senderIp: '10.77.0.99',
      targetMac: '02:53:50:00:00:0a',
      targetIp: '10.77.0.10',
    });
  });

  test('a reply built by arpReply equals the scapy is-at byte for byte', () => {
    const who: ArpRepr = {
      op: 1,
      senderMac: '02:53:50:00:00:14',
      senderIp: '10.77.0.20',
      targetMac: '00:00:00:00:00:00',
      targetIp: '10.77.0.10',
    };
    assert.deepEqual(encodeArp(arpReply('02:53:50:00:00:0a', who)), ARP_REPLY.subarray(ETH));
  });

  const patch = (offset: number, bytes: number[]): Buffer => {
    const b = Buffer.from(request);
    Buffer.from(bytes).copy(b, offset);
    return b;
  };
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['27 bytes', request.subarray(0, 27), 'truncated'],
    ['hardware type 6 (IEEE 802)', patch(0, [0, 6]), 'unsupported'],
    ['protocol IPv6', patch(2, [0x86, 0xdd]), 'unsupported'],
    ['hlen 8', patch(4, [8]), 'unsupported'],
    ['plen 16', patch(5, [16]), 'unsupported'],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseArp(wire), reason));
  }

  test('emit refuses bad addresses', () => {
    assert.throws(() => encodeArp({ ...arpProbe(SPS, '10.0.0.1'), targetIp: '10.0.0.256' }), RangeError);
    assert.throws(() => encodeArp(arpProbe('02:00:00:00:00', '10.0.0.1')), RangeError);
  });
});
