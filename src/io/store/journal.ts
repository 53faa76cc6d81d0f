// The registry's durable store: an append-only journal of JSON entries plus an atomically replaced
// snapshot, in one state directory (files <name>.journal, <name>.snapshot).
//
// Contract:
// - Journal.open(dir, {name}) creates the directory if needed, replays snapshot + journal and returns
//   {journal, snapshot, entries, damage}. Data problems never fail it: a torn tail (a write cut
//   short by a crash) is truncated away; a corrupt record in the middle stops replay there, is
//   reported in `damage`, and the unreadable rest is saved to <name>.journal.damaged before the
//   journal is cut, so new entries are never appended behind a record replay cannot pass.
//   File-system problems return {ok: false, error: StoreError}; when the files could be read but
//   not written (read-only mount, no permission to write), `recovered` still carries the replay, so
//   a service can resume what it had and refuse new work.
// - append(entry) resolves only once the entry is on disk: the journal is opened O_DSYNC, so a
//   write returns when its data is as durable as after fdatasync (one system call and one thread-pool
//   round trip instead of two: registrations are answered only after it). Appends made while a
//   write is in flight share the next write (group commit). Entries become durable in the order
//   append() was called. A rejected append (StoreError) left nothing behind: a failed write is
//   truncated back. A write failing with EIO is a failed fsync and poisons the journal (after one,
//   Linux may have dropped the dirty pages: nothing written since can be trusted), so every later
//   call rejects with that error; reopen to recover.
// - compact(snapshot) makes `snapshot` (which must include every entry appended so far) the new
//   base: write <name>.snapshot.tmp, fsync, rename over <name>.snapshot, fsync the directory, then
//   truncate the journal. Any crash point leaves a state replay reads correctly (framing.ts: entries
//   carry sequence numbers the snapshot covers).
// - close() waits for queued work, then releases the file descriptor; idempotent.
// One process per journal: nothing locks the files against a second writer.
import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { join } from 'node:path';
import { StoreError, toStoreError } from './errors';
import { encodeRecord, scanRecords, type ScanProblem } from './framing';

export interface JournalOptions {
  /** File name prefix inside the directory, e.g. 'registry-eth0'. */
  readonly name: string;
}

export interface JournalDamage {
  readonly file: 'journal' | 'snapshot';
  /** 'torn': an unfinished last write (expected after a crash); 'corrupt': damage replay stopped at. */
  readonly kind: ScanProblem['kind'];
  readonly offset: number;
  /** Bytes dropped from that offset on. */
  readonly bytes: number;
  readonly reason?: string;
  /** Where the dropped bytes were saved (corrupt journal records only). */
  readonly savedAs?: string;
}

export interface JournalReplay<E, S> {
  /** The last compacted snapshot, if any. */
  readonly snapshot: S | undefined;
  /** Entries appended after it, oldest first. */
  readonly entries: E[];
  readonly damage: JournalDamage[];
}

export type JournalOpenResult<E, S> =
  | ({ readonly ok: true; readonly journal: Journal<E, S> } & JournalReplay<E, S>)
  | { readonly ok: false; readonly error: StoreError; readonly recovered?: JournalReplay<E, S> };

export interface JournalStats {
  readonly appends: number;
  readonly fsyncs: number;
  readonly bytes: number;
  readonly compactions: number;
}

type Op =
  | { readonly kind: 'append'; readonly record: Buffer; done: (e?: StoreError) => void }
  | { readonly kind: 'compact'; readonly record: Buffer; done: (e?: StoreError) => void };

const FILE_MODE = 0o600;

export class Journal<E = unknown, S = unknown> {
  private readonly queue: Op[] = [];
  // set and cleared synchronously, so an append made right after the drain saw an empty queue starts
  // a new one (a promise-based flag clears a microtask too late)
  private draining = false;
  private flushing: Promise<void> = Promise.resolve();
  private failure: StoreError | undefined;
  private closed = false;
  private counters = { appends: 0, fsyncs: 0, bytes: 0, compactions: 0 };

  private constructor(
    readonly dir: string,
    readonly name: string,
    private readonly fd: FileHandle,
    /** Journal file length: everything before it is good, durable records. */
    private end: number,
    /** Last sequence number handed out. */
    private seq: number,
  ) {}

  get journalPath(): string {
    return join(this.dir, `${this.name}.journal`);
  }

  get snapshotPath(): string {
    return join(this.dir, `${this.name}.snapshot`);
  }

  static async open<E = unknown, S = unknown>(
    dir: string,
    opts: JournalOptions,
  ): Promise<JournalOpenResult<E, S>> {
    const journalPath = join(dir, `${opts.name}.journal`);
    const snapshotPath = join(dir, `${opts.name}.snapshot`);
    try {
      await makeDirectory(dir);
    } catch (e) {
      return { ok: false, error: toStoreError(e, 'create directory', dir) };
    }
    // a compaction that died before its rename; failing to remove it (read-only) is harmless
    await unlink(`${snapshotPath}.tmp`).catch(() => undefined);

    const damage: JournalDamage[] = [];
    let snapshot: S | undefined;
    let snapshotSeq = -1;
    let snapshotImage: Buffer | undefined;
    let journalImage: Buffer | undefined;
    try {
      snapshotImage = await readIfExists(snapshotPath);
      journalImage = await readIfExists(journalPath);
    } catch (e) {
      return { ok: false, error: toStoreError(e, 'read', dir) };
    }
    if (snapshotImage) {
      const scan = scanRecords(snapshotImage);
      const first = scan.records[0];
      if (first) {
        snapshot = first.body as S;
        snapshotSeq = first.seq;
      }
      // the snapshot arrives whole by rename: anything else about it is damage, never a torn write
      const problem =
        scan.problem ?? (scan.records.length > 1 ? extra(first?.end ?? 0, snapshotImage) : undefined);
      if (problem) damage.push({ file: 'snapshot', ...problem, kind: 'corrupt' });
    }
    const scan = scanRecords(journalImage ?? Buffer.alloc(0));
    const entries = scan.records.filter((r) => r.seq > snapshotSeq).map((r) => r.body as E);
    const lastSeq = scan.records.reduce((m, r) => Math.max(m, r.seq), snapshotSeq);
    const replay = (): JournalReplay<E, S> => ({ snapshot, entries, damage });

    const problem = scan.problem;
    const at = damage.length;
    if (problem) damage.push({ file: 'journal', ...problem });

    let fd: FileHandle | undefined;
    try {
      fd = await open(journalPath, constants.O_RDWR | constants.O_CREAT | constants.O_DSYNC, FILE_MODE);
      if (problem) {
        if (problem.kind === 'corrupt' && journalImage) {
          const savedAs = await saveDamaged(journalPath, journalImage.subarray(problem.offset));
          damage[at] = { file: 'journal', ...problem, savedAs };
        }
        await fd.truncate(scan.goodEnd);
        await fd.datasync();
      }
      if (!journalImage) await syncDirectory(dir);
    } catch (e) {
      await fd?.close().catch(() => undefined);
      return { ok: false, error: toStoreError(e, 'open for writing', journalPath), recovered: replay() };
    }
    const journal = new Journal<E, S>(dir, opts.name, fd, scan.goodEnd, Math.max(lastSeq, 0));
    return { ok: true, journal, ...replay() };
  }

  /** Resolves once `entry` is durable; rejects with a StoreError (or a TypeError for non-JSON). */
  append(entry: E): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    let record: Buffer;
    try {
      record = encodeRecord(this.seq + 1, entry);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    this.seq++;
    return this.enqueue('append', record);
  }

  /** Replaces snapshot + journal by `snapshot`, which must include every entry appended so far. */
  compact(snapshot: S): Promise<void> {
    const refused = this.refusal();
    if (refused) return Promise.reject(refused);
    let record: Buffer;
    try {
      record = encodeRecord(this.seq, snapshot);
    } catch (e) {
      return Promise.reject(e as Error);
    }
    return this.enqueue('compact', record);
  }

  stats(): JournalStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.draining) await this.flushing;
    await this.fd.close().catch(() => undefined);
  }

  private refusal(): StoreError | undefined {
    if (this.closed) return new StoreError('closed', `state store: ${this.journalPath} is closed`);
    return this.failure;
  }

  private enqueue(kind: Op['kind'], record: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ kind, record, done: (e) => (e ? reject(e) : resolve()) });
      if (!this.draining) {
        this.draining = true;
        this.flushing = this.drain();
      }
    });
  }

  // One op at a time: a run of appends becomes one synchronous write; a compaction runs alone.
  private async drain(): Promise<void> {
    for (;;) {
      const first = this.queue[0];
      if (!first) {
        this.draining = false;
        return;
      }
      if (this.failure) {
        for (const op of this.queue.splice(0)) op.done(this.failure);
        continue;
      }
      if (first.kind === 'compact') {
        this.queue.shift();
        first.done(await this.writeSnapshot(first.record));
        continue;
      }
      const n = this.queue.findIndex((op) => op.kind !== 'append');
      const batch = this.queue.splice(0, n < 0 ? this.queue.length : n);
      const error = await this.writeBatch(Buffer.concat(batch.map((op) => op.record)));
      if (!error) this.counters.appends += batch.length;
      for (const op of batch) op.done(error);
    }
  }

  private async writeBatch(data: Buffer): Promise<StoreError | undefined> {
    try {
      await writeAll(this.fd, data, this.end);
    } catch (e) {
      if ((e as { code?: unknown }).code === 'EIO') {
        this.failure = toStoreError(e, 'fsync', this.journalPath);
        return this.failure;
      }
      // cut off what part of the batch did land, so replay ends at the last acknowledged entry
      await this.fd.truncate(this.end).catch(() => undefined);
      return toStoreError(e, 'append to', this.journalPath);
    }
    this.end += data.length;
    this.counters.fsyncs++;
    this.counters.bytes += data.length;
    return undefined;
  }

  private async writeSnapshot(record: Buffer): Promise<StoreError | undefined> {
    const tmp = `${this.snapshotPath}.tmp`;
    try {
      await writeDurably(tmp, record);
      await rename(tmp, this.snapshotPath);
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      return toStoreError(e, 'write snapshot', tmp);
    }
    // from here on the snapshot is in place; the stale journal entries it covers are skipped on replay
    try {
      await syncDirectory(this.dir);
      await this.fd.truncate(0);
      this.end = 0;
      await this.fd.datasync();
    } catch (e) {
      this.failure = toStoreError(e, 'truncate', this.journalPath);
      return this.failure;
    }
    this.counters.compactions++;
    return undefined;
  }
}

async function makeDirectory(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    // recursive mkdir reports ENOENT for EROFS/EACCES (Node 20); a plain mkdir tells the real reason
    if ((e as { code?: unknown }).code !== 'ENOENT') throw e;
    await mkdir(dir, { mode: 0o700 });
  }
}

async function writeAll(fd: FileHandle, data: Buffer, position: number): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await fd.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

async function readIfExists(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as { code?: unknown }).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const fd = await open(dir, 'r');
  try {
    await fd.sync();
  } finally {
    await fd.close();
  }
}

async function saveDamaged(journalPath: string, bytes: Buffer): Promise<string> {
  const path = `${journalPath}.damaged`;
  await writeDurably(path, bytes);
  return path;
}

async function writeDurably(path: string, data: Buffer): Promise<void> {
  const fd = await open(path, 'w', FILE_MODE);
  try {
    await writeAll(fd, data, 0);
    await fd.sync();
  } finally {
    await fd.close();
  }
}

function extra(offset: number, image: Buffer): ScanProblem {
  return { kind: 'corrupt', offset, bytes: image.length - offset, reason: 'trailing-data' };
}
