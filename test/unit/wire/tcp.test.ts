import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type TcpHeaderRepr,
  type TcpRepr,
  TCP_FLAG,
  emitTcp,
  encodeTcp,
  parseTcp,
  tcpEncodingLength,
  tcpMss,
  tcpRepr,
} from '../../../src/wire/tcp';
import type { PseudoHeaderContext } from '../../../src/wire/checksum';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
  withContext,
} from '../../support/wire-roundtrip';
import { ETH, SYN4, SYN6 } from './vectors';

const ctx4: PseudoHeaderContext = { src: '10.77.0.30', dst: '10.77.0.10' };
const ctx6: PseudoHeaderContext = { src: 'fd00::1e', dst: 'fd00::a' };
const codecFor = (ctx: PseudoHeaderContext): WireCodec<TcpRepr> =>
  withContext(parseTcp, emitTcp, tcpEncodingLength, ctx);
const syn4 = SYN4.subarray(ETH + 20);
const syn6 = SYN6.subarray(ETH + 40);

describe('tcp', () => {
  test('parse: a scapy SYN with options', () => {
    const { value, bytes } = expectParsed(parseTcp(syn4, 0, ctx4));
    assert.equal(bytes, 40);
    assert.equal(value.srcPort, 51000);
    assert.equal(value.dstPort, 22);
    assert.equal(value.seqNumber, 0x01020304);
    assert.equal(value.ackNumber, 0);
    assert.equal(value.flags, TCP_FLAG.SYN);
    assert.deepEqual(
      [value.syn, value.ack, value.fin, value.rst, value.psh, value.urg],
      [true, false, false, false, false, false],
    );
    assert.equal(value.window, 64240);
    assert.equal(value.options.length, 20);
    assert.equal(tcpMss(value.options), 1460);
    assert.equal(value.payload.length, 0);
  });

  test('parse: sequence numbers above 2^31 stay unsigned (IPv6 SYN)', () => {
    const { value } = expectParsed(parseTcp(syn6, 0, ctx6));
    assert.equal(value.seqNumber, 0xfffffff0);
    assert.equal(value.dstPort, 445);
    assert.equal(tcpMss(value.options), 1440);
  });

  test('round-trip: IPv4 and IPv6 SYNs (checksums equal to scapy)', () => {
    roundTrip(codecFor(ctx4), syn4);
    roundTrip(codecFor(ctx6), syn6);
  });

  test('emit at an offset into garbage: all flags incl. reserved bits, payload', () => {
    emitIntoGarbage(
      codecFor(ctx4),
      tcpRepr({
        srcPort: 65535,
        dstPort: 0,
        seqNumber: 0xffffffff,
        ackNumber: 0x80000000,
        flags: 0x0fff,
        window: 0,
        urgentPointer: 0xffff,
        options: Buffer.from([1, 1, 1, 0]),
        payload: Buffer.from('keepalive'),
      }),
    );
  });

  test('tcpRepr derives the named flags', () => {
    const header: TcpHeaderRepr = {
      srcPort: 1,
      dstPort: 2,
      seqNumber: 0,
      ackNumber: 0,
      flags: TCP_FLAG.ACK | TCP_FLAG.PSH | TCP_FLAG.FIN,
      window: 1,
      urgentPointer: 0,
      options: Buffer.alloc(0),
      payload: Buffer.alloc(0),
    };
    const r = tcpRepr(header);
    assert.deepEqual([r.syn, r.ack, r.fin, r.rst, r.psh, r.urg], [false, true, true, false, true, false]);
    // emit reads only `flags`, so header fields alone are enough
    assert.equal(encodeTcp(header, ctx4).length, 20);
  });

  test('tcpMss walks NOPs and skips other options; malformed lists give undefined', () => {
    assert.equal(tcpMss(Buffer.from('0101080a00000001000000000204ffff', 'hex')), 0xffff);
    assert.equal(tcpMss(Buffer.from('00020405b4', 'hex')), undefined, 'after End of Option List');
    assert.equal(tcpMss(Buffer.from('0300', 'hex')), undefined, 'length 0');
    assert.equal(tcpMss(Buffer.from('080a0000', 'hex')), undefined, 'runs past the end');
    assert.equal(tcpMss(Buffer.from('02', 'hex')), undefined, 'no length byte');
    assert.equal(tcpMss(Buffer.from('020305', 'hex')), undefined, 'MSS of length 3');
  });

  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(syn4);
    f(b);
    return b;
  };
  const negatives: [string, Buffer, PseudoHeaderContext | undefined, string][] = [
    ['empty', Buffer.alloc(0), undefined, 'truncated'],
    ['19 bytes', syn4.subarray(0, 19), undefined, 'truncated'],
    ['data offset 4', mutate((b) => (b[12] = 0x40)), undefined, 'bad-length'],
    ['data offset past the end', mutate((b) => (b[12] = 0xf0)), undefined, 'truncated'],
    ['options cut by the IP length', syn4.subarray(0, 30), undefined, 'truncated'],
    ['flag bit flip', mutate((b) => (b[13] ^= TCP_FLAG.ACK)), ctx4, 'bad-checksum'],
    ['wrong pseudo-header', syn4, { src: '10.77.0.31', dst: '10.77.0.10' }, 'bad-checksum'],
  ];
  for (const [name, wire, ctx, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseTcp(wire, 0, ctx), reason));
  }

  test('emit refuses unencodable reprs', () => {
    const r = expectParsed(parseTcp(syn4)).value;
    assert.throws(() => encodeTcp({ ...r, options: Buffer.alloc(2) }, ctx4), RangeError);
    assert.throws(() => encodeTcp({ ...r, flags: 0x1000 }, ctx4), RangeError);
    assert.throws(() => encodeTcp({ ...r, seqNumber: -1 }, ctx4), RangeError);
  });
});
