// An mDNS responder (RFC 6762) as a pure state machine: time is an input, packets come in as bytes and
// go out through drainOutgoing(), things worth telling the owner through drainEvents(). The socket glue
// (src/io/mdns-socket.ts, e.g. in src/discovery/advertise-service.ts) feeds it and arms one timer at
// nextTimer().
//
// Records are held in groups keyed by a string: one group per advertised service, or (for the sleep
// proxy) one per proxied host. publish() probes a group's unique names (§8.1: three probes 250 ms apart,
// the first with the QU bit; §8.2 tie-break against simultaneous probes), renames on conflict
// ("Name (2)", "host-2"), then announces (§8.3: `announcements` times, 1 s apart then doubling). The
// proxy publishes records the sleeper already owns with `probe: false`. withdraw() sends TTL-0 goodbyes
// (§10.1) unless asked not to.
//
// Queries are answered at once (no 20-120 ms delay for shared records: a simplification that only costs
// duplicate answers on a busy link): QM questions by multicast, rate limited to once per record per
// second (250 ms when defending against a probe, §6), QU questions (§5.4) by unicast to the querier
// when the record was multicast within a quarter of its TTL (else by multicast, so caches refresh),
// and legacy unicast queries (source port != 5353, §6.7: ID and question echoed, TTL capped at 10 s,
// no cache-flush bit) by unicast. Known answers with at least half our TTL are suppressed (§7.1).
// Additional records follow RFC 6763 §12: PTR -> SRV + TXT + the target's addresses, SRV -> addresses.
// Replies larger than one Ethernet frame are split over several messages.
// A response carrying a different record under one of our unique names is a conflict (§9): during
// probing it renames the group, afterwards the group goes back to probing (and renames if the other
// owner answers). A sender that also sends one of our records under the name (avahi on the same host
// publishing the same host name and address, plus its AAAA) cooperates and is no rival. Malformed
// packets are dropped and counted in `stats`.
import { dnsNameKey } from '../../wire/dns-name';
import { DnsType } from '../../wire/dns-rdata';
import {
  DnsClass,
  dnsFlags,
  DnsMessageRepr,
  DnsQuestion,
  DnsRecord,
  encodeDnsMessage,
  isDnsResponse,
  dnsOpcode,
  DnsOpcode,
  ParsedDnsMessage,
  ParsedDnsRecord,
} from '../../wire/dns';
import {
  compareProbeSets,
  conflictRename,
  MdnsRecord,
  recordKey,
  renameRecords,
  toDnsRecord,
  typeMatches,
} from './records';
import type { Parsed } from '../../wire/result';
import { Outbox } from './outbox';
import { receiveMdns } from './receive';

export const MDNS_PORT = 5353;
const PROBE_INTERVAL_MS = 250;
const PROBE_COUNT = 3;
const FIRST_ANNOUNCE_INTERVAL_MS = 1000;
/** §8.2: the loser of a tie-break waits one second and probes again. */
const TIEBREAK_DELAY_MS = 1000;
/** §8.1: after 15 conflicts in 10 s, wait 5 s before the next probe. */
const CONFLICT_BURST = 15;
const CONFLICT_WINDOW_MS = 10_000;
const CONFLICT_BACKOFF_MS = 5000;
const MULTICAST_RATE_MS = 1000;
const PROBE_DEFENCE_RATE_MS = 250;
const LEGACY_TTL_CAP = 10;
/** Encoded replies kept (see MdnsResponder.replies): one per distinct answer, plenty for a LAN. */
const ENCODED_REPLIES = 1024;
/** Keep replies inside one Ethernet frame (1500 - IPv6 40 - UDP 8). */
const MAX_MESSAGE = 1452;

export type MdnsDestination = 'multicast' | { readonly address: string; readonly port: number };
export interface MdnsOutgoing {
  readonly data: Buffer;
  readonly to: MdnsDestination;
}
export interface MdnsSource {
  readonly address: string;
  readonly port: number;
}
export interface PublishOptions {
  /** Probe the unique names first (false for records another host already owns, e.g. a sleeper's). */
  readonly probe: boolean;
  /** Unsolicited announcements after probing (RFC 6762 §8.3: at least 2). */
  readonly announcements: number;
}
export interface WithdrawOptions {
  readonly goodbye: boolean;
}

export type ResponderEvent =
  | { readonly kind: 'probed'; readonly group: string }
  | { readonly kind: 'announced'; readonly group: string }
  | {
      readonly kind: 'conflict';
      readonly group: string;
      readonly name: string;
      readonly phase: 'probing' | 'established';
    }
  | { readonly kind: 'renamed'; readonly group: string; readonly from: string; readonly to: string }
  | { readonly kind: 'withdrawn'; readonly group: string };

export type GroupPhase = 'probing' | 'announcing' | 'established';

interface Group {
  records: MdnsRecord[];
  /** recordKey of each record, and the unique owner names (key -> name): derived from `records`. */
  keys: Set<string>;
  uniqueNames: Map<string, string>;
  readonly options: PublishOptions;
  phase: GroupPhase;
  probesSent: number;
  announcementsSent: number;
  due: number | undefined;
}

export interface ResponderStats {
  received: number;
  malformed: number;
  answered: number;
  conflicts: number;
}

export interface ResponderOptions {
  /** [0, 1) for the random initial probe delay of §8.1 (0-250 ms); without it probing starts at once. */
  readonly random?: () => number;
}

const RESPONSE_FLAGS = dnsFlags({ qr: true, aa: true });

export class MdnsResponder {
  private readonly groups = new Map<string, Group>();
  private readonly lastMulticast = new Map<string, number>();
  /** Answerable records (groups past probing) by owner name key, deduplicated; rebuilt after a change. */
  private answerIndex: Map<string, MdnsRecord[]> | undefined;
  /** Replies (ID 0, no question) by the records they carry, encoded once while the groups stand still. */
  private readonly encoded = new Map<string, Buffer[]>();
  private readonly outgoing = new Outbox<MdnsOutgoing>();
  private readonly events = new Outbox<ResponderEvent>();
  private conflictTimes: number[] = [];
  readonly stats: ResponderStats = { received: 0, malformed: 0, answered: 0, conflicts: 0 };

  constructor(private readonly options: ResponderOptions = {}) {}

  /** Starts (or restarts, replacing the records of) a group. */
  publish(group: string, records: readonly MdnsRecord[], options: PublishOptions, now: number): void {
    const old = this.groups.get(group);
    if (old && this.wasAnnounced(old)) {
      const keep = new Set(records.map(recordKey));
      this.sendGoodbyes(
        group,
        old.records.filter((r) => !keep.has(recordKey(r))),
      );
    }
    const needsProbe = options.probe && records.some((r) => r.unique);
    const delay =
      needsProbe && this.options.random ? Math.floor(this.options.random() * PROBE_INTERVAL_MS) : 0;
    this.changed();
    this.groups.set(group, {
      ...derived(records),
      options,
      phase: needsProbe ? 'probing' : 'announcing',
      probesSent: 0,
      announcementsSent: 0,
      due: now + delay,
    });
  }

  /** Forgets a group, with TTL-0 goodbyes for what was announced (shared records other groups keep stay). */
  withdraw(group: string, options: WithdrawOptions, _now: number): void {
    const g = this.groups.get(group);
    if (!g) return;
    this.groups.delete(group);
    this.changed();
    if (options.goodbye && this.wasAnnounced(g)) this.sendGoodbyes(group, g.records);
    this.events.push({ kind: 'withdrawn', group });
  }

  /** The group's records as they stand (names change when a conflict renames them). */
  records(group: string): readonly MdnsRecord[] | undefined {
    return this.groups.get(group)?.records;
  }

  phase(group: string): GroupPhase | undefined {
    return this.groups.get(group)?.phase;
  }

  groupNames(): string[] {
    return [...this.groups.keys()];
  }

  nextTimer(): number | undefined {
    let next: number | undefined;
    for (const g of this.groups.values())
      if (g.due !== undefined && (next === undefined || g.due < next)) next = g.due;
    return next;
  }

  handleTimer(now: number): void {
    for (const [name, g] of this.groups) {
      // A group may advance more than one step when the timer fired late.
      while (g.due !== undefined && g.due <= now) this.step(name, g, now);
    }
  }

  /** `parsed`: the packet already parsed by the caller, to spare a second parse. */
  handlePacket(bytes: Buffer, from: MdnsSource, now: number, parsed?: Parsed<ParsedDnsMessage>): void {
    const msg = receiveMdns(bytes, this.stats, parsed);
    if (!msg) return;
    if (dnsOpcode(msg.flags) !== DnsOpcode.QUERY) return;
    if (isDnsResponse(msg.flags)) this.checkConflicts(msg, now);
    else {
      this.tieBreak(msg, now);
      this.answer(msg, from, now);
    }
  }

  drainOutgoing(): MdnsOutgoing[] {
    return this.outgoing.drain();
  }

  drainEvents(): ResponderEvent[] {
    return this.events.drain();
  }

  /** True when caches may hold the group's records. A group with nothing to announce (the sleep proxy's
   *  copy of records their owner announced) counts from the moment it is published. */
  private wasAnnounced(g: Group): boolean {
    if (g.phase === 'established') return true;
    return g.phase === 'announcing' && (g.announcementsSent > 0 || g.options.announcements === 0);
  }

  private step(name: string, g: Group, now: number): void {
    // Counted from now, not from when the step was due: a late timer shifts the schedule rather than
    // sending the missed probes back to back.
    const due = now;
    if (g.phase === 'probing') {
      if (g.probesSent < PROBE_COUNT) {
        this.sendProbe(g);
        g.probesSent++;
        g.due = due + PROBE_INTERVAL_MS;
        return;
      }
      g.phase = 'announcing';
      this.changed();
      this.events.push({ kind: 'probed', group: name });
      g.due = due;
      return;
    }
    if (g.phase === 'announcing') {
      if (g.announcementsSent >= g.options.announcements) {
        g.phase = 'established';
        g.due = undefined;
        this.events.push({ kind: 'announced', group: name });
        return;
      }
      this.multicast(g.records, [], due);
      g.announcementsSent++;
      g.due =
        g.announcementsSent >= g.options.announcements
          ? due
          : due + FIRST_ANNOUNCE_INTERVAL_MS * 2 ** (g.announcementsSent - 1);
      return;
    }
    g.due = undefined;
  }

  private sendProbe(g: Group): void {
    const questions: DnsQuestion[] = [...g.uniqueNames.values()].map((name) => ({
      name,
      type: DnsType.ANY,
      class: DnsClass.IN,
      qu: g.probesSent === 0,
    }));
    const authorities = g.records.filter((r) => r.unique).map((r) => toDnsRecord(r, { cacheFlush: false }));
    this.outgoing.push({
      data: encodeDnsMessage(
        { id: 0, flags: 0, questions, answers: [], authorities, additionals: [] },
        { compress: true, mdns: true },
      ),
      to: 'multicast',
    });
  }

  private sendGoodbyes(group: string, records: readonly MdnsRecord[]): void {
    const others = [...this.groups].filter(([name]) => name !== group).map(([, g]) => g.keys);
    const stillOwned = (key: string) => others.some((keys) => keys.has(key));
    const bye = records.filter((r) => !stillOwned(recordKey(r))).map((r) => toDnsRecord(r, { ttl: 0 }));
    if (bye.length > 0) this.pushMessages('multicast', 0, [], bye, []);
  }

  // --- conflicts --------------------------------------------------------------------------------------

  private checkConflicts(msg: ParsedDnsMessage, now: number): void {
    const theirs = [...msg.answers, ...msg.additionals].filter((r) => r.ttl > 0);
    const theirNames = theirs.map((r) => dnsNameKey(r.name));
    for (const [name, g] of this.groups) {
      const unique = g.uniqueNames;
      if (!theirNames.some((key) => unique.has(key))) continue;
      const ownKeys = g.keys;
      // A responder that sends one of our records under a name is a cooperating one on the same host
      // (avahi next to Node-RED publishing the same host name and address, plus its AAAA): not a rival.
      const shared = new Set(theirs.filter((r) => ownKeys.has(recordKey(r))).map((r) => dnsNameKey(r.name)));
      for (const r of theirs) {
        const key = dnsNameKey(r.name);
        if (!unique.has(key) || ownKeys.has(recordKey(r))) continue;
        if (g.phase === 'probing') {
          if (shared.has(key) && !g.records.some((o) => o.type === r.type && dnsNameKey(o.name) === key))
            continue;
          // §8.1: any record under a name being probed, whatever its type, means the name is taken.
          this.conflict(name, g, unique.get(key) ?? r.name, 'probing', now);
          break;
        }
        // §9: after probing, only the same name and type with different data is a conflict.
        if (g.records.some((o) => o.unique && o.type === r.type && dnsNameKey(o.name) === key)) {
          this.conflict(name, g, unique.get(key) ?? r.name, 'established', now);
          break;
        }
      }
    }
  }

  private conflict(
    group: string,
    g: Group,
    name: string,
    phase: 'probing' | 'established',
    now: number,
  ): void {
    this.stats.conflicts++;
    this.events.push({ kind: 'conflict', group, name, phase });
    if (phase === 'probing') {
      const to = conflictRename(name);
      Object.assign(g, derived(renameRecords(g.records, name, to)));
      this.events.push({ kind: 'renamed', group, from: name, to });
    }
    this.conflictTimes = [...this.conflictTimes.filter((t) => t > now - CONFLICT_WINDOW_MS), now];
    g.phase = 'probing';
    this.changed();
    g.probesSent = 0;
    g.announcementsSent = 0;
    g.due = now + (this.conflictTimes.length >= CONFLICT_BURST ? CONFLICT_BACKOFF_MS : 0);
  }

  /** §8.2: another host probing for one of the names we are probing. */
  private tieBreak(msg: ParsedDnsMessage, now: number): void {
    if (msg.authorities.length === 0) return;
    for (const g of this.groups.values()) {
      if (g.phase !== 'probing' || g.probesSent === 0) continue;
      for (const key of g.uniqueNames.keys()) {
        const theirs = msg.authorities.filter((r) => dnsNameKey(r.name) === key);
        if (theirs.length === 0) continue;
        const ours = g.records.filter((r) => r.unique && dnsNameKey(r.name) === key);
        if (compareProbeSets(ours, theirs) < 0) {
          g.probesSent = 0;
          g.due = now + TIEBREAK_DELAY_MS;
          break;
        }
      }
    }
  }

  // --- answering --------------------------------------------------------------------------------------

  /** The groups changed: what was derived from them is stale. */
  private changed(): void {
    this.answerIndex = undefined;
    this.encoded.clear();
  }

  /** What may be answered, by owner name key: records of groups past probing, each once. */
  private answerable(): Map<string, MdnsRecord[]> {
    if (this.answerIndex) return this.answerIndex;
    const seen = new Set<string>();
    const index = new Map<string, MdnsRecord[]>();
    for (const g of this.groups.values()) {
      if (g.phase === 'probing') continue;
      for (const r of g.records) {
        const key = recordKey(r);
        if (seen.has(key)) continue;
        seen.add(key);
        const name = dnsNameKey(r.name);
        const named = index.get(name);
        if (named) named.push(r);
        else index.set(name, [r]);
      }
    }
    return (this.answerIndex = index);
  }

  private answer(msg: ParsedDnsMessage, from: MdnsSource, now: number): void {
    if (msg.questions.length === 0) return;
    const pool = this.answerable();
    if (pool.size === 0) return;
    const legacy = from.port !== MDNS_PORT;
    const known = new Map<string, ParsedDnsRecord>(msg.answers.map((r) => [recordKey(r), r]));
    const isProbe = msg.authorities.length > 0;
    const multicast: MdnsRecord[] = [];
    const unicast: MdnsRecord[] = [];
    for (const q of msg.questions) {
      if (q.class !== DnsClass.IN && q.class !== DnsClass.ANY) continue;
      for (const r of pool.get(dnsNameKey(q.name)) ?? []) {
        if (!typeMatches(q.type, r.type)) continue;
        const k = known.get(recordKey(r));
        if (k && k.ttl >= r.ttl / 2) continue;
        (legacy || (q.qu && this.multicastRecently(r, now)) ? unicast : multicast).push(r);
      }
    }
    const rate = isProbe ? PROBE_DEFENCE_RATE_MS : MULTICAST_RATE_MS;
    const mcast = dedupe(multicast).filter((r) => {
      const last = this.lastMulticast.get(recordKey(r));
      return last === undefined || now - last >= rate;
    });
    const ucast = dedupe(unicast);
    if (mcast.length > 0) {
      this.stats.answered++;
      this.multicast(mcast, this.additionals(mcast, pool), now);
    }
    if (ucast.length > 0) {
      this.stats.answered++;
      const to = { address: from.address, port: from.port };
      const extra = this.additionals(ucast, pool);
      if (legacy) {
        const capped = (r: MdnsRecord) =>
          toDnsRecord(r, { ttl: Math.min(r.ttl, LEGACY_TTL_CAP), cacheFlush: false });
        this.pushMessages(to, msg.id, msg.questions, ucast.map(capped), extra.map(capped));
      } else {
        for (const data of this.replies(ucast, extra)) this.outgoing.push({ data, to });
      }
    }
  }

  /** §5.4: a QU question is answered by unicast only if the record went out by multicast within TTL/4. */
  private multicastRecently(r: MdnsRecord, now: number): boolean {
    const last = this.lastMulticast.get(recordKey(r));
    return last !== undefined && now - last < (r.ttl * 1000) / 4;
  }

  /** RFC 6763 §12: what a querier will want next, minus what is already answered. */
  private additionals(
    answers: readonly MdnsRecord[],
    pool: ReadonlyMap<string, readonly MdnsRecord[]>,
  ): MdnsRecord[] {
    const inAnswers = new Set(answers.map(recordKey));
    const out = new Map<string, MdnsRecord>();
    const addNamed = (name: string, types: readonly number[]) => {
      for (const r of pool.get(dnsNameKey(name)) ?? []) {
        if (types.includes(r.type)) {
          const k = recordKey(r);
          if (!inAnswers.has(k) && !out.has(k)) {
            out.set(k, r);
            if (r.data.kind === 'srv') addNamed(r.data.target, [DnsType.A, DnsType.AAAA]);
          }
        }
      }
    };
    for (const r of answers) {
      if (r.type === DnsType.PTR && r.data.kind === 'name')
        addNamed(r.data.target, [DnsType.SRV, DnsType.TXT]);
      if (r.data.kind === 'srv') addNamed(r.data.target, [DnsType.A, DnsType.AAAA]);
    }
    return [...out.values()];
  }

  private multicast(answers: readonly MdnsRecord[], additionals: readonly MdnsRecord[], now: number): void {
    for (const r of answers) this.lastMulticast.set(recordKey(r), now);
    for (const data of this.replies(answers, additionals)) this.outgoing.push({ data, to: 'multicast' });
  }

  /** The messages carrying `answers` and `additionals`, each set encoded once (answers repeat). */
  private replies(answers: readonly MdnsRecord[], additionals: readonly MdnsRecord[]): Buffer[] {
    const keyOf = (records: readonly MdnsRecord[]) =>
      records.map((r) => `${recordKey(r)}/${r.ttl}/${r.unique}`).join('|');
    const key = `${keyOf(answers)}#${keyOf(additionals)}`;
    let messages = this.encoded.get(key);
    if (!messages) {
      const wire = (r: MdnsRecord) => toDnsRecord(r);
      messages = this.encodeMessages(0, [], answers.map(wire), additionals.map(wire));
      if (this.encoded.size >= ENCODED_REPLIES) this.encoded.clear();
      this.encoded.set(key, messages);
    }
    return messages;
  }

  private pushMessages(
    to: MdnsDestination,
    id: number,
    questions: readonly DnsQuestion[],
    answers: readonly DnsRecord[],
    additionals: readonly DnsRecord[],
  ): void {
    for (const data of this.encodeMessages(id, questions, answers, additionals))
      this.outgoing.push({ data, to });
  }

  /** Splits answers over as many messages as needed; additionals ride along where they fit. */
  private encodeMessages(
    id: number,
    questions: readonly DnsQuestion[],
    answers: readonly DnsRecord[],
    additionals: readonly DnsRecord[],
  ): Buffer[] {
    const out: Buffer[] = [];
    const build = (a: readonly DnsRecord[], x: readonly DnsRecord[]): DnsMessageRepr => ({
      id,
      flags: RESPONSE_FLAGS,
      questions,
      answers: a,
      authorities: [],
      additionals: x,
    });
    const encode = (m: DnsMessageRepr) => encodeDnsMessage(m, { compress: true, mdns: true });
    // The common case first: everything in one message, encoded once.
    const whole = encode(build(answers, additionals));
    if (whole.length <= MAX_MESSAGE) return [whole];
    let batch: DnsRecord[] = [];
    const flush = (extra: readonly DnsRecord[]) => {
      if (batch.length === 0) return;
      const fitting: DnsRecord[] = [];
      for (const r of extra) if (encode(build(batch, [...fitting, r])).length <= MAX_MESSAGE) fitting.push(r);
      out.push(encode(build(batch, fitting)));
      batch = [];
    };
    for (const r of answers) {
      if (batch.length > 0 && encode(build([...batch, r], [])).length > MAX_MESSAGE) flush([]);
      batch.push(r);
    }
    flush(additionals);
    return out;
  }
}

function derived(records: readonly MdnsRecord[]): Pick<Group, 'records' | 'keys' | 'uniqueNames'> {
  const uniqueNames = new Map<string, string>();
  for (const r of records) if (r.unique) uniqueNames.set(dnsNameKey(r.name), r.name);
  return { records: [...records], keys: new Set(records.map(recordKey)), uniqueNames };
}

function dedupe(records: readonly MdnsRecord[]): MdnsRecord[] {
  const seen = new Set<string>();
  return records.filter((r) => {
    const k = recordKey(r);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
