// SleepProxy: the sans-I/O Bonjour Sleep Proxy engine for one interface (ARCHITECTURE.md "pure core").
// Inputs: registration datagrams, captured Ethernet frames, mDNS packets, commands, and time (`now`,
// milliseconds; use wall-clock ms when snapshots are persisted, see snapshot.ts). Outputs: actions
// (drainActions) and events (drainEvents), plus nextTimer(): the service calls handleTimer(t) at t.
//
// The service's loop is thin: feed an input, drain the actions and carry them out in order (a
// `persist` queued by handleRegistration must be durable before the returned reply is sent), drain
// the events, re-arm the timer with nextTimer().
//
// Errors: remote misbehaviour (malformed datagrams, frames, packets) is dropped and counted in
// `counters`, never thrown. Our own misuse (an invalid option such as a bad MAC) throws at construction.
// Per-frame work is a few Map lookups: no handler walks the sleepers.
import { isMac, normalizeMac } from '../wire/address';
import { arpReply, ARP_OP } from '../wire/arp';
import { DnsRcode, isDnsResponse, parseDnsMessage } from '../wire/dns';
import { canonicalRdata, DnsType } from '../wire/dns-rdata';
import { encodeArpFrame, encodeFrame, encodeNdpFrame, type Frame, parseFrame } from '../wire/frame';
import { ICMPV6_TYPE } from '../wire/icmpv6';
import type { TcpRepr } from '../wire/tcp';
import { ndpReply, solicitedNodeMac, UNSPECIFIED_IPV6 } from '../wire/ndp';
import { ownerOptionsOf } from '../wire/sps-owner';
import {
  encodeRegistrationReply,
  parseRegistration,
  type SpsRegistrationRepr,
} from '../wire/sps-registration';
import type { AnswerSet, CaptureSet, ProxyAction } from './actions';
import { answerSet, sameAnswerSet } from './answer-set';
import { captureSet, sameCaptureSet } from './capture';
import type { ProxyEvent, SleeperView, WakeReason, WokeVia } from './events';
import type { KeepaliveConnection } from './keepalive';
import { leaseEndFor, leaseExpired } from './lease';
import { type HostDescription, manualRegistration } from './manual-registration';
import { ownerOptionClears, ownerTrafficMeansAwake } from './owner';
import {
  DEFAULT_LIMITS,
  grantLease,
  isKeepaliveRecord,
  mergeRecords,
  type ProxyLimits,
  validSource,
} from './registration';
import {
  capRefusal,
  type GateVerdict,
  REFUSAL_REASONS,
  RegistrationGate,
  type RegistrationRefusal,
} from './registration-policy';
import { isAddressRecord, recordKey, Registry, Sleeper } from './registry';
import { type ProxySnapshot, SNAPSHOT_VERSION, sleeperSnapshot } from './snapshot';
import { fitsCaps, type RestoreReport, sleeperFromSnapshot } from './restore';
import { AddressClaim, handBackFrame, probeFrame, takeoverFrame } from './takeover';
import { DEFAULT_WATCH_POLICY, HostWatch, type WatchPolicy } from './watch';
import { tcpWakeReason, udpWakeReason, wakeRoundActions, WakeSchedule } from './wake';
import {
  DEFAULT_POLICY,
  type Endpoint,
  type FrameInfo,
  type HostRegistrationOutcome,
  type ProxyCounters,
  type ProxyPolicy,
  type RegistrationOutcome,
  type SleepProxyOptions,
} from './options';

export { DEFAULT_POLICY } from './options';
export type {
  Endpoint,
  FrameInfo,
  HostRegistrationOutcome,
  ProxyCounters,
  ProxyPolicy,
  RegistrationOutcome,
  SleepProxyOptions,
} from './options';

export class SleepProxy {
  readonly ifname: string;
  readonly mac: string;
  readonly limits: ProxyLimits;
  readonly policy: ProxyPolicy;
  readonly counters: ProxyCounters = {
    registrations: 0,
    formErr: 0,
    refused: 0,
    refusedBy: Object.fromEntries(REFUSAL_REASONS.map((r) => [r, 0])) as Record<RegistrationRefusal, number>,
    ignoredDatagrams: 0,
    malformedFrames: 0,
    malformedMdns: 0,
    arpReplies: 0,
    ndpReplies: 0,
    keepalivesSent: 0,
  };
  private readonly registry = new Registry();
  private actions: ProxyAction[] = [];
  private events: ProxyEvent[] = [];
  private capture: CaptureSet | undefined;
  /** With nativeAnswers: the set last handed to the native answerer. */
  private answers: AnswerSet | undefined;
  private readonly nativeAnswers: boolean;
  private readonly multicast = new Map<string, number>();
  /** Watched hosts by MAC (watch.ts). */
  private readonly watches = new Map<string, HostWatch>();
  private readonly gate: RegistrationGate;

  constructor(options: SleepProxyOptions) {
    const mac = normalizeMac(options.mac);
    if (!mac || !isMac(mac)) throw new TypeError(`SleepProxy: bad MAC ${options.mac}`);
    this.ifname = options.ifname;
    this.mac = mac;
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
    this.gate = new RegistrationGate(this.policy, options.subnets ?? []);
    this.nativeAnswers = options.nativeAnswers === true;
  }

  drainActions(): ProxyAction[] {
    const out = this.actions;
    this.actions = [];
    return out;
  }

  drainEvents(): ProxyEvent[] {
    const out = this.events;
    this.events = [];
    return out;
  }

  // --- Registrations (§2, §3, §7)

  handleRegistration(datagram: Buffer, from: Endpoint, now: number): RegistrationOutcome {
    if (!validSource(from.address)) return this.ignored('bad-source');
    const early = this.gate.datagram(from.address, datagram.length, this.limits.maxDatagramBytes, now);
    if (early) return this.refused(this.counted(early), from, now);
    const parsed = parseRegistration(datagram);
    if (!parsed.ok) {
      if (!parsed.formErr) return this.ignored('not-update');
      this.counters.formErr++;
      const reply = encodeRegistrationReply({ id: parsed.formErr.id, rcode: DnsRcode.FORMERR });
      return { reply, accepted: false, reason: parsed.formErr.reason };
    }
    const reg = parsed.value;
    if (reg.owner.hostMac === this.mac) return this.ignored('own-mac');
    const existing = this.registry.get(reg.owner.hostMac);
    const held = existing?.claims.keys() ?? [];
    const proxied = reg.proxiedAddresses.map((a) => a.address);
    const verdict = this.gate.sender(from.address, reg.owner.hostMac, proxied, [...held]);
    if (verdict) return this.refused(this.counted(verdict), from, now, reg);
    const admitted = this.admit(reg, undefined, now);
    if (admitted.refusal) return this.refused({ refusal: admitted.refusal }, from, now, reg);
    return {
      reply: encodeRegistrationReply({ id: reg.id, rcode: DnsRcode.NOERROR, lease: admitted.granted }),
      accepted: true,
      hostMac: reg.owner.hostMac,
      newHost: existing === undefined,
    };
  }

  /**
   * Registers a host without a Bonjour client (issue 7: a flow's `sleep` command, a watched host) the
   * way a registration from it would be: same caps, probing, takeover, lease, events and journal.
   * Every call is a new registration message (the lease is renewed). Throws nothing; a refusal or
   * our own MAC comes back as `reason`.
   */
  registerHost(desc: HostDescription, now: number): HostRegistrationOutcome {
    if (desc.mac === this.mac || desc.wakeMac === this.mac) return { accepted: false, reason: 'own-mac' };
    const existing = this.registry.get(desc.mac);
    const manual = manualRegistration(desc, existing?.seq ?? 0);
    const reg: SpsRegistrationRepr = {
      id: ((existing?.messageId ?? 0) + 1) & 0xffff,
      zoneCount: 0,
      prerequisiteCount: 0,
      owner: manual.owner,
      lease: manual.lease,
      records: manual.records,
      proxiedAddresses: manual.proxiedAddresses,
      skippedRecords: 0,
      skipped: [],
      optCount: 0,
    };
    const admitted = this.admit(reg, manual.wakePorts, now);
    if (admitted.refusal) return { accepted: false, reason: admitted.refusal };
    const s = this.registry.get(desc.mac);
    return { accepted: true, sleeper: s?.view(this.ifname) };
  }

  /** Caps, lease grant and acceptance of a parsed (or built) registration. */
  private admit(
    reg: SpsRegistrationRepr,
    wakePorts: readonly number[] | undefined,
    now: number,
  ): { refusal?: RegistrationRefusal; granted: number } {
    let existing = this.registry.get(reg.owner.hostMac);
    // The owner is talking to us, so it is awake: finish the wake sequence before taking the new one.
    if (existing?.wake) {
      this.woke(existing, 'registration', now);
      existing = undefined;
    }
    const refusal = this.checkCaps(reg, existing, now);
    if (refusal) {
      this.counted({ refusal });
      return { refusal, granted: 0 };
    }
    this.counters.registrations++;
    const granted = grantLease(reg.lease, this.limits);
    // Nothing to proxy (every record skipped, or none sent): answered, like Apple, but nothing is held.
    if (existing || reg.records.length > 0) this.accept(reg, existing, granted, now, wakePorts);
    return { granted };
  }

  private counted(verdict: GateVerdict): GateVerdict {
    this.counters.refused++;
    this.counters.refusedBy[verdict.refusal]++;
    return verdict;
  }

  /** A refused datagram (already counted): announced within the gate's bounds, answered only under policy 'refused'. */
  private refused(
    { refusal, quiet }: GateVerdict,
    from: Endpoint,
    now: number,
    reg?: SpsRegistrationRepr,
  ): RegistrationOutcome {
    if (!quiet && this.gate.announce(now)) {
      const { address: source } = from;
      const detail = reg && {
        hostMac: reg.owner.hostMac,
        addresses: reg.proxiedAddresses.map((a) => a.address),
      };
      this.events.push({ type: 'refused', reason: refusal, source, ...detail });
    }
    const reply =
      reg && this.policy.refusedReply === 'refused'
        ? encodeRegistrationReply({ id: reg.id, rcode: DnsRcode.REFUSED })
        : undefined;
    return { reply, accepted: false, reason: refusal };
  }

  private ignored(reason: string): RegistrationOutcome {
    this.counters.ignoredDatagrams++;
    return { accepted: false, reason };
  }

  private checkCaps(
    reg: SpsRegistrationRepr,
    existing: Sleeper | undefined,
    now: number,
  ): RegistrationRefusal | undefined {
    const held = existing?.records ?? [];
    const merged = mergeRecords(held, reg.records, now, this.limits.maxTtl, existing?.messageId !== reg.id);
    const holders = reg.proxiedAddresses.map((a) => this.registry.forAddress(a.address));
    // An address proxied for another sleeper stays with it (a conflict wakes that one first).
    if (holders.some((h) => h && h.key !== reg.owner.hostMac)) return 'address-held';
    return capRefusal(
      {
        newHost: !existing && reg.records.length > 0,
        hosts: this.registry.sleepers.size,
        hostRecords: merged.records.length,
        totalRecords: this.registry.recordCount - held.length + merged.records.length,
        newAddresses: holders.filter((h) => !h).length,
        totalAddresses: this.registry.addressCount,
      },
      this.limits,
    );
  }

  private accept(
    reg: SpsRegistrationRepr,
    existing: Sleeper | undefined,
    granted: number,
    now: number,
    wakePorts?: readonly number[],
  ): void {
    const { owner } = reg;
    const sameMessage = existing?.messageId === reg.id;
    const s =
      existing ??
      new Sleeper(owner.hostMac, {
        wakeMac: owner.wakeMac,
        password: owner.password,
        seq: owner.seq,
        messageId: reg.id,
        registeredAt: now,
        leaseEnd: leaseEndFor(now, granted),
      });
    const merged = mergeRecords(
      s.records,
      reg.records,
      now,
      this.limits.maxTtl,
      existing !== undefined && !sameMessage,
    );
    const oldCount = existing ? s.records.length : 0;
    const oldWakeMac = s.wakeMac;
    const ownerChanged = s.wakeMac !== owner.wakeMac || s.seq !== owner.seq;
    const portsChanged = wakePorts !== undefined && wakePorts.join() !== s.wakePorts.join();
    if (wakePorts) s.wakePorts = [...wakePorts];
    s.wakeMac = owner.wakeMac;
    s.password = owner.password ?? s.password;
    s.seq = owner.seq;
    s.messageId = reg.id;
    s.registeredAt = now;
    // A retransmission (same ID, nothing new) neither renews the lease nor touches the journal.
    const changed = !existing || merged.changed || !sameMessage || ownerChanged || portsChanged;
    if (!existing || !sameMessage) s.leaseEnd = leaseEndFor(now, granted);
    s.records = merged.records;
    s.reindex();
    s.refreshKeepalives(now);
    if (!existing) this.registry.add(s);
    this.registry.update(s, oldCount, oldWakeMac);
    if (!changed) return;
    this.syncClaims(s, now);
    this.actions.push({ type: 'persist', entry: { op: 'put', sleeper: sleeperSnapshot(s) } });
    this.publish(s);
    this.updateCapture();
    this.emit(existing && !sameMessage ? 'renewed' : 'registered', s);
  }

  private publish(s: Sleeper): void {
    const strip = ({ receivedAt: _r, ...r }: (typeof s.records)[number]) => r;
    this.actions.push({
      type: 'publish',
      sleeper: s.key,
      // Keepalive records describe a TCP connection for us alone: never announced or answered.
      records: s.records.filter((r) => !isAddressRecord(r) && !isKeepaliveRecord(r)).map(strip),
      addressRecords: s.records.filter(isAddressRecord).map(strip),
    });
  }

  /** Starts takeover for new addresses (moving them from another owner if needed); keeps running claims. */
  private syncClaims(s: Sleeper, now: number): void {
    for (const a of s.addressRecords()) {
      if (s.claims.has(a.address)) continue;
      const other = this.registry.forAddress(a.address);
      if (other && other !== s) this.dropClaim(other, a.address);
      s.claims.set(a.address, new AddressClaim(a.address, a.family, a.unique, now));
      this.registry.setAddress(a.address, s);
      if (a.family === 6) this.joinMulticast(solicitedNodeMac(a.address));
    }
  }

  private dropClaim(s: Sleeper, address: string): void {
    const claim = s.claims.get(address);
    if (!claim) return;
    s.claims.delete(address);
    this.registry.deleteAddress(address, s);
    if (claim.everAnnounced) this.actions.push({ type: 'blackhole', address, add: false });
    if (claim.family === 6) this.leaveMulticast(solicitedNodeMac(address));
  }

  private joinMulticast(mac: string): void {
    const n = this.multicast.get(mac) ?? 0;
    this.multicast.set(mac, n + 1);
    if (n === 0) this.actions.push({ type: 'join-multicast', mac });
  }

  private leaveMulticast(mac: string): void {
    const n = this.multicast.get(mac) ?? 0;
    if (n <= 1) {
      this.multicast.delete(mac);
      if (n === 1) this.actions.push({ type: 'leave-multicast', mac });
    } else this.multicast.set(mac, n - 1);
  }

  private updateCapture(): void {
    this.updateAnswers();
    const set = captureSet(this.registry, this.watches.keys());
    if (sameCaptureSet(this.capture, set)) return;
    this.capture = set;
    this.actions.push({ type: 'capture', set });
  }

  /** With nativeAnswers, after anything that may move a claim in or out of answering. */
  private updateAnswers(): void {
    if (!this.nativeAnswers) return;
    const set = answerSet(this.registry);
    if (sameAnswerSet(this.answers, set)) return;
    this.answers = set;
    this.actions.push({ type: 'answer', set });
  }

  private emit(type: 'registered' | 'renewed' | 'expired' | 'released', s: Sleeper): void {
    this.events.push({ type, sleeper: s.view(this.ifname) });
  }

  private send(frame: Buffer): void {
    this.actions.push({ type: 'send-frame', frame });
  }

  // --- Captured frames (§4.3, §4.4, §5.1)

  handleFrame(frame: Buffer, now: number, info: FrameInfo = {}): void {
    const parsed = parseFrame(frame, { verifyTransportChecksums: !info.checksumPartial });
    if (!parsed.ok) {
      this.counters.malformedFrames++;
      return;
    }
    const f = parsed.value;
    if (f.eth.src === this.mac) return;
    this.watchedActivity(f, now);
    switch (f.kind) {
      case 'arp':
        return this.handleArp(f, now);
      case 'icmpv6':
        return this.handleNdp(f, now);
      case 'tcp':
      case 'udp':
        return this.handleTransport(f, frame, now);
    }
  }

  private handleArp(f: Extract<Frame, { kind: 'arp' }>, now: number): void {
    const { arp } = f;
    if (arp.senderMac === this.mac) return;
    const owner = this.registry.forMac(arp.senderMac);
    const claimed = this.registry.forAddress(arp.senderIp);
    // Conflict pass: anyone speaking with a proxied address as its own.
    if (claimed) {
      if (claimed.isOwnerMac(arp.senderMac)) return this.ownerActivity(claimed, arp.senderIp, 'arp', now);
      this.startWake(claimed, { kind: 'conflict', address: arp.senderIp, mac: arp.senderMac }, now);
      return;
    }
    if (arp.op !== ARP_OP.REQUEST || arp.senderIp === arp.targetIp) {
      if (owner?.isOwnerMac(arp.senderMac)) this.ownerActivity(owner, undefined, 'arp', now);
      return;
    }
    const target = this.registry.forAddress(arp.targetIp);
    if (owner?.isOwnerMac(arp.senderMac)) {
      return this.ownerActivity(owner, target === owner ? arp.targetIp : undefined, 'arp', now);
    }
    if (!target || target.wake || !target.claims.get(arp.targetIp)?.answering) return;
    if (this.nativeAnswers) return; // answered already, from the answer set
    this.counters.arpReplies++;
    this.send(encodeArpFrame(arpReply(this.mac, arp), arp.senderMac));
  }

  private handleNdp(f: Extract<Frame, { kind: 'icmpv6' }>, now: number): void {
    const ndp = f.ndp;
    if (!ndp) return;
    const srcMac = f.eth.src;
    const speaker = ndp.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT ? ndp.target : f.ip.src;
    const claimed = speaker === UNSPECIFIED_IPV6 ? undefined : this.registry.forAddress(speaker);
    if (claimed) {
      if (claimed.isOwnerMac(srcMac)) return this.ownerActivity(claimed, speaker, 'ndp', now);
      this.startWake(claimed, { kind: 'conflict', address: speaker, mac: srcMac }, now);
      return;
    }
    const owner = this.registry.forMac(srcMac);
    if (ndp.type !== ICMPV6_TYPE.NEIGHBOR_SOLICITATION) {
      if (owner?.isOwnerMac(srcMac)) this.ownerActivity(owner, undefined, 'ndp', now);
      return;
    }
    const target = this.registry.forAddress(ndp.target);
    if (owner?.isOwnerMac(srcMac)) {
      return this.ownerActivity(owner, target === owner ? ndp.target : undefined, 'ndp', now);
    }
    if (!target || target.wake || !target.claims.get(ndp.target)?.answering) return;
    if (this.nativeAnswers) return; // answered already, from the answer set
    this.counters.ndpReplies++;
    this.send(encodeNdpFrame(ndpReply(this.mac, { srcMac, src: f.ip.src, target: ndp.target })));
  }

  /** The owner sent ARP/NDP: it woke (heuristic, or during a wake), or probing restarts (Apple). */
  private ownerActivity(s: Sleeper, address: string | undefined, via: 'arp' | 'ndp', now: number): void {
    if (
      ownerTrafficMeansAwake({ seq: s.seq, registeredAt: s.registeredAt, waking: !!s.wake }, now, this.policy)
    ) {
      this.woke(s, via, now);
      return;
    }
    if (address && s.claims.get(address)?.ownerSeen(now)) this.updateAnswers();
  }

  private handleTransport(f: Extract<Frame, { kind: 'tcp' | 'udp' }>, raw: Buffer, now: number): void {
    const s = this.registry.forAddress(f.ip.dst);
    if (!s) return;
    if (f.kind === 'tcp') {
      const kept = s.keepalives.find((k) => k.matches(f.ip.src, f.ip.dst, f.tcp));
      if (kept) return this.keptSegment(s, kept, f.tcp, now);
      const isSyn = f.tcp.syn && !f.tcp.ack && !f.tcp.rst;
      if (isSyn && (s.wake || s.tcpPorts.has(f.tcp.dstPort))) this.keepSyn(s, raw, now);
      if (s.wake) return;
      const reason = tcpWakeReason(s, f.tcp, f.ip.src, this.policy);
      if (reason) this.startWake(s, reason, now);
      return;
    }
    if (s.wake) return;
    const reason = udpWakeReason(s, f.udp, f.ip.src);
    if (reason) this.startWake(s, reason, now);
  }

  /** A segment of a connection we keep alive (§5.4): answer the peer's probe, or wake on news. */
  private keptSegment(s: Sleeper, k: KeepaliveConnection, tcp: TcpRepr, now: number): void {
    if (!s.claims.get(k.info.local)?.everAnnounced) return; // the sleeper still answers itself
    const { verdict, cause } = k.verdict(tcp);
    if (verdict === 'answer') this.sendKeepalive(k, true);
    else if (verdict === 'wake' && cause) {
      this.startWake(
        s,
        { kind: 'keepalive', port: k.info.localPort, from: k.info.remote, segment: cause },
        now,
      );
    }
  }

  private sendKeepalive(k: KeepaliveConnection, answer: boolean): void {
    this.counters.keepalivesSent++;
    this.send(k.frame(this.mac, answer));
  }

  private keepSyn(s: Sleeper, frame: Buffer, now: number): void {
    s.syns.push({ frame: Buffer.from(frame), at: now });
    if (s.syns.length > this.policy.maxReplaySyns) s.syns.shift();
  }

  // --- mDNS (§4.2, §4.5)

  /** `parsed`: the packet already parsed by the caller (the service parses once for us and the responder). */
  handleMdns(packet: Buffer, from: Endpoint, now: number, parsed = parseDnsMessage(packet)): void {
    if (!parsed.ok) {
      this.counters.malformedMdns++;
      return;
    }
    const msg = parsed.value;
    // Owner options first, before anything is answered or judged a conflict.
    for (const owner of ownerOptionsOf(msg)) {
      const s = this.registry.get(owner.hostMac);
      if (
        s &&
        ownerOptionClears(owner, { seq: s.seq, registeredAt: s.registeredAt, waking: !!s.wake }, now)
      ) {
        this.woke(s, 'owner-option', now);
      }
    }
    const speaker = this.registry.forAddress(from.address.split('%')[0]);
    if (
      speaker &&
      ownerTrafficMeansAwake(
        { seq: speaker.seq, registeredAt: speaker.registeredAt, waking: !!speaker.wake },
        now,
        this.policy,
      )
    ) {
      this.woke(speaker, 'mdns', now);
    }
    if (!isDnsResponse(msg.flags)) return;
    for (const r of [...msg.answers, ...msg.additionals]) {
      if (r.ttl === 0 || r.type === DnsType.OPT) continue;
      const key = recordKey(r.name, r.type);
      const holders = this.registry.withUniqueRecord(key);
      if (!holders) continue;
      const rdata = canonicalRdata(r.data);
      // Identical to any record we hold: our own answer echoed, or the owner repeating itself.
      if ([...holders].some((h) => h.uniqueRdata.get(key)?.some((d) => d.equals(rdata)))) continue;
      for (const s of [...holders]) this.nameConflict(s, r.name, now);
    }
  }

  private nameConflict(s: Sleeper, name: string, now: number): void {
    if (s.wake) return;
    if (s.lastConflictAt !== undefined && now - s.lastConflictAt <= this.policy.conflictWindowMs) {
      this.startWake(s, { kind: 'name-conflict', name }, now);
    } else s.lastConflictAt = now;
  }

  // --- Wake sequence (§5.2, §5.3) and hand-back

  private startWake(s: Sleeper, reason: WakeReason, now: number): void {
    if (s.wake) return;
    s.wake = new WakeSchedule(reason, now);
    this.actions.push({ type: 'withdraw', sleeper: s.key, goodbye: false });
    this.events.push({ type: 'wake', sleeper: s.view(this.ifname), reason });
    this.updateAnswers();
    this.runWake(s, now);
  }

  private runWake(s: Sleeper, now: number): void {
    const wake = s.wake;
    if (!wake) return;
    for (let step = wake.fire(now); step; step = s.wake ? wake.fire(now) : undefined) {
      if (step === 'failed') return this.wakeFailed(s, wake.reason, now);
      const ipv6 = [...s.claims.values()].filter((c) => c.family === 6).map((c) => c.address);
      const target = { ourMac: this.mac, wakeMac: s.wakeMac, password: s.password, ipv6 };
      this.actions.push(...wakeRoundActions(target, wake.round, wake.reason, this.policy.udpMagicCopy));
    }
  }

  /** 15 rounds and the owner never came back: goodbyes, then forget it. */
  private wakeFailed(s: Sleeper, reason: WakeReason, now: number): void {
    const records = s.records.map(({ receivedAt: _r, ...r }) => r);
    this.actions.push({ type: 'withdraw', sleeper: s.key, goodbye: true, records });
    const view = s.view(this.ifname);
    this.remove(s, now);
    this.events.push(
      reason.kind === 'lease-end'
        ? { type: 'expired', sleeper: view }
        : { type: 'wake-failed', sleeper: view, reason },
    );
  }

  /** The owner is awake: give its addresses back, replay the SYNs that woke it, drop it silently. */
  private woke(s: Sleeper, via: WokeVia, now: number): void {
    const view = s.view(this.ifname, 'awake');
    if (!s.wake) this.actions.push({ type: 'withdraw', sleeper: s.key, goodbye: false });
    this.handBack(s);
    for (const syn of s.syns) {
      if (now - syn.at > this.policy.replayWindowMs) continue;
      const replay = readdressed(syn.frame, s.wakeMac, this.mac);
      if (replay) this.send(replay);
    }
    this.remove(s, now);
    this.events.push({ type: 'woke', sleeper: view, via });
  }

  private handBack(s: Sleeper): void {
    for (const claim of s.claims.values()) {
      if (claim.everAnnounced) this.send(handBackFrame(claim, this.mac, s.wakeMac));
    }
  }

  /** Forgets `s`: addresses, multicast groups, blackholes, journal entry, capture set. */
  private remove(s: Sleeper, now: number): void {
    for (const address of [...s.claims.keys()]) this.dropClaim(s, address);
    this.watches.get(s.key)?.restart(now);
    s.wake = undefined;
    this.registry.remove(s);
    this.actions.push({ type: 'persist', entry: { op: 'delete', key: s.key } });
    this.updateCapture();
  }

  // --- Time

  handleTimer(now: number): void {
    for (const s of [...this.registry.sleepers.values()]) {
      if (s.wake) {
        this.runWake(s, now);
        continue;
      }
      if (leaseExpired(s.leaseEnd, now)) {
        // A watched host is held as long as it stays silent: renewed, not woken.
        const watched = this.watches.get(s.key);
        if (watched?.state === 'asleep') this.registerHost(watched.host, now);
        else this.startWake(s, { kind: 'lease-end' }, now);
        continue;
      }
      for (const k of s.keepalives) if (k.due(now)) this.sendKeepalive(k, false);
      for (const claim of s.claims.values()) {
        for (;;) {
          const first = !claim.everAnnounced;
          const step = claim.fire(now);
          if (!step) break;
          this.send(takeoverFrame(step, claim, this.mac));
          if (step === 'announce' && first) {
            this.actions.push({ type: 'blackhole', address: claim.address, add: true });
            this.events.push({ type: 'takeover', sleeper: s.view(this.ifname), address: claim.address });
          }
        }
      }
    }
    this.runWatches(now);
    this.updateAnswers();
  }

  nextTimer(): number | undefined {
    let next: number | undefined;
    const deadlines = [
      ...[...this.registry.sleepers.values()].map((s) => s.nextDeadline()),
      ...[...this.watches.values()].map((w) => w.nextDeadline()),
    ];
    for (const t of deadlines) if (t !== undefined && (next === undefined || t < next)) next = t;
    return next;
  }

  // --- Watched hosts (watch.ts)

  /**
   * Watches these hosts (validated with describeHost) from now on, replacing the previous list; one
   * the engine already holds (restored from the journal) counts as asleep.
   */
  watch(hosts: readonly HostDescription[], policy: Partial<WatchPolicy>, now: number): void {
    this.watches.clear();
    const full = { ...DEFAULT_WATCH_POLICY, ...policy };
    for (const host of hosts) {
      if (host.mac === this.mac) continue;
      const w = new HostWatch(host, full, now);
      if (this.registry.get(host.mac)) w.state = 'asleep';
      this.watches.set(host.mac, w);
    }
    this.updateCapture();
  }

  private watchedActivity(f: Frame, now: number): void {
    const w = this.watches.get(f.eth.src);
    if (!w) return;
    w.heard(now);
    // ARP and NDP go through the owner rules of their handlers; anything else it sends counts too.
    if (w.state !== 'asleep' || f.kind === 'arp' || f.kind === 'icmpv6') return;
    const s = this.registry.get(w.host.mac);
    if (
      s &&
      ownerTrafficMeansAwake({ seq: s.seq, registeredAt: s.registeredAt, waking: !!s.wake }, now, this.policy)
    )
      this.woke(s, 'traffic', now);
  }

  private runWatches(now: number): void {
    for (const w of this.watches.values()) {
      if (w.silent(now)) {
        w.state = 'asleep';
        const mark = this.events.length;
        const out = this.registerHost(w.host, now);
        if (out.sleeper) this.events.splice(mark, 0, { type: 'asleep', sleeper: out.sleeper });
        else w.restart(now);
        continue;
      }
      if (!w.probeDue(now)) continue;
      for (const address of w.host.addresses) this.send(probeFrame(address, this.mac, w.host.mac));
    }
  }

  // --- Commands

  /** The sleeper a user means: host name (with or without ".local"), MAC (host or wake) or address. */
  private find(target: string): Sleeper | undefined {
    const mac = normalizeMac(target);
    if (mac) return this.registry.get(mac) ?? this.registry.forMac(mac);
    const byAddress = this.registry.forAddress(target);
    if (byAddress) return byAddress;
    const wanted = target.toLowerCase().replace(/\.$/, '');
    for (const s of this.registry.sleepers.values()) {
      const name = s.hostName().toLowerCase().replace(/\.$/, '');
      if (name === wanted || name === `${wanted}.local`) return s;
    }
    return undefined;
  }

  /** Starts a wake sequence (usually reason {kind:'command'}); undefined if no such sleeper. */
  wake(target: string, reason: WakeReason, now: number): SleeperView | undefined {
    const s = this.find(target);
    if (!s) return undefined;
    this.startWake(s, reason, now);
    return s.view(this.ifname);
  }

  /** Stops proxying for a sleeper without waking it: addresses handed back, no goodbyes. */
  release(target: string, now: number): SleeperView | undefined {
    const s = this.find(target);
    if (!s) return undefined;
    const view = s.view(this.ifname);
    if (!s.wake) this.actions.push({ type: 'withdraw', sleeper: s.key, goodbye: false });
    this.handBack(s);
    this.remove(s, now);
    this.events.push({ type: 'released', sleeper: view });
    return view;
  }

  /**
   * The proxy is switched off for good (sps-protocol.md §5.1, as Apple's SPS does): every held sleeper
   * gets one immediate wake round with both magic copies and a 'wake' event (reason 'shutdown'), its
   * announced addresses are handed back, and it is forgotten, journal included, so that it registers
   * with another proxy. Call it last: the engine holds nothing afterwards.
   */
  handOver(now: number): void {
    const reason: WakeReason = { kind: 'shutdown' };
    for (const s of [...this.registry.sleepers.values()]) {
      if (!s.wake) this.actions.push({ type: 'withdraw', sleeper: s.key, goodbye: false });
      this.events.push({ type: 'wake', sleeper: s.view(this.ifname, 'waking'), reason });
      // handBack below points peers back at the owner for every announced address, IPv6 included.
      const target = { ourMac: this.mac, wakeMac: s.wakeMac, password: s.password, ipv6: [] };
      this.actions.push(...wakeRoundActions(target, 1, reason, this.policy.udpMagicCopy));
      this.handBack(s);
      this.remove(s, now);
    }
  }

  list(_now = 0): SleeperView[] {
    return [...this.registry.sleepers.values()].map((s) => s.view(this.ifname));
  }

  // --- Persistence

  snapshot(): ProxySnapshot {
    return { version: SNAPSHOT_VERSION, sleepers: [...this.registry.sleepers.values()].map(sleeperSnapshot) };
  }

  /**
   * Loads a snapshot into an empty engine: expired leases are dropped ('expired' event and a journal
   * delete, no wake: the lease ended while nobody was proxying), the rest are published and their
   * addresses probed again from `now`. Every value is checked first (restore.ts): what is unusable,
   * already held or over a cap is dropped and counted in the report, never thrown.
   */
  restore(snapshot: ProxySnapshot, now: number): RestoreReport {
    const report = { restored: 0, expired: 0, droppedSleepers: 0, droppedRecords: 0 };
    if (snapshot?.version !== SNAPSHOT_VERSION || !Array.isArray(snapshot.sleepers)) return report;
    for (const snap of snapshot.sleepers) {
      const { sleeper: s, droppedRecords } = sleeperFromSnapshot(snap, {
        ownMac: this.mac,
        limits: this.limits,
        now,
      });
      report.droppedRecords += droppedRecords;
      if (!s || this.registry.get(s.key) || !fitsCaps(this.registry, s, this.limits)) {
        report.droppedSleepers++;
        continue;
      }
      if (leaseExpired(s.leaseEnd, now)) {
        this.actions.push({ type: 'persist', entry: { op: 'delete', key: s.key } });
        this.emit('expired', s);
        report.expired++;
        continue;
      }
      this.registry.add(s);
      this.registry.update(s, 0);
      s.refreshKeepalives(now);
      this.syncClaims(s, now);
      this.publish(s);
      report.restored++;
    }
    this.updateCapture();
    return report;
  }
}

/**
 * The kept SYN, to the owner's MAC. Re-emitted through the codec rather than patched: a SYN captured
 * from a local peer (veth, or a VM on this host) carries an unfinished, offloaded TCP checksum that
 * the owner's kernel would drop.
 */
function readdressed(frame: Buffer, dstMac: string, srcMac: string): Buffer | undefined {
  const parsed = parseFrame(frame, { verifyTransportChecksums: false });
  if (!parsed.ok) return undefined;
  return encodeFrame({ ...parsed.value, eth: { ...parsed.value.eth, dst: dstMac, src: srcMac } });
}
