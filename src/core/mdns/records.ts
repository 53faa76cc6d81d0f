// The records an mDNS responder owns (RFC 6762): what they are, how two of them compare, and how a
// conflicting name is renamed. Pure.
//
// A record is `unique` when this responder claims the whole RRset (RFC 6762 §2, "unique"): it is probed
// before use, sent with the cache-flush bit, and defended. Shared records (PTR of a service type) are
// neither probed nor defended.
import { dnsNameKey, joinDnsName, splitDnsName } from '../../wire/dns-name';
import { canonicalRdata, DnsRdata, DnsType } from '../../wire/dns-rdata';
import { DnsClass, DnsRecord } from '../../wire/dns';

export interface MdnsRecord {
  readonly name: string;
  readonly type: number;
  readonly data: DnsRdata;
  /** Seconds. RFC 6762 §10: 120 for records naming a host (A/AAAA/SRV), 4500 for the others. */
  readonly ttl: number;
  readonly unique: boolean;
}

/** RFC 6762 §10 recommended TTLs. */
export const HOST_RECORD_TTL = 120;
export const OTHER_RECORD_TTL = 4500;

// Records are immutable (renames make new ones), so each one's key is computed once.
const keys = new WeakMap<object, string>();

/** Identity of a record: owner name (case-insensitive), type and RDATA bytes. */
export function recordKey(r: { name: string; type: number; data: DnsRdata }): string {
  let key = keys.get(r);
  if (key === undefined) {
    key = `${dnsNameKey(r.name)}/${r.type}/${canonicalRdata(r.data).toString('hex')}`;
    keys.set(r, key);
  }
  return key;
}

/** Same owner name, type and RDATA (TTL and flags aside). */
export function sameRecord(a: { name: string; type: number; data: DnsRdata }, b: typeof a): boolean {
  return recordKey(a) === recordKey(b);
}

/** The wire form: class IN, cache-flush on unique records (never in legacy unicast replies). */
export function toDnsRecord(r: MdnsRecord, opts: { ttl?: number; cacheFlush?: boolean } = {}): DnsRecord {
  return {
    name: r.name,
    type: r.type,
    class: DnsClass.IN,
    cacheFlush: opts.cacheFlush ?? r.unique,
    ttl: opts.ttl ?? r.ttl,
    data: r.data,
  };
}

/**
 * RFC 6762 §8.2 simultaneous probe tie-break: each side's records for the name are sorted by (class, type,
 * RDATA bytes) and compared pairwise; the lexicographically later set wins, a set that runs out first loses.
 * Returns >0 when `ours` wins, <0 when it loses, 0 when both are the same.
 */
export function compareProbeSets(
  ours: readonly { type: number; data: DnsRdata }[],
  theirs: readonly { type: number; data: DnsRdata }[],
): number {
  const sorted = (set: readonly { type: number; data: DnsRdata }[]) =>
    set
      .map((r) => ({ type: r.type, bytes: canonicalRdata(r.data) }))
      .sort((a, b) => a.type - b.type || Buffer.compare(a.bytes, b.bytes));
  const a = sorted(ours);
  const b = sorted(theirs);
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = a[i].type - b[i].type || Buffer.compare(a[i].bytes, b[i].bytes);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/**
 * The next name to try after a conflict on `name` (RFC 6763 §9 for service instances: "Name (2)",
 * RFC 6762 §9 for host names: "host-2"). A service instance is recognised by its second label
 * starting with '_' (Instance._service._proto.domain).
 */
export function conflictRename(name: string): string {
  const labels = splitDnsName(name);
  if (!labels || labels.length === 0) return name;
  const [first, ...rest] = labels;
  const isInstance = rest.length >= 2 && rest[0].startsWith('_');
  const pattern = isInstance ? /^(.*) \((\d+)\)$/ : /^(.*)-(\d+)$/;
  const match = pattern.exec(first);
  const base = match ? match[1] : first;
  const n = match ? Number(match[2]) + 1 : 2;
  const renamed = isInstance ? `${base} (${n})` : `${base}-${n}`;
  return joinDnsName([renamed, ...rest]);
}

/** The records with every occurrence of `from` (owner names, PTR and SRV targets) replaced by `to`. */
export function renameRecords(records: readonly MdnsRecord[], from: string, to: string): MdnsRecord[] {
  const key = dnsNameKey(from);
  const swap = (n: string) => (dnsNameKey(n) === key ? to : n);
  return records.map((r) => {
    let data = r.data;
    if (data.kind === 'name') data = { ...data, target: swap(data.target) };
    else if (data.kind === 'srv') data = { ...data, target: swap(data.target) };
    return { ...r, name: swap(r.name), data };
  });
}

/** Types answered for a question of `qtype` (ANY matches every type). */
export function typeMatches(qtype: number, type: number): boolean {
  return qtype === DnsType.ANY || qtype === type;
}
