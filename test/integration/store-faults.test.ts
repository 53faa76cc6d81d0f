// The journal when the file system says no: a read-only state directory and a full one. Each case
// runs in a child in a private mount namespace (unshare -m), which mounts a tmpfs over a fresh
// directory and remounts it read-only or fills it, so nothing outside the child sees the mounts.
// Witness: the typed error code, the replay after reopening, and file digests ("nothing corrupted").
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Journal } from '../../src/io/store';
import { which } from '../support/lan';
import { startNodeChild, type NodeChild } from '../support/lan/node-child';
import type * as StoreAgent from './agents/store-agent';

const AGENT = join(__dirname, 'agents', 'store-agent.js');

function mountNamespaceUnavailable(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux mount namespaces';
  const unshare = which('unshare');
  if (!unshare) return 'needs unshare (util-linux)';
  const script =
    'd=$(mktemp -d) && mount -t tmpfs -o size=64k t "$d" && mount -o remount,ro "$d" && umount "$d" && rmdir "$d"';
  const r = spawnSync(unshare, ['-m', '--propagation', 'private', 'sh', '-c', script], { encoding: 'utf8' });
  if (r.status === 0) return undefined;
  if (/^(1|true|yes)$/i.test(process.env.CI ?? '')) return undefined; // CI: fail loudly instead
  return `cannot mount a tmpfs in a private mount namespace: ${(r.stderr || r.error?.message || '').trim()}`;
}

describe('journal on a read-only or full state directory', { skip: mountNamespaceUnavailable() }, () => {
  const base = mkdtempSync(join(tmpdir(), 'sps-store-faults-'));
  let agent: NodeChild<typeof StoreAgent>;

  before(async () => {
    const unshare = which('unshare') ?? 'unshare';
    agent = await startNodeChild<typeof StoreAgent>(
      (cmd, argv, opts) => spawn(unshare, ['-m', '--propagation', 'private', cmd, ...argv], opts),
      AGENT,
      [],
    );
  });
  after(async () => {
    await agent?.close();
    rmSync(base, { recursive: true, force: true });
  });

  test('read-only: open fails with "read-only", the replay is still recovered, no byte changes', async () => {
    const mnt = join(base, 'ro');
    mkdirSync(mnt);
    await agent.call('mount', mnt, 'size=1m');
    const state = join(mnt, 'state');
    assert.deepEqual(await agent.call('open', state), { ok: true, entries: [], damage: [] });
    assert.deepEqual((await agent.call('appendUntilError', 0, 100, 10)).acked, [...Array(10).keys()]);
    await agent.call('close');
    const torn = Buffer.from([0, 0, 0, 40, 1, 2, 3]); // a record header cut short
    await agent.call('appendBytes', join(state, 'registry.journal'), torn);
    const before = await agent.call('digest', state);
    await agent.call('remount', mnt, 'ro');

    const r = await agent.call('open', state);
    assert.equal(r.ok, false);
    assert.equal(r.code, 'read-only');
    assert.deepEqual(r.recovered, [...Array(10).keys()]);
    assert.equal(
      r.recoveredDamage?.[0]?.kind,
      'torn',
      'the torn tail is reported, not cut: the files are read-only',
    );
    const fresh = await agent.call('open', join(mnt, 'never-created'));
    assert.deepEqual(fresh, {
      ok: false,
      code: 'read-only',
      recovered: undefined,
      recoveredDamage: undefined,
    });
    assert.deepEqual(await agent.call('digest', state), before);

    await agent.call('remount', mnt, 'rw');
    const again = await agent.call('open', state);
    assert.deepEqual(again.entries, [...Array(10).keys()]);
    assert.deepEqual(
      again.damage?.map((d) => [d.kind, d.bytes]),
      [['torn', torn.length]],
      'writable again: the torn tail is cut now',
    );
    await agent.call('close');
  });

  test('full: append fails with "full", compaction too, and the journal replays to the last acknowledged entry', async () => {
    const mnt = join(base, 'full');
    mkdirSync(mnt);
    await agent.call('mount', mnt, 'size=64k');
    assert.equal((await agent.call('open', mnt)).ok, true);
    const { acked, code } = await agent.call('appendUntilError', 0, 700);
    assert.equal(code, 'full');
    assert.ok(acked.length > 20, `${acked.length} entries fit`);
    assert.equal(await agent.call('compact', { big: 'b'.repeat(64 * 1024) }), 'full');
    // still usable for appends that fit after the failed one was cut off
    const more = await agent.call('appendUntilError', 1000, 0, 1);
    await agent.call('close');
    const files = Object.keys(await agent.call('digest', mnt));
    assert.deepEqual(files, ['registry.journal'], 'no snapshot.tmp left behind');

    const r = await agent.call('open', mnt);
    assert.equal(r.ok, true);
    assert.deepEqual(r.entries, [...acked, ...more.acked]);
    assert.deepEqual(r.damage, []);
    await agent.call('close');
  });
});

describe('journal in a directory the process may not write', { skip: nobodyUnavailable() }, () => {
  test('open fails with "permission"; readable files are still recovered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sps-store-perm-'));
    const setpriv = which('setpriv') ?? 'setpriv';
    const nobody = await startNodeChild<typeof StoreAgent>(
      (cmd, argv, opts) =>
        spawn(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', cmd, ...argv], opts),
      AGENT,
      [],
    );
    try {
      chmodSync(dir, 0o700); // root's, closed to others
      assert.deepEqual(await nobody.call('open', join(dir, 'state')), {
        ok: false,
        code: 'permission',
        recovered: undefined,
        recoveredDamage: undefined,
      });
      const mine = await Journal.open(dir, { name: 'registry' });
      assert.ok(mine.ok);
      await mine.journal.append({ n: 7, pad: '' });
      await mine.journal.close();
      chmodSync(dir, 0o755); // readable, not writable
      chmodSync(join(dir, 'registry.journal'), 0o644);
      assert.deepEqual(await nobody.call('open', dir), {
        ok: false,
        code: 'permission',
        recovered: [7],
        recoveredDamage: [],
      });
    } finally {
      await nobody.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

function nobodyUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root to run a child as nobody';
  return which('setpriv') ? undefined : 'needs setpriv (util-linux)';
}
