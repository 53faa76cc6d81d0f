// The registry as plain JSON (for the journal in src/io/store): one SleeperSnapshot per sleeper.
// Times are the engine's clock, so a service that persists must feed the engine wall-clock
// milliseconds (Date.now()), or leases cannot be judged after a restart. Buffers travel as base64
// (rdata) and hex (password); record data is re-decoded from the canonical rdata on restore, and a
// record that no longer decodes is dropped rather than failing the whole restore.
import { parseRdata } from '../wire/dns-rdata';
import type { StoredRecord } from './registry';
import { Sleeper } from './registry';

export const SNAPSHOT_VERSION = 1;

export interface RecordSnapshot {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly cacheFlush: boolean;
  readonly ttl: number;
  /** base64 of the uncompressed rdata. */
  readonly rdata: string;
  readonly receivedAt: number;
}

export interface SleeperSnapshot {
  readonly hostMac: string;
  readonly wakeMac: string;
  /** hex, 6 bytes. */
  readonly password?: string;
  readonly seq: number;
  readonly messageId: number;
  readonly registeredAt: number;
  readonly leaseEnd: number;
  readonly records: readonly RecordSnapshot[];
  /** Wake-only TCP ports (registry.ts); absent for Bonjour sleepers. */
  readonly wakePorts?: readonly number[];
}

export interface ProxySnapshot {
  readonly version: number;
  readonly sleepers: readonly SleeperSnapshot[];
}

export function sleeperSnapshot(s: Sleeper): SleeperSnapshot {
  return {
    hostMac: s.hostMac,
    wakeMac: s.wakeMac,
    ...(s.password ? { password: s.password.toString('hex') } : {}),
    seq: s.seq,
    messageId: s.messageId,
    registeredAt: s.registeredAt,
    leaseEnd: s.leaseEnd,
    records: s.records.map((r) => ({
      name: r.name,
      type: r.type,
      class: r.class,
      cacheFlush: r.cacheFlush,
      ttl: r.ttl,
      rdata: r.rdata.toString('base64'),
      receivedAt: r.receivedAt,
    })),
    ...(s.wakePorts.length > 0 ? { wakePorts: [...s.wakePorts] } : {}),
  };
}

function recordFrom(snap: RecordSnapshot): StoredRecord | undefined {
  const rdata = Buffer.from(snap.rdata, 'base64');
  const data = parseRdata(snap.type, rdata, 0, rdata.length, 0);
  if (!data.ok) return undefined;
  const { name, type, cacheFlush, ttl, receivedAt } = snap;
  return { name, type, class: snap.class, cacheFlush, ttl, data: data.value, rdata, receivedAt };
}

const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** A sleeper rebuilt from its snapshot (without claims: the engine restarts takeover); undefined if unusable. */
export function sleeperFromSnapshot(snap: SleeperSnapshot): Sleeper | undefined {
  if (typeof snap?.hostMac !== 'string' || typeof snap.wakeMac !== 'string') return undefined;
  if (![snap.seq, snap.messageId, snap.registeredAt, snap.leaseEnd].every(isNumber)) return undefined;
  if (!Array.isArray(snap.records)) return undefined;
  const s = new Sleeper(snap.hostMac, {
    wakeMac: snap.wakeMac,
    password: snap.password ? Buffer.from(snap.password, 'hex') : undefined,
    seq: snap.seq,
    messageId: snap.messageId,
    registeredAt: snap.registeredAt,
    leaseEnd: snap.leaseEnd,
  });
  s.records = snap.records.flatMap((r) => recordFrom(r) ?? []);
  if (Array.isArray(snap.wakePorts)) s.wakePorts = snap.wakePorts.filter(isNumber);
  s.reindex();
  return s;
}
