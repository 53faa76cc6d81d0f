// The decisions of a UDP broadcast relay (issue 6), pure: what to do with a frame captured on our
// segment (relay it to the mesh, or drop it and say why) and with a mesh message (rebroadcast it,
// or drop it). The service (relay-service.ts) does the I/O; time is an input `now` (ms).
//
// Loop and storm safety, without SnowSignal's "drop everything from my own MAC" (which also drops
// broadcasts of processes on the relay host):
// - `sent`: fingerprints of what we rebroadcast; capturing one of them again is our own echo.
//   It may be shared by every relay endpoint of one process (broadcast in + out nodes).
// - `seen`: fingerprints captured on our segment; a mesh message carrying one of them (another
//   relay on the same segment relayed it too) is not put on the segment a second time, and a
//   second mesh copy of a broadcast we already rebroadcast is dropped by `sent`.
// So with relays sharing segments each broadcast appears at most once per segment.
// IPv6 multicast to the chosen groups (`ipv6Groups`) goes the same way, one frame per datagram
// (no IPv6 fragments); its fingerprint has the flow label where IPv4 has the ident, so identical
// datagrams (same source, port and payload) repeated within the dedupe window are relayed once.
import { macToString, normalizeIpv6 } from '../wire/address';
import { ETHERTYPE } from '../wire/ethernet';
import { type Ipv4Repr } from '../wire/ipv4';
import { Ipv4Reassembler } from '../wire/ipv4-reassembly';
import {
  MESH_AUTH_OVERHEAD,
  encodeAuthMesh,
  encodePlainMesh,
  meshCounterTime,
  nextMeshCounter,
  parseMeshMessage,
} from '../wire/relay-mesh';
import {
  type BroadcastDatagram,
  IPV6_FRAGMENT,
  MAX_UDP_PAYLOAD,
  broadcastFingerprint,
  encodeIpv4Frame,
  frameEtherType,
  isIpv6Datagram,
  parseIpv4Frame,
  parseIpv6MulticastFrame,
  toBroadcastDatagram,
} from './broadcast-datagram';
import { ExpiringSet, type RateLimit, TokenBuckets } from './expiring-set';

export const DROP_REASONS = [
  'malformed', // not parsable as Ethernet/IPv4/UDP, or a mesh message of neither format
  'not-udp',
  'port', // UDP to a port we do not relay
  'group', // IPv6 multicast to a group we do not relay (or IPv6 with no group set)
  'fragments', // reassembly gave up (overlap, too large, too many in progress)
  'own-rebroadcast', // captured a frame we put on the segment ourselves
  'duplicate', // already on this segment, or already rebroadcast
  'rate-limited',
  'too-large', // reassembled datagram too large for one mesh message
  'forged', // authenticated message with a bad HMAC
  'replayed', // authenticated message with an old or reused counter
  'unauthenticated', // a plain message while a key is set, or an authenticated one without a key
  'own-message', // our own authenticated message came back
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export interface RelayCounters {
  /** Broadcasts captured on our segment and relayed to the mesh. */
  relayed: number;
  /** Mesh messages received (before any check). */
  meshReceived: number;
  /** Broadcasts put on our segment from the mesh (or a `broadcast out`). */
  rebroadcast: number;
  dropped: Record<DropReason, number>;
}

export interface RelayCoreOptions {
  /** UDP destination ports relayed. */
  readonly ports: readonly number[];
  /** IPv6 multicast groups relayed (e.g. ff15::4b50); default none. */
  readonly ipv6Groups?: readonly string[];
  /** 8 random bytes naming this relay in authenticated messages. */
  readonly senderId: Uint8Array;
  /** Shared mesh key: messages are authenticated and plain ones refused. */
  readonly key?: Uint8Array;
  /** How long a fingerprint is remembered (default 3000 ms). */
  readonly dedupeMs?: number;
  /** Per source address, captured and mesh alike (default 200/s, burst 500). */
  readonly rateLimit?: RateLimit;
  /** Authenticated messages whose counter's clock is further from ours are replays (default 60 s). */
  readonly freshnessMs?: number;
  /** Shared across endpoints of one process (see the header). */
  readonly sent?: ExpiringSet;
}

export type Outcome =
  | { readonly kind: 'drop'; readonly reason: DropReason }
  | { readonly kind: 'pending' }
  | { readonly kind: 'relay' | 'rebroadcast'; readonly datagram: BroadcastDatagram; readonly frame: Buffer };

const PENDING: Outcome = { kind: 'pending' };
// The largest frame one mesh datagram carries, authenticated or not (a reassembled broadcast
// above it, i.e. a UDP payload over 65,413 bytes, is dropped as 'too-large').
const MAX_MESH_FRAME = MAX_UDP_PAYLOAD - MESH_AUTH_OVERHEAD;

export class RelayCore {
  readonly counters: RelayCounters = {
    relayed: 0,
    meshReceived: 0,
    rebroadcast: 0,
    dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
  };
  private readonly ports: Set<number>;
  private readonly groups: Set<string>;
  private readonly sent: ExpiringSet;
  private readonly seen: ExpiringSet;
  private readonly limiter: TokenBuckets;
  private readonly captureFragments = new Ipv4Reassembler();
  private readonly meshFragments = new Ipv4Reassembler();
  private readonly lastCounter = new Map<string, number>();
  private counter = 0;

  constructor(private readonly options: RelayCoreOptions) {
    this.ports = new Set(options.ports);
    this.groups = new Set((options.ipv6Groups ?? []).map((g) => normalizeIpv6(g) ?? g));
    const ttl = options.dedupeMs ?? 3000;
    this.sent = options.sent ?? new ExpiringSet(ttl);
    this.seen = new ExpiringSet(ttl);
    this.limiter = new TokenBuckets(options.rateLimit ?? { perSecond: 200, burst: 500 });
  }

  /** A frame captured on our segment (the kernel filter let broadcasts through). */
  captured(frame: Buffer, now: number): Outcome {
    const whole = this.wholeDatagram(this.captureFragments, frame, now);
    if ('kind' in whole) return whole;
    const { datagram, meshFrame } = whole;
    const fingerprint = broadcastFingerprint(datagram);
    if (this.sent.has(fingerprint, now)) return this.drop('own-rebroadcast');
    if (this.seen.has(fingerprint, now)) return this.drop('duplicate');
    this.seen.add(fingerprint, now);
    if (!this.limiter.take(datagram.source.address, now)) return this.drop('rate-limited');
    if (meshFrame.length > MAX_MESH_FRAME) return this.drop('too-large');
    this.counters.relayed++;
    return { kind: 'relay', datagram, frame: meshFrame };
  }

  /** The mesh message to send to every peer for a frame `captured` said to relay. */
  meshMessage(frame: Buffer, now: number): Buffer {
    if (!this.options.key) return encodePlainMesh(frame);
    this.counter = nextMeshCounter(this.counter, now);
    return encodeAuthMesh(
      { senderId: this.options.senderId, counter: this.counter, frame },
      this.options.key,
    );
  }

  /** A datagram from the mesh port. */
  meshReceived(message: Buffer, now: number): Outcome {
    this.counters.meshReceived++;
    const parsed = parseMeshMessage(message, this.options.key);
    if (!parsed.ok) return this.drop(parsed.error.reason === 'bad-checksum' ? 'forged' : 'malformed');
    const mesh = parsed.value;
    if (mesh.kind === 'plain' ? this.options.key !== undefined : !mesh.verified)
      return this.drop('unauthenticated');
    if (mesh.kind === 'auth') {
      if (Buffer.compare(mesh.senderId, this.options.senderId) === 0) return this.drop('own-message');
      const sender = mesh.senderId.toString('hex');
      const freshness = this.options.freshnessMs ?? 60_000;
      if (Math.abs(meshCounterTime(mesh.counter) - now) > freshness) return this.drop('replayed');
      if (mesh.counter <= (this.lastCounter.get(sender) ?? -1)) return this.drop('replayed');
      this.lastCounter.set(sender, mesh.counter);
    }
    const whole = this.wholeDatagram(this.meshFragments, mesh.frame, now);
    if ('kind' in whole) return whole;
    return this.toRebroadcast(whole.datagram, mesh.frame, now);
  }

  /**
   * A datagram to put on our segment from elsewhere (a `broadcast out` message): deduplicated and
   * rate-limited like a mesh message, and remembered so that we never relay our own echo.
   */
  toRebroadcast(datagram: BroadcastDatagram, frame: Buffer, now: number): Outcome {
    if (!this.ports.has(datagram.port) && this.ports.size > 0) return this.drop('port');
    if (isIpv6Datagram(datagram) && !this.groups.has(datagram.destination)) return this.drop('group');
    const fingerprint = broadcastFingerprint(datagram);
    if (this.sent.has(fingerprint, now) || this.seen.has(fingerprint, now)) return this.drop('duplicate');
    if (!this.limiter.take(datagram.source.address, now)) return this.drop('rate-limited');
    this.sent.add(fingerprint, now);
    this.counters.rebroadcast++;
    return { kind: 'rebroadcast', datagram, frame };
  }

  /**
   * The whole datagram in `frame` (an IPv4 broadcast, maybe completed by earlier fragments, or an
   * IPv6 multicast), with the one frame that carries it over the mesh; or why not.
   */
  private wholeDatagram(
    reassembler: Ipv4Reassembler,
    frame: Buffer,
    now: number,
  ): { datagram: BroadcastDatagram; meshFrame: Buffer } | Outcome {
    if (frameEtherType(frame) === ETHERTYPE.IPV6) {
      const parsed = parseIpv6MulticastFrame(frame);
      if (!parsed.ok) {
        const { reason, detail } = parsed.error;
        if (reason !== 'unsupported') return this.drop('malformed');
        return this.drop(detail === IPV6_FRAGMENT ? 'fragments' : 'not-udp');
      }
      if (this.ports.size > 0 && !this.ports.has(parsed.value.port)) return this.drop('port');
      if (!this.groups.has(parsed.value.destination)) return this.drop('group');
      return { datagram: parsed.value, meshFrame: frame };
    }
    const packet = parseIpv4Frame(frame);
    if (!packet.ok) return this.drop('malformed');
    const whole = this.reassemble(reassembler, packet.value, now);
    if (whole.kind !== 'packet') return whole.outcome;
    const datagram = this.datagramFor(whole.packet);
    if ('kind' in datagram) return datagram;
    // A fragmented broadcast travels the mesh as one (oversized) frame: one message, one check.
    const meshFrame =
      whole.packet === packet.value ? frame : encodeIpv4Frame(whole.packet, sourceMacOf(frame));
    return { datagram, meshFrame };
  }

  private datagramFor(packet: Ipv4Repr): BroadcastDatagram | Outcome {
    const datagram = toBroadcastDatagram(packet);
    if (!datagram.ok) return this.drop(datagram.error.reason === 'unsupported' ? 'not-udp' : 'malformed');
    if (this.ports.size > 0 && !this.ports.has(datagram.value.port)) return this.drop('port');
    return datagram.value;
  }

  private reassemble(
    reassembler: Ipv4Reassembler,
    packet: Ipv4Repr,
    now: number,
  ): { kind: 'packet'; packet: Ipv4Repr } | { kind: 'outcome'; outcome: Outcome } {
    const result = reassembler.add(packet, now);
    if (result.status === 'complete') return { kind: 'packet', packet: result.datagram };
    return { kind: 'outcome', outcome: result.status === 'pending' ? PENDING : this.drop('fragments') };
  }

  private drop(reason: DropReason): Outcome {
    this.counters.dropped[reason]++;
    return { kind: 'drop', reason };
  }
}

const sourceMacOf = (frame: Buffer): string => macToString(frame, 6);
