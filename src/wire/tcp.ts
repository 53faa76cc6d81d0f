// TCP segments (RFC 9293 §3.1). parseTcp never throws. A segment has no length of its own: it runs
// to the end of `buf`, so pass the IP payload. Data Offset is checked against the buffer; options
// are kept as raw bytes (re-emit is byte-identical), with tcpMss() to read the MSS option. Given
// the pseudo-header context the checksum is verified ('bad-checksum'); without one it is not (see
// udp.ts for why). The flags stay one 12-bit number (4 reserved bits, AE, CWR ECE URG ACK PSH RST
// SYN FIN) so unknown bits round-trip; the named booleans are derived from it on parse, and emit
// reads only `flags`.
import { checkField, ensureRoom } from './bytes';
import { type PseudoHeaderContext, transportChecksum } from './checksum';
import { IP_PROTOCOL } from './ip';
import { type Parsed, fail, ok } from './result';

// RFC 9293 §3.1 "Header Format".
const SRC_PORT_OFFSET = 0;
const DST_PORT_OFFSET = 2;
const SEQ_OFFSET = 4;
const ACK_OFFSET = 8;
const OFFSET_FLAGS_OFFSET = 12; // data offset(4) reserved(4) | CWR ECE URG ACK PSH RST SYN FIN
const WINDOW_OFFSET = 14;
const CHECKSUM_OFFSET = 16;
const URGENT_OFFSET = 18;
export const TCP_HEADER_LEN = 20;
export const TCP_MAX_OPTIONS_LEN = 40;
const FLAGS_MASK = 0x0fff;

export const TCP_FLAG = {
  FIN: 0x001,
  SYN: 0x002,
  RST: 0x004,
  PSH: 0x008,
  ACK: 0x010,
  URG: 0x020,
  ECE: 0x040,
  CWR: 0x080,
  AE: 0x100, // AccECN, formerly NS (RFC 3540, historic)
} as const;

// RFC 9293 §3.2 option kinds.
export const TCP_OPTION = { END: 0, NOP: 1, MSS: 2 } as const;

/** What emitTcp needs: the header fields, options and payload. */
export interface TcpHeaderRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seqNumber: number;
  readonly ackNumber: number;
  /** Low 12 bits of bytes 12-13: TCP_FLAG bits plus the reserved ones. */
  readonly flags: number;
  readonly window: number;
  readonly urgentPointer: number;
  /** Raw option bytes (a multiple of 4, at most 40). */
  readonly options: Buffer;
  readonly payload: Buffer;
}

/** A parsed segment: the header fields plus the flag bits spelled out. */
export interface TcpRepr extends TcpHeaderRepr {
  readonly syn: boolean;
  readonly ack: boolean;
  readonly fin: boolean;
  readonly rst: boolean;
  readonly psh: boolean;
  readonly urg: boolean;
}

/** Adds the named flag booleans to header fields, e.g. for a repr built by hand. */
export function tcpRepr(header: TcpHeaderRepr): TcpRepr {
  const f = header.flags;
  return {
    ...header,
    syn: (f & TCP_FLAG.SYN) !== 0,
    ack: (f & TCP_FLAG.ACK) !== 0,
    fin: (f & TCP_FLAG.FIN) !== 0,
    rst: (f & TCP_FLAG.RST) !== 0,
    psh: (f & TCP_FLAG.PSH) !== 0,
    urg: (f & TCP_FLAG.URG) !== 0,
  };
}

export function parseTcp(buf: Buffer, offset = 0, ctx?: PseudoHeaderContext): Parsed<TcpRepr> {
  const available = buf.length - offset;
  if (offset < 0 || available < TCP_HEADER_LEN) return fail('truncated', 'tcp header');
  const offsetFlags = buf.readUInt16BE(offset + OFFSET_FLAGS_OFFSET);
  const headerLength = (offsetFlags >> 12) * 4;
  if (headerLength < TCP_HEADER_LEN) return fail('bad-length', `tcp: data offset ${headerLength / 4}`);
  if (headerLength > available) return fail('truncated', `tcp: data offset ${headerLength / 4}`);
  if (ctx && transportChecksum(buf, offset, buf.length, ctx, IP_PROTOCOL.TCP) !== 0) {
    return fail('bad-checksum', 'tcp');
  }
  return ok(
    tcpRepr({
      srcPort: buf.readUInt16BE(offset + SRC_PORT_OFFSET),
      dstPort: buf.readUInt16BE(offset + DST_PORT_OFFSET),
      seqNumber: buf.readUInt32BE(offset + SEQ_OFFSET),
      ackNumber: buf.readUInt32BE(offset + ACK_OFFSET),
      flags: offsetFlags & FLAGS_MASK,
      window: buf.readUInt16BE(offset + WINDOW_OFFSET),
      urgentPointer: buf.readUInt16BE(offset + URGENT_OFFSET),
      options: buf.subarray(offset + TCP_HEADER_LEN, offset + headerLength),
      payload: buf.subarray(offset + headerLength),
    }),
    available,
  );
}

/** The MSS option's value, or undefined when absent or when the option list is malformed. */
export function tcpMss(options: Uint8Array): number | undefined {
  for (let i = 0; i < options.length;) {
    const kind = options[i];
    if (kind === TCP_OPTION.END) return undefined;
    if (kind === TCP_OPTION.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= options.length) return undefined;
    const length = options[i + 1];
    if (length < 2 || i + length > options.length) return undefined;
    if (kind === TCP_OPTION.MSS) return length === 4 ? (options[i + 2] << 8) | options[i + 3] : undefined;
    i += length;
  }
  return undefined;
}

export function tcpEncodingLength(repr: TcpHeaderRepr): number {
  return TCP_HEADER_LEN + repr.options.length + repr.payload.length;
}

export function emitTcp(repr: TcpHeaderRepr, buf: Buffer, offset: number, ctx: PseudoHeaderContext): number {
  const headerLength = TCP_HEADER_LEN + repr.options.length;
  const length = headerLength + repr.payload.length;
  if (repr.options.length % 4 !== 0 || repr.options.length > TCP_MAX_OPTIONS_LEN) {
    throw new RangeError(`tcp options must be a multiple of 4 up to 40 bytes, got ${repr.options.length}`);
  }
  checkField(repr.srcPort, 0xffff, 'tcp source port');
  checkField(repr.dstPort, 0xffff, 'tcp destination port');
  checkField(repr.seqNumber, 0xffffffff, 'tcp sequence number');
  checkField(repr.ackNumber, 0xffffffff, 'tcp acknowledgment number');
  checkField(repr.flags, FLAGS_MASK, 'tcp flags');
  checkField(repr.window, 0xffff, 'tcp window');
  checkField(repr.urgentPointer, 0xffff, 'tcp urgent pointer');
  ensureRoom(buf, offset, length, 'tcp');
  buf.writeUInt16BE(repr.srcPort, offset + SRC_PORT_OFFSET);
  buf.writeUInt16BE(repr.dstPort, offset + DST_PORT_OFFSET);
  buf.writeUInt32BE(repr.seqNumber, offset + SEQ_OFFSET);
  buf.writeUInt32BE(repr.ackNumber, offset + ACK_OFFSET);
  buf.writeUInt16BE(((headerLength / 4) << 12) | repr.flags, offset + OFFSET_FLAGS_OFFSET);
  buf.writeUInt16BE(repr.window, offset + WINDOW_OFFSET);
  buf.writeUInt16BE(0, offset + CHECKSUM_OFFSET);
  buf.writeUInt16BE(repr.urgentPointer, offset + URGENT_OFFSET);
  repr.options.copy(buf, offset + TCP_HEADER_LEN);
  repr.payload.copy(buf, offset + headerLength);
  buf.writeUInt16BE(
    transportChecksum(buf, offset, offset + length, ctx, IP_PROTOCOL.TCP),
    offset + CHECKSUM_OFFSET,
  );
  return length;
}

export function encodeTcp(repr: TcpHeaderRepr, ctx: PseudoHeaderContext): Buffer {
  const buf = Buffer.alloc(tcpEncodingLength(repr));
  emitTcp(repr, buf, 0, ctx);
  return buf;
}
