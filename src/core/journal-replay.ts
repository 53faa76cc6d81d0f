// The registry as the state directory holds it, folded into one snapshot for SleepProxy.restore: the
// last compacted snapshot, then each journal entry in order (a put replaces the sleeper of its MAC, a
// delete removes it). The files are checksummed, but what they decode to is still untrusted (another
// version, a hand edit, a bug): every value is checked for shape here, and an entry or sleeper of the
// wrong shape is dropped and counted, never thrown on. What a sleeper holds is checked by restore (snapshot.ts).
import { type ProxySnapshot, SNAPSHOT_VERSION, type SleeperSnapshot } from './snapshot';

export interface RegistryReplay {
  readonly snapshot: ProxySnapshot;
  /** Entries and snapshot sleepers of the wrong shape, dropped. */
  readonly dropped: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const keyOf = (s: unknown): string | undefined =>
  isObject(s) && typeof s.hostMac === 'string' ? s.hostMac : undefined;

export function replayRegistry(snapshot: unknown, entries: readonly unknown[]): RegistryReplay {
  let dropped = 0;
  const sleepers = new Map<string, SleeperSnapshot>();
  const put = (s: unknown): void => {
    const key = keyOf(s);
    if (key === undefined) dropped++;
    else sleepers.set(key, s as SleeperSnapshot);
  };
  if (snapshot !== undefined) {
    const valid =
      isObject(snapshot) && snapshot.version === SNAPSHOT_VERSION && Array.isArray(snapshot.sleepers);
    if (valid) (snapshot.sleepers as unknown[]).forEach(put);
    else dropped++;
  }
  for (const entry of entries) {
    if (!isObject(entry)) dropped++;
    else if (entry.op === 'put') put(entry.sleeper);
    else if (entry.op === 'delete' && typeof entry.key === 'string') sleepers.delete(entry.key);
    else dropped++;
  }
  return { snapshot: { version: SNAPSHOT_VERSION, sleepers: [...sleepers.values()] }, dropped };
}
