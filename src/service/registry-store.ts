// The engine's registry on disk: a journal of put/delete entries per sleeper on top of a compacted
// snapshot (src/io/store). Replay folds them into one ProxySnapshot for SleepProxy.restore; after
// enough entries the journal is compacted to a fresh snapshot. One store per interface and state
// directory (files registry-<ifname>.*): a second open of the same files in this process (two proxies
// configured on one interface) is refused, so two engines never write the same journal.
import { resolve } from 'node:path';
import type { JournalEntry } from '../core/actions';
import { replayRegistry } from '../core/journal-replay';
import type { ProxySnapshot } from '../core/snapshot';
import { Journal, type JournalDamage, StoreError } from '../io/store';

/** Compact once this many entries piled up since the last snapshot. */
const COMPACT_AFTER = 1000;
/** The journals open in this process, by path prefix. */
const held = new Set<string>();

export type RegistryStoreOpen =
  | {
      readonly ok: true;
      readonly store: RegistryStore;
      readonly snapshot: ProxySnapshot;
      /** Entries of the wrong shape, skipped (journal-replay.ts). */
      readonly dropped: number;
      readonly damage: JournalDamage[];
    }
  | {
      readonly ok: false;
      readonly error: StoreError;
      /** What could still be read, when only writing failed (a read-only or foreign directory). */
      readonly recovered?: { readonly snapshot: ProxySnapshot; readonly dropped: number };
    };

export class RegistryStore {
  private sinceCompaction: number;

  private constructor(
    private readonly journal: Journal<unknown, unknown>,
    entries: number,
    private readonly path: string,
  ) {
    this.sinceCompaction = entries;
  }

  static async open(dir: string, ifname: string): Promise<RegistryStoreOpen> {
    const name = `registry-${ifname}`;
    const path = resolve(dir, name);
    if (held.has(path)) {
      const text = `${name} is in use by another sleep proxy on ${ifname} in this process`;
      return { ok: false, error: new StoreError('busy', text, undefined, path) };
    }
    held.add(path); // before the first await: two opens at once cannot both pass
    // what the files decode to is checked, not trusted: unknown, not the types written
    const opened = await Journal.open<unknown, unknown>(dir, { name });
    if (!opened.ok) {
      held.delete(path);
      const { error, recovered } = opened;
      return recovered
        ? { ok: false, error, recovered: replayRegistry(recovered.snapshot, recovered.entries) }
        : { ok: false, error };
    }
    const replay = replayRegistry(opened.snapshot, opened.entries);
    return {
      ok: true,
      store: new RegistryStore(opened.journal, opened.entries.length, path),
      snapshot: replay.snapshot,
      dropped: replay.dropped,
      damage: opened.damage,
    };
  }

  /** Resolves once the entry is on disk (fsynced). */
  append(entry: JournalEntry): Promise<void> {
    this.sinceCompaction++;
    return this.journal.append(entry);
  }

  /** Compacts when the journal has grown; `snapshot` is taken only then. */
  async maybeCompact(snapshot: () => ProxySnapshot): Promise<void> {
    if (this.sinceCompaction >= COMPACT_AFTER) await this.compactNow(snapshot());
  }

  /** Makes `snapshot` the whole registry on disk. */
  async compactNow(snapshot: ProxySnapshot): Promise<void> {
    this.sinceCompaction = 0;
    await this.journal.compact(snapshot);
  }

  async close(): Promise<void> {
    try {
      await this.journal.close();
    } finally {
      held.delete(this.path);
    }
  }
}
