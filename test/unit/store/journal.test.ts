// The journal on a real file system (a temporary directory): round trips, a torn last record cut
// at every byte offset, damage in the middle, crash windows of compaction, group commit under
// concurrency (with the append rate measured), and misuse.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Journal, StoreError, type JournalOpenResult } from '../../../src/io/store';
import { encodeRecord, RECORD_HEADER_LEN } from '../../../src/io/store/framing';

type Entry = { n: number; text?: string };
type Snap = { upTo: number };

const root = mkdtempSync(join(tmpdir(), 'sps-journal-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `d${dirs++}`);

async function openOk(dir: string): Promise<Extract<JournalOpenResult<Entry, Snap>, { ok: true }>> {
  const r = await Journal.open<Entry, Snap>(dir, { name: 'registry' });
  if (!r.ok) throw r.error;
  return r;
}

async function written(dir: string, entries: Entry[]): Promise<Buffer> {
  const { journal } = await openOk(dir);
  for (const e of entries) await journal.append(e);
  await journal.close();
  return readFileSync(join(dir, 'registry.journal'));
}

const numbers = (n: number): Entry[] => Array.from({ length: n }, (_, i) => ({ n: i, text: `entry ${i}` }));

describe('journal', () => {
  test('round trip: entries, then a snapshot, then entries after it', async () => {
    const dir = freshDir();
    const first = await openOk(dir);
    assert.equal(first.snapshot, undefined);
    assert.deepEqual(first.entries, []);
    assert.deepEqual(first.damage, []);
    for (const e of numbers(3)) await first.journal.append(e);
    await first.journal.close();

    const second = await openOk(dir);
    assert.deepEqual(second.entries, numbers(3));
    await second.journal.compact({ upTo: 3 });
    await second.journal.append({ n: 3 });
    await second.journal.close();

    const third = await openOk(dir);
    assert.deepEqual(third.snapshot, { upTo: 3 });
    assert.deepEqual(third.entries, [{ n: 3 }]);
    assert.deepEqual(third.damage, []);
    await third.journal.close();
  });

  test('a torn last record, cut at every byte offset, is truncated away and appending goes on', async () => {
    const image = await written(freshDir(), numbers(4));
    const lastStart = image.length - encodeRecord(4, numbers(4)[3]).length;
    for (let cut = lastStart; cut < image.length; cut++) {
      const dir = freshDir();
      const opened = await openFrom(dir, image.subarray(0, cut));
      assert.deepEqual(opened.entries, numbers(3), `cut at ${cut}`);
      if (cut === lastStart) assert.deepEqual(opened.damage, []);
      else
        assert.deepEqual(opened.damage, [
          { file: 'journal', kind: 'torn', offset: lastStart, bytes: cut - lastStart },
        ]);
      assert.equal(statSync(join(dir, 'registry.journal')).size, lastStart);
      await opened.journal.append({ n: 99 });
      await opened.journal.close();
      const again = await openOk(dir);
      assert.deepEqual(again.entries, [...numbers(3), { n: 99 }], `append after cut at ${cut}`);
      assert.deepEqual(again.damage, []);
      await again.journal.close();
      rmSync(dir, { recursive: true });
    }
  });

  test('a last record with a bad checksum, or a zero-filled tail, counts as torn', async () => {
    const image = await written(freshDir(), numbers(3));
    const flipped = Buffer.from(image);
    flipped[flipped.length - 2] ^= 0x20;
    const a = await openFrom(freshDir(), flipped);
    assert.deepEqual(a.entries, numbers(2));
    assert.equal(a.damage[0]?.kind, 'torn');
    await a.journal.close();
    const b = await openFrom(freshDir(), Buffer.concat([image, Buffer.alloc(4096)]));
    assert.deepEqual(b.entries, numbers(3));
    assert.deepEqual(b.damage, [{ file: 'journal', kind: 'torn', offset: image.length, bytes: 4096 }]);
    await b.journal.close();
  });

  test('damage in the middle stops replay there, is reported and saved, and appends stay reachable', async () => {
    const image = await written(freshDir(), numbers(5));
    const second = encodeRecord(1, numbers(1)[0]).length;
    const broken = Buffer.from(image);
    broken[second + RECORD_HEADER_LEN + 3] ^= 0x01; // body of the second record
    const dir = freshDir();
    const opened = await openFrom(dir, broken);
    assert.deepEqual(opened.entries, numbers(1));
    const [damage] = opened.damage;
    assert.equal(damage?.kind, 'corrupt');
    assert.equal(damage?.reason, 'bad-checksum');
    assert.equal(damage?.offset, second);
    assert.equal(damage?.bytes, image.length - second);
    assert.deepEqual(readFileSync(damage?.savedAs ?? ''), broken.subarray(second));
    await opened.journal.append({ n: 42 });
    await opened.journal.close();
    const again = await openOk(dir);
    assert.deepEqual(again.entries, [...numbers(1), { n: 42 }]);
    assert.deepEqual(again.damage, []);
    await again.journal.close();
  });

  test('a length field beyond any record is damage, not an allocation', async () => {
    const image = await written(freshDir(), numbers(3));
    const broken = Buffer.from(image);
    broken.writeUInt32BE(0xfffffff0, 0);
    const opened = await openFrom(freshDir(), broken);
    assert.deepEqual(opened.entries, []);
    assert.equal(opened.damage[0]?.kind, 'corrupt');
    assert.equal(opened.damage[0]?.reason, 'bad-length');
    await opened.journal.close();
  });

  test('compaction crash windows: a leftover .tmp, and a journal not yet truncated after the rename', async () => {
    const dir = freshDir();
    const before = await written(dir, numbers(3));
    const { journal } = await openOk(dir);
    await journal.compact({ upTo: 3 });
    await journal.close();
    writeFileSync(join(dir, 'registry.journal'), before); // as if truncate never ran
    writeFileSync(join(dir, 'registry.snapshot.tmp'), 'half a snapsh');
    const opened = await openOk(dir);
    assert.deepEqual(opened.snapshot, { upTo: 3 });
    assert.deepEqual(opened.entries, [], 'entries the snapshot covers are not replayed twice');
    assert.equal(existsSync(join(dir, 'registry.snapshot.tmp')), false);
    await opened.journal.append({ n: 3 });
    await opened.journal.close();
    const again = await openOk(dir);
    assert.deepEqual(again.entries, [{ n: 3 }]);
    await again.journal.close();
  });

  test('a damaged snapshot is reported; the journal still replays', async () => {
    const dir = freshDir();
    await written(dir, numbers(2));
    writeFileSync(join(dir, 'registry.snapshot'), Buffer.from('garbage that is not a record at all'));
    const opened = await openOk(dir);
    assert.equal(opened.snapshot, undefined);
    assert.deepEqual(opened.entries, numbers(2));
    assert.equal(opened.damage[0]?.file, 'snapshot');
    assert.equal(opened.damage[0]?.kind, 'corrupt');
    await opened.journal.close();
  });

  test('appends and a compaction issued together keep their order', async () => {
    const dir = freshDir();
    const { journal } = await openOk(dir);
    await Promise.all([journal.append({ n: 0 }), journal.compact({ upTo: 1 }), journal.append({ n: 1 })]);
    await journal.close();
    const opened = await openOk(dir);
    assert.deepEqual(opened.snapshot, { upTo: 1 });
    assert.deepEqual(opened.entries, [{ n: 1 }]);
    await opened.journal.close();
  });

  test('group commit: 2000 concurrent appends are all durable, with far fewer fsyncs', async (t) => {
    const dir = freshDir();
    const { journal } = await openOk(dir);
    const started = performance.now();
    await Promise.all(numbers(2000).map((e) => journal.append(e)));
    const ms = performance.now() - started;
    const { appends, fsyncs } = journal.stats();
    await journal.close();
    assert.equal(appends, 2000);
    assert.ok(fsyncs * 10 < appends, `${fsyncs} fsyncs for ${appends} appends`);
    t.diagnostic(`2000 concurrent appends: ${fsyncs} fsyncs, ${Math.round((2000 / ms) * 1000)} appends/s`);
    const opened = await openOk(dir);
    assert.deepEqual(opened.entries, numbers(2000));
    await opened.journal.close();
  });

  test('sustained rate: 16 writers each awaiting their own appends reach >= 500 appends/s', async (t) => {
    const { journal } = await openOk(freshDir());
    const perWriter = 60;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: 16 }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) await journal.append({ n: w * 1000 + i });
      }),
    );
    const rate = (16 * perWriter * 1000) / (performance.now() - started);
    const serial = performance.now();
    for (let i = 0; i < 50; i++) await journal.append({ n: i });
    const serialRate = (50 * 1000) / (performance.now() - serial);
    const { fsyncs } = journal.stats();
    await journal.close();
    t.diagnostic(
      `16 writers: ${Math.round(rate)} appends/s; one writer awaiting each: ${Math.round(serialRate)} appends/s; ${fsyncs} fsyncs`,
    );
    assert.ok(rate >= 500, `${Math.round(rate)} appends/s`);
  });

  test('misuse: a non-JSON entry is refused without harm; a closed journal refuses with code "closed"', async () => {
    const dir = freshDir();
    const { journal } = await openOk(dir);
    await assert.rejects(journal.append(1n as unknown as Entry), TypeError);
    await journal.append({ n: 1 });
    await journal.close();
    await journal.close();
    await assert.rejects(
      journal.append({ n: 2 }),
      (e: unknown) => e instanceof StoreError && e.code === 'closed',
    );
    const opened = await openOk(dir);
    assert.deepEqual(opened.entries, [{ n: 1 }]);
    await opened.journal.close();
  });

  test('a state directory that is a file is an "io" error, not a throw', async () => {
    const path = join(root, 'not-a-dir');
    writeFileSync(path, '');
    const r = await Journal.open(path, { name: 'registry' });
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.error instanceof StoreError && r.error.code === 'io', String(!r.ok && r.error));
  });
});

async function openFrom(dir: string, image: Buffer) {
  await openOk(dir).then((o) => o.journal.close());
  writeFileSync(join(dir, 'registry.journal'), image);
  return openOk(dir);
}
