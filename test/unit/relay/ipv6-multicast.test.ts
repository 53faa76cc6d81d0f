// IPv6 multicast on a chosen group (issue 6): the relay's kernel filter (run in the BPF
// interpreter) takes UDP to the groups and ports and nothing else, RelayCore relays and
// rebroadcasts such datagrams with the same loop safety as IPv4 broadcasts, and the rebroadcast
// frame goes to the group's 33:33 MAC with the source kept and a valid UDP checksum.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeUdpFrame, parseFrame } from '../../../src/wire/frame';
import { encodePlainMesh } from '../../../src/wire/relay-mesh';
import {
  encodeBroadcastFrames,
  parseIpv6MulticastFrame,
  rebroadcastDestination,
} from '../../../src/relay/broadcast-datagram';
import { RelayCore } from '../../../src/relay/relay-core';
import { ExpiringSet } from '../../../src/relay/expiring-set';
import { ipv6Groups, relayCaptureFilter } from '../../../src/relay/relay-service';
import { runBpf } from '../../support/bpf-interpreter';
import { ethernetFrame, ipv6Packet, udpDatagram } from '../../support/link-frames';

const NOW = 1_800_000_000_000;
const ME = Buffer.from('0000000000000001', 'hex');
const GROUP = 'ff15::4b50';
const CLIENT = 'fd78:1::a';
const CLIENT_MAC = '02:78:00:01:00:0a';

const multicastFrame = (payload: string | Buffer, opts: { dst?: string; port?: number } = {}) =>
  encodeUdpFrame({
    srcMac: CLIENT_MAC,
    dstMac: '33:33:00:00:4b:50',
    src: CLIENT,
    dst: opts.dst ?? GROUP,
    srcPort: 40000,
    dstPort: opts.port ?? 5076,
    payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  });

/** An IPv6 packet to the group with `nextHeader` and an opaque body (a fragment, a TCP segment...). */
const otherFrame = (nextHeader: number, body: Buffer = Buffer.alloc(16)) =>
  ethernetFrame(
    '33:33:00:00:4b:50',
    CLIENT_MAC,
    0x86dd,
    ipv6Packet({ src: CLIENT, dst: GROUP, nextHeader }, body),
  );

test('the capture filter: IPv4 broadcasts as before, IPv6 UDP only to the groups and ports', () => {
  const filter = relayCaptureFilter(
    ['255.255.255.255', '10.78.1.255', '255.255.255.255'],
    [GROUP, 'ff02::1'],
    [5076, 5065],
  );
  const accepted = (frame: Buffer): boolean => runBpf(filter, frame) > 0;
  assert.ok(accepted(multicastFrame('x')));
  assert.ok(accepted(multicastFrame('x', { port: 5065 })));
  assert.ok(accepted(multicastFrame('x', { dst: 'ff02::1' })));
  assert.ok(!accepted(multicastFrame('x', { port: 5077 })), 'other port');
  assert.ok(!accepted(multicastFrame('x', { dst: 'ff15::4b51' })), 'other group');
  assert.ok(!accepted(multicastFrame('x', { dst: 'ff02::fb' })), 'mDNS');
  assert.ok(!accepted(otherFrame(6, udpDatagram(40000, 5076))), 'not UDP');
  assert.ok(!accepted(otherFrame(44)), 'IPv6 fragment');
  const v4 = encodeUdpFrame({
    srcMac: CLIENT_MAC,
    dstMac: 'ff:ff:ff:ff:ff:ff',
    src: '10.78.1.10',
    dst: '10.78.1.255',
    srcPort: 40000,
    dstPort: 9999,
    payload: Buffer.from('any port: checked after reassembly'),
  });
  assert.ok(accepted(v4));
  // every port when none is given; no groups: no IPv6 at all
  assert.ok(
    runBpf(relayCaptureFilter(['255.255.255.255'], [GROUP], []), multicastFrame('x', { port: 1 })) > 0,
  );
  assert.equal(runBpf(relayCaptureFilter(['255.255.255.255'], [], [5076]), multicastFrame('x')), 0);
});

test('groups are canonical and multicast only', () => {
  assert.deepEqual(ipv6Groups(['FF15:0:0::4B50', ' ff02::1 ']), [GROUP, 'ff02::1']);
  assert.throws(() => ipv6Groups(['fd78:1::1']), TypeError);
  assert.throws(() => ipv6Groups(['10.0.0.1']), TypeError);
});

test('an IPv6 multicast is relayed once, rebroadcast to the same group, never captured back', () => {
  const sent = new ExpiringSet(3000);
  const a = new RelayCore({ ports: [5076], ipv6Groups: ['FF15::4B50'], senderId: ME });
  const b = new RelayCore({ ports: [5076], ipv6Groups: [GROUP], senderId: ME, sent });
  const frame = multicastFrame('search pv:x');
  const relayed = a.captured(frame, NOW);
  assert.ok(relayed.kind === 'relay');
  assert.deepEqual(relayed.frame, frame, 'the whole frame travels the mesh');
  assert.deepEqual(relayed.datagram.source, { address: CLIENT, port: 40000 });
  assert.equal(relayed.datagram.destination, GROUP);
  assert.deepEqual(a.captured(frame, NOW + 1), { kind: 'drop', reason: 'duplicate' });

  const out = b.meshReceived(a.meshMessage(relayed.frame, NOW), NOW);
  assert.ok(out.kind === 'rebroadcast');
  assert.equal(rebroadcastDestination(out.datagram.destination, '10.78.2.255'), GROUP);
  const [wire, ...more] = encodeBroadcastFrames(out.datagram, {
    sourceMac: '02:78:00:02:00:02',
    destination: GROUP,
    mtu: 1500,
  });
  assert.equal(more.length, 0);
  const parsed = parseFrame(wire, { verifyTransportChecksums: true });
  assert.ok(parsed.ok && parsed.value.kind === 'udp', 'valid IPv6 and UDP checksum');
  assert.equal(parsed.value.eth.dst, '33:33:00:00:4b:50');
  assert.equal(parsed.value.eth.src, '02:78:00:02:00:02');
  assert.equal(parsed.value.ip.src, CLIENT);
  assert.equal(parsed.value.ip.dst, GROUP);
  assert.equal(parsed.value.udp.srcPort, 40000);
  assert.equal(parsed.value.udp.payload.toString(), 'search pv:x');
  assert.deepEqual(b.captured(wire, NOW + 2), { kind: 'drop', reason: 'own-rebroadcast' });
  assert.deepEqual(b.meshReceived(encodePlainMesh(frame), NOW + 3), { kind: 'drop', reason: 'duplicate' });
  assert.equal(b.counters.rebroadcast, 1);
});

test('other groups, other ports, fragments, non-UDP and relays without groups: dropped and counted', () => {
  const core = new RelayCore({ ports: [5076], ipv6Groups: [GROUP], senderId: ME });
  assert.deepEqual(core.captured(multicastFrame('x', { dst: 'ff02::1' }), NOW), {
    kind: 'drop',
    reason: 'group',
  });
  assert.deepEqual(core.captured(multicastFrame('x', { port: 9 }), NOW), { kind: 'drop', reason: 'port' });
  assert.deepEqual(core.captured(otherFrame(44), NOW), { kind: 'drop', reason: 'fragments' });
  // a Hop-by-Hop header (extension headers are not walked)
  assert.deepEqual(core.captured(otherFrame(0), NOW), { kind: 'drop', reason: 'not-udp' });
  assert.deepEqual(core.captured(multicastFrame('x').subarray(0, 30), NOW), {
    kind: 'drop',
    reason: 'malformed',
  });
  const v4only = new RelayCore({ ports: [5076], senderId: ME });
  assert.deepEqual(v4only.meshReceived(encodePlainMesh(multicastFrame('y')), NOW), {
    kind: 'drop',
    reason: 'group',
  });
});

test('a datagram that does not fit one frame is refused, not fragmented', () => {
  const parsed = parseIpv6MulticastFrame(multicastFrame(Buffer.alloc(1452, 1)));
  assert.ok(parsed.ok);
  const spec = { sourceMac: '02:78:00:02:00:02', destination: GROUP, mtu: 1500 };
  assert.equal(encodeBroadcastFrames(parsed.value, spec).length, 1);
  assert.throws(
    () => encodeBroadcastFrames({ ...parsed.value, payload: Buffer.alloc(1453) }, spec),
    RangeError,
  );
});
