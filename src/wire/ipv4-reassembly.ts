// IPv4 fragments (RFC 791 §3.2, RFC 815): reassembly of captured fragments and fragmentation of a
// datagram to an MTU. Pure: time is the caller's `now` (ms). Fragments from the network are hostile:
// overlapping or inconsistent fragments, more than `maxDatagrams` datagrams in progress or a
// datagram above `maxBytes` drop the datagram (reported, never thrown); an incomplete one expires
// after `timeoutMs`.
import { type Ipv4Repr, isIpv4Fragment } from './ipv4';

export interface ReassemblyOptions {
  /** RFC 791 suggests 15 s; Linux uses 30 s (ipfrag_time). */
  readonly timeoutMs?: number;
  readonly maxDatagrams?: number;
  /** Largest reassembled payload (IPv4's own limit: 65535 - 20). */
  readonly maxBytes?: number;
}

export type ReassemblyResult =
  | { readonly status: 'complete'; readonly datagram: Ipv4Repr }
  | { readonly status: 'pending' }
  | { readonly status: 'dropped'; readonly reason: 'overlap' | 'too-large' | 'too-many' };

interface Partial {
  readonly first: number;
  readonly pieces: { offset: number; payload: Buffer }[];
  head?: Ipv4Repr;
  /** Payload length, known once the last fragment (MF clear) arrived. */
  total?: number;
}

const DEFAULTS = { timeoutMs: 30_000, maxDatagrams: 64, maxBytes: 65_515 };

export class Ipv4Reassembler {
  private readonly options: Required<ReassemblyOptions>;
  private readonly partials = new Map<string, Partial>();

  constructor(options: ReassemblyOptions = {}) {
    this.options = { ...DEFAULTS, ...options };
  }

  get pending(): number {
    return this.partials.size;
  }

  /** A whole datagram passes through as 'complete'; a fragment completes its datagram or waits. */
  add(fragment: Ipv4Repr, now: number): ReassemblyResult {
    if (!isIpv4Fragment(fragment)) return { status: 'complete', datagram: fragment };
    this.expire(now);
    const key = `${fragment.src}>${fragment.dst}/${fragment.protocol}#${fragment.ident}`;
    let partial = this.partials.get(key);
    if (!partial) {
      if (this.partials.size >= this.options.maxDatagrams) return { status: 'dropped', reason: 'too-many' };
      partial = { first: now, pieces: [] };
      this.partials.set(key, partial);
    }
    const start = fragment.fragmentOffset;
    const end = start + fragment.payload.length;
    const drop = (reason: 'overlap' | 'too-large'): ReassemblyResult => {
      this.partials.delete(key);
      return { status: 'dropped', reason };
    };
    if (end > this.options.maxBytes) return drop('too-large');
    // RFC 5722 spirit: overlapping fragments are an attack or a bug; drop the datagram.
    if (partial.pieces.some((p) => start < p.offset + p.payload.length && p.offset < end))
      return drop('overlap');
    if (!fragment.moreFragments) {
      if (partial.total !== undefined || partial.pieces.some((p) => p.offset + p.payload.length > end))
        return drop('overlap');
      partial.total = end;
    } else if (partial.total !== undefined && end > partial.total) {
      return drop('overlap');
    }
    partial.pieces.push({ offset: start, payload: Buffer.from(fragment.payload) });
    if (start === 0) partial.head = fragment;
    const received = partial.pieces.reduce((sum, p) => sum + p.payload.length, 0);
    if (partial.total === undefined || !partial.head || received !== partial.total)
      return { status: 'pending' };
    this.partials.delete(key);
    const payload = Buffer.alloc(partial.total);
    for (const p of partial.pieces) p.payload.copy(payload, p.offset);
    return {
      status: 'complete',
      datagram: { ...partial.head, moreFragments: false, fragmentOffset: 0, payload },
    };
  }

  /** Forgets datagrams older than the timeout; returns how many. */
  expire(now: number): number {
    let expired = 0;
    for (const [key, partial] of this.partials) {
      if (now - partial.first >= this.options.timeoutMs) {
        this.partials.delete(key);
        expired++;
      }
    }
    return expired;
  }
}

/**
 * Splits `datagram` into fragments whose IPv4 packets fit `mtu` (payload pieces a multiple of 8
 * bytes, options copied into every fragment for simplicity). A datagram that fits is returned as
 * is; a DF datagram that does not fit is fragmented anyway with DF cleared (the relay rebuilds it).
 */
export function fragmentIpv4(datagram: Ipv4Repr, mtu: number): Ipv4Repr[] {
  const header = 20 + datagram.options.length;
  if (header + datagram.payload.length <= mtu) return [datagram];
  const step = Math.floor((mtu - header) / 8) * 8;
  if (step <= 0) throw new RangeError(`ipv4: MTU ${mtu} too small to fragment`);
  const fragments: Ipv4Repr[] = [];
  for (let offset = 0; offset < datagram.payload.length; offset += step) {
    const end = Math.min(offset + step, datagram.payload.length);
    fragments.push({
      ...datagram,
      dontFragment: false,
      moreFragments: end < datagram.payload.length,
      fragmentOffset: offset,
      payload: datagram.payload.subarray(offset, end),
    });
  }
  return fragments;
}
