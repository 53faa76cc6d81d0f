// Accepting a registration (sps-protocol.md §3, §4.1, §7): the parsed UPDATE is checked against the
// caps and merged into the owner's records the way Apple's mDNSCoreReceiveUpdate does it: a record
// identical to one already held for the owner (same name, type, class and rdata) replaces it; other
// older records stay (a registration never wipes the owner's earlier records); the owner's keepalive
// records are flushed once per registration (not per fragment: fragments share the message ID).
// TTLs are capped here (4500 s); TTL-0 and oversized records were already skipped by the parser.
//
// Replies, case by case (the choice is ours where Apple's clients cannot tell):
// - not a DNS UPDATE request, or an invalid source address: no reply (Apple ignores them);
// - malformed / no OPT / no usable Lease or Owner: FormErr (Apple's behaviour, and SPC fails over);
// - refused by the registration policy or over a cap (registration-policy.ts): silence by default,
//   because macOS ignores the RCODE and would believe a Refused reply registered it, while silence
//   makes both clients try the next SPS; policy 'refused' sends Apple's Refused instead (to a
//   registration that parsed; a rate-limited, oversized or off-subnet datagram always gets silence);
// - accepted, including retransmissions and every fragment of a split registration: NOERROR with the
//   granted lease.
//   A first registration with no usable record is answered the same way but holds nothing (Apple
//   stores nothing either, so no lease-end wake follows).
import { dnsNameKey, splitDnsName } from '../wire/dns-name';
import type { SpsRecord } from '../wire/sps-registration';
import type { StoredRecord } from './registry';

export interface ProxyLimits {
  /** Apple's MAX_PROXY_RECORDS, over all sleepers of the interface. */
  readonly maxRecords: number;
  /** Lease grant cap, seconds. */
  readonly maxLeaseSeconds: number;
  /** Record TTL cap, seconds. */
  readonly maxTtl: number;
  /** Proxied addresses per interface (Apple's capture-filter cap). */
  readonly maxAddresses: number;
  /** Records held for one host (a Mac with 30 services sends about 100). */
  readonly maxRecordsPerHost: number;
  /** Sleepers per interface. */
  readonly maxHosts: number;
  /** Registration datagram bytes (mDNS's own maximum, RFC 6762 §17; Apple splits at ~1440). */
  readonly maxDatagramBytes: number;
}

export const DEFAULT_LIMITS: ProxyLimits = {
  maxRecords: 10_000,
  maxLeaseSeconds: 86_400,
  maxTtl: 4500,
  maxAddresses: 250,
  maxRecordsPerHost: 1000,
  maxHosts: 250,
  maxDatagramBytes: 9000,
};

const identity = (r: SpsRecord): string =>
  `${dnsNameKey(r.name)}/${r.type}/${r.class}/${r.rdata.toString('hex')}`;

/** `_keepalive` as the second label (STUB: `<n>._keepalive._dns-sd._udp.local`). */
export function isKeepaliveRecord(r: SpsRecord): boolean {
  return splitDnsName(r.name)?.[1]?.toLowerCase() === '_keepalive';
}

export interface MergeResult {
  readonly records: StoredRecord[];
  /** Anything other than receive times differs from before. */
  readonly changed: boolean;
}

export function mergeRecords(
  held: readonly StoredRecord[],
  incoming: readonly SpsRecord[],
  now: number,
  maxTtl: number,
  flushKeepalives: boolean,
): MergeResult {
  let changed = false;
  const kept = flushKeepalives ? held.filter((r) => !isKeepaliveRecord(r)) : [...held];
  if (kept.length !== held.length) changed = true;
  const index = new Map<string, number>();
  kept.forEach((r, i) => index.set(identity(r), i));
  const records: StoredRecord[] = kept;
  for (const r of incoming) {
    const stored: StoredRecord = { ...r, ttl: Math.min(r.ttl, maxTtl), receivedAt: now };
    const id = identity(stored);
    const at = index.get(id);
    if (at === undefined) {
      index.set(id, records.length);
      records.push(stored);
      changed = true;
    } else {
      const old = records[at];
      if (old.ttl !== stored.ttl || old.cacheFlush !== stored.cacheFlush) changed = true;
      records[at] = stored;
    }
  }
  return { records, changed };
}

/** The lease granted for a request, seconds. */
export function grantLease(requested: number, limits: ProxyLimits): number {
  return Math.min(requested, limits.maxLeaseSeconds);
}

/** Apple's source check (mDNSCoreReceive): not zero, not all-ones. */
export function validSource(address: string): boolean {
  const bare = address.split('%')[0];
  return bare !== '' && bare !== '0.0.0.0' && bare !== '255.255.255.255' && bare !== '::';
}
