// The registration policy (issue 10): its pure parts (subnets, token buckets, the gate, the caps,
// the settings text) and each rule through the engine: refused with silence, counted per reason,
// announced by a bounded `refused` event, while the legitimate registration next to it is accepted.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProxyEvent } from '../../../src/core/events';
import { KeyedRateLimiter, TokenBucket } from '../../../src/core/rate-limit';
import { DEFAULT_LIMITS } from '../../../src/core/registration';
import {
  capRefusal,
  DEFAULT_REGISTRATION_POLICY,
  RegistrationGate,
  type RegistrationPolicy,
} from '../../../src/core/registration-policy';
import type { SleepProxy } from '../../../src/core/sleep-proxy';
import { addressBytes, inSubnet, isLinkLocalIpv6, parseSubnet } from '../../../src/core/subnet';
import { policySettings } from '../../../src/service/policy-settings';
import { DnsClass, DnsRcode } from '../../../src/wire/dns';
import { reverseNameFor } from '../../../src/wire/dns-name';
import { DnsType } from '../../../src/wire/dns-rdata';
import { ipv4ToBytes } from '../../../src/wire/address';
import { ARP_OP } from '../../../src/wire/arp';
import { parseRegistrationReply } from '../../../src/wire/sps-registration';
import {
  arpRequest,
  FROM,
  framesOf,
  makeProxy,
  OTHER_MAC,
  PEER_MAC,
  PEER_V4,
  PROXY_MAC,
  registration,
  runUntil,
  SLEEPER_MAC,
  SLEEPER_V6,
  sleeperRecords,
  T0,
} from './harness';

const policy = (p: Partial<RegistrationPolicy> = {}): RegistrationPolicy => ({
  ...DEFAULT_REGISTRATION_POLICY,
  ...p,
});

/** Records of a host `name` at `ipv4`: its reverse PTR (the address to proxy), its A, one service. */
function hostRecords(name: string, ipv4: string) {
  const unique = { class: DnsClass.IN, cacheFlush: true, ttl: 120 } as const;
  return [
    {
      name: reverseNameFor(ipv4ToBytes(ipv4)!),
      type: DnsType.PTR,
      data: { kind: 'name', target: `${name}.local` },
      ...unique,
    },
    { name: `${name}.local`, type: DnsType.A, data: { kind: 'a', address: ipv4 }, ...unique },
    {
      name: `${name} ssh._ssh._tcp.local`,
      type: DnsType.SRV,
      data: { kind: 'srv', priority: 0, weight: 0, port: 22, target: `${name}.local` },
      ...unique,
    },
  ] as const;
}

const refusals = (events: readonly ProxyEvent[]) => events.filter((e) => e.type === 'refused');

/** Refused with silence, counted under `reason`, one `refused` event with it. */
function assertRefused(
  proxy: SleepProxy,
  out: ReturnType<SleepProxy['handleRegistration']>,
  reason: string,
): void {
  assert.deepEqual(out, { reply: undefined, accepted: false, reason });
  assert.ok((proxy.counters.refusedBy as Record<string, number>)[reason] >= 1);
  const events = refusals(proxy.drainEvents());
  assert.equal(events.length, 1);
  assert.equal(events[0].reason, reason);
}

describe('subnets', () => {
  test('prefix match for IPv4 and IPv6; zones and IPv4-mapped sources count as the address', () => {
    const net = parseSubnet('10.77.0.2/24')!;
    assert.ok(inSubnet(addressBytes('10.77.0.200')!, net));
    assert.ok(inSubnet(addressBytes('::ffff:10.77.0.9')!, net));
    assert.ok(!inSubnet(addressBytes('10.77.1.1')!, net));
    assert.ok(!inSubnet(addressBytes('fd77::1')!, net));
    const odd = parseSubnet('192.168.0.0/23')!;
    assert.ok(inSubnet(addressBytes('192.168.1.255')!, odd));
    assert.ok(!inSubnet(addressBytes('192.168.2.0')!, odd));
    assert.ok(inSubnet(addressBytes('fd77::1:2')!, parseSubnet('fd77::/64')!));
    assert.ok(inSubnet(addressBytes('10.0.0.7')!, parseSubnet('10.0.0.7')!));
    assert.ok(isLinkLocalIpv6(addressBytes('fe80::1%eth0')!));
    assert.ok(isLinkLocalIpv6(addressBytes('febf::1')!));
    assert.ok(!isLinkLocalIpv6(addressBytes('fec0::1')!));
    for (const bad of ['x', '1.2.3.4/33', '::1/129', '1.2.3.4/a', '1.2.3.4/24/1', 'fe80::1%eth0/64'])
      assert.equal(parseSubnet(bad), undefined, bad);
  });
});

describe('token buckets', () => {
  test('a burst, then the refill rate; time going backwards mints nothing; 0 is off', () => {
    const b = new TokenBucket({ burst: 3, perSecond: 2 });
    assert.deepEqual(
      [1, 2, 3, 4].map(() => b.take(0)),
      [true, true, true, false],
    );
    assert.equal(b.take(499), false);
    assert.equal(b.take(500), true);
    assert.equal(b.take(-10_000), false);
    const off = new TokenBucket({ burst: 0, perSecond: 0 });
    assert.ok(Array.from({ length: 1000 }, () => off.take(0)).every(Boolean));
  });

  test('per key: the first refusal of a run is marked; keys beyond the bound are forgotten oldest first', () => {
    const limiter = new KeyedRateLimiter({ burst: 1, perSecond: 1 }, 2);
    assert.equal(limiter.take('a', 0), 'admitted');
    assert.equal(limiter.take('a', 0), 'refused-first');
    assert.equal(limiter.take('a', 10), 'refused');
    assert.equal(limiter.take('a', 1000), 'admitted');
    assert.equal(limiter.take('a', 1000), 'refused-first');
    limiter.take('b', 1000);
    limiter.take('c', 1000); // forgets 'a'
    assert.equal(limiter.size, 2);
    assert.equal(limiter.take('a', 1000), 'admitted');
  });
});

describe('registration gate', () => {
  const SUBNETS = ['10.77.0.2/24'];

  test('on-link: own subnets and IPv6 link-local only; off by policy', () => {
    const gate = new RegistrationGate(policy(), SUBNETS);
    assert.equal(gate.datagram('10.77.0.10', 100, 9000, 0), undefined);
    assert.equal(gate.datagram('fe80::1', 100, 9000, 0), undefined);
    assert.deepEqual(gate.datagram('10.78.0.10', 100, 9000, 0), { refusal: 'off-subnet' });
    assert.deepEqual(gate.datagram('fd00::1', 100, 9000, 0), { refusal: 'off-subnet' });
    const open = new RegistrationGate(policy({ onLinkOnly: false }), SUBNETS);
    assert.equal(open.datagram('10.78.0.10', 100, 9000, 0), undefined);
  });

  test('size before anything is parsed', () => {
    const gate = new RegistrationGate(policy(), SUBNETS);
    assert.deepEqual(gate.datagram('10.77.0.10', 9001, 9000, 0), { refusal: 'too-large' });
  });

  test('the source among the proxied or held addresses, in any spelling', () => {
    const gate = new RegistrationGate(policy(), SUBNETS);
    assert.equal(gate.sender('10.77.0.10', SLEEPER_MAC, ['10.77.0.10'], []), undefined);
    assert.equal(gate.sender('FE80:0::53:50ff:fe00:a', SLEEPER_MAC, [SLEEPER_V6], []), undefined);
    assert.equal(gate.sender('10.77.0.10', SLEEPER_MAC, [], ['10.77.0.10']), undefined);
    assert.deepEqual(gate.sender('10.77.0.20', SLEEPER_MAC, ['10.77.0.10'], []), {
      refusal: 'source-not-proxied',
    });
    const open = new RegistrationGate(policy({ sourceMustBeProxied: false }), SUBNETS);
    assert.equal(open.sender('10.77.0.20', SLEEPER_MAC, ['10.77.0.10'], []), undefined);
  });

  test('allow-lists: a listed subnet or a listed host MAC admits; empty lists admit everyone', () => {
    const gate = new RegistrationGate(
      policy({ allowSubnets: ['10.77.0.128/25'], allowMacs: ['02-53-50-00-00-0A'] }),
      SUBNETS,
    );
    assert.equal(gate.sender('10.77.0.200', PEER_MAC, ['10.77.0.200'], []), undefined);
    assert.equal(gate.sender('10.77.0.10', SLEEPER_MAC, ['10.77.0.10'], []), undefined);
    assert.deepEqual(gate.sender('10.77.0.30', PEER_MAC, ['10.77.0.30'], []), { refusal: 'not-allowed' });
  });

  test('caps', () => {
    const base = {
      newHost: false,
      hosts: 1,
      hostRecords: 10,
      totalRecords: 10,
      newAddresses: 1,
      totalAddresses: 1,
    };
    assert.equal(capRefusal(base, DEFAULT_LIMITS), undefined);
    assert.equal(
      capRefusal({ ...base, hostRecords: 1001, totalRecords: 1001 }, DEFAULT_LIMITS),
      'host-records-cap',
    );
    assert.equal(capRefusal({ ...base, newHost: true, hosts: 250 }, DEFAULT_LIMITS), 'hosts-cap');
    assert.equal(capRefusal({ ...base, hosts: 250 }, DEFAULT_LIMITS), undefined, 'a known host re-registers');
    assert.equal(capRefusal({ ...base, totalRecords: 10_001 }, DEFAULT_LIMITS), 'records-cap');
    assert.equal(capRefusal({ ...base, totalAddresses: 250 }, DEFAULT_LIMITS), 'addresses-cap');
  });
});

describe('registration policy in the engine', () => {
  test('an off-subnet source: silence, counter, event; the legitimate registration next to it is accepted', () => {
    const proxy = makeProxy();
    const out = proxy.handleRegistration(registration(), { address: '192.168.9.9', port: 5353 }, T0);
    assert.deepEqual(out, { reply: undefined, accepted: false, reason: 'off-subnet' });
    assert.deepEqual(refusals(proxy.drainEvents()), [
      { type: 'refused', reason: 'off-subnet', source: '192.168.9.9' },
    ]);
    assert.equal(proxy.counters.refusedBy['off-subnet'], 1);
    assert.equal(proxy.counters.refused, 1);
    assert.equal(proxy.handleRegistration(registration(), FROM, T0).accepted, true);
    assert.deepEqual(
      proxy.list(T0).map((s) => s.hostMac),
      [SLEEPER_MAC],
    );
  });

  test("someone else's address from a waker: source-not-proxied, with what it asked for", () => {
    const proxy = makeProxy();
    const hijack = registration({ hostMac: PEER_MAC, records: sleeperRecords() });
    const out = proxy.handleRegistration(hijack, { address: PEER_V4, port: 5353 }, T0);
    assert.deepEqual(out, { reply: undefined, accepted: false, reason: 'source-not-proxied' });
    assert.deepEqual(refusals(proxy.drainEvents()), [
      {
        type: 'refused',
        reason: 'source-not-proxied',
        source: PEER_V4,
        hostMac: PEER_MAC,
        addresses: ['10.77.0.10', SLEEPER_V6],
      },
    ]);
    assert.deepEqual(proxy.list(T0), []);
    assert.deepEqual(framesOf(proxy.drainActions()), []);
  });

  test('Apple over IPv6 link-local: accepted, its link-local address being among the proxied ones', () => {
    const proxy = makeProxy();
    assert.ok(proxy.handleRegistration(registration(), { address: SLEEPER_V6, port: 5353 }, T0).accepted);
    const other = makeProxy();
    assertRefused(
      other,
      other.handleRegistration(registration(), { address: 'fe80::99', port: 5353 }, T0),
      'source-not-proxied',
    );
  });

  test('the allow-list: not-allowed unless the subnet or the host MAC is listed', () => {
    const proxy = makeProxy({ policy: { allowSubnets: ['10.77.0.128/25'] } });
    assertRefused(proxy, proxy.handleRegistration(registration(), FROM, T0), 'not-allowed');
    const byMac = makeProxy({ policy: { allowSubnets: ['10.77.0.128/25'], allowMacs: [SLEEPER_MAC] } });
    assert.ok(byMac.handleRegistration(registration(), FROM, T0).accepted);
  });

  test("rate limit per source: a Mac's split registration and its retransmissions pass, a flood does not", () => {
    const proxy = makeProxy();
    // 4 fragments (one message ID), each sent 3 times, 1 s apart: 12 datagrams in 2 s.
    const fragments = [
      sleeperRecords().slice(0, 3),
      sleeperRecords().slice(3, 5),
      sleeperRecords().slice(5, 7),
      sleeperRecords().slice(7),
    ];
    for (let round = 0; round < 3; round++)
      for (const records of fragments)
        assert.ok(proxy.handleRegistration(registration({ records }), FROM, T0 + round * 1000).accepted);
    const flood = Array.from({ length: 100 }, () =>
      proxy.handleRegistration(registration(), FROM, T0 + 2500),
    );
    const limited = flood.filter((o) => o.reason === 'rate-limited');
    assert.ok(limited.length > 70, `${limited.length} limited`);
    assert.ok(limited.every((o) => o.reply === undefined));
    assert.equal(proxy.counters.refusedBy['rate-limited'], limited.length);
    // One event for the run of refusals, not one per datagram.
    assert.equal(refusals(proxy.drainEvents()).length, 1);
    // Another source is not held back by it; the limited one recovers with time.
    const other = registration({ hostMac: PEER_MAC, records: hostRecords('peer', PEER_V4) });
    assert.ok(proxy.handleRegistration(other, { address: PEER_V4, port: 5353 }, T0 + 2500).accepted);
    assert.ok(proxy.handleRegistration(registration(), FROM, T0 + 4000).accepted);
  });

  test('too large, hosts, records per host: refused with silence', () => {
    const small = makeProxy({ limits: { maxDatagramBytes: 100 } });
    assertRefused(small, small.handleRegistration(registration(), FROM, T0), 'too-large');
    const one = makeProxy({ limits: { maxHosts: 1 } });
    assert.ok(one.handleRegistration(registration(), FROM, T0).accepted);
    const peer = registration({ hostMac: PEER_MAC, records: hostRecords('peer', PEER_V4) });
    assertRefused(one, one.handleRegistration(peer, { address: PEER_V4, port: 5353 }, T0), 'hosts-cap');
    assert.ok(
      one.handleRegistration(registration({ id: 2 }), FROM, T0 + 1000).accepted,
      'the held host renews',
    );
    const few = makeProxy({ limits: { maxRecordsPerHost: 3 } });
    assertRefused(few, few.handleRegistration(registration(), FROM, T0), 'host-records-cap');
  });

  test('a flow-registered host (sleep command) skips the source rules but not the caps or a held address', () => {
    const proxy = makeProxy({ limits: { maxHosts: 2 } });
    assert.ok(proxy.handleRegistration(registration(), FROM, T0).accepted);
    const host = { name: 'nas', mac: PEER_MAC, wakeMac: PEER_MAC, ports: [22], services: [], lease: 7200 };
    assert.deepEqual(proxy.registerHost({ ...host, addresses: ['10.77.0.10'] }, T0), {
      accepted: false,
      reason: 'address-held',
    });
    assert.ok(proxy.registerHost({ ...host, addresses: ['192.168.5.5'] }, T0).accepted, 'any address');
    const third = { ...host, mac: OTHER_MAC, wakeMac: OTHER_MAC, addresses: ['10.77.0.77'] };
    assert.equal(proxy.registerHost(third, T0).reason, 'hosts-cap');
    assert.equal(proxy.counters.refused, 2);
    assert.deepEqual(
      [proxy.counters.refusedBy['address-held'], proxy.counters.refusedBy['hosts-cap']],
      [1, 1],
    );
    assert.deepEqual(refusals(proxy.drainEvents()), [], 'the flow gets its error, not an event');
  });

  test("policy 'refused' answers Refused to a parsed registration, never to a rate-limited datagram", () => {
    const proxy = makeProxy({ policy: { refusedReply: 'refused', rateLimit: { burst: 1, perSecond: 1 } } });
    const out = proxy.handleRegistration(registration(), { address: PEER_V4, port: 5353 }, T0);
    const reply = parseRegistrationReply(out.reply as Buffer);
    assert.ok(reply.ok && reply.value.rcode === DnsRcode.REFUSED);
    assert.deepEqual(proxy.handleRegistration(registration(), { address: PEER_V4, port: 5353 }, T0), {
      reply: undefined,
      accepted: false,
      reason: 'rate-limited',
    });
  });

  test('refused events are bounded over all sources; the counter counts every refusal', () => {
    const proxy = makeProxy();
    for (let i = 0; i < 500; i++)
      proxy.handleRegistration(
        registration(),
        { address: `192.168.${i >> 8}.${i & 255}`, port: 5353 },
        T0 + i,
      );
    assert.equal(proxy.counters.refusedBy['off-subnet'], 500);
    const events = refusals(proxy.drainEvents()).length;
    assert.ok(events >= 20 && events <= 21, `${events} events`);
  });

  test('a live address of another host: the probe draws its answer, a conflict, no takeover and no ARP reply for it', () => {
    const proxy = makeProxy();
    // The hijacker lists its own address (so the source rule passes) and the victim's.
    const VICTIM = '10.77.0.40';
    const records = [...hostRecords('peer', PEER_V4), hostRecords('peer', VICTIM)[0]];
    const out = proxy.handleRegistration(
      registration({ hostMac: PEER_MAC, records }),
      { address: PEER_V4, port: 5353 },
      T0,
    );
    assert.ok(out.accepted);
    proxy.drainEvents();
    // The first probe goes to every host: the victim (OTHER_MAC) answers it as Linux does.
    const probes = framesOf(runUntil(proxy, T0 + 1000).map((s) => s.action));
    assert.ok(
      probes.some((f) => f.kind === 'arp' && f.eth.dst === 'ff:ff:ff:ff:ff:ff' && f.arp.targetIp === VICTIM),
    );
    proxy.handleFrame(arpRequest(OTHER_MAC, VICTIM, '0.0.0.0', ARP_OP.REPLY), T0 + 1100);
    const [wake] = proxy.drainEvents();
    assert.deepEqual(wake.type === 'wake' && wake.reason, {
      kind: 'conflict',
      address: VICTIM,
      mac: OTHER_MAC,
    });
    // Nothing of ours ever claims or answers for the victim's address.
    proxy.handleFrame(arpRequest(PEER_MAC, '10.77.0.50', VICTIM), T0 + 5000);
    const later = [...runUntil(proxy, T0 + 120_000).map((s) => s.action), ...proxy.drainActions()];
    const claims = framesOf(later).filter(
      (f) => f.kind === 'arp' && f.arp.senderMac === PROXY_MAC && f.arp.senderIp === VICTIM,
    );
    assert.deepEqual(claims, []);
    assert.ok(!proxy.drainEvents().some((e) => e.type === 'takeover'));
  });
});

describe('policy settings text', () => {
  test('defaults when empty; values in range; the rest reported', () => {
    assert.deepEqual(policySettings({}), { limits: {}, policy: {}, invalid: [] });
    const s = policySettings({
      onLinkOnly: false,
      sourceMustBeProxied: false,
      rateLimit: '10/0.5',
      maxHosts: '5',
      maxRecords: '100',
      maxRecordsPerHost: '50',
      maxDatagramBytes: '1500',
      maxLeaseSeconds: '3600',
    });
    assert.deepEqual(s.limits, {
      maxHosts: 5,
      maxRecords: 100,
      maxRecordsPerHost: 50,
      maxDatagramBytes: 1500,
      maxLeaseSeconds: 3600,
    });
    assert.deepEqual(s.policy, {
      onLinkOnly: false,
      sourceMustBeProxied: false,
      rateLimit: { burst: 10, perSecond: 0.5 },
    });
    assert.deepEqual(policySettings({ rateLimit: '0' }).policy, { rateLimit: { burst: 0, perSecond: 0 } });
    const bad = policySettings({ rateLimit: 'fast', maxHosts: '0', maxLeaseSeconds: '10' });
    assert.deepEqual(bad.limits, {});
    assert.deepEqual(bad.policy, {});
    assert.equal(bad.invalid.length, 3);
  });
});
