// A sleeper back from its snapshot (snapshot.ts) on restart. The state directory is ours, but what it
// decodes to is checked like anything else from outside: a value of the wrong type or range drops the
// record it is in, or the sleeper when it is one of the sleeper's own fields, and the drops are
// counted (RestoreReport), never thrown. Record data is re-decoded from the canonical rdata.
import { normalizeMac } from '../wire/address';
import { dnsNameToLabels } from '../wire/dns-name';
import { DnsType, parseRdata } from '../wire/dns-rdata';
import type { ProxyLimits } from './registration';
import { type Registry, Sleeper, type StoredRecord } from './registry';

export interface RestoreReport {
  readonly restored: number;
  readonly expired: number;
  /** Sleepers of the wrong shape, or over a cap once the others were in. */
  readonly droppedSleepers: number;
  /** Records of the wrong shape, dropped from sleepers that were kept. */
  readonly droppedRecords: number;
}

export interface RestoreContext {
  readonly ownMac: string;
  readonly limits: ProxyLimits;
  readonly now: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const isInt = (v: unknown, min: number, max: number): v is number =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const PASSWORD = /^([0-9a-f]{8}|[0-9a-f]{12})$/;

/** A MAC in the canonical form the engine keys by, and not ours. */
const isPeerMac = (v: unknown, own: string): v is string =>
  typeof v === 'string' && normalizeMac(v) === v && v !== own;

function recordFrom(r: unknown, context: RestoreContext): StoredRecord | undefined {
  if (!isObject(r) || typeof r.name !== 'string' || !dnsNameToLabels(r.name).ok) return undefined;
  const { type, ttl, cacheFlush, receivedAt } = r;
  if (!isInt(type, 1, 0xffff) || type === DnsType.OPT || !isInt(r.class, 0, 0x7fff)) return undefined;
  if (!isInt(ttl, 1, 0x7fffffff) || typeof cacheFlush !== 'boolean' || !isTime(receivedAt)) return undefined;
  if (typeof r.rdata !== 'string') return undefined;
  const rdata = Buffer.from(r.rdata, 'base64');
  const data = parseRdata(type, rdata, 0, rdata.length, 0);
  if (!data.ok) return undefined;
  return {
    name: r.name,
    type,
    class: r.class,
    cacheFlush,
    ttl: Math.min(ttl, context.limits.maxTtl),
    data: data.value,
    rdata,
    receivedAt: Math.min(receivedAt, context.now),
  };
}

/**
 * A sleeper rebuilt from its snapshot (without claims: the engine restarts takeover), or none when one
 * of its own fields is unusable. Times in the future are brought back: a lease ends within the lease
 * cap from `now`, nothing was received after `now`.
 */
export function sleeperFromSnapshot(
  snap: unknown,
  context: RestoreContext,
): { sleeper?: Sleeper; droppedRecords: number } {
  const none = { droppedRecords: 0 };
  if (!isObject(snap) || !Array.isArray(snap.records)) return none;
  const { hostMac, wakeMac, password, seq, messageId, registeredAt, leaseEnd } = snap;
  if (!isPeerMac(hostMac, context.ownMac) || !isPeerMac(wakeMac, context.ownMac)) return none;
  if (password !== undefined && (typeof password !== 'string' || !PASSWORD.test(password))) return none;
  if (!isInt(seq, 0, 0xffffffff) || !isInt(messageId, 0, 0xffff)) return none;
  if (!isTime(registeredAt) || !isTime(leaseEnd)) return none;
  const wakePorts = snap.wakePorts ?? [];
  if (!Array.isArray(wakePorts) || !wakePorts.every((p) => isInt(p, 1, 0xffff))) return none;
  const s = new Sleeper(hostMac, {
    wakeMac,
    password: password === undefined ? undefined : Buffer.from(password, 'hex'),
    seq,
    messageId,
    registeredAt: Math.min(registeredAt, context.now),
    leaseEnd: Math.min(leaseEnd, context.now + context.limits.maxLeaseSeconds * 1000),
  });
  const records = snap.records as unknown[];
  s.records = records.flatMap((r) => recordFrom(r, context) ?? []);
  s.wakePorts = [...new Set(wakePorts as number[])];
  s.reindex();
  return { sleeper: s, droppedRecords: records.length - s.records.length };
}

/** Whether the registry has room for a restored sleeper (the caps a registration is held to). */
export function fitsCaps(registry: Registry, s: Sleeper, limits: ProxyLimits): boolean {
  if (registry.recordCount + s.records.length > limits.maxRecords) return false;
  const newAddresses = s.addressRecords().filter((a) => !registry.forAddress(a.address)).length;
  return registry.addressCount + newAddresses <= limits.maxAddresses;
}
