// A DNS-SD browser (RFC 6763 §4-5 over RFC 6762) as a pure state machine: feed it mDNS packets and the
// time, send what drainQueries() returns to the multicast group, arm a timer at nextTimer(), and read
// up/update/down events from drainEvents().
//
// It browses one or more service types, or all of them (a PTR query for _services._dns-sd._udp.local
// whose answers add types as they are learnt). Continuous querying follows §5.2 (1 s, then doubling up
// to an hour) with known-answer lists (§7.1); a PTR without SRV/TXT, or an SRV target without an address,
// is asked for directly (up to 3 times, 1 s apart); records are re-queried at 80% of their TTL (§5.2) and
// dropped when it runs out. A goodbye (TTL 0) and a cache-flush (§10.2) age records out one second
// later, as §10.1 says. An instance is `up` once it has an SRV and at least one address of its target;
// any later change in host, port, addresses or TXT is an `update`; losing its PTR, SRV or every address
// is a `down`. Only responses are cached; malformed packets are dropped and counted.
import { dnsNameKey } from '../wire/dns-name';
import { DnsType } from '../wire/dns-rdata';
import { DnsClass, DnsQuestion, DnsRecord, encodeDnsMessage, isDnsResponse } from '../wire/dns';
import { recordKey } from '../core/mdns/records';
import { Outbox } from '../core/mdns/outbox';
import { receiveMdns } from '../core/mdns/receive';
import { decodeTxt, instanceLabel, qualifiedType, SERVICES_META_TYPE } from '../core/mdns/service-records';

export interface ServiceInstance {
  /** The instance label, e.g. "Kitchen". */
  readonly name: string;
  /** The full instance name, e.g. "Kitchen._http._tcp.local". */
  readonly fqdn: string;
  /** The service type, e.g. "_http._tcp.local". */
  readonly type: string;
  readonly host: string;
  readonly port: number;
  readonly addresses: readonly string[];
  readonly txt: Readonly<Record<string, string | true>>;
}

export type BrowseEvent =
  | { readonly kind: 'up' | 'update' | 'down'; readonly instance: ServiceInstance }
  | { readonly kind: 'type'; readonly type: string };

interface CacheEntry {
  record: DnsRecord;
  received: number;
  expires: number;
  refreshAt: number | undefined;
}

interface Schedule {
  due: number;
  interval: number;
}

const FIRST_QUERY_INTERVAL_MS = 1000;
const MAX_QUERY_INTERVAL_MS = 3_600_000;
const RESOLVE_RETRY_MS = 1000;
const RESOLVE_TRIES = 3;
const GOODBYE_GRACE_MS = 1000;
const REFRESH_FRACTION = 0.8;
const MAX_QUERY_MESSAGE = 1452;

export interface BrowseStats {
  received: number;
  malformed: number;
}

export class BrowseCache {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly types = new Map<string, Schedule>();
  private readonly resolving = new Map<string, { tries: number; last: number }>();
  private readonly known = new Map<string, ServiceInstance>();
  private readonly all: boolean;
  private readonly queries = new Outbox<Buffer>();
  private readonly events = new Outbox<BrowseEvent>();
  readonly stats: BrowseStats = { received: 0, malformed: 0 };

  /** `types` empty = browse all types. */
  constructor(types: readonly string[], now: number) {
    this.all = types.length === 0;
    for (const t of this.all ? [SERVICES_META_TYPE] : types) this.addType(qualifiedType(t), now);
  }

  /** What is known now, resolved instances only. */
  list(): ServiceInstance[] {
    return [...this.known.values()];
  }

  handlePacket(bytes: Buffer, now: number): void {
    const msg = receiveMdns(bytes, this.stats);
    if (!msg) return;
    if (!isDnsResponse(msg.flags)) return;
    const records = [...msg.answers, ...msg.additionals].filter((r) => r.class === DnsClass.IN);
    // §10.2: cache-flush records replace older data of their RRset, one second from now.
    for (const r of records) {
      if (!r.cacheFlush) continue;
      const set = `${dnsNameKey(r.name)}/${r.type}`;
      for (const e of this.cache.values()) {
        if (`${dnsNameKey(e.record.name)}/${e.record.type}` === set && e.received < now - GOODBYE_GRACE_MS)
          e.expires = Math.min(e.expires, now + GOODBYE_GRACE_MS);
      }
    }
    for (const r of records) this.store(r, now);
    this.handleTimer(now);
  }

  nextTimer(): number | undefined {
    const times: number[] = [...this.types.values()].map((s) => s.due);
    for (const e of this.cache.values()) {
      times.push(e.expires);
      if (e.refreshAt !== undefined) times.push(e.refreshAt);
    }
    for (const r of this.resolving.values())
      if (r.tries < RESOLVE_TRIES) times.push(r.last + RESOLVE_RETRY_MS);
    return times.length > 0 ? Math.min(...times) : undefined;
  }

  handleTimer(now: number): void {
    for (const [key, e] of this.cache) if (e.expires <= now) this.cache.delete(key);
    const questions: DnsQuestion[] = [];
    const knownAnswers: DnsRecord[] = [];
    for (const [type, s] of this.types) {
      if (s.due > now) continue;
      questions.push({ name: type, type: DnsType.PTR, class: DnsClass.IN });
      knownAnswers.push(...this.knownAnswers(type, now));
      s.due = now + s.interval;
      s.interval = Math.min(s.interval * 2, MAX_QUERY_INTERVAL_MS);
    }
    for (const e of this.cache.values()) {
      if (e.refreshAt === undefined || e.refreshAt > now) continue;
      e.refreshAt = undefined;
      if (this.relevant(e.record))
        questions.push({ name: e.record.name, type: e.record.type, class: DnsClass.IN });
    }
    questions.push(...this.resolveQuestions(now));
    this.emitQueries(dedupeQuestions(questions), knownAnswers);
    this.refreshInstances();
  }

  drainQueries(): Buffer[] {
    return this.queries.drain();
  }

  drainEvents(): BrowseEvent[] {
    return this.events.drain();
  }

  private addType(type: string, now: number): void {
    if (this.types.has(dnsNameKey(type))) return;
    this.types.set(dnsNameKey(type), { due: now, interval: FIRST_QUERY_INTERVAL_MS });
  }

  private store(r: DnsRecord, now: number): void {
    const key = recordKey(r);
    if (r.ttl === 0) {
      const e = this.cache.get(key);
      if (e) e.expires = Math.min(e.expires, now + GOODBYE_GRACE_MS);
      return;
    }
    const ttlMs = r.ttl * 1000;
    this.cache.set(key, {
      record: r,
      received: now,
      expires: now + ttlMs,
      refreshAt: now + Math.floor(ttlMs * REFRESH_FRACTION),
    });
    if (
      this.all &&
      r.type === DnsType.PTR &&
      dnsNameKey(r.name) === dnsNameKey(SERVICES_META_TYPE) &&
      r.data.kind === 'name'
    ) {
      const type = r.data.target;
      if (!this.types.has(dnsNameKey(type))) {
        this.addType(type, now);
        this.events.push({ kind: 'type', type });
      }
    }
  }

  private lookup(name: string, type: number): DnsRecord[] {
    const key = dnsNameKey(name);
    const out: DnsRecord[] = [];
    for (const e of this.cache.values())
      if (e.record.type === type && dnsNameKey(e.record.name) === key) out.push(e.record);
    return out;
  }

  private knownAnswers(type: string, now: number): DnsRecord[] {
    const out: DnsRecord[] = [];
    for (const e of this.cache.values()) {
      const r = e.record;
      if (r.type !== DnsType.PTR || dnsNameKey(r.name) !== dnsNameKey(type)) continue;
      const remaining = Math.floor((e.expires - now) / 1000);
      if (remaining > r.ttl / 2) out.push({ ...r, ttl: remaining, cacheFlush: false });
    }
    return out;
  }

  /** Records worth refreshing: the browsed PTRs and what resolves their instances. */
  private relevant(r: DnsRecord): boolean {
    if (r.type === DnsType.PTR) return this.types.has(dnsNameKey(r.name));
    return this.instanceNames().some(
      (n) =>
        dnsNameKey(n) === dnsNameKey(r.name) ||
        this.lookup(n, DnsType.SRV).some(
          (s) => s.data.kind === 'srv' && dnsNameKey(s.data.target) === dnsNameKey(r.name),
        ),
    );
  }

  private instanceNames(): string[] {
    const names: string[] = [];
    for (const type of this.types.keys()) {
      if (type === dnsNameKey(SERVICES_META_TYPE)) continue;
      for (const ptr of this.lookup(type, DnsType.PTR))
        if (ptr.data.kind === 'name') names.push(ptr.data.target);
    }
    return names;
  }

  private resolveQuestions(now: number): DnsQuestion[] {
    const wanted: DnsQuestion[] = [];
    for (const instance of this.instanceNames()) {
      const srv = this.lookup(instance, DnsType.SRV)[0];
      if (!srv) {
        wanted.push({ name: instance, type: DnsType.SRV, class: DnsClass.IN });
        wanted.push({ name: instance, type: DnsType.TXT, class: DnsClass.IN });
      } else if (srv.data.kind === 'srv') {
        const target = srv.data.target;
        if (this.lookup(target, DnsType.A).length + this.lookup(target, DnsType.AAAA).length === 0) {
          wanted.push({ name: target, type: DnsType.A, class: DnsClass.IN });
          wanted.push({ name: target, type: DnsType.AAAA, class: DnsClass.IN });
        }
      }
    }
    const out: DnsQuestion[] = [];
    const live = new Set<string>();
    for (const q of wanted) {
      const key = `${dnsNameKey(q.name)}/${q.type}`;
      live.add(key);
      const state = this.resolving.get(key) ?? { tries: 0, last: -Infinity };
      if (state.tries >= RESOLVE_TRIES || now - state.last < RESOLVE_RETRY_MS) continue;
      this.resolving.set(key, { tries: state.tries + 1, last: now });
      out.push(q);
    }
    for (const key of this.resolving.keys()) if (!live.has(key)) this.resolving.delete(key);
    return out;
  }

  private emitQueries(questions: DnsQuestion[], answers: DnsRecord[]): void {
    if (questions.length === 0) return;
    const encode = (a: DnsRecord[]) =>
      encodeDnsMessage(
        { id: 0, flags: 0, questions, answers: a, authorities: [], additionals: [] },
        { compress: true, mdns: true },
      );
    // §7.2 allows spreading known answers over several packets with TC; keeping what fits is enough here.
    let kept = answers;
    let data = encode(kept);
    while (data.length > MAX_QUERY_MESSAGE && kept.length > 0) {
      kept = kept.slice(0, Math.floor(kept.length / 2));
      data = encode(kept);
    }
    this.queries.push(data);
  }

  private resolve(fqdn: string, type: string): ServiceInstance | undefined {
    const srv = this.lookup(fqdn, DnsType.SRV)[0];
    if (!srv || srv.data.kind !== 'srv') return undefined;
    const host = srv.data.target;
    const addresses = [...this.lookup(host, DnsType.A), ...this.lookup(host, DnsType.AAAA)].flatMap((r) =>
      r.data.kind === 'a' || r.data.kind === 'aaaa' ? [r.data.address] : [],
    );
    if (addresses.length === 0) return undefined;
    const txtRecord = this.lookup(fqdn, DnsType.TXT)[0];
    const txt = txtRecord?.data.kind === 'txt' ? decodeTxt(txtRecord.data.strings) : {};
    return {
      name: instanceLabel(fqdn),
      fqdn,
      type,
      host,
      port: srv.data.port,
      addresses: [...new Set(addresses)].sort(),
      txt,
    };
  }

  private refreshInstances(): void {
    const now = new Map<string, ServiceInstance>();
    for (const type of this.types.keys()) {
      if (type === dnsNameKey(SERVICES_META_TYPE)) continue;
      for (const ptr of this.lookup(type, DnsType.PTR)) {
        if (ptr.data.kind !== 'name') continue;
        const instance = this.resolve(ptr.data.target, ptr.name);
        if (instance) now.set(dnsNameKey(instance.fqdn), instance);
      }
    }
    for (const [key, before] of this.known) {
      if (!now.has(key)) {
        this.known.delete(key);
        this.events.push({ kind: 'down', instance: before });
      }
    }
    for (const [key, instance] of now) {
      const before = this.known.get(key);
      if (!before) this.events.push({ kind: 'up', instance });
      else if (JSON.stringify(before) !== JSON.stringify(instance))
        this.events.push({ kind: 'update', instance });
      this.known.set(key, instance);
    }
  }
}

function dedupeQuestions(questions: DnsQuestion[]): DnsQuestion[] {
  const seen = new Set<string>();
  return questions.filter((q) => {
    const key = `${dnsNameKey(q.name)}/${q.type}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
