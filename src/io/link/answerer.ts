// The native ARP/NDP answerer (native/answerer.cc): threads with their own packet sockets that reply
// to ARP requests and Neighbour Solicitations for the addresses in its table, without a round trip
// through JavaScript, so proxied addresses resolve as fast as the kernel's own. Its owner (the
// service) installs the engine's answer set whenever it changes; the thread decides nothing else.
//
// Guarantees: a new answerer answers nothing until set(); set() replaces the table at once for the
// thread (frames already queued are judged by the new table) and then the kernel filter, which
// passes only ARP and NS for the answering addresses; close() stops and joins the thread and closes
// its sockets before it returns, is idempotent, and also happens if the answerer is garbage collected.
import { ipv4ToBytes, ipv6ToBytes, macToBytes } from '../../wire/address';
import { encodeBpf } from './bpf';
import { compileFilter, ICMPV6_NEIGHBOR_SOLICITATION } from './bpf-filter';
import { CODE_CLOSED, LinkError, toLinkError } from './errors';
import {
  loadLinkBinding,
  type NativeAnswererStats,
  type NativeAnswerTable,
  type NativeHandle,
  type NativeLinkBinding,
} from './native';

export type AnswererStats = NativeAnswererStats;

/** What to answer (the engine's AnswerSet) and as whom. */
export interface AnswerTableSpec {
  /** Our MAC: the source of every reply and what proxied addresses resolve to. */
  readonly mac: string;
  /** Answer ARP requests for these IPv4 and Neighbour Solicitations for these IPv6 addresses... */
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  /** ...unless the sender speaks from one of these addresses (IPv4 and IPv6)... */
  readonly claimed: readonly string[];
  /** ...or from one of these MACs. */
  readonly owners: readonly string[];
}

const pack = (
  items: readonly string[],
  toBytes: (text: string) => Buffer | undefined,
  what: string,
): Buffer =>
  Buffer.concat(
    items.map((text) => {
      const bytes = toBytes(text);
      if (!bytes) throw new TypeError(`answerer: not ${what}: ${text}`);
      return bytes;
    }),
  );

/** The table as the addon takes it (answerer.cc answererSet / answerFrame). */
export function nativeAnswerTable(spec: AnswerTableSpec): NativeAnswerTable {
  const isV6 = (a: string) => a.includes(':');
  return [
    pack([spec.mac], macToBytes, 'a MAC address'),
    pack(spec.ipv4, ipv4ToBytes, 'an IPv4 address'),
    pack(spec.ipv6, ipv6ToBytes, 'an IPv6 address'),
    pack(
      spec.claimed.filter((a) => !isV6(a)),
      ipv4ToBytes,
      'an IPv4 address',
    ),
    pack(spec.claimed.filter(isV6), ipv6ToBytes, 'an IPv6 address'),
    pack(spec.owners, macToBytes, 'a MAC address'),
  ];
}

/** The answer socket's kernel filter: ARP naming an answering IPv4 as target, NS for an answering IPv6. */
export function answererFilter(spec: Pick<AnswerTableSpec, 'ipv4' | 'ipv6'>): Buffer {
  return encodeBpf(
    compileFilter([
      { kind: 'arp', addresses: spec.ipv4, field: 'target' },
      { kind: 'ndp', targets: spec.ipv6, types: [ICMPV6_NEIGHBOR_SOLICITATION] },
    ]),
  );
}

/** Starts an answerer on `ifname` (needs CAP_NET_RAW). Throws LinkError like openLink. */
export function openAnswerer(ifname: string): NeighbourAnswerer {
  const binding = loadLinkBinding();
  try {
    return new NeighbourAnswerer(binding, binding.answererOpen(ifname).handle, ifname);
  } catch (error) {
    throw toLinkError(error, ifname, 'open answerer');
  }
}

export class NeighbourAnswerer {
  private handle: NativeHandle | undefined;
  private lastStats: AnswererStats | undefined;

  /** Use openAnswerer(). */
  constructor(
    private readonly binding: NativeLinkBinding,
    handle: NativeHandle,
    readonly ifname: string,
  ) {
    this.handle = handle;
  }

  get closed(): boolean {
    return this.handle === undefined;
  }

  /** Installs a new table; throws TypeError on a bad address, LinkError when the kernel refuses the filter. */
  set(spec: AnswerTableSpec): void {
    const handle = this.handle;
    if (handle === undefined)
      throw new LinkError(`answerer ${this.ifname}: set on a closed answerer`, CODE_CLOSED, {
        ifname: this.ifname,
      });
    const table = nativeAnswerTable(spec);
    const filter = answererFilter(spec);
    try {
      this.binding.answererSet(handle, ...table, filter);
    } catch (error) {
      throw toLinkError(error, this.ifname, 'answerer set');
    }
  }

  stats(): AnswererStats {
    if (this.handle !== undefined) this.lastStats = this.binding.answererStats(this.handle);
    return (
      this.lastStats ?? {
        kernelPackets: 0,
        kernelDrops: 0,
        received: 0,
        arpReplies: 0,
        ndpReplies: 0,
        skipped: 0,
        sendErrors: 0,
        socketErrors: 0,
        workers: 0,
        realtimeWorkers: 0,
      }
    );
  }

  close(): void {
    if (this.handle === undefined) return;
    this.lastStats = this.binding.answererStats(this.handle);
    this.binding.answererClose(this.handle);
    this.handle = undefined;
  }
}
