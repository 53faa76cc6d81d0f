// The registry as plain JSON (for the journal in src/io/store): one SleeperSnapshot per sleeper.
// Times are the engine's clock, so a service that persists must feed the engine wall-clock
// milliseconds (Date.now()), or leases cannot be judged after a restart. Buffers travel as base64
// (rdata) and hex (password). The way back, checking every value, is restore.ts.
import type { Sleeper } from './registry';

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
