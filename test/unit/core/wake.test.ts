import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProxyAction } from '../../../src/core/actions';
import { ARP_OP } from '../../../src/wire/arp';
import { ICMPV6_TYPE } from '../../../src/wire/icmpv6';
import { parseFrame } from '../../../src/wire/frame';
import { TCP_FLAG } from '../../../src/wire/tcp';
import { parseMagicPacket } from '../../../src/wire/wol';
import {
  arpRequest,
  framesOf,
  PEER_V4,
  PROXY_MAC,
  proxying,
  runUntil,
  SLEEPER_MAC,
  SLEEPER_V4,
  SLEEPER_V6,
  stampedFrames,
  syn,
  T0,
  tcpSegment,
  udpDatagram,
} from './harness';

const AT = T0 + 10_000;

function wakeReasonFor(frame: Buffer): unknown {
  const proxy = proxying();
  proxy.handleFrame(frame, AT);
  const wake = proxy.drainEvents().find((e) => e.type === 'wake');
  return wake?.type === 'wake' ? wake.reason : undefined;
}

const ikeHeader = (exchange: number): Buffer => {
  const b = Buffer.alloc(4 + 28);
  b[4 + 18] = exchange;
  return b;
};
const ard = (): Buffer => Buffer.concat([Buffer.from([0x13, 0x88]), Buffer.alloc(108)]);

describe('wake policy (§5.1)', () => {
  const cases: [string, Buffer, unknown][] = [
    ['SYN to a registered _tcp port', syn(SLEEPER_V4, 80), { kind: 'syn', port: 80, from: PEER_V4 }],
    ['SYN to a registered port over IPv6', syn(SLEEPER_V6, 22), { kind: 'syn', port: 22, from: 'fe80::99' }],
    ['SYN to an unregistered port', syn(SLEEPER_V4, 443), undefined],
    ['SYN to an address we do not proxy', syn('10.77.0.11', 80), undefined],
    ['SYN+ACK', tcpSegment(SLEEPER_V4, 80, TCP_FLAG.SYN | TCP_FLAG.ACK), undefined],
    ['RST', tcpSegment(SLEEPER_V4, 80, TCP_FLAG.RST), undefined],
    ['SYN+RST', tcpSegment(SLEEPER_V4, 80, TCP_FLAG.SYN | TCP_FLAG.RST), undefined],
    ['FIN without data', tcpSegment(SLEEPER_V4, 22, TCP_FLAG.FIN | TCP_FLAG.ACK), undefined],
    [
      'data to port 80',
      tcpSegment(SLEEPER_V4, 80, TCP_FLAG.ACK | TCP_FLAG.PSH, Buffer.from('GET /')),
      undefined,
    ],
    [
      'data to port 22',
      tcpSegment(SLEEPER_V4, 22, TCP_FLAG.ACK | TCP_FLAG.PSH, Buffer.from('x')),
      { kind: 'tcp', port: 22, from: PEER_V4 },
    ],
    [
      'bare ACK to port 22',
      tcpSegment(SLEEPER_V4, 22, TCP_FLAG.ACK),
      { kind: 'tcp', port: 22, from: PEER_V4 },
    ],
    [
      'UDP to a registered _udp port',
      udpDatagram(SLEEPER_V4, 5000, Buffer.from('hi')),
      { kind: 'udp', port: 5000, from: PEER_V4 },
    ],
    ['UDP to a _tcp port', udpDatagram(SLEEPER_V4, 80, Buffer.from('hi')), undefined],
    ['UDP to an unregistered port', udpDatagram(SLEEPER_V4, 5001, Buffer.from('hi')), undefined],
    [
      '4500: ESP',
      udpDatagram(SLEEPER_V4, 4500, Buffer.from('12345678abcdefgh')),
      { kind: 'udp', port: 4500, from: PEER_V4 },
    ],
    ['4500: NAT keepalive 0xFF', udpDatagram(SLEEPER_V4, 4500, Buffer.from([0xff])), undefined],
    ['4500: IKE_SA_INIT', udpDatagram(SLEEPER_V4, 4500, ikeHeader(34)), undefined],
    ['4500: IKE Informational', udpDatagram(SLEEPER_V4, 4500, ikeHeader(5)), undefined],
    [
      '4500: IKE CREATE_CHILD_SA',
      udpDatagram(SLEEPER_V4, 4500, ikeHeader(36)),
      { kind: 'udp', port: 4500, from: PEER_V4 },
    ],
    [
      '3283: ARD wake packet',
      udpDatagram(SLEEPER_V4, 3283, ard()),
      { kind: 'udp', port: 3283, from: PEER_V4 },
    ],
    ['3283: short packet', udpDatagram(SLEEPER_V4, 3283, ard().subarray(0, 109)), undefined],
    ['3283: other packet', udpDatagram(SLEEPER_V4, 3283, Buffer.alloc(200)), undefined],
  ];
  for (const [name, frame, expected] of cases) {
    test(name, () => assert.deepEqual(wakeReasonFor(frame), expected));
  }

  test('port-22 data does not wake when policy.sshDataWakes is off', () => {
    const proxy = proxying({ policy: { sshDataWakes: false } });
    proxy.handleFrame(tcpSegment(SLEEPER_V4, 22, TCP_FLAG.ACK, Buffer.from('x')), AT);
    assert.deepEqual(proxy.drainEvents(), []);
  });
});

function magicFrames(actions: readonly ProxyAction[]) {
  return framesOf(actions).filter((f) => f.kind === 'wol');
}

describe('wake schedule (§5.2, §5.3)', () => {
  test('15 rounds 2 s apart: unicast first, broadcast from round 3, UDP copy, release NA in round 1', () => {
    const password = Buffer.from('a1b2c3d4e5f6', 'hex');
    const proxy = proxying({}, { password });
    proxy.handleFrame(syn(SLEEPER_V4, 22), AT);
    const first = proxy.drainActions();
    assert.deepEqual(first[0], { type: 'withdraw', sleeper: SLEEPER_MAC, goodbye: false });
    const rounds = [{ at: AT, actions: first }];
    for (const s of runUntil(proxy, AT + 60_000)) {
      const last = rounds[rounds.length - 1];
      if (last.at === s.at) last.actions.push(s.action);
      else rounds.push({ at: s.at, actions: [s.action] });
    }
    // 15 rounds, then the failure 2 s after the last.
    assert.deepEqual(
      rounds.map((r) => r.at - AT),
      [...Array.from({ length: 15 }, (_, i) => i * 2000), 30_000],
    );
    rounds.slice(0, 15).forEach((round, i) => {
      const magic = magicFrames(round.actions);
      const dsts = magic.map((f) => f.eth.dst);
      assert.deepEqual(dsts, i < 2 ? [SLEEPER_MAC] : [SLEEPER_MAC, 'ff:ff:ff:ff:ff:ff'], `round ${i + 1}`);
      for (const f of magic) {
        assert.ok(f.kind === 'wol');
        assert.equal(f.eth.src, PROXY_MAC);
        assert.equal(f.wol.target, SLEEPER_MAC);
        assert.deepEqual(f.wol.password, password);
      }
      const udp = round.actions.filter((a) => a.type === 'send-udp');
      assert.equal(udp.length, 1);
      assert.ok(udp[0].type === 'send-udp' && udp[0].to === '255.255.255.255' && udp[0].port === 9);
      const parsed = parseMagicPacket(udp[0].payload);
      assert.ok(parsed.ok && parsed.value.target === SLEEPER_MAC);
      const release = framesOf(round.actions).filter((f) => f.kind === 'icmpv6');
      if (i === 0) {
        assert.equal(release.length, 1);
        const na = release[0];
        assert.ok(na.kind === 'icmpv6' && na.ndp?.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT);
        assert.equal(na.eth.src, PROXY_MAC, 'from our MAC, so switches keep the sleeper on its port');
        assert.equal(na.ndp.targetLinkLayer, SLEEPER_MAC);
        assert.equal(na.ndp.target, SLEEPER_V6);
      } else assert.equal(release.length, 0);
    });
    // Owner never came back: goodbyes with the records, then it is forgotten.
    const end = rounds[15].actions;
    const withdraw = end.find((a) => a.type === 'withdraw');
    assert.ok(withdraw?.type === 'withdraw' && withdraw.goodbye && (withdraw.records?.length ?? 0) > 0);
    assert.ok(end.some((a) => a.type === 'blackhole' && !a.add));
    assert.ok(end.some((a) => a.type === 'persist' && a.entry.op === 'delete'));
    assert.ok(end.some((a) => a.type === 'leave-multicast'));
    assert.ok(end.some((a) => a.type === 'capture' && a.set.ipv4.length === 0 && a.set.macs.length === 0));
    const events = proxy.drainEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['wake', 'wake-failed'],
    );
    assert.deepEqual(proxy.list(AT), []);
    assert.equal(proxy.nextTimer(), undefined);
  });

  test('no goodbyes when the owner returns during the sequence', () => {
    const proxy = proxying();
    proxy.handleFrame(syn(SLEEPER_V4, 22), AT);
    runUntil(proxy, AT + 6000);
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, SLEEPER_V4), AT + 7000);
    const actions = [...proxy.drainActions(), ...runUntil(proxy, AT + 60_000).map((s) => s.action)];
    assert.ok(!actions.some((a) => a.type === 'withdraw'));
    assert.equal(magicFrames(actions).length, 0);
    assert.deepEqual(
      proxy.drainEvents().map((e) => e.type),
      ['wake', 'woke'],
    );
  });

  test('a second trigger while waking does not restart the sequence', () => {
    const proxy = proxying();
    proxy.handleFrame(syn(SLEEPER_V4, 22), AT);
    proxy.handleFrame(syn(SLEEPER_V4, 80), AT + 100);
    proxy.handleFrame(udpDatagram(SLEEPER_V4, 5000, Buffer.from('x')), AT + 200);
    assert.equal(proxy.drainEvents().length, 1);
  });

  test('the command wakes by name, MAC or address', () => {
    for (const target of ['sleeper', 'sleeper.local', SLEEPER_MAC.toUpperCase(), SLEEPER_V4, SLEEPER_V6]) {
      const proxy = proxying();
      const view = proxy.wake(target, { kind: 'command' }, AT);
      assert.equal(view?.hostMac, SLEEPER_MAC, target);
      const [wake] = proxy.drainEvents();
      assert.ok(wake.type === 'wake' && wake.reason.kind === 'command');
    }
    assert.equal(proxying().wake('nobody', { kind: 'command' }, AT), undefined);
  });
});

describe('wake that connects fast', () => {
  test('on woke: addresses handed back with the owner MAC, the SYN replayed to the owner', () => {
    const proxy = proxying();
    const theSyn = syn(SLEEPER_V4, 22);
    proxy.handleFrame(theSyn, AT);
    runUntil(proxy, AT + 2000);
    proxy.drainActions();
    // The woken host announces itself (Linux arp_notify).
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, SLEEPER_V4), AT + 2500);
    const actions = proxy.drainActions();
    const frames = framesOf(actions);
    const arp = frames.find((f) => f.kind === 'arp');
    assert.ok(arp?.kind === 'arp');
    assert.equal(arp.eth.dst, 'ff:ff:ff:ff:ff:ff');
    assert.deepEqual(
      [arp.arp.op, arp.arp.senderMac, arp.arp.senderIp, arp.arp.targetIp],
      [ARP_OP.REQUEST, SLEEPER_MAC, SLEEPER_V4, SLEEPER_V4],
    );
    const na = frames.find((f) => f.kind === 'icmpv6');
    assert.ok(na?.kind === 'icmpv6' && na.ndp?.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT);
    assert.equal(na.ndp.targetLinkLayer, SLEEPER_MAC);
    assert.ok(na.ndp.override);
    const replay = frames.find((f) => f.kind === 'tcp');
    assert.ok(replay?.kind === 'tcp');
    assert.equal(replay.eth.dst, SLEEPER_MAC);
    assert.equal(replay.eth.src, PROXY_MAC);
    assert.ok(replay.tcp.syn && replay.tcp.dstPort === 22 && replay.ip.src === PEER_V4);
    const sent = actions.find(
      (a) =>
        a.type === 'send-frame' &&
        a.frame.length === theSyn.length &&
        a.frame.subarray(12).equals(theSyn.subarray(12)),
    );
    assert.ok(sent, 'the replay is the captured SYN, re-addressed');
    assert.ok(actions.some((a) => a.type === 'blackhole' && !a.add));
    const woke = proxy.drainEvents().find((e) => e.type === 'woke');
    assert.ok(woke?.type === 'woke' && woke.via === 'arp' && woke.sleeper.state === 'awake');
  });

  test('a SYN captured with an unfinished (offloaded) TCP checksum is replayed with a valid one', () => {
    const proxy = proxying();
    const partial = Buffer.from(syn(SLEEPER_V4, 22));
    partial.writeUInt16BE(0x1234, 14 + 20 + 16); // what a veth peer hands over before offload
    proxy.handleFrame(partial, AT, { checksumPartial: true });
    runUntil(proxy, AT + 2000);
    proxy.drainActions();
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, SLEEPER_V4), AT + 2500);
    const replays = proxy
      .drainActions()
      .flatMap((a) =>
        a.type === 'send-frame' ? [parseFrame(a.frame, { verifyTransportChecksums: true })] : [],
      )
      .filter((f) => !f.ok || f.value.kind === 'tcp');
    assert.equal(replays.length, 1);
    assert.ok(replays[0].ok, 'the replayed SYN carries a correct checksum');
  });

  test('SYN retransmissions during the wake are replayed too; stale ones are not', () => {
    const proxy = proxying({ policy: { replayWindowMs: 5000 } });
    proxy.handleFrame(syn(SLEEPER_V4, 22), AT);
    proxy.handleFrame(tcpSegment(SLEEPER_V4, 22, TCP_FLAG.SYN, Buffer.alloc(0), '10.77.0.31'), AT + 3000);
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4), AT + 7000);
    const replays = framesOf(proxy.drainActions()).filter((f) => f.kind === 'tcp');
    assert.deepEqual(
      replays.map((f) => f.kind === 'tcp' && f.ip.src),
      ['10.77.0.31'],
    );
  });
});

describe('lease', () => {
  test('lease end wakes the owner, then drops it with goodbyes', () => {
    const proxy = proxying({}, { lease: 60 });
    const stamped = runUntil(proxy, T0 + 200_000);
    const firstMagic = stampedFrames(stamped).find((f) => f.frame.kind === 'wol');
    assert.equal(firstMagic?.at, T0 + 60_000);
    const events = proxy.drainEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['wake', 'expired'],
    );
    assert.ok(events[0].type === 'wake' && events[0].reason.kind === 'lease-end');
    const goodbye = stamped.find((s) => s.action.type === 'withdraw' && s.action.goodbye);
    assert.equal(goodbye?.at, T0 + 90_000);
    assert.deepEqual(proxy.list(T0), []);
  });

  test('release hands the addresses back without waking or goodbyes', () => {
    const proxy = proxying();
    const view = proxy.release('sleeper', AT);
    assert.equal(view?.hostMac, SLEEPER_MAC);
    const actions = proxy.drainActions();
    assert.deepEqual(actions[0], { type: 'withdraw', sleeper: SLEEPER_MAC, goodbye: false });
    assert.equal(magicFrames(actions).length, 0);
    assert.equal(framesOf(actions).filter((f) => f.kind === 'arp').length, 1);
    assert.deepEqual(
      proxy.drainEvents().map((e) => e.type),
      ['released'],
    );
    assert.equal(proxy.release('sleeper', AT), undefined);
  });
});
