// The sleepers of one interface, keyed by the owner's host MAC (sps-protocol.md §4.1, checklist 4),
// with the indexes the per-frame path needs: proxied address -> sleeper, MAC (host or wake) ->
// sleeper, and (name, type) of unique records -> sleepers, for mDNS conflict checks. Every lookup is a
// Map access; only registration, removal and timers walk a sleeper's own records.
import { ipv4ToString, ipv6ToString } from '../wire/address';
import { dnsNameKey, parseReverseName, splitDnsName } from '../wire/dns-name';
import { DnsType } from '../wire/dns-rdata';
import type { SpsRecord } from '../wire/sps-registration';
import type { ServiceView, SleeperPhase, SleeperView } from './events';
import { keepalivesOf, type KeepaliveConnection } from './keepalive';
import type { AddressClaim } from './takeover';
import type { WakeSchedule } from './wake';

export interface StoredRecord extends SpsRecord {
  /** When the record was (last) received, in the engine's clock. */
  readonly receivedAt: number;
}

export interface CapturedSyn {
  readonly frame: Buffer;
  readonly at: number;
}

export interface AddressOfRecord {
  readonly address: string;
  readonly family: 4 | 6;
  /** The PTR carried the cache-flush bit (macOS): probe first. */
  readonly unique: boolean;
}

/** (name, type) key for record indexes; names compare case-insensitively. */
export const recordKey = (name: string, type: number): string => `${dnsNameKey(name)}/${type}`;

/** A reverse-mapping PTR: its name is an address to take over (§4.1). */
export function isAddressRecord(r: Pick<SpsRecord, 'name' | 'type'>): boolean {
  return r.type === DnsType.PTR && parseReverseName(r.name) !== undefined;
}

export class Sleeper {
  wakeMac: string;
  password: Buffer | undefined;
  seq: number;
  /** DNS ID of the latest registration message (fragments and retransmissions share it). */
  messageId: number;
  /** Time of the latest accepted registration message. */
  registeredAt: number;
  leaseEnd: number;
  records: StoredRecord[] = [];
  readonly claims = new Map<string, AddressClaim>();
  tcpPorts = new Set<number>();
  udpPorts = new Set<number>();
  /** TCP ports that wake the host without an SRV (a host described by a flow or the config, issue 7). */
  wakePorts: readonly number[] = [];
  /** Rdata of the unique records by recordKey, for "identical record" checks. */
  uniqueRdata = new Map<string, Buffer[]>();
  wake: WakeSchedule | undefined;
  syns: CapturedSyn[] = [];
  /** TCP connections kept alive for the sleeper (keepalive.ts), from its `_keepalive` records. */
  keepalives: KeepaliveConnection[] = [];
  lastConflictAt: number | undefined;

  constructor(
    readonly hostMac: string,
    init: {
      wakeMac: string;
      password?: Buffer;
      seq: number;
      messageId: number;
      registeredAt: number;
      leaseEnd: number;
    },
  ) {
    this.wakeMac = init.wakeMac;
    this.password = init.password;
    this.seq = init.seq;
    this.messageId = init.messageId;
    this.registeredAt = init.registeredAt;
    this.leaseEnd = init.leaseEnd;
  }

  get key(): string {
    return this.hostMac;
  }

  isOwnerMac(mac: string): boolean {
    return mac === this.wakeMac || mac === this.hostMac;
  }

  /** Recomputes ports and the unique-record index after `records` changed. */
  reindex(): void {
    this.tcpPorts = new Set(this.wakePorts);
    this.udpPorts = new Set();
    this.uniqueRdata = new Map();
    for (const r of this.records) {
      if (r.data.kind === 'srv') {
        const proto = splitDnsName(r.name)?.[2]?.toLowerCase();
        if (proto === '_tcp') this.tcpPorts.add(r.data.port);
        else if (proto === '_udp') this.udpPorts.add(r.data.port);
      }
      if (r.cacheFlush) {
        const key = recordKey(r.name, r.type);
        const list = this.uniqueRdata.get(key);
        if (list) list.push(r.rdata);
        else this.uniqueRdata.set(key, [r.rdata]);
      }
    }
  }

  /** Re-reads the keepalive records after `records` changed; unchanged connections keep their timing. */
  refreshKeepalives(now: number): void {
    const proxied = new Set(this.addressRecords().map((a) => a.address));
    this.keepalives = keepalivesOf(this.records, proxied, this.keepalives, now);
  }

  /** The addresses the reverse-mapping PTRs name (§4.1: only these are taken over). */
  addressRecords(): AddressOfRecord[] {
    const out = new Map<string, AddressOfRecord>();
    for (const r of this.records) {
      if (r.type !== DnsType.PTR) continue;
      const reverse = parseReverseName(r.name);
      if (!reverse) continue;
      const address = reverse.family === 4 ? ipv4ToString(reverse.bytes) : ipv6ToString(reverse.bytes);
      const seen = out.get(address);
      if (!seen || (!seen.unique && r.cacheFlush))
        out.set(address, { address, family: reverse.family, unique: r.cacheFlush });
    }
    return [...out.values()];
  }

  hostName(): string {
    const host = this.records.find((r) => r.type === DnsType.A || r.type === DnsType.AAAA);
    if (host) return host.name;
    const ptr = this.records.find((r) => r.type === DnsType.PTR && parseReverseName(r.name));
    return ptr?.data.kind === 'name' ? ptr.data.target : this.hostMac;
  }

  services(): ServiceView[] {
    const out: ServiceView[] = [];
    for (const r of this.records) {
      if (r.data.kind !== 'srv') continue;
      const labels = splitDnsName(r.name);
      if (!labels || labels.length < 3) continue;
      out.push({ name: labels[0], type: `${labels[1]}.${labels[2]}`, port: r.data.port });
    }
    return out;
  }

  phase(): SleeperPhase {
    if (this.wake) return 'waking';
    for (const claim of this.claims.values()) if (!claim.everAnnounced) return 'probing';
    return 'proxied';
  }

  view(ifname: string, phase: SleeperPhase = this.phase()): SleeperView {
    return {
      key: this.key,
      interface: ifname,
      name: this.hostName(),
      hostMac: this.hostMac,
      wakeMac: this.wakeMac,
      addresses: [...this.claims.keys()],
      services: this.services(),
      leaseEnd: this.leaseEnd,
      state: phase,
    };
  }

  /** The earliest time this sleeper needs the clock. */
  nextDeadline(): number | undefined {
    if (this.wake) return this.wake.nextAt;
    let next = this.leaseEnd;
    for (const claim of this.claims.values()) {
      if (claim.nextAt !== undefined && claim.nextAt < next) next = claim.nextAt;
    }
    for (const k of this.keepalives) if (k.nextAt < next) next = k.nextAt;
    return next;
  }
}

export class Registry {
  readonly sleepers = new Map<string, Sleeper>();
  private readonly byAddress = new Map<string, Sleeper>();
  private readonly byMac = new Map<string, Sleeper>();
  private readonly uniqueNames = new Map<string, Set<Sleeper>>();
  private indexedKeys = new Map<Sleeper, string[]>();
  recordCount = 0;

  get(hostMac: string): Sleeper | undefined {
    return this.sleepers.get(hostMac);
  }

  forAddress(address: string): Sleeper | undefined {
    return this.byAddress.get(address);
  }

  forMac(mac: string): Sleeper | undefined {
    return this.byMac.get(mac);
  }

  get addressCount(): number {
    return this.byAddress.size;
  }

  /** Sleepers holding a unique record with this (name, type). */
  withUniqueRecord(key: string): ReadonlySet<Sleeper> | undefined {
    return this.uniqueNames.get(key);
  }

  add(s: Sleeper): void {
    this.sleepers.set(s.key, s);
    this.byMac.set(s.hostMac, s);
    this.byMac.set(s.wakeMac, s);
  }

  /** Re-registers `s`'s MACs, records and unique names after a change. */
  update(s: Sleeper, oldRecordCount: number, oldWakeMac?: string): void {
    if (oldWakeMac && oldWakeMac !== s.wakeMac && this.byMac.get(oldWakeMac) === s)
      this.byMac.delete(oldWakeMac);
    this.byMac.set(s.hostMac, s);
    this.byMac.set(s.wakeMac, s);
    this.recordCount += s.records.length - oldRecordCount;
    this.unindexNames(s);
    const keys = [...s.uniqueRdata.keys()];
    for (const key of keys) {
      const set = this.uniqueNames.get(key);
      if (set) set.add(s);
      else this.uniqueNames.set(key, new Set([s]));
    }
    this.indexedKeys.set(s, keys);
  }

  setAddress(address: string, s: Sleeper): void {
    this.byAddress.set(address, s);
  }

  deleteAddress(address: string, s: Sleeper): void {
    if (this.byAddress.get(address) === s) this.byAddress.delete(address);
  }

  remove(s: Sleeper): void {
    if (this.sleepers.get(s.key) !== s) return;
    this.sleepers.delete(s.key);
    for (const mac of [s.hostMac, s.wakeMac]) if (this.byMac.get(mac) === s) this.byMac.delete(mac);
    for (const address of s.claims.keys()) this.deleteAddress(address, s);
    this.recordCount -= s.records.length;
    this.unindexNames(s);
  }

  private unindexNames(s: Sleeper): void {
    for (const key of this.indexedKeys.get(s) ?? []) {
      const set = this.uniqueNames.get(key);
      set?.delete(s);
      if (set?.size === 0) this.uniqueNames.delete(key);
    }
    this.indexedKeys.delete(s);
  }
}
