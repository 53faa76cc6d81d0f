import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeHost,
  type HostDescription,
  manualRegistration,
} from '../../../src/core/manual-registration';
import { sleeperFromSnapshot } from '../../../src/core/restore';
import { DEFAULT_LIMITS } from '../../../src/core/registration';
import { macToBytes } from '../../../src/wire/address';
import { ARP_OP } from '../../../src/wire/arp';
import { DnsType } from '../../../src/wire/dns-rdata';
import { TCP_FLAG } from '../../../src/wire/tcp';
import {
  arpRequest,
  framesOf,
  makeProxy,
  PEER_MAC,
  PEER_V4,
  PROXY_MAC,
  runUntil,
  SLEEPER_MAC,
  SLEEPER_V4,
  SLEEPER_V6,
  stampedFrames,
  syn,
  T0,
  tcpSegment,
} from './harness';

const NO_HEURISTIC = { policy: { wokeHeuristic: false } };

function host(input: Record<string, unknown> = {}): HostDescription {
  const d = describeHost({
    name: 'nas',
    mac: SLEEPER_MAC,
    addresses: [SLEEPER_V4, SLEEPER_V6],
    ports: [22, 445],
    ...input,
  });
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

describe('describeHost: validation of a flow message', () => {
  const cases: [string, unknown, RegExp][] = [
    ['not an object', 'nas', /must be an object/],
    ['bad name', { name: 'my nas', mac: SLEEPER_MAC, addresses: [SLEEPER_V4], ports: [22] }, /name/],
    ['bad mac', { name: 'nas', mac: 'xx', addresses: [SLEEPER_V4], ports: [22] }, /mac/],
    [
      'bad wakeMac',
      { name: 'nas', mac: SLEEPER_MAC, wakeMac: 1, addresses: [SLEEPER_V4], ports: [22] },
      /wakeMac/,
    ],
    ['no addresses', { name: 'nas', mac: SLEEPER_MAC, addresses: [], ports: [22] }, /addresses/],
    ['bad address', { name: 'nas', mac: SLEEPER_MAC, addresses: ['10.0.0'], ports: [22] }, /10\.0\.0/],
    ['bad port', { name: 'nas', mac: SLEEPER_MAC, addresses: [SLEEPER_V4], ports: [0] }, /ports/],
    ['nothing wakes', { name: 'nas', mac: SLEEPER_MAC, addresses: [SLEEPER_V4] }, /ports or services/],
    [
      'bad service type',
      {
        name: 'nas',
        mac: SLEEPER_MAC,
        addresses: [SLEEPER_V4],
        services: [{ name: 'x', type: 'smb', port: 445 }],
      },
      /type/,
    ],
    [
      'bad password',
      { name: 'nas', mac: SLEEPER_MAC, addresses: [SLEEPER_V4], ports: [22], password: 'x' },
      /password/,
    ],
    [
      'bad lease',
      { name: 'nas', mac: SLEEPER_MAC, addresses: [SLEEPER_V4], ports: [22], lease: -1 },
      /lease/,
    ],
  ];
  for (const [what, input, error] of cases) {
    test(what, () => {
      const d = describeHost(input);
      assert.equal(d.ok, false);
      if (!d.ok) assert.match(d.error, error);
    });
  }

  test('normalises: ".local" name, MAC case, duplicate addresses and ports, default lease, wake MAC', () => {
    const d = describeHost({
      name: 'NAS.local',
      mac: SLEEPER_MAC.toUpperCase(),
      addresses: [SLEEPER_V4, SLEEPER_V4, 'FE80::53:50FF:FE00:A%eth0'],
      ports: [22, 22],
      password: '01:02:03:04:05:06',
    });
    assert.ok(d.ok);
    assert.equal(d.value.name, 'NAS');
    assert.equal(d.value.mac, SLEEPER_MAC);
    assert.equal(d.value.wakeMac, SLEEPER_MAC);
    assert.deepEqual(d.value.addresses, [SLEEPER_V4, SLEEPER_V6]);
    assert.deepEqual(d.value.ports, [22]);
    assert.equal(d.value.lease, 7200);
    assert.deepEqual(d.value.password, Buffer.from([1, 2, 3, 4, 5, 6]));
  });
});

describe('manualRegistration: the records a registration would carry', () => {
  test('address and cache-flush reverse records; bare ports are wake-only, not advertised', () => {
    const reg = manualRegistration(host());
    assert.deepEqual(
      reg.proxiedAddresses.map((a) => a.address),
      [SLEEPER_V4, SLEEPER_V6],
    );
    assert.ok(
      reg.records.every((r) => r.type === DnsType.A || r.type === DnsType.AAAA || r.type === DnsType.PTR),
    );
    assert.ok(reg.records.filter((r) => r.type === DnsType.PTR).every((r) => r.cacheFlush));
    assert.equal(reg.records.find((r) => r.type === DnsType.A)?.name, 'nas.local');
    assert.deepEqual(reg.wakePorts, [22, 445]);
  });

  test('named services get PTR, SRV and TXT', () => {
    const reg = manualRegistration(
      host({ ports: [], services: [{ name: 'NAS files', type: '_smb._tcp', port: 445 }] }),
    );
    const srv = reg.records.find((r) => r.type === DnsType.SRV);
    assert.equal(srv?.name, 'NAS files._smb._tcp.local');
    assert.ok(reg.records.some((r) => r.type === DnsType.TXT));
    assert.ok(reg.records.some((r) => r.type === DnsType.PTR && r.name === '_smb._tcp.local'));
    assert.deepEqual(reg.wakePorts, []);
  });
});

describe('SleepProxy.registerHost', () => {
  test('probes first, then takes over like a registration; registered event; persisted', () => {
    const proxy = makeProxy(NO_HEURISTIC);
    const out = proxy.registerHost(host(), T0);
    assert.equal(out.accepted, true);
    assert.equal(out.sleeper?.state, 'probing');
    assert.deepEqual(out.sleeper?.addresses, [SLEEPER_V4, SLEEPER_V6]);
    const actions = proxy.drainActions();
    const persist = actions.find((a) => a.type === 'persist');
    assert.ok(persist?.type === 'persist' && persist.entry.op === 'put');
    if (persist?.type === 'persist' && persist.entry.op === 'put')
      assert.deepEqual(
        sleeperFromSnapshot(persist.entry.sleeper, { ownMac: PROXY_MAC, limits: DEFAULT_LIMITS, now: T0 })
          .sleeper?.wakePorts,
        [22, 445],
      );
    const publish = actions.find((a) => a.type === 'publish');
    assert.ok(publish?.type === 'publish');
    if (publish?.type === 'publish')
      assert.deepEqual(
        publish.records.map((r) => r.type),
        [DnsType.A, DnsType.AAAA],
        'the host name only: bare ports are not advertised',
      );
    const capture = actions.find((a) => a.type === 'capture');
    assert.ok(capture?.type === 'capture');
    if (capture?.type === 'capture') assert.deepEqual(capture.set.tcpPorts, [22, 445]);
    assert.deepEqual(
      proxy.drainEvents().map((e) => e.type),
      ['registered'],
    );
    const arp = stampedFrames(runUntil(proxy, T0 + 4000)).filter((f) => f.frame.kind === 'arp');
    assert.deepEqual(
      arp.map((f) => f.at - T0),
      [1000, 2000, 3000, 4000],
    );
    const first = arp[0].frame;
    assert.ok(first.kind === 'arp');
    assert.equal(first.eth.dst, 'ff:ff:ff:ff:ff:ff', 'probes the address first');
    assert.ok(proxy.drainEvents().some((e) => e.type === 'takeover'));
  });

  test('a host that still answers the probe is not taken over', () => {
    const proxy = makeProxy(NO_HEURISTIC);
    proxy.registerHost(host({ addresses: [SLEEPER_V4] }), T0);
    proxy.drainActions();
    runUntil(proxy, T0 + 1000);
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4, ARP_OP.REPLY), T0 + 1500);
    proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4), T0 + 1600);
    assert.deepEqual(framesOf(proxy.drainActions()), [], 'no ARP reply for it');
    assert.equal(proxy.list()[0].state, 'probing');
  });

  test('a SYN to a wake-only port wakes it; other ports do not', () => {
    const proxy = makeProxy(NO_HEURISTIC);
    proxy.registerHost(host({ wakeMac: '02:53:50:00:00:0b' }), T0);
    runUntil(proxy, T0 + 5000);
    proxy.drainActions();
    proxy.drainEvents();
    proxy.handleFrame(syn(SLEEPER_V4, 80), T0 + 6000);
    assert.equal(proxy.drainEvents().length, 0);
    proxy.handleFrame(tcpSegment(SLEEPER_V4, 445, TCP_FLAG.SYN), T0 + 6500);
    const wake = proxy.drainEvents().find((e) => e.type === 'wake');
    assert.ok(wake?.type === 'wake');
    const magic = framesOf(proxy.drainActions()).find((f) => f.kind === 'wol');
    assert.ok(magic?.kind === 'wol');
    assert.equal(magic.eth.dst, '02:53:50:00:00:0b');
  });

  test('lease ends: wakes the host (like any sleeper)', () => {
    const proxy = makeProxy(NO_HEURISTIC);
    proxy.registerHost(host({ lease: 60 }), T0);
    runUntil(proxy, T0 + 60_000);
    assert.ok(proxy.drainEvents().some((e) => e.type === 'wake' && e.reason.kind === 'lease-end'));
  });

  test('again: renews the lease; our own MAC is refused; restored from the journal', () => {
    const proxy = makeProxy(NO_HEURISTIC);
    proxy.registerHost(host({ lease: 60 }), T0);
    proxy.drainEvents();
    const again = proxy.registerHost(host({ lease: 120 }), T0 + 30_000);
    assert.equal(again.sleeper?.leaseEnd, T0 + 30_000 + 120_000);
    assert.deepEqual(
      proxy.drainEvents().map((e) => e.type),
      ['renewed'],
    );
    assert.deepEqual(proxy.registerHost(host({ mac: PROXY_MAC }), T0), {
      accepted: false,
      reason: 'own-mac',
    });
    const copy = makeProxy(NO_HEURISTIC);
    copy.restore(proxy.snapshot(), T0 + 31_000);
    copy.drainActions();
    runUntil(copy, T0 + 40_000);
    copy.handleFrame(syn(SLEEPER_V4, 22), T0 + 40_500);
    assert.ok(copy.drainEvents().some((e) => e.type === 'wake'));
  });
});

describe('watched hosts', () => {
  const POLICY = { probeIntervalMs: 1000, silenceMs: 3000 };
  const watched = (options = NO_HEURISTIC) => {
    const proxy = makeProxy(options);
    proxy.watch([host({ addresses: [SLEEPER_V4] })], POLICY, T0);
    proxy.drainActions();
    return proxy;
  };

  test('probes gently (an ARP probe to its MAC every interval) and captures its frames', () => {
    const proxy = makeProxy();
    proxy.watch([host({ addresses: [SLEEPER_V4, SLEEPER_V6] })], POLICY, T0);
    const capture = proxy.drainActions().find((a) => a.type === 'capture');
    assert.ok(capture?.type === 'capture');
    if (capture?.type === 'capture') assert.deepEqual(capture.set.macs, [SLEEPER_MAC]);
    const probes = stampedFrames(runUntil(proxy, T0 + 2500));
    assert.deepEqual(
      probes.map((p) => [p.at - T0, p.frame.kind, p.frame.eth.dst]),
      [
        [0, 'arp', SLEEPER_MAC],
        [0, 'icmpv6', SLEEPER_MAC],
        [1000, 'arp', SLEEPER_MAC],
        [1000, 'icmpv6', SLEEPER_MAC],
        [2000, 'arp', SLEEPER_MAC],
        [2000, 'icmpv6', SLEEPER_MAC],
      ],
    );
    const arp = probes[0].frame;
    assert.ok(arp.kind === 'arp');
    assert.equal(arp.arp.senderIp, '0.0.0.0', 'an RFC 5227 probe: no cache learns from it');
  });

  test('a host that keeps answering is never taken over', () => {
    const proxy = watched();
    for (let t = T0; t <= T0 + 20_000; t += 1000) {
      runUntil(proxy, t);
      proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, '0.0.0.0', ARP_OP.REPLY), t + 10);
    }
    assert.deepEqual(proxy.list(), []);
    assert.deepEqual(proxy.drainEvents(), []);
    proxy.handleFrame(arpRequest(PEER_MAC, PEER_V4, SLEEPER_V4), T0 + 20_500);
    assert.deepEqual(framesOf(proxy.drainActions()), [], 'no ARP reply for it');
  });

  test('silent for the configured time: asleep, registered, probed, taken over; SYN wakes it', () => {
    const proxy = watched();
    runUntil(proxy, T0 + 3000);
    assert.deepEqual(
      proxy.drainEvents().map((e) => e.type),
      ['asleep', 'registered'],
    );
    runUntil(proxy, T0 + 7000);
    const takeover = proxy.drainEvents().find((e) => e.type === 'takeover');
    assert.ok(takeover?.type === 'takeover');
    assert.equal(takeover.address, SLEEPER_V4);
    proxy.handleFrame(syn(SLEEPER_V4, 445), T0 + 8000);
    assert.ok(framesOf(proxy.drainActions()).some((f) => f.kind === 'wol'));
  });

  test('held: the lease is renewed, not a reason to wake it', () => {
    const proxy = makeProxy(NO_HEURISTIC);
    proxy.watch([host({ addresses: [SLEEPER_V4], lease: 60 })], POLICY, T0);
    runUntil(proxy, T0 + 3000 + 60_000);
    const types = proxy.drainEvents().map((e) => e.type);
    assert.ok(types.includes('renewed'));
    assert.ok(!types.includes('wake'));
  });

  test('it speaks again: addresses handed back (woke), then watched again', () => {
    const proxy = watched({ policy: { wokeHeuristic: true } });
    runUntil(proxy, T0 + 10_000);
    proxy.drainActions();
    proxy.drainEvents();
    // The host connects somewhere: a frame from its MAC.
    const fromHost = tcpSegment(PEER_V4, 80, TCP_FLAG.SYN, undefined, SLEEPER_V4);
    macToBytes(SLEEPER_MAC)!.copy(fromHost, 6);
    proxy.handleFrame(fromHost, T0 + 10_500);
    const woke = proxy.drainEvents().find((e) => e.type === 'woke');
    assert.ok(woke?.type === 'woke');
    assert.equal(woke.via, 'traffic');
    const handBack = framesOf(proxy.drainActions()).find((f) => f.kind === 'arp');
    assert.ok(handBack?.kind === 'arp');
    assert.equal(handBack.arp.senderMac, SLEEPER_MAC);
    assert.deepEqual(proxy.list(), []);
    // Silent again: taken over again.
    runUntil(proxy, T0 + 14_000);
    assert.ok(proxy.drainEvents().some((e) => e.type === 'asleep'));
  });

  test('a watched host restored from the journal is held (asleep), not registered twice', () => {
    const proxy = watched();
    runUntil(proxy, T0 + 10_000);
    const copy = makeProxy(NO_HEURISTIC);
    copy.restore(proxy.snapshot(), T0 + 11_000);
    copy.watch([host({ addresses: [SLEEPER_V4] })], POLICY, T0 + 11_000);
    copy.drainEvents();
    runUntil(copy, T0 + 30_000);
    assert.ok(!copy.drainEvents().some((e) => e.type === 'asleep'));
    assert.equal(copy.list().length, 1);
  });
});
