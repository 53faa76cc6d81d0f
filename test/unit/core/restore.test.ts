// Regression inputs of the restore fuzz target (test/fuzz/restore-target.ts): each snapshot below is a
// real one with one value replaced the way a failing case did it; before the fix each made restore or
// the engine after it throw (a wake with a 1-byte password, an announcement of a 64-byte label, a
// frame with a 2^53 record type, a null record, a MAC that is no MAC...). Now the bad part is dropped
// and counted, and the engine goes on: asked for, woken, and run past every lease.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { replayRegistry } from '../../../src/core/journal-replay';
import type { ProxySnapshot, SleeperSnapshot } from '../../../src/core/snapshot';
import { restoreTarget } from '../../fuzz/restore-target';
import { makeProxy, proxying, SLEEPER_MAC, T0 } from './harness';

const base = (): SleeperSnapshot =>
  structuredClone(proxying({}, { password: Buffer.from('010203040506', 'hex') }).snapshot().sleepers[0]);

type Change = (s: Record<string, unknown> & { records: Record<string, unknown>[] }) => void;

/** The fuzz target's own checks over a snapshot: restore, ask, wake, every lease to its end. */
function survives(snapshot: unknown): string {
  const data = Buffer.from(JSON.stringify(snapshot));
  return restoreTarget.execute([{ op: 'snapshot', dt: 10_000, variant: 0, data }]);
}

const SLEEPER_BREAKERS: Record<string, Change> = {
  'a 1-byte password': (s) => (s.password = '01'),
  'a host MAC that is no MAC': (s) => (s.hostMac = '02:53:50:00?00:0a'),
  'a wake MAC that is no MAC': (s) => (s.wakeMac = 'zz'),
  'the proxy’s own MAC': (s) => (s.wakeMac = '02:00:00:00:00:01'),
  'a message ID over 16 bits': (s) => (s.messageId = 2 ** 53),
  'wake ports out of range': (s) => (s.wakePorts = [1e9, -5, 22]),
  'records not a list': (s) => (s.records = 5 as unknown as []),
};

const RECORD_BREAKERS: Record<string, Change> = {
  'a null record': (s) => (s.records[0] = null as unknown as Record<string, unknown>),
  'a label over 63 bytes': (s) => (s.records[1].name = `${'x'.repeat(64)}.local`),
  'a record type of 2^53': (s) => (s.records[1].type = 2 ** 53),
  'a class of -1': (s) => (s.records[1].class = -1),
  'a TTL of 1e308': (s) => (s.records[1].ttl = 1e308),
  'rdata that is not a string': (s) => (s.records[1].rdata = []),
  'a name that is not a string': (s) => (s.records[1].name = {}),
};

function changed(change: Change): ProxySnapshot {
  const s = base() as unknown as Parameters<Change>[0];
  change(s);
  return { version: 1, sleepers: [s as unknown as SleeperSnapshot] };
}

describe('restore of hostile snapshots (fuzz regressions)', () => {
  test('a real snapshot restores whole: nothing dropped', () => {
    const report = makeProxy().restore({ version: 1, sleepers: [base()] }, T0 + 1000);
    assert.deepEqual(report, { restored: 1, expired: 0, droppedSleepers: 0, droppedRecords: 0 });
    survives({ version: 1, sleepers: [base()] });
  });

  for (const [what, change] of Object.entries(SLEEPER_BREAKERS))
    test(`${what}: the sleeper is dropped and counted`, () => {
      const report = makeProxy().restore(changed(change), T0 + 1000);
      assert.deepEqual(report, { restored: 0, expired: 0, droppedSleepers: 1, droppedRecords: 0 });
      survives(changed(change));
    });

  for (const [what, change] of Object.entries(RECORD_BREAKERS))
    test(`${what}: the record is dropped and counted, the sleeper kept`, () => {
      const proxy = makeProxy();
      const report = proxy.restore(changed(change), T0 + 1000);
      assert.deepEqual(report, { restored: 1, expired: 0, droppedSleepers: 0, droppedRecords: 1 });
      assert.equal(proxy.list()[0].hostMac, SLEEPER_MAC);
      survives(changed(change));
    });

  test('a lease past the cap, a registration in the future: brought back to now', () => {
    const s = { ...base(), leaseEnd: 1e300, registeredAt: 1e300 };
    const proxy = makeProxy();
    proxy.restore({ version: 1, sleepers: [s] }, T0);
    const [restored] = proxy.snapshot().sleepers;
    assert.equal(restored.leaseEnd, T0 + 86_400_000);
    assert.equal(restored.registeredAt, T0);
  });

  test('two sleepers over the record cap: the second is dropped', () => {
    const one = base();
    const other = { ...base(), hostMac: '02:53:50:00:00:0b', wakeMac: '02:53:50:00:00:0b' };
    const proxy = makeProxy({ limits: { maxRecords: one.records.length + 1 } });
    const report = proxy.restore({ version: 1, sleepers: [one, other] }, T0);
    assert.deepEqual(report, { restored: 1, expired: 0, droppedSleepers: 1, droppedRecords: 0 });
  });
});

describe('replayRegistry', () => {
  test('folds puts and deletes over the snapshot', () => {
    const a = base();
    const b = { ...base(), hostMac: '02:53:50:00:00:0b' };
    const r = replayRegistry({ version: 1, sleepers: [a] }, [
      { op: 'put', sleeper: b },
      { op: 'delete', key: a.hostMac },
    ]);
    assert.deepEqual(r, { snapshot: { version: 1, sleepers: [b] }, dropped: 0 });
  });

  test('entries and snapshots of the wrong shape are dropped and counted', () => {
    const entries = [
      null,
      5,
      { op: 'put' },
      { op: 'put', sleeper: { hostMac: 7 } },
      { op: 'delete' },
      { op: 'x' },
    ];
    assert.deepEqual(replayRegistry({ version: 1, sleepers: 5 }, entries), {
      snapshot: { version: 1, sleepers: [] },
      dropped: 7,
    });
    assert.equal(replayRegistry(undefined, []).dropped, 0);
    assert.equal(replayRegistry({ version: 1, sleepers: [null, {}] }, []).dropped, 2);
  });
});
