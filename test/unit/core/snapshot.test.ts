import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProxySnapshot } from '../../../src/core/snapshot';
import {
  ANY_SOURCE,
  FROM,
  makeProxy,
  proxying,
  sleeperRecords,
  registration,
  runUntil,
  SLEEPER_MAC,
  SLEEPER_V4,
  stampedFrames,
  T0,
} from './harness';

describe('snapshot / restore', () => {
  test('round trip through JSON: records, owner data and leases survive; probing restarts', () => {
    const password = Buffer.from('010203040506', 'hex');
    const proxy = proxying(ANY_SOURCE, { password, seq: 7, wakeMac: '02:53:50:00:00:0b' });
    proxy.handleRegistration(
      registration({ id: 9, hostMac: '02:53:50:00:00:0c', lease: 30, records: sleeperRecords().slice(7, 8) }),
      FROM,
      T0,
    );
    const json = JSON.stringify(proxy.snapshot());
    const restored = makeProxy();
    const later = T0 + 60_000;
    restored.restore(JSON.parse(json) as ProxySnapshot, later);
    // The 30 s lease ended while we were down: dropped.
    const events = restored.drainEvents();
    assert.deepEqual(
      events.map((e) => [e.type, 'sleeper' in e && e.sleeper.hostMac]),
      [['expired', '02:53:50:00:00:0c']],
    );
    const actions = restored.drainActions();
    assert.ok(
      actions.some(
        (a) => a.type === 'persist' && a.entry.op === 'delete' && a.entry.key === '02:53:50:00:00:0c',
      ),
    );
    assert.ok(actions.some((a) => a.type === 'publish' && a.sleeper === SLEEPER_MAC));
    assert.ok(actions.some((a) => a.type === 'capture'));
    assert.ok(actions.some((a) => a.type === 'join-multicast'));
    assert.deepEqual(
      restored.list(later),
      proxy
        .list(T0)
        .filter((v) => v.hostMac === SLEEPER_MAC)
        .map((v) => ({ ...v, state: 'probing' })),
    );
    const snap = restored.snapshot();
    assert.deepEqual(
      snap.sleepers,
      (JSON.parse(json) as ProxySnapshot).sleepers.filter((s) => s.hostMac === SLEEPER_MAC),
    );
    assert.equal(snap.sleepers[0].password, '010203040506');
    // Takeover starts over: a probe at +1 s.
    const [first] = stampedFrames(runUntil(restored, later + 1000));
    assert.equal(first.at, later + 1000);
    assert.ok(first.frame.kind === 'arp' && first.frame.arp.senderIp === '0.0.0.0');
    // The restored state behaves: its password is used for waking.
    restored.wake(SLEEPER_V4, { kind: 'command' }, later + 2000);
    const magic = restored
      .drainActions()
      .find((a) => a.type === 'send-frame' && a.frame.readUInt16BE(12) === 0x0842);
    assert.ok(magic?.type === 'send-frame' && magic.frame.subarray(116).equals(password));
  });

  test('garbage snapshots and entries are skipped', () => {
    const proxy = makeProxy();
    proxy.restore({ version: 99, sleepers: [] }, T0);
    proxy.restore(null as unknown as ProxySnapshot, T0);
    proxy.restore(
      {
        version: 1,
        sleepers: [null, { hostMac: 1 }, { hostMac: 'x', wakeMac: 'y', seq: 'a' }],
      } as unknown as ProxySnapshot,
      T0,
    );
    assert.deepEqual(proxy.list(T0), []);
  });
});
