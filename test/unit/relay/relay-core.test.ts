// RelayCore's decisions on real frames: what is relayed, rebroadcast or dropped (and why), the
// frames a rebroadcast puts on the wire (directed broadcast rewritten, padding ignored, checksums
// fresh), and the authenticated mesh's forgery and replay checks.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeUdpFrame, parseFrame } from '../../../src/wire/frame';
import { encodeAuthMesh, encodePlainMesh } from '../../../src/wire/relay-mesh';
import {
  encodeBroadcastFrames,
  parseIpv4Frame,
  rebroadcastDestination,
  toBroadcastDatagram,
} from '../../../src/relay/broadcast-datagram';
import { RelayCore } from '../../../src/relay/relay-core';
import { ExpiringSet, TokenBuckets } from '../../../src/relay/expiring-set';

const NOW = 1_800_000_000_000;
const ME = Buffer.from('0000000000000001', 'hex');
const PEER = Buffer.from('0000000000000002', 'hex');

const broadcastFrame = (payload: string, opts: { dst?: string; port?: number; srcPort?: number } = {}) =>
  encodeUdpFrame({
    srcMac: '02:78:00:01:00:0a',
    dstMac: 'ff:ff:ff:ff:ff:ff',
    src: '10.78.1.10',
    dst: opts.dst ?? '255.255.255.255',
    srcPort: opts.srcPort ?? 40000,
    dstPort: opts.port ?? 5076,
    payload: Buffer.from(payload),
  });

test('a captured broadcast is relayed once; its duplicate and other ports are dropped', () => {
  const core = new RelayCore({ ports: [5076], senderId: ME });
  const frame = broadcastFrame('search');
  const first = core.captured(frame, NOW);
  assert.equal(first.kind, 'relay');
  assert.ok(first.kind === 'relay');
  assert.deepEqual(first.datagram.source, { address: '10.78.1.10', port: 40000 });
  assert.deepEqual(core.meshMessage(first.frame, NOW), encodePlainMesh(frame));
  assert.deepEqual(core.captured(frame, NOW + 10), { kind: 'drop', reason: 'duplicate' });
  assert.deepEqual(core.captured(broadcastFrame('x', { port: 9 }), NOW), { kind: 'drop', reason: 'port' });
  assert.deepEqual(core.captured(Buffer.from('garbage'), NOW), { kind: 'drop', reason: 'malformed' });
  assert.equal(core.counters.relayed, 1);
  assert.deepEqual(
    Object.entries(core.counters.dropped).filter(([, n]) => n > 0),
    [
      ['malformed', 1],
      ['port', 1],
      ['duplicate', 1],
    ],
  );
  // after the dedupe window, the same bytes are a new broadcast
  assert.equal(core.captured(frame, NOW + 5000).kind, 'relay');
});

test('a mesh broadcast is rebroadcast once, never captured back, and not echoed to a segment that saw it', () => {
  const sent = new ExpiringSet(3000);
  const core = new RelayCore({ ports: [5076], senderId: ME, sent });
  const message = encodePlainMesh(broadcastFrame('from afar'));
  const out = core.meshReceived(message, NOW);
  assert.ok(out.kind === 'rebroadcast');
  assert.deepEqual(core.meshReceived(message, NOW + 1), { kind: 'drop', reason: 'duplicate' });
  const [wire] = encodeBroadcastFrames(out.datagram, {
    sourceMac: '02:78:00:02:00:02',
    destination: '255.255.255.255',
    mtu: 1500,
  });
  assert.deepEqual(core.captured(wire, NOW + 2), { kind: 'drop', reason: 'own-rebroadcast' });
  // another endpoint of the same process sharing `sent` does not capture it either
  const neighbour = new RelayCore({ ports: [5076], senderId: PEER, sent });
  assert.deepEqual(neighbour.captured(wire, NOW + 3), { kind: 'drop', reason: 'own-rebroadcast' });
  // seen on our segment first, then arriving from the mesh (another relay on this segment sent it)
  const local = broadcastFrame('local');
  assert.equal(core.captured(local, NOW).kind, 'relay');
  assert.deepEqual(core.meshReceived(encodePlainMesh(local), NOW + 5), { kind: 'drop', reason: 'duplicate' });
});

test('rebroadcast frames: directed broadcast rewritten, padding dropped, checksums recomputed, MTU kept', () => {
  const padded = Buffer.concat([broadcastFrame('hi', { dst: '10.78.1.255' }), Buffer.alloc(20, 0xee)]);
  const packet = parseIpv4Frame(padded);
  assert.ok(packet.ok);
  const datagram = toBroadcastDatagram(packet.value);
  assert.ok(datagram.ok);
  const destination = rebroadcastDestination(datagram.value.destination, '10.78.2.255');
  assert.equal(destination, '10.78.2.255');
  assert.equal(rebroadcastDestination('255.255.255.255', '10.78.2.255'), '255.255.255.255');
  const [frame] = encodeBroadcastFrames(datagram.value, {
    sourceMac: '02:78:00:02:00:02',
    destination,
    mtu: 1500,
  });
  const parsed = parseFrame(frame, { verifyTransportChecksums: true });
  assert.ok(parsed.ok && parsed.value.kind === 'udp');
  assert.equal(parsed.value.ip.dst, '10.78.2.255');
  assert.equal(parsed.value.ip.src, '10.78.1.10');
  assert.equal(parsed.value.udp.payload.toString(), 'hi');
  assert.equal(parsed.value.eth.dst, 'ff:ff:ff:ff:ff:ff');

  const big = { ...datagram.value, payload: Buffer.alloc(4000, 1) };
  const frames = encodeBroadcastFrames(big, { sourceMac: '02:78:00:02:00:02', destination, mtu: 1500 });
  assert.equal(frames.length, 3);
  assert.ok(frames.every((f) => f.length <= 1514));
});

test('fragments captured on the segment are relayed as one reassembled datagram', () => {
  const core = new RelayCore({ ports: [5076], senderId: ME });
  const packet = parseIpv4Frame(broadcastFrame('x'));
  assert.ok(packet.ok);
  const datagram = toBroadcastDatagram(packet.value);
  assert.ok(datagram.ok);
  const big = { ...datagram.value, payload: Buffer.alloc(4000, 7), ident: 99 };
  const frames = encodeBroadcastFrames(big, {
    sourceMac: '02:78:00:01:00:0a',
    destination: '255.255.255.255',
    mtu: 1500,
  });
  const outcomes = frames.map((f) => core.captured(f, NOW));
  assert.deepEqual(outcomes.slice(0, 2), [{ kind: 'pending' }, { kind: 'pending' }]);
  const last = outcomes[2];
  assert.ok(last.kind === 'relay');
  assert.equal(last.datagram.payload.length, 4000);
  const remote = new RelayCore({ ports: [5076], senderId: PEER });
  const out = remote.meshReceived(core.meshMessage(last.frame, NOW), NOW);
  assert.ok(out.kind === 'rebroadcast');
  assert.deepEqual(out.datagram.payload, big.payload);
});

test('with a key: plain, forged, replayed, stale and own messages are dropped and counted', () => {
  const key = Buffer.from('swordfish');
  const receiver = new RelayCore({ ports: [5076], senderId: ME, key });
  const sender = new RelayCore({ ports: [5076], senderId: PEER, key });
  const frame = broadcastFrame('secret search');
  const message = sender.meshMessage(frame, NOW);
  assert.equal(receiver.meshReceived(message, NOW).kind, 'rebroadcast');
  assert.deepEqual(receiver.meshReceived(message, NOW), { kind: 'drop', reason: 'replayed' });
  assert.deepEqual(receiver.meshReceived(encodePlainMesh(broadcastFrame('plain')), NOW), {
    kind: 'drop',
    reason: 'unauthenticated',
  });
  const forged = encodeAuthMesh({ senderId: PEER, counter: NOW * 1000 + 50, frame }, Buffer.from('guess'));
  assert.deepEqual(receiver.meshReceived(forged, NOW), { kind: 'drop', reason: 'forged' });
  const stale = encodeAuthMesh(
    {
      senderId: Buffer.from('0000000000000003', 'hex'),
      counter: (NOW - 120_000) * 1000,
      frame: broadcastFrame('old'),
    },
    key,
  );
  assert.deepEqual(receiver.meshReceived(stale, NOW), { kind: 'drop', reason: 'replayed' });
  assert.deepEqual(receiver.meshReceived(receiver.meshMessage(broadcastFrame('me'), NOW), NOW), {
    kind: 'drop',
    reason: 'own-message',
  });
  // without a key, an authenticated message cannot be checked: refused
  const keyless = new RelayCore({ ports: [5076], senderId: ME });
  assert.deepEqual(keyless.meshReceived(sender.meshMessage(broadcastFrame('k'), NOW), NOW), {
    kind: 'drop',
    reason: 'unauthenticated',
  });
  assert.equal(receiver.counters.meshReceived, 6);
});

test('per-source rate limit', () => {
  const core = new RelayCore({ ports: [5076], senderId: ME, rateLimit: { perSecond: 10, burst: 2 } });
  const outcomes = [0, 1, 2].map((i) => core.captured(broadcastFrame(`s${i}`), NOW).kind);
  assert.deepEqual(outcomes, ['relay', 'relay', 'drop']);
  assert.equal(core.captured(broadcastFrame('later'), NOW + 100).kind, 'relay');
  const buckets = new TokenBuckets({ perSecond: 0, burst: 0 });
  assert.ok(buckets.take('a', 0), 'perSecond 0 disables the limit');
});
