// What the SleepProxy engine asks its service to do (the platform interface of STYLE-ANCHORS.md §11):
// one discriminated union, drained after every input. The service carries the actions out in order;
// a `persist` action that precedes a registration reply must be durable (fsynced) before the reply
// is sent, because the engine queues it first for exactly that reason.
import type { SpsRecord } from '../wire/sps-registration';
import type { SleeperSnapshot } from './snapshot';

/**
 * The frames the service must capture (sps-protocol.md §4.7), as plain data; the service compiles it
 * with src/io/link/bpf-filter.ts: ARP with target or sender in `ipv4`, NDP with target in `ipv6`,
 * TCP to `ipv4`+`ipv6` on `tcpPorts` (all flags: port 22 data wakes too), UDP to them on `udpPorts`,
 * and every frame from `macs` (the owners, for the "woke" heuristic). Lists are sorted and unique.
 */
export interface CaptureSet {
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly tcpPorts: readonly number[];
  readonly udpPorts: readonly number[];
  readonly macs: readonly string[];
}

/**
 * What a native answerer (SleepProxyOptions.nativeAnswers) must answer, as plain data: ARP requests
 * for `ipv4` and Neighbour Solicitations for `ipv6` (claims announced, owner not being woken), unless
 * the sender speaks from a `claimed` address (a conflict or the owner) or from an `owners` MAC (the
 * sleepers' host and wake MACs: owner activity). Lists are sorted and unique.
 */
export interface AnswerSet {
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
  readonly claimed: readonly string[];
  readonly owners: readonly string[];
}

/** One journal record: the latest state of a sleeper, or its removal. */
export type JournalEntry =
  { readonly op: 'put'; readonly sleeper: SleeperSnapshot } | { readonly op: 'delete'; readonly key: string };

export type ProxyAction =
  /** A whole Ethernet frame for the link socket. */
  | { readonly type: 'send-frame'; readonly frame: Buffer }
  /** A UDP datagram (the port-9 broadcast magic packet copy for non-Apple NICs). */
  | { readonly type: 'send-udp'; readonly to: string; readonly port: number; readonly payload: Buffer }
  /** The capture set changed: recompile and install the link filter. */
  | { readonly type: 'capture'; readonly set: CaptureSet }
  /** The answer set changed: install it in the native answerer (only with nativeAnswers). */
  | { readonly type: 'answer'; readonly set: AnswerSet }
  /** Join / leave an Ethernet multicast group (IPv6 solicited-node groups of proxied addresses). */
  | { readonly type: 'join-multicast'; readonly mac: string }
  | { readonly type: 'leave-multicast'; readonly mac: string }
  /**
   * Answer mDNS for a sleeper (replacing what was published for it before): `records` are announced
   * (twice, cache-flush on unique ones) and answered; `addressRecords` (reverse-mapping PTRs) are
   * answered but not announced, their announcements being ARP/NDP. TTLs are already capped.
   */
  | {
      readonly type: 'publish';
      readonly sleeper: string;
      readonly records: readonly SpsRecord[];
      readonly addressRecords: readonly SpsRecord[];
    }
  /**
   * Stop answering for a sleeper at once. With `goodbye`, first send TTL-0 goodbyes for `records`
   * (the responder may have forgotten them: they were withdrawn silently when the wake began).
   */
  | {
      readonly type: 'withdraw';
      readonly sleeper: string;
      readonly goodbye: boolean;
      readonly records?: readonly SpsRecord[];
    }
  | { readonly type: 'persist'; readonly entry: JournalEntry }
  /** Install / remove a blackhole route, so a forwarding kernel stays silent about a proxied address. */
  | { readonly type: 'blackhole'; readonly address: string; readonly add: boolean };

export type ProxyActionType = ProxyAction['type'];
