// TCP keepalive offload (sps-protocol.md §5.4, feature digit 1): for each usable `_keepalive` record of a
// sleeper the proxy keeps the sleeper's TCP connection alive. It sends spoofed ACK-only segments from
// the sleeper's address and port to the peer (seq = s, ack = a, window = w; IPv4 TTL 63, ID 9864 as
// Apple's mDNS_SendKeepaliveACK), the first at once and then every t seconds; it answers the peer's own
// keepalive probes (an empty ACK with seq = a - 1) with seq = s + 1; and it wakes the sleeper on RST, FIN,
// or data the sleeper has not yet acknowledged (ack > s and seq >= a), with no SRV needed.
//
// We take a keepalive only for an address the same registration asks us to proxy: otherwise a client
// could make us send TCP segments in any host's name. Pure: the engine passes `now`.
import { DnsType } from '../wire/dns-rdata';
import { encodeTcpFrame } from '../wire/frame';
import { parseKeepaliveRdata, type KeepaliveRepr } from '../wire/sps-keepalive';
import { TCP_FLAG, type TcpRepr } from '../wire/tcp';
import type { StoredRecord } from './registry';
import { isKeepaliveRecord } from './registration';

const KEEPALIVE_TTL = 63;
const KEEPALIVE_IP_ID = 9864;
const EMPTY = Buffer.alloc(0);
const U32 = 0x1_0000_0000;

/** a > b in TCP sequence space (RFC 9293 §3.4). */
function seqAfter(a: number, b: number): boolean {
  const diff = (a - b) >>> 0;
  return diff !== 0 && diff < U32 / 2;
}
const seqAtOrAfter = (a: number, b: number): boolean => a === b || seqAfter(a, b);

/** What a segment from the peer means for a kept-alive connection. */
export type KeepaliveVerdict = 'wake' | 'answer' | 'ignore';

export type KeepaliveWakeCause = 'rst' | 'fin' | 'data';

export class KeepaliveConnection {
  /** The record's rdata, to keep timing across retransmitted registrations. */
  readonly id: string;
  nextAt: number;
  sent = 0;

  constructor(
    readonly info: KeepaliveRepr,
    rdata: Buffer,
    now: number,
  ) {
    this.id = rdata.toString('hex');
    this.nextAt = now;
  }

  get intervalMs(): number {
    return this.info.interval * 1000;
  }

  /** True for a segment of this connection: from peer:r to sleeper:l. */
  matches(src: string, dst: string, tcp: TcpRepr): boolean {
    const k = this.info;
    return tcp.srcPort === k.remotePort && tcp.dstPort === k.localPort && src === k.remote && dst === k.local;
  }

  verdict(tcp: TcpRepr): { verdict: KeepaliveVerdict; cause?: KeepaliveWakeCause } {
    const { seq, ack } = this.info;
    if (tcp.rst) return { verdict: 'wake', cause: 'rst' };
    if (tcp.fin) return { verdict: 'wake', cause: 'fin' };
    if (tcp.payload.length > 0) {
      return tcp.ack && seqAfter(tcp.ackNumber, seq) && seqAtOrAfter(tcp.seqNumber, ack)
        ? { verdict: 'wake', cause: 'data' }
        : { verdict: 'ignore' };
    }
    if (tcp.ack && tcp.seqNumber === (ack - 1) >>> 0) return { verdict: 'answer' };
    return { verdict: 'ignore' };
  }

  /** Our keepalive segment; `answer` is the reply to a peer's probe (seq + 1). */
  frame(ourMac: string, answer = false): Buffer {
    const k = this.info;
    return encodeTcpFrame({
      srcMac: ourMac,
      dstMac: k.peerMac,
      src: k.local,
      dst: k.remote,
      ttl: KEEPALIVE_TTL,
      ident: KEEPALIVE_IP_ID,
      tcp: {
        srcPort: k.localPort,
        dstPort: k.remotePort,
        seqNumber: answer ? (k.seq + 1) >>> 0 : k.seq,
        ackNumber: k.ack,
        flags: TCP_FLAG.ACK,
        window: k.window,
        urgentPointer: 0,
        options: EMPTY,
        payload: EMPTY,
      },
    });
  }

  /** The periodic keepalive, when due; schedules the next. */
  due(now: number): boolean {
    if (now < this.nextAt) return false;
    this.sent++;
    this.nextAt = now + this.intervalMs;
    return true;
  }
}

/**
 * The usable keepalive records among `records`, keeping the running connections of `previous` whose
 * record is unchanged. `proxied` are the addresses the sleeper's registration asks us to take over.
 */
export function keepalivesOf(
  records: readonly StoredRecord[],
  proxied: ReadonlySet<string>,
  previous: readonly KeepaliveConnection[],
  now: number,
): KeepaliveConnection[] {
  const running = new Map(previous.map((k) => [k.id, k]));
  const out: KeepaliveConnection[] = [];
  for (const r of records) {
    if (r.type !== DnsType.NULL || !isKeepaliveRecord(r)) continue;
    const parsed = parseKeepaliveRdata(r.rdata);
    if (!parsed.ok || !proxied.has(parsed.value.local)) continue;
    out.push(running.get(r.rdata.toString('hex')) ?? new KeepaliveConnection(parsed.value, r.rdata, now));
  }
  return out;
}
