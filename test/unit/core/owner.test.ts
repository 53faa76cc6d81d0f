import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DnsClass, dnsFlags, encodeDnsMessage } from '../../../src/wire/dns';
import { DnsType } from '../../../src/wire/dns-rdata';
import { encodeOwnerAnnouncement } from '../../../src/wire/sps-owner';
import { captureDatagrams } from '../../support/sps-fixtures';
import {
  arpRequest,
  framesOf,
  owner,
  PEER_V4,
  proxying,
  registered,
  SLEEPER_MAC,
  SLEEPER_V4,
  SLEEPER_V6,
  T0,
} from './harness';

const MDNS_FROM = { address: '10.77.0.40', port: 5353 };
const announcement = (seq: number): Buffer => encodeOwnerAnnouncement({ owner: owner({ seq }) });

describe('Owner option (§4.5)', () => {
  test('a seq change drops the sleeper silently (no goodbyes, no wake)', () => {
    const proxy = proxying({}, { seq: 4 });
    proxy.handleMdns(announcement(5), MDNS_FROM, T0 + 5000);
    const actions = proxy.drainActions();
    assert.deepEqual(
      actions.filter((a) => a.type === 'withdraw'),
      [{ type: 'withdraw', sleeper: SLEEPER_MAC, goodbye: false }],
    );
    assert.equal(framesOf(actions).filter((f) => f.kind === 'wol').length, 0);
    const events = proxy.drainEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['woke'],
    );
    assert.ok(events[0].type === 'woke' && events[0].via === 'owner-option');
    assert.deepEqual(proxy.list(T0), []);
  });

  test('the same seq within 60 s keeps the records; after 60 s it drops them', () => {
    const proxy = registered({}, { seq: 4 });
    proxy.handleMdns(announcement(4), MDNS_FROM, T0 + 59_000);
    assert.equal(proxy.list(T0).length, 1);
    proxy.handleMdns(announcement(4), MDNS_FROM, T0 + 61_000);
    assert.equal(proxy.list(T0).length, 0);
  });

  test("someone else's Owner option changes nothing", () => {
    const proxy = registered();
    proxy.handleMdns(
      encodeOwnerAnnouncement({ owner: owner({ hostMac: '02:00:00:00:00:42', seq: 9 }) }),
      MDNS_FROM,
      T0 + 1000,
    );
    assert.equal(proxy.list(T0).length, 1);
  });

  test("the real client's wake traffic (fixture, Owner seq 1) clears a seq-0 registration", () => {
    const proxy = registered({ policy: { wokeHeuristic: false } });
    const mdns = captureDatagrams('mdnsresponder-wake.pcap').filter((d) => d.dstPort === 5353);
    proxy.handleMdns(mdns[0].payload, { address: mdns[0].src, port: 5353 }, T0 + 1000);
    assert.deepEqual(
      proxy.drainEvents().map((e) => e.type),
      ['woke'],
    );
  });
});

describe('woke heuristic (clients without Owner options)', () => {
  test('ARP from the owner after the grace period means woke; within it, probing restarts', () => {
    const proxy = registered({ policy: { wokeGraceMs: 5000 } });
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4), T0 + 4000);
    assert.equal(proxy.list(T0).length, 1);
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4), T0 + 5000);
    const events = proxy.drainEvents();
    assert.deepEqual(
      events.map((e) => e.type),
      ['woke'],
    );
    assert.deepEqual(proxy.list(T0), []);
  });

  test('mDNS from a proxied address means woke (IPv6 with a scope id too)', () => {
    for (const address of [SLEEPER_V4, `${SLEEPER_V6}%eth0`]) {
      const proxy = proxying();
      const query = encodeDnsMessage({
        id: 0,
        flags: 0,
        questions: [{ name: '_ssh._tcp.local', type: DnsType.PTR, class: DnsClass.IN }],
        answers: [],
        authorities: [],
        additionals: [],
      });
      proxy.handleMdns(query, { address, port: 5353 }, T0 + 10_000);
      const [woke] = proxy.drainEvents();
      assert.ok(woke?.type === 'woke' && woke.via === 'mdns', address);
    }
  });

  test('heuristic off: owner traffic after the grace period only restarts probing', () => {
    const proxy = proxying({ policy: { wokeHeuristic: false } });
    proxy.handleFrame(arpRequest(SLEEPER_MAC, SLEEPER_V4, PEER_V4), T0 + 10_000);
    assert.equal(proxy.list(T0).length, 1);
    assert.deepEqual(proxy.drainEvents(), []);
  });
});

describe('mDNS name conflicts (§4.2)', () => {
  const srvAnswer = (port: number): Buffer =>
    encodeDnsMessage({
      id: 0,
      flags: dnsFlags({ qr: true, aa: true }),
      questions: [],
      answers: [
        {
          name: 'Sleeper SSH._ssh._tcp.local',
          type: DnsType.SRV,
          class: DnsClass.IN,
          cacheFlush: true,
          ttl: 120,
          data: { kind: 'srv', priority: 0, weight: 0, port, target: 'other.local' },
        },
      ],
      authorities: [],
      additionals: [],
    });

  test('a persistent foreign claim on a unique record wakes the owner', () => {
    const proxy = proxying({ policy: { wokeHeuristic: false } });
    proxy.handleMdns(srvAnswer(2222), MDNS_FROM, T0 + 10_000);
    assert.deepEqual(proxy.drainEvents(), []);
    proxy.handleMdns(srvAnswer(2222), MDNS_FROM, T0 + 11_000);
    const [wake] = proxy.drainEvents();
    assert.ok(wake?.type === 'wake');
    assert.deepEqual(wake.reason, { kind: 'name-conflict', name: 'Sleeper SSH._ssh._tcp.local' });
    // One extra immediate packet: the first round already has the broadcast copy.
    const magic = framesOf(proxy.drainActions()).filter((f) => f.kind === 'wol');
    assert.equal(magic.length, 2);
  });

  test('identical records (our own answers echoed) and far-apart conflicts do not wake', () => {
    const proxy = proxying({ policy: { wokeHeuristic: false } });
    const ours = encodeDnsMessage({
      id: 0,
      flags: dnsFlags({ qr: true, aa: true }),
      questions: [],
      answers: [
        {
          name: 'sleeper SSH._SSH._tcp.local',
          type: DnsType.SRV,
          class: DnsClass.IN,
          cacheFlush: true,
          ttl: 120,
          data: { kind: 'srv', priority: 0, weight: 0, port: 22, target: 'sleeper.local' },
        },
      ],
      authorities: [],
      additionals: [],
    });
    proxy.handleMdns(ours, MDNS_FROM, T0 + 10_000);
    proxy.handleMdns(ours, MDNS_FROM, T0 + 10_500);
    proxy.handleMdns(srvAnswer(2222), MDNS_FROM, T0 + 20_000);
    proxy.handleMdns(srvAnswer(2222), MDNS_FROM, T0 + 40_000);
    assert.deepEqual(proxy.drainEvents(), []);
  });
});
