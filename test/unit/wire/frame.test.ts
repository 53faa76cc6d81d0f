import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  type Frame,
  emitFrame,
  encodeArpFrame,
  encodeFrame,
  encodeNdpFrame,
  encodeTcpFrame,
  encodeUdpFrame,
  frameEncodingLength,
  parseFrame,
} from '../../../src/wire/frame';
import { arpAnnouncement, arpProbe, arpReply } from '../../../src/wire/arp';
import { ndpAnnouncement, ndpProbe, ndpReply } from '../../../src/wire/ndp';
import { TCP_FLAG } from '../../../src/wire/tcp';
import { BROADCAST_MAC } from '../../../src/wire/address';
import {
  type WireCodec,
  emitIntoGarbage,
  expectError,
  expectParsed,
  roundTrip,
} from '../../support/wire-roundtrip';
import * as v from './vectors';

const codec: WireCodec<Frame> = {
  parse: (buf, offset) => parseFrame(buf.subarray(offset)),
  emit: emitFrame,
  encodingLength: frameEncodingLength,
};
const SPS = '02:53:50:00:00:14';
const OWNER = '02:53:50:00:00:0a';

function parsedAs<K extends Frame['kind']>(wire: Buffer, kind: K): Extract<Frame, { kind: K }> {
  const { value } = expectParsed(parseFrame(wire));
  assert.equal(value.kind, kind);
  return value as Extract<Frame, { kind: K }>;
}

describe('frame: parse', () => {
  test('ARP', () => {
    const f = parsedAs(v.ARP_REQUEST, 'arp');
    assert.equal(f.arp.targetIp, '10.77.0.10');
    assert.equal(f.eth.dst, BROADCAST_MAC);
  });

  test('ARP behind an 802.1Q tag', () => {
    assert.equal(parsedAs(v.VLAN_ARP, 'arp').eth.vlan?.id, 42);
  });

  test('UDP over IPv4 and IPv6: {eth, ip, udp} with text addresses', () => {
    const f4 = parsedAs(v.UDP4, 'udp');
    assert.equal(f4.ip.version, 4);
    assert.equal(f4.ip.src, '10.77.0.10');
    assert.equal(f4.ip.dst, '224.0.0.251');
    assert.equal(f4.udp.dstPort, 5353);
    assert.equal(f4.udp.payload.length, 12);
    assert.equal(f4.wol, undefined);
    const f6 = parsedAs(v.UDP6, 'udp');
    assert.equal(f6.ip.version, 6);
    assert.equal(f6.ip.dst, 'ff02::fb');
  });

  test('TCP SYNs', () => {
    const f4 = parsedAs(v.SYN4, 'tcp');
    assert.ok(f4.tcp.syn && !f4.tcp.ack);
    assert.equal(f4.tcp.dstPort, 22);
    const f6 = parsedAs(v.SYN6, 'tcp');
    assert.equal(f6.tcp.dstPort, 445);
    assert.equal(f6.ip.src, 'fd00::1e');
  });

  test('NS and NA', () => {
    const ns = parsedAs(v.NS, 'icmpv6');
    assert.equal(ns.ndp?.type, 135);
    assert.equal(ns.ndp?.target, 'fe80::53:50ff:fe00:a');
    const na = parsedAs(v.NA, 'icmpv6');
    assert.ok(na.ndp?.type === 136 && na.ndp.solicited && na.ndp.override && !na.ndp.router);
  });

  test('magic packets: EtherType 0x0842 and UDP port 9', () => {
    assert.equal(parsedAs(v.WOL_ETHER, 'wol').wol.target, OWNER);
    const udp = parsedAs(v.WOL_UDP, 'udp');
    assert.equal(udp.udp.dstPort, 9);
    assert.equal(udp.wol?.target, OWNER);
  });

  test('other IP protocols, non-first fragments and other EtherTypes are not errors', () => {
    const igmp = parsedAs(v.IGMP_ROUTER_ALERT, 'ip').ip;
    assert.ok(igmp.version === 4 && igmp.protocol === 2);
    const frag = parsedAs(v.FRAGMENT, 'ip');
    assert.ok(frag.ip.version === 4 && frag.ip.fragmentOffset === 1480);
    const other = Buffer.from(v.ARP_REQUEST);
    other.writeUInt16BE(0x88cc, 12); // LLDP
    assert.equal(parsedAs(other, 'ethernet').eth.etherType, 0x88cc);
  });

  test('a first fragment is kind ip too (its transport checksum covers bytes elsewhere)', () => {
    const first = Buffer.from(v.UDP4);
    first.writeUInt16BE(0x2000, ETH_FLAGS); // MF, offset 0, DF cleared
    fixIpv4Checksum(first);
    assert.equal(parsedAs(first, 'ip').ip.version, 4);
  });

  test('Ethernet padding after an IPv4 packet is ignored by every layer', () => {
    const padded = Buffer.concat([v.UDP4, Buffer.alloc(60 - v.UDP4.length + 4)]);
    assert.equal(parsedAs(padded, 'udp').udp.payload.length, 12);
  });

  test('transport checksums: verified by default, skippable for offloaded captures', () => {
    const bad = Buffer.from(v.SYN4);
    bad[v.ETH + 20 + 16] ^= 0xff;
    expectError(parseFrame(bad), 'bad-checksum');
    assert.equal(expectParsed(parseFrame(bad, { verifyTransportChecksums: false })).value.kind, 'tcp');
  });
});

const ETH_FLAGS = v.ETH + 6;
function fixIpv4Checksum(frame: Buffer): void {
  frame.writeUInt16BE(0, v.ETH + 10);
  let sum = 0;
  for (let i = v.ETH; i < v.ETH + 20; i += 2) sum += frame.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  frame.writeUInt16BE(~sum & 0xffff, v.ETH + 10);
}

describe('frame: round-trip and emit', () => {
  for (const [name, wire] of Object.entries(v)) {
    if (!Buffer.isBuffer(wire)) continue;
    test(`round-trip ${name}`, () => {
      roundTrip(codec, wire);
    });
  }

  test('emit into garbage: a parsed frame re-emits at an offset', () => {
    emitIntoGarbage(codec, expectParsed(parseFrame(v.SYN6)).value);
  });

  test('encodeUdpFrame over IPv4 and IPv6 gives the scapy frames (DF, ident 0, TTL/hop limit 255)', () => {
    const payload = v.UDP4.subarray(v.UDP4.length - 12);
    const common = { srcMac: OWNER, srcPort: 5353, dstPort: 5353, payload, ttl: 255 };
    assert.deepEqual(
      encodeUdpFrame({ ...common, dstMac: '01:00:5e:00:00:fb', src: '10.77.0.10', dst: '224.0.0.251' }),
      v.UDP4,
    );
    assert.deepEqual(
      encodeUdpFrame({
        ...common,
        dstMac: '33:33:00:00:00:fb',
        src: 'fe80::53:50ff:fe00:a',
        dst: 'ff02::fb',
      }),
      v.UDP6,
    );
  });

  test('encodeTcpFrame gives the scapy IPv6 SYN', () => {
    const parsed = parsedAs(v.SYN6, 'tcp');
    const wire = encodeTcpFrame({
      srcMac: '02:53:50:00:00:1e',
      dstMac: OWNER,
      src: 'fd00::1e',
      dst: 'fd00::a',
      tcp: { ...parsed.tcp, flags: TCP_FLAG.SYN },
    });
    assert.deepEqual(wire, v.SYN6);
  });

  test('encodeArpFrame: §4.3 probe (42 bytes, unicast to the owner), announcement, reply', () => {
    const probe = encodeArpFrame(arpProbe(SPS, '10.77.0.10'), OWNER);
    assert.equal(probe.length, 42);
    const p = parsedAs(probe, 'arp');
    assert.equal(p.eth.dst, OWNER);
    assert.equal(p.eth.src, SPS);
    assert.equal(p.arp.senderIp, '0.0.0.0');
    const announce = parsedAs(encodeArpFrame(arpAnnouncement(SPS, '10.77.0.10'), BROADCAST_MAC), 'arp');
    assert.equal(announce.arp.senderIp, announce.arp.targetIp);
    const request = parsedAs(v.ARP_REQUEST, 'arp').arp;
    const reply = encodeArpFrame(arpReply(OWNER, request), request.senderMac);
    assert.deepEqual(reply, v.ARP_REPLY);
  });

  test('encodeNdpFrame: §4.4 probe is 78 bytes, announcement 86 bytes, hop limit 255, checksums valid', () => {
    const probe = encodeNdpFrame(ndpProbe(SPS, OWNER, 'fe80::53:50ff:fe00:a'));
    assert.equal(probe.length, 78);
    const p = parsedAs(probe, 'icmpv6');
    assert.equal(p.ip.hopLimit, 255);
    assert.equal(p.ip.src, '::');
    assert.equal(p.ip.dst, 'ff02::1:ff00:a');
    assert.equal(p.eth.dst, OWNER);
    assert.ok(p.ndp?.type === 135 && p.ndp.sourceLinkLayer === undefined);
    const announce = encodeNdpFrame(ndpAnnouncement(SPS, 'fe80::53:50ff:fe00:a'));
    assert.equal(announce.length, 86);
    const a = parsedAs(announce, 'icmpv6');
    assert.equal(a.eth.dst, '33:33:00:00:00:01');
    assert.ok(a.ndp?.type === 136 && a.ndp.override && !a.ndp.solicited && a.ndp.targetLinkLayer === SPS);
  });

  test('encodeNdpFrame of ndpReply to the scapy NS equals the scapy NA', () => {
    const ns = parsedAs(v.NS, 'icmpv6');
    assert.ok(ns.ndp);
    const reply = ndpReply(OWNER, { srcMac: ns.eth.src, src: ns.ip.src, target: ns.ndp.target });
    assert.deepEqual(encodeNdpFrame(reply), v.NA);
  });

  test('emitFrame refuses a buffer that is too small', () => {
    const frame = expectParsed(parseFrame(v.UDP4)).value;
    assert.throws(() => emitFrame(frame, Buffer.alloc(v.UDP4.length - 1), 0), RangeError);
    assert.equal(encodeFrame(frame).length, v.UDP4.length);
  });
});

describe('frame: negatives', () => {
  const mutate = (src: Buffer, f: (b: Buffer) => void): Buffer => {
    const b = Buffer.from(src);
    f(b);
    return b;
  };
  const negatives: [string, Buffer, string][] = [
    ['empty', Buffer.alloc(0), 'truncated'],
    ['Ethernet header only, ARP', v.ARP_REQUEST.subarray(0, v.ETH), 'truncated'],
    ['ARP for another hardware', mutate(v.ARP_REQUEST, (b) => (b[v.ETH + 1] = 6)), 'unsupported'],
    ['IPv4 header bit flip', mutate(v.UDP4, (b) => (b[v.ETH + 8] ^= 1)), 'bad-checksum'],
    ['IPv4 version 5', mutate(v.UDP4, (b) => (b[v.ETH] = 0x55)), 'bad-version'],
    ['IPv6 cut short', v.UDP6.subarray(0, v.UDP6.length - 1), 'truncated'],
    ['UDP checksum', mutate(v.UDP6, (b) => (b[b.length - 1] ^= 1)), 'bad-checksum'],
    ['TCP data offset 2', mutate(v.SYN6, (b) => (b[v.ETH + 40 + 12] = 0x20)), 'bad-length'],
    ['NS code 1', mutate(v.NS, (b) => (b[v.ETH + 41] = 1)), 'bad-checksum'],
    ['magic packet broken', mutate(v.WOL_ETHER, (b) => (b[v.ETH + 20] ^= 1)), 'malformed'],
  ];
  for (const [name, wire, reason] of negatives) {
    test(`${name} -> ${reason}`, () => expectError(parseFrame(wire), reason));
  }

  test('NS code 1 with checksums unchecked -> malformed', () => {
    const b = Buffer.from(v.NS);
    b[v.ETH + 41] = 1;
    expectError(parseFrame(b, { verifyTransportChecksums: false }), 'malformed');
  });

  test('a broken magic packet on UDP port 9 is still a UDP frame', () => {
    const b = Buffer.from(v.WOL_UDP);
    b[v.ETH + 28 + 20] ^= 1;
    const f = expectParsed(parseFrame(b, { verifyTransportChecksums: false })).value;
    assert.ok(f.kind === 'udp' && f.wol === undefined);
  });
});
