import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Frame } from '../../../src/wire/frame';
import { TCP_FLAG } from '../../../src/wire/tcp';
import type { KeepaliveRepr } from '../../../src/wire/sps-keepalive';
import {
  framesOf,
  FROM,
  makeProxy,
  registration,
  KEEPALIVE,
  keepaliveRecord,
  PEER_MAC,
  PEER_V4,
  peerSegment,
  PROXY_MAC,
  registered,
  runUntil,
  SLEEPER_V4,
  sleeperRecords,
  stampedFrames,
  T0,
} from './harness';

const withKeepalive = (k = KEEPALIVE) => ({ records: [...sleeperRecords(), keepaliveRecord(k)] });
const registrationWith = (k: KeepaliveRepr, id?: number): Buffer => registration({ id, ...withKeepalive(k) });
const isKeepalive = (f: Frame): f is Extract<Frame, { kind: 'tcp' }> =>
  f.kind === 'tcp' && f.tcp.srcPort === KEEPALIVE.localPort;

/** Registered at T0 with the keepalive record, the takeover run to its end (T0 + 4 s). */
function proxyingConnection(k = KEEPALIVE) {
  const proxy = registered({}, withKeepalive(k));
  const takeover = runUntil(proxy, T0 + 4000);
  proxy.drainEvents();
  return { proxy, takeover };
}

describe('TCP keepalive offload (sps-protocol.md §5.4)', () => {
  test("the first keepalive goes at once: ACK only, from the sleeper's address and port, TTL 63, ID 9864", () => {
    const { takeover } = proxyingConnection();
    const sent = stampedFrames(takeover).filter((s) => isKeepalive(s.frame));
    assert.equal(sent[0]?.at, T0);
    const f = sent[0].frame;
    assert.ok(f.kind === 'tcp' && f.ip.version === 4);
    assert.equal(f.eth.src, PROXY_MAC);
    assert.equal(f.eth.dst, PEER_MAC);
    assert.equal(f.ip.src, SLEEPER_V4);
    assert.equal(f.ip.dst, PEER_V4);
    assert.equal(f.ip.ttl, 63);
    assert.equal(f.ip.ident, 9864);
    assert.equal(f.tcp.flags, TCP_FLAG.ACK);
    assert.deepEqual([f.tcp.seqNumber, f.tcp.ackNumber, f.tcp.window], [5000, 9000, 502]);
    assert.equal(f.tcp.payload.length, 0);
    assert.equal(f.ip.payload.length + 20, 40, 'a 40-byte IPv4 packet');
  });

  test('then one every t seconds', () => {
    const { proxy } = proxyingConnection();
    const sent = stampedFrames(runUntil(proxy, T0 + 65_000)).filter((s) => isKeepalive(s.frame));
    assert.deepEqual(
      sent.map((s) => s.at - T0),
      [20_000, 40_000, 60_000],
    );
    assert.equal(proxy.counters.keepalivesSent, 4);
  });

  test("the peer's keepalive probe (empty ACK, seq = a - 1) is answered with seq = s + 1", () => {
    const { proxy } = proxyingConnection();
    proxy.handleFrame(peerSegment(TCP_FLAG.ACK, KEEPALIVE.ack - 1, KEEPALIVE.seq + 1), T0 + 5000);
    const [answer] = framesOf(proxy.drainActions());
    assert.ok(answer && isKeepalive(answer));
    assert.deepEqual([answer.tcp.seqNumber, answer.tcp.ackNumber], [KEEPALIVE.seq + 1, KEEPALIVE.ack]);
    assert.equal(proxy.drainEvents().length, 0, 'no wake');
  });

  test('the peer answering our keepalive (seq = a) and stale data are ignored', () => {
    const { proxy } = proxyingConnection();
    proxy.handleFrame(peerSegment(TCP_FLAG.ACK, KEEPALIVE.ack, KEEPALIVE.seq + 1), T0 + 5000);
    const old = Buffer.from('old');
    proxy.handleFrame(
      peerSegment(TCP_FLAG.ACK | TCP_FLAG.PSH, KEEPALIVE.ack - 3, KEEPALIVE.seq + 1, old),
      T0 + 5000,
    );
    proxy.handleFrame(peerSegment(TCP_FLAG.ACK | TCP_FLAG.PSH, KEEPALIVE.ack, KEEPALIVE.seq, old), T0 + 5000);
    assert.deepEqual(proxy.drainActions(), []);
    assert.deepEqual(proxy.drainEvents(), []);
  });

  const wakers: [string, Buffer, string][] = [
    [
      'new data',
      peerSegment(TCP_FLAG.ACK | TCP_FLAG.PSH, KEEPALIVE.ack, KEEPALIVE.seq + 1, Buffer.from('hi')),
      'data',
    ],
    ['FIN', peerSegment(TCP_FLAG.ACK | TCP_FLAG.FIN, KEEPALIVE.ack, KEEPALIVE.seq + 1), 'fin'],
    ['RST', peerSegment(TCP_FLAG.RST, KEEPALIVE.ack, 0), 'rst'],
  ];
  for (const [name, segment, cause] of wakers) {
    test(`${name} on the connection wakes the sleeper, with no SRV for the port`, () => {
      const { proxy } = proxyingConnection();
      proxy.handleFrame(segment, T0 + 5000);
      const wake = proxy.drainEvents().find((e) => e.type === 'wake');
      assert.deepEqual(wake?.type === 'wake' && wake.reason, {
        kind: 'keepalive',
        port: KEEPALIVE.localPort,
        from: PEER_V4,
        segment: cause,
      });
    });
  }

  test('sequence numbers wrap: data at seq 2 with a = 2^32 - 2 wakes', () => {
    const k = { ...KEEPALIVE, seq: 0xffff_ffff, ack: 0xffff_fffe };
    const { proxy } = proxyingConnection(k);
    proxy.handleFrame(peerSegment(TCP_FLAG.ACK, 2, 0, Buffer.from('x'), k), T0 + 5000);
    assert.ok(proxy.drainEvents().some((e) => e.type === 'wake'));
  });

  test('a re-registration replaces the keepalives: the new one goes at once, the old no more', () => {
    const { proxy } = proxyingConnection();
    const next = { ...KEEPALIVE, seq: 7000, ack: 9100 };
    proxy.handleRegistration(registrationWith(next, 0x4321), FROM, T0 + 10_000);
    proxy.drainActions();
    const later = stampedFrames(runUntil(proxy, T0 + 31_000)).filter((s) => isKeepalive(s.frame));
    assert.deepEqual(
      later.map((s) => [s.at - T0, s.frame.kind === 'tcp' && s.frame.tcp.seqNumber]),
      [
        [10_000, 7000],
        [30_000, 7000],
      ],
    );
  });

  test("a keepalive for an address the registration does not proxy is ignored (no TCP in another host's name)", () => {
    const stranger = { ...KEEPALIVE, local: '10.77.0.55' };
    const { takeover } = proxyingConnection(stranger);
    assert.equal(stampedFrames(takeover).filter((s) => s.frame.kind === 'tcp').length, 0);
  });

  test('keepalive records are never published over mDNS; the connection port is captured', () => {
    const proxy = makeProxy();
    const out = proxy.handleRegistration(registrationWith(KEEPALIVE), FROM, T0);
    assert.ok(out.accepted);
    const actions = proxy.drainActions();
    const publish = actions.find((a) => a.type === 'publish');
    assert.ok(publish?.type === 'publish');
    assert.ok(publish.records.every((r) => !r.name.includes('_keepalive')));
    const capture = actions.find((a) => a.type === 'capture');
    assert.ok(capture?.type === 'capture' && capture.set.tcpPorts.includes(KEEPALIVE.localPort));
  });

  test('the keepalives survive a snapshot and restore', () => {
    const { proxy } = proxyingConnection();
    const restored = makeProxy();
    restored.restore(proxy.snapshot(), T0 + 30_000);
    const sent = framesOf(restored.drainActions()).filter(isKeepalive);
    assert.equal(sent.length, 0, 'restore only schedules');
    const later = stampedFrames(runUntil(restored, T0 + 30_000)).filter((s) => isKeepalive(s.frame));
    assert.equal(later.length, 1);
  });
});
