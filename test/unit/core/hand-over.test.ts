// SleepProxy.handOver: the proxy switched off wakes everyone it holds (sps-protocol.md §5.1, last row).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ARP_OP } from '../../../src/wire/arp';
import { DnsClass } from '../../../src/wire/dns';
import { DnsType } from '../../../src/wire/dns-rdata';
import { ICMPV6_TYPE } from '../../../src/wire/icmpv6';
import { parseMagicPacket } from '../../../src/wire/wol';
import {
  framesOf,
  PROXY_MAC,
  proxying,
  registration,
  SLEEPER_MAC,
  SLEEPER_V4,
  SLEEPER_V6,
  syn,
  T0,
} from './harness';

const AT = T0 + 10_000;
const OTHER = '02:53:50:00:00:0b';

describe('handOver (proxy switched off)', () => {
  test('one full wake round per sleeper, a shutdown wake event, addresses handed back, journal emptied', () => {
    const password = Buffer.from('a1b2c3d4e5f6', 'hex');
    const proxy = proxying({}, { password });
    proxy.handOver(AT);
    const actions = proxy.drainActions();
    assert.deepEqual(actions[0], { type: 'withdraw', sleeper: SLEEPER_MAC, goodbye: false });
    const frames = framesOf(actions);
    const magic = frames.filter((f) => f.kind === 'wol');
    assert.deepEqual(
      magic.map((f) => f.eth.dst),
      [SLEEPER_MAC, 'ff:ff:ff:ff:ff:ff'],
    );
    for (const f of magic) {
      assert.ok(f.kind === 'wol');
      assert.equal(f.eth.src, PROXY_MAC);
      assert.equal(f.wol.target, SLEEPER_MAC);
      assert.deepEqual(f.wol.password, password);
    }
    const udp = actions.filter((a) => a.type === 'send-udp');
    assert.equal(udp.length, 1);
    assert.ok(udp[0].type === 'send-udp' && udp[0].port === 9);
    assert.ok(parseMagicPacket(udp[0].payload).ok);
    // Peers' caches go back to the owner: one ARP and one (release) NA, each carrying the owner's MAC.
    const arp = frames.filter((f) => f.kind === 'arp');
    assert.equal(arp.length, 1);
    assert.ok(arp[0].kind === 'arp' && arp[0].arp.op === ARP_OP.REQUEST);
    assert.deepEqual([arp[0].arp.senderMac, arp[0].arp.senderIp], [SLEEPER_MAC, SLEEPER_V4]);
    const na = frames.filter((f) => f.kind === 'icmpv6');
    assert.equal(na.length, 1, 'one release NA, not two');
    assert.ok(na[0].kind === 'icmpv6' && na[0].ndp?.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT);
    assert.deepEqual([na[0].ndp.target, na[0].ndp.targetLinkLayer], [SLEEPER_V6, SLEEPER_MAC]);
    assert.ok(
      actions.some((a) => a.type === 'persist' && a.entry.op === 'delete' && a.entry.key === SLEEPER_MAC),
    );
    assert.ok(actions.some((a) => a.type === 'blackhole' && !a.add));
    assert.ok(actions.some((a) => a.type === 'capture' && a.set.ipv4.length === 0));

    const events = proxy.drainEvents();
    assert.equal(events.length, 1);
    assert.ok(events[0].type === 'wake');
    assert.deepEqual(events[0].reason, { kind: 'shutdown' });
    assert.equal(events[0].sleeper.state, 'waking');
    assert.deepEqual(proxy.list(AT), []);
    assert.deepEqual(proxy.snapshot().sleepers, []);
    assert.equal(proxy.nextTimer(), undefined, 'no rounds follow');
  });

  test('every sleeper, also one already being woken and one still probing', () => {
    const proxy = proxying();
    proxy.handleFrame(syn(SLEEPER_V4, 22), AT);
    const other = registration({
      hostMac: OTHER,
      id: 0x2222,
      records: [
        {
          name: '11.0.77.10.in-addr.arpa',
          type: DnsType.PTR,
          class: DnsClass.IN,
          cacheFlush: true,
          ttl: 120,
          data: { kind: 'name', target: 'other.local' },
        },
      ],
    });
    assert.ok(proxy.handleRegistration(other, { address: '10.77.0.11', port: 5353 }, AT).accepted);
    proxy.drainActions();
    proxy.drainEvents();
    proxy.handOver(AT + 1000);
    const actions = proxy.drainActions();
    const targets = framesOf(actions).flatMap((f) => (f.kind === 'wol' ? [f.wol.target] : []));
    assert.deepEqual(targets, [SLEEPER_MAC, SLEEPER_MAC, OTHER, OTHER]);
    // The waking one was withdrawn when its wake began: only the other one is withdrawn now.
    assert.deepEqual(
      actions.flatMap((a) => (a.type === 'withdraw' ? [a.sleeper] : [])),
      [OTHER],
    );
    // The probing one never announced its address: nothing to hand back for it.
    const arpSenders = framesOf(actions).flatMap((f) => (f.kind === 'arp' ? [f.arp.senderMac] : []));
    assert.deepEqual(arpSenders, [SLEEPER_MAC]);
    assert.deepEqual(
      proxy
        .drainEvents()
        .map((e) => [e.type, 'sleeper' in e && e.sleeper.hostMac, e.type === 'wake' && e.reason.kind]),
      [
        ['wake', SLEEPER_MAC, 'shutdown'],
        ['wake', OTHER, 'shutdown'],
      ],
    );
    assert.deepEqual(proxy.list(AT), []);
  });

  test('nothing held: nothing sent', () => {
    const proxy = proxying();
    proxy.release(SLEEPER_MAC, AT);
    proxy.drainActions();
    proxy.drainEvents();
    proxy.handOver(AT);
    assert.deepEqual(proxy.drainActions(), []);
    assert.deepEqual(proxy.drainEvents(), []);
  });
});
