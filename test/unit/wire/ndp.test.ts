import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type NdpRepr,
  ALL_NODES_IPV6,
  ALL_NODES_MAC,
  NDP_OPTION,
  emitNdp,
  encodeNdp,
  ipv6MulticastMac,
  ndpAnnouncement,
  ndpEncodingLength,
  ndpProbe,
  ndpReply,
  parseNdp,
  solicitedNodeAddress,
  solicitedNodeMac,
} from '../../../src/wire/ndp';
import { ICMPV6_TYPE } from '../../../src/wire/icmpv6';
import type { PseudoHeaderContext } from '../../../src/wire/checksum';
import { internetChecksum } from '../../../src/wire/checksum';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
  withContext,
} from '../../support/wire-roundtrip';
import { ETH, NA, NS } from './vectors';

const nsCtx: PseudoHeaderContext = { src: 'fe80::53:50ff:fe00:14', dst: 'ff02::1:ff00:a' };
const naCtx: PseudoHeaderContext = { src: 'fe80::53:50ff:fe00:a', dst: 'fe80::53:50ff:fe00:14' };
const codecFor = (ctx: PseudoHeaderContext): WireCodec<NdpRepr> =>
  withContext(parseNdp, emitNdp, ndpEncodingLength, ctx);
const ns = NS.subarray(ETH + 40);
const na = NA.subarray(ETH + 40);
const SPS = '02:53:50:00:00:14';
const OWNER = '02:53:50:00:00:0a';
const PROXIED = 'fe80::53:50ff:fe00:a';

describe('ndp', () => {
  test('parse: scapy NS with a source link-layer option', () => {
    const { value } = expectParsed(parseNdp(ns, 0, nsCtx));
    assert.deepEqual(value, {
      type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION,
      target: PROXIED,
      sourceLinkLayer: SPS,
      otherOptions: [],
    });
  });

  test('parse: scapy NA with S and O flags and a target link-layer option', () => {
    const { value } = expectParsed(parseNdp(na, 0, naCtx));
    assert.deepEqual(value, {
      type: ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT,
      router: false,
      solicited: true,
      override: true,
      target: PROXIED,
      targetLinkLayer: OWNER,
      otherOptions: [],
    });
  });

  test('the checksums are the hand-checked ones: summing the message and pseudo-header gives 0', () => {
    // Pseudo-header laid out by hand (RFC 8200 §8.1): src, dst, length 32, zeros, next header 58.
    const pseudo = Buffer.concat([NS.subarray(ETH + 8, ETH + 40), Buffer.from('000000200000003a', 'hex')]);
    assert.equal(internetChecksum(Buffer.concat([pseudo, ns])), 0);
    assert.equal(ns.readUInt16BE(2), 0x8b67);
    assert.equal(na.readUInt16BE(2), 0xd9a1);
  });

  test('round-trip: NS and NA byte for byte', () => {
    roundTrip(codecFor(nsCtx), ns);
    roundTrip(codecFor(naCtx), na);
  });

  test('unknown options are kept raw and re-emitted (Linux DAD nonce)', () => {
    const repr: NdpRepr = {
      type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION,
      target: PROXIED,
      otherOptions: [
        { type: NDP_OPTION.NONCE, data: Buffer.from('ba212f217429', 'hex') },
        { type: 200, data: Buffer.alloc(14, 7) },
      ],
    };
    const wire = emitIntoGarbage(codecFor({ src: '::', dst: 'ff02::1:ff00:a' }), repr);
    assert.equal(wire.length, 24 + 8 + 16);
  });

  test('an NA link-layer option in an NS, or one of another length, stays raw', () => {
    const repr: NdpRepr = {
      type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION,
      target: PROXIED,
      otherOptions: [
        { type: NDP_OPTION.TARGET_LINK_LAYER_ADDRESS, data: Buffer.from('025350000014', 'hex') },
        { type: NDP_OPTION.SOURCE_LINK_LAYER_ADDRESS, data: Buffer.alloc(14) },
      ],
    };
    emitIntoGarbage(codecFor(nsCtx), repr);
  });

  test('emit at an offset into garbage: NA with all flags and no option', () => {
    emitIntoGarbage(codecFor(naCtx), {
      type: ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT,
      router: true,
      solicited: true,
      override: true,
      target: '2001:db8::1',
      otherOptions: [],
    });
  });

  test('solicited-node address and multicast MACs', () => {
    assert.equal(solicitedNodeAddress(PROXIED), 'ff02::1:ff00:a');
    assert.equal(solicitedNodeAddress('2001:db8::12:3456:789a'), 'ff02::1:ff56:789a');
    assert.equal(ipv6MulticastMac('ff02::1:ff00:a'), '33:33:ff:00:00:0a');
    assert.equal(ipv6MulticastMac(ALL_NODES_IPV6), ALL_NODES_MAC);
    assert.equal(solicitedNodeMac('2001:db8::12:3456:789a'), '33:33:ff:56:78:9a');
  });

  test('sps-protocol §4.4 probe: from ::, to the solicited-node group, unicast to the owner, no SLLA', () => {
    const frame = ndpProbe(SPS, OWNER, PROXIED);
    assert.deepEqual(frame, {
      srcMac: SPS,
      dstMac: OWNER,
      src: '::',
      dst: 'ff02::1:ff00:a',
      ndp: { type: 135, target: PROXIED, otherOptions: [] },
    });
    assert.equal(ndpEncodingLength(frame.ndp), 24); // 14 + 40 + 24 = 78-byte frame
  });

  test('sps-protocol §4.4 announcement and release: unsolicited NA, O flag, TLLA = given MAC', () => {
    const announce = ndpAnnouncement(SPS, PROXIED);
    assert.equal(announce.srcMac, SPS);
    assert.equal(announce.dstMac, ALL_NODES_MAC);
    assert.equal(announce.src, PROXIED);
    assert.equal(announce.dst, ALL_NODES_IPV6);
    assert.deepEqual(announce.ndp, {
      type: 136,
      router: false,
      solicited: false,
      override: true,
      target: PROXIED,
      targetLinkLayer: SPS,
      otherOptions: [],
    });
    assert.equal(ndpEncodingLength(announce.ndp), 32); // 86-byte frame
    const release = ndpAnnouncement(OWNER, PROXIED);
    assert.equal(release.srcMac, OWNER);
    assert.equal(release.ndp.type === 136 && release.ndp.targetLinkLayer, OWNER);
  });

  test('replies: solicited NA unicast to the asker; a DAD probe is defended to all nodes', () => {
    const asker = { srcMac: '02:00:00:00:00:99', src: 'fe80::99', target: PROXIED };
    const reply = ndpReply(SPS, asker);
    assert.equal(reply.dstMac, asker.srcMac);
    assert.equal(reply.dst, 'fe80::99');
    assert.equal(reply.src, PROXIED);
    assert.ok(reply.ndp.type === 136 && reply.ndp.solicited && reply.ndp.override);
    assert.equal(reply.ndp.type === 136 && reply.ndp.targetLinkLayer, SPS);
    const defend = ndpReply(SPS, { ...asker, src: '::' });
    assert.equal(defend.dstMac, ALL_NODES_MAC);
    assert.equal(defend.dst, ALL_NODES_IPV6);
    assert.ok(defend.ndp.type === 136 && !defend.ndp.solicited && defend.ndp.override);
  });

  test('an NA built from the scapy fields equals scapy byte for byte', () => {
    const wire = encodeNdp(
      {
        type: 136,
        router: false,
        solicited: true,
        override: true,
        target: PROXIED,
        targetLinkLayer: OWNER,
        otherOptions: [],
      },
      naCtx,
    );
    assert.deepEqual(wire, na);
  });

  // Negative inputs; the checksum is not checked here (no context) so each reason is the grammar's.
  const withOptions = (msg: Buffer, options: string): Buffer =>
    Buffer.concat([msg.subarray(0, 24), Buffer.from(options, 'hex')]);
  const patched = (msg: Buffer, offset: number, byte: number): Buffer => {
    const b = Buffer.from(msg);
    b[offset] = byte;
    return b;
  };
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['no target', ns.subarray(0, 23), 'truncated'],
    ['an echo request', patched(ns, 0, 128), 'unsupported'],
    ['a router solicitation', patched(ns, 0, 133), 'unsupported'],
    ['code 1', patched(ns, 1, 1), 'malformed'],
    ['multicast target', patched(ns, 8, 0xff), 'malformed'],
    ['zero-length option', withOptions(ns, '0100025350000014'), 'malformed'],
    ['zero-length option after a good one', withOptions(ns, '01010253500000140e00'), 'malformed'],
    ['option longer than the message', withOptions(ns, '0102025350000014'), 'truncated'],
    ['one stray byte after the options', withOptions(ns, '010102535000001401'), 'truncated'],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`negative: ${name} -> ${reason}`, () => expectError(parseNdp(wire), reason));
  }

  test('a bad checksum is reported when the context is given', () => {
    expectError(parseNdp(na, 0, nsCtx), 'bad-checksum');
  });

  test('emit refuses an option whose size is not a multiple of 8', () => {
    const bad: NdpRepr = { type: 135, target: PROXIED, otherOptions: [{ type: 14, data: Buffer.alloc(5) }] };
    assert.throws(() => encodeNdp(bad, nsCtx), RangeError);
  });
});
