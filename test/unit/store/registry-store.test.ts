// The registry store refuses a second writer in this process: two proxies on one interface and state
// directory would interleave their records in one journal. Other interfaces get their own files.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { RegistryStore } from '../../../src/service/registry-store';

const dir = mkdtempSync(join(tmpdir(), 'sps-registry-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('one open store per interface and directory; another interface has its own files', async () => {
  const [first, second] = await Promise.all([
    RegistryStore.open(dir, 'eth0'),
    RegistryStore.open(dir, 'eth0'),
  ]);
  const refused = [first, second].filter((o) => !o.ok);
  assert.equal(refused.length, 1, 'exactly one of two simultaneous opens is refused');
  const error = refused[0].ok ? undefined : refused[0].error;
  assert.equal(error?.code, 'busy');
  assert.match(error?.message ?? '', /registry-eth0 is in use by another sleep proxy on eth0/);
  const other = await RegistryStore.open(dir, 'eth1');
  assert.ok(other.ok, 'eth1 opens beside it');
  const open = [first, second].find((o) => o.ok);
  assert.ok(open?.ok);
  await open.store.close();
  const again = await RegistryStore.open(dir, 'eth0');
  assert.ok(again.ok, 'free again once closed');
  await again.store.close();
  await other.store.close();
  assert.deepEqual(readdirSync(dir).sort(), ['registry-eth0.journal', 'registry-eth1.journal']);
});
