// The registry store as the service uses it, with its health: a state directory that is read-only,
// full or not ours to write turns the store 'failing' (a 'state' event with the StoreError) instead of
// failing the service. While failing, nothing is appended (registrations are not answered: silence,
// so the client tries another proxy) and every RETRY_MS the store is reopened and a full snapshot of the
// engine written; the first one that lands makes the store healthy again
// (a 'state' event with undefined). A retry writes the whole registry, so whatever the engine holds is
// durable again at once. Polling, not inotify: a remount or a freed disk raises no event on the
// directory, and one small write every few seconds while broken costs nothing.
import { EventEmitter } from 'node:events';
import type { JournalEntry } from '../core/actions';
import type { ProxySnapshot } from '../core/snapshot';
import type { StoreError } from '../io/store';
import { RegistryStore } from './registry-store';

export const RETRY_MS = 3000;

export interface GuardedStoreEvents {
  state: [problem: StoreError | undefined];
}

export class GuardedStore extends EventEmitter<GuardedStoreEvents> {
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly ifname: string,
    private store: RegistryStore | undefined,
    private failure: StoreError | undefined,
    /** The engine's registry now: what a retry writes. */
    private readonly snapshot: () => ProxySnapshot,
    /**
     * When the files could not even be read at start, the engine began empty: the first store that
     * opens hands its replay here, to be restored before the engine's registry is written over it.
     */
    private unread?: (replay: ProxySnapshot) => void,
  ) {
    super();
    if (failure) this.scheduleRetry();
  }

  /** Why the state directory cannot be written now; undefined when it can. */
  get problem(): StoreError | undefined {
    return this.failure;
  }

  /** Resolves once durable; rejects (and turns the store failing) if not written. */
  async append(entry: JournalEntry): Promise<void> {
    if (this.failure || !this.store) throw this.failure;
    try {
      await this.store.append(entry);
      await this.store.maybeCompact(this.snapshot);
    } catch (error) {
      this.fail(error as StoreError);
      throw error;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.store?.close();
  }

  private fail(error: StoreError): void {
    if (this.failure || this.closed) return;
    this.failure = error;
    this.emit('state', error);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    clearTimeout(this.retryTimer);
    if (!this.closed) this.retryTimer = setTimeout(() => void this.retry(), RETRY_MS);
  }

  // Reopened every time: a failed fsync poisons the open journal for good (journal.ts).
  private async retry(): Promise<void> {
    const old = this.store;
    this.store = undefined;
    await old?.close();
    const opened = await RegistryStore.open(this.dir, this.ifname);
    if (this.closed) return void (opened.ok && (await opened.store.close()));
    if (!opened.ok) return this.scheduleRetry();
    this.store = opened.store;
    this.unread?.(opened.snapshot);
    this.unread = undefined;
    try {
      await opened.store.compactNow(this.snapshot());
    } catch {
      return this.scheduleRetry();
    }
    if (this.closed) return;
    this.failure = undefined;
    this.emit('state', undefined);
  }
}
