import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ARP_OP, ZERO_IPV4, ZERO_MAC } from '../../../src/wire/arp';
import { ICMPV6_TYPE } from '../../../src/wire/icmpv6';
import { solicitedNodeAddress, solicitedNodeMac } from '../../../src/wire/ndp';
import {
  arpRequest,
  makeProxy,
  neighborAdvertisement,
  neighborSolicitation,
  OTHER_MAC,
  PEER_MAC,
  PEER_V4,
  PEER_V6,
  PROXY_MAC,
  registered,
  registration,
  runUntil,
  sleeperRecords,
  SLEEPER_MAC,
  SLEEPER_V4,
  SLEEPER_V6,
  stampedFrames,
  framesOf,
  FROM,
  T0,
} from './harness';

const NO_HEURISTIC = { policy: { wokeHeuristic: false } };
/** Probes at +1, +2, +3 s, announcements at +4, +5, +7, +11 s (§4.3). */
const UNIQUE_TIMELINE = [1000, 2000, 3000, 4000, 5000, 7000, 11000];

function arpTimeline(proxy: ReturnType<typeof makeProxy>, until: number) {
  return stampedFrames(runUntil(proxy, until)).flatMap(({ at, frame }) =>
    frame.kind === 'arp' ? [{ at: at - T0, eth: frame.eth, arp: frame.arp }] : [],
  );
}

function ndpTimeline(proxy: ReturnType<typeof makeProxy>, until: number) {
  return stampedFrames(runUntil(proxy, until)).flatMap(({ at, frame }) =>
    frame.kind === 'icmpv6' && frame.ndp
      ? [{ at: at - T0, ip: frame.ip, eth: frame.eth, ndp: frame.ndp }]
      : [],
  );
}

describe('takeover: IPv4 (ARP)', () => {
  test('probes the address 3x 1 s apart (to every host), then 4 announcements at +4, +5, +7, +11 s', () => {
    const proxy = registered();
    const frames = arpTimeline(proxy, T0 + 60_000);
    assert.deepEqual(
      frames.map((f) => f.at),
      UNIQUE_TIMELINE,
    );
    for (const probe of frames.slice(0, 3)) {
      assert.equal(probe.eth.dst, 'ff:ff:ff:ff:ff:ff');
      assert.equal(probe.eth.src, PROXY_MAC);
      assert.deepEqual(probe.arp, {
        op: ARP_OP.REQUEST,
        senderMac: PROXY_MAC,
        senderIp: ZERO_IPV4,
        targetMac: ZERO_MAC,
        targetIp: SLEEPER_V4,
      });
    }
    for (const a of frames.slice(3)) {
      assert.equal(a.eth.dst, 'ff:ff:ff:ff:ff:ff');
      assert.deepEqual(a.arp, {
        op: ARP_OP.REQUEST,
        senderMac: PROXY_MAC,
        senderIp: SLEEPER_V4,
        targetMac: ZERO_MAC,
        targetIp: SLEEPER_V4,
      });
    }
    assert.equal(proxy.nextTimer(), T0 + 7200_000, 'only the lease end is left');
  });

  test('takeover event and blackhole at the first announcement', () => {
    const proxy = registered();
    const stamped = runUntil(proxy, T0 + 4000);
    const blackholes = stamped.filter((s) => s.action.type === 'blackhole');
    assert.deepEqual(
      blackholes.map((s) => [s.at - T0, s.action]),
      [
        [4000, { type: 'blackhole', address: SLEEPER_V4, add: true }],
        [4000, { type: 'blackhole', address: SLEEPER_V6, add: true }],
      ],
    );
    const events = proxy.drainEvents();
    assert.deepEqual(
      events.map((e) => (e.type === 'takeover' ? e.address : e.type)),
      [SLEEPER_V4, SLEEPER_V6],
    );
    assert.equal(events[1].type === 'takeover' && events[1].sleeper.state, 'proxied');
  });

  test('answers requests only from the first announcement on, never gratuitous ones', () => {
    const proxy = registered();
    const ask = () => {
      proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4), T0);
      return framesOf(proxy.drainActions());
    };
    runUntil(proxy, T0 + 3500);
    assert.deepEqual(ask(), [], 'probe phase: silent');
    runUntil(proxy, T0 + 4000);
    proxy.drainActions();
    const [reply] = ask();
    assert.ok(reply?.kind === 'arp');
    assert.equal(reply.eth.dst, PEER_MAC);
    assert.equal(reply.eth.src, PROXY_MAC);
    assert.deepEqual(reply.arp, {
      op: ARP_OP.REPLY,
      senderMac: PROXY_MAC,
      senderIp: SLEEPER_V4,
      targetMac: PEER_MAC,
      targetIp: PEER_V4,
    });
    // A gratuitous request for another address, and requests for addresses we do not hold: silence.
    proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, PEER_V4), T0 + 5000);
    proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, '10.77.0.99'), T0 + 5000);
    assert.deepEqual(
      framesOf(proxy.drainActions()).filter((f) => f.kind === 'arp' && f.arp.op === ARP_OP.REPLY),
      [],
    );
    // Someone else's RFC 5227 probe for the address is answered (defended).
    proxy.handleFrame(arpRequest(PEER_MAC, ZERO_IPV4, SLEEPER_V4), T0 + 5000);
    assert.equal(framesOf(proxy.drainActions()).length, 1);
  });

  test('owner ARP during probing restarts probing from +1 s', () => {
    const proxy = registered(NO_HEURISTIC);
    runUntil(proxy, T0 + 2000);
    // The owner answers our probe: still awake.
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4, ARP_OP.REPLY), T0 + 2500);
    const frames = arpTimeline(proxy, T0 + 60_000);
    assert.deepEqual(
      frames.map((f) => f.at),
      [3500, 4500, 5500, 6500, 7500, 9500, 13500],
    );
    assert.equal(proxy.drainEvents().filter((e) => e.type === 'wake').length, 0);
  });

  test('owner ARP after the first announcement: stop answering, probe again after 10 s', () => {
    const proxy = registered(NO_HEURISTIC);
    runUntil(proxy, T0 + 5000);
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4), T0 + 5500);
    proxy.drainActions();
    proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4), T0 + 6000);
    assert.deepEqual(proxy.drainActions(), [], 'not answering meanwhile');
    const frames = arpTimeline(proxy, T0 + 60_000);
    assert.deepEqual(
      frames.map((f) => f.at),
      [15500, 16500, 17500, 18500, 19500, 21500, 25500],
    );
    assert.equal(frames[0].arp.senderIp, ZERO_IPV4);
  });

  test('at most 20 restarts', () => {
    const proxy = registered(NO_HEURISTIC);
    for (let i = 0; i < 25; i++) proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4), T0 + i);
    const frames = arpTimeline(proxy, T0 + 60_000);
    assert.equal(frames[0].at, 19 + 1000, 'the 20th restart (at +19 ms) was the last');
  });

  test('a foreign claim of the address wakes the owner', () => {
    const proxy = registered();
    runUntil(proxy, T0 + 5000);
    proxy.drainEvents();
    proxy.handleFrame(arpRequest(OTHER_MAC, SLEEPER_V4, SLEEPER_V4), T0 + 6000);
    const [wake] = proxy.drainEvents();
    assert.ok(wake.type === 'wake');
    assert.deepEqual(wake.reason, { kind: 'conflict', address: SLEEPER_V4, mac: OTHER_MAC });
    assert.equal(wake.sleeper.state, 'waking');
    // Waking: requests are no longer answered.
    proxy.drainActions();
    proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4), T0 + 6100);
    assert.deepEqual(framesOf(proxy.drainActions()), []);
  });

  test('frames from our own MAC are ignored', () => {
    const proxy = registered();
    runUntil(proxy, T0 + 5000);
    proxy.drainEvents();
    proxy.handleFrame(arpRequest(PROXY_MAC, SLEEPER_V4, SLEEPER_V4), T0 + 6000);
    proxy.handleFrame(arpRequest(PROXY_MAC, '10.77.0.20', SLEEPER_V4), T0 + 6000);
    assert.deepEqual(proxy.drainActions(), []);
    assert.deepEqual(proxy.drainEvents(), []);
  });

  test('a shared reverse PTR (SPC) skips probing: announcements at +1, +3, +7, +15 s', () => {
    const proxy = makeProxy();
    proxy.handleRegistration(registration({ records: sleeperRecords(false) }), FROM, T0);
    const frames = arpTimeline(proxy, T0 + 60_000);
    assert.deepEqual(
      frames.map((f) => f.at),
      [1000, 3000, 7000, 15000],
    );
    assert.ok(frames.every((f) => f.arp.senderIp === SLEEPER_V4));
  });
});

describe('takeover: IPv6 (NDP)', () => {
  test('joins the solicited-node group, probes with NS from ::, announces with unsolicited NA', () => {
    const proxy = makeProxy();
    proxy.handleRegistration(registration(), FROM, T0);
    const joins = proxy.drainActions().filter((a) => a.type === 'join-multicast');
    assert.deepEqual(joins, [{ type: 'join-multicast', mac: solicitedNodeMac(SLEEPER_V6) }]);
    const frames = ndpTimeline(proxy, T0 + 60_000);
    assert.deepEqual(
      frames.map((f) => f.at),
      UNIQUE_TIMELINE,
    );
    for (const probe of frames.slice(0, 3)) {
      assert.equal(probe.eth.dst, solicitedNodeMac(SLEEPER_V6));
      assert.equal(probe.ip.src, '::');
      assert.equal(probe.ip.dst, solicitedNodeAddress(SLEEPER_V6));
      assert.equal(probe.ip.hopLimit, 255);
      assert.deepEqual(probe.ndp, {
        type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION,
        target: SLEEPER_V6,
        otherOptions: [],
      });
    }
    for (const a of frames.slice(3)) {
      assert.equal(a.eth.dst, '33:33:00:00:00:01');
      assert.equal(a.ip.src, SLEEPER_V6);
      assert.ok(a.ndp.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT && a.ndp.override && !a.ndp.solicited);
      assert.equal(a.ndp.targetLinkLayer, PROXY_MAC);
    }
  });

  test('answers NS after the first announcement: solicited NA unicast; DAD probes defended to all nodes', () => {
    const proxy = registered();
    proxy.handleFrame(neighborSolicitation(PEER_MAC, PEER_V6, SLEEPER_V6), T0 + 500);
    assert.deepEqual(proxy.drainActions(), []);
    runUntil(proxy, T0 + 4000);
    proxy.drainActions();
    proxy.handleFrame(neighborSolicitation(PEER_MAC, PEER_V6, SLEEPER_V6), T0 + 4500);
    const [na] = framesOf(proxy.drainActions());
    assert.ok(na?.kind === 'icmpv6' && na.ndp?.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT);
    assert.equal(na.eth.dst, PEER_MAC);
    assert.equal(na.ip.dst, PEER_V6);
    assert.ok(na.ndp.solicited && na.ndp.override);
    assert.equal(na.ndp.targetLinkLayer, PROXY_MAC);
    proxy.handleFrame(neighborSolicitation(PEER_MAC, '::', SLEEPER_V6), T0 + 4600);
    const [dad] = framesOf(proxy.drainActions());
    assert.ok(dad?.kind === 'icmpv6' && dad.ndp?.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT);
    assert.equal(dad.ip.dst, 'ff02::1');
    assert.ok(!dad.ndp.solicited);
  });

  test('owner NS restarts probing; a foreign NA for the address wakes the owner', () => {
    const proxy = registered(NO_HEURISTIC);
    runUntil(proxy, T0 + 1500);
    proxy.handleFrame(neighborSolicitation(SLEEPER_MAC, '::', SLEEPER_V6), T0 + 1600);
    const frames = ndpTimeline(proxy, T0 + 4000);
    assert.deepEqual(
      frames.map((f) => f.at),
      [2600, 3600],
    );
    proxy.drainEvents();
    proxy.handleFrame(neighborAdvertisement(OTHER_MAC, SLEEPER_V6), T0 + 20_000);
    const [wake] = proxy.drainEvents();
    assert.ok(wake?.type === 'wake');
    assert.deepEqual(wake.reason, { kind: 'conflict', address: SLEEPER_V6, mac: OTHER_MAC });
  });
});
