// The TCP keepalive record a sleeping client hands its proxy (sps-protocol.md §5.4): a NULL record named
// `<n>._keepalive._dns-sd._udp.local` whose RDATA is one length byte (text length + 1), ASCII text of
// space-separated `key=value` pairs, and one 0x00. Keys (mDNSResponder UpdateKeepaliveRData): t interval
// (s), i/c retry interval and count (ignored, as Apple's server does), h/H the sleeper's IPv4/IPv6
// address, d/D the peer's, l/r local and remote port, m the MAC the client resolved for the peer or its
// next hop, s the sequence number to send (sleeper's next-send - 1), a the ack number, w the window.
//
// A record is usable ("eligible", as Apple's mDNS_ExtractKeepaliveInfo judges it) only when t, both
// addresses of one family, both ports, s, a and w are all non-zero; anything else is 'unsupported' and the
// record stays an ordinary one. Unknown keys are skipped, the text is read up to the first NUL or the
// length byte's end, whichever comes first. Never throws.
import { ipv4ToBytes, isIpv4, macToBytes, normalizeIpv6, normalizeMac } from './address';
import { fail, ok, type Parsed } from './result';

export interface KeepaliveRepr {
  /** Seconds between keepalives. */
  readonly interval: number;
  /** The sleeper's address (the source of our keepalives). */
  readonly local: string;
  /** The connection's peer. */
  readonly remote: string;
  readonly localPort: number;
  readonly remotePort: number;
  /** Where frames to the peer go: the peer itself or the router. */
  readonly peerMac: string;
  /** Sequence number of our keepalives: the sleeper's next-send minus one. */
  readonly seq: number;
  /** The sleeper's next expected sequence number from the peer. */
  readonly ack: number;
  readonly window: number;
}

/** Client defaults, sent for information (kKeepaliveRetryInterval, kKeepaliveRetryCount). */
const RETRY_INTERVAL = 30;
const RETRY_COUNT = 10;
const MAX_U16 = 0xffff;
const MAX_U32 = 0xffffffff;

function decimal(value: string, max: number): number | undefined {
  if (!/^\d{1,10}$/.test(value)) return undefined;
  const n = Number(value);
  return n <= max ? n : undefined;
}

interface Fields {
  t?: number;
  h?: string;
  H?: string;
  d?: string;
  D?: string;
  l?: number;
  r?: number;
  m?: string;
  s?: number;
  a?: number;
  w?: number;
}

function readField(fields: Fields, key: string, value: string): boolean {
  switch (key) {
    case 't':
    case 's':
    case 'a':
      return (fields[key] = decimal(value, MAX_U32)) !== undefined;
    case 'l':
    case 'r':
    case 'w':
      return (fields[key] = decimal(value, MAX_U16)) !== undefined;
    case 'h':
    case 'd':
      return isIpv4(value) && (fields[key] = value) !== undefined;
    case 'H':
    case 'D':
      return (fields[key] = normalizeIpv6(value)) !== undefined;
    case 'm':
      return (fields.m = normalizeMac(value)) !== undefined;
    default:
      return true; // i, c and keys of later clients
  }
}

export function parseKeepaliveRdata(rdata: Buffer): Parsed<KeepaliveRepr> {
  if (rdata.length < 2) return fail('truncated', 'keepalive rdata');
  const end = Math.min(rdata.length, 1 + rdata[0]);
  const nul = rdata.indexOf(0, 1);
  const text = rdata.subarray(1, nul >= 1 && nul < end ? nul : end);
  if (!text.every((b) => b >= 0x20 && b < 0x7f)) return fail('malformed', 'keepalive text is not ASCII');
  const fields: Fields = {};
  for (const pair of text.toString('latin1').split(' ')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    if (eq !== 1) return fail('malformed', `keepalive pair "${pair}"`);
    if (!readField(fields, pair[0], pair.slice(2))) return fail('malformed', `keepalive value "${pair}"`);
  }
  const local = fields.h ?? fields.H;
  const remote = fields.h ? fields.d : fields.D;
  const { t, l, r, m, s, a, w } = fields;
  if (!t || !local || !remote || !l || !r || !m || !s || !a || !w) {
    return fail('unsupported', 'keepalive record lacks a non-zero field');
  }
  const value = {
    interval: t,
    local,
    remote,
    localPort: l,
    remotePort: r,
    peerMac: m,
    seq: s,
    ack: a,
    window: w,
  };
  return ok(value, rdata.length);
}

/** The RDATA a client sends, keys in Apple's order (t i c h|H d|D l r m s a w). */
export function encodeKeepaliveRdata(k: KeepaliveRepr): Buffer {
  const [hostKey, peerKey] = isIpv4(k.local) ? ['h', 'd'] : ['H', 'D'];
  if (!macToBytes(k.peerMac) || (hostKey === 'h' && !ipv4ToBytes(k.remote))) {
    throw new RangeError('keepalive addresses do not parse');
  }
  const text =
    `t=${k.interval} i=${RETRY_INTERVAL} c=${RETRY_COUNT} ${hostKey}=${k.local} ${peerKey}=${k.remote}` +
    ` l=${k.localPort} r=${k.remotePort} m=${k.peerMac} s=${k.seq} a=${k.ack} w=${k.window}`;
  const body = Buffer.from(text, 'latin1');
  return Buffer.concat([Buffer.from([body.length + 1]), body, Buffer.from([0])]);
}
