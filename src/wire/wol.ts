// Wake-on-LAN magic packets (AMD "Magic Packet Technology" white paper, 1995): a synchronisation
// stream of six 0xFF bytes, the target MAC sixteen times, then an optional SecureOn password of 4
// or 6 bytes. The same payload travels in a UDP datagram (ports 9 or 7) or directly after an
// Ethernet header with EtherType 0x0842, the form Apple's sleep proxy sends (sps-protocol.md §5.2).
// parseMagicPacket never throws. It looks for the first sync stream followed by sixteen identical
// MACs anywhere from `offset` (some senders put a header first), then reads the bytes after them:
// none or fewer than 4 means no password, 4 or 5 a 4-byte password, 6 or more a 6-byte password;
// anything beyond is tolerated and not consumed (Ethernet padding, an FCS). That rule cannot tell a
// passwordless packet followed by junk from a password, so a caller that expects no password may
// ignore it; Apple always sends the 6-byte field, zeros meaning "none".
import { macToString } from './address';
import { ensureRoom, macBytes } from './bytes';
import { ETHERNET_HEADER_LEN, ETHERTYPE, emitEthernet } from './ethernet';
import { type Parsed, fail, ok } from './result';

const SYNC_LEN = 6;
const MAC_LEN = 6;
const MAC_REPEATS = 16;
export const MAGIC_PACKET_LEN = SYNC_LEN + MAC_LEN * MAC_REPEATS; // 102, without password
const PASSWORD_SHORT = 4;
const PASSWORD_LONG = 6;
export const WOL_UDP_PORTS = [9, 7] as const;
export const APPLE_WAKE_FRAME_LEN = ETHERNET_HEADER_LEN + MAGIC_PACKET_LEN + PASSWORD_LONG; // 122

export interface MagicPacketRepr {
  /** The MAC to wake. */
  readonly target: string;
  /** SecureOn password, 4 or 6 bytes. */
  readonly password?: Buffer;
}

function isMagicAt(buf: Buffer, at: number): boolean {
  for (let i = 0; i < SYNC_LEN; i++) if (buf[at + i] !== 0xff) return false;
  const mac = at + SYNC_LEN;
  for (let copy = 1; copy < MAC_REPEATS; copy++) {
    const base = mac + copy * MAC_LEN;
    for (let i = 0; i < MAC_LEN; i++) if (buf[base + i] !== buf[mac + i]) return false;
  }
  return true;
}

/** Finds and decodes a magic packet in `buf` from `offset`; `bytes` counts from `offset` to the password's end. */
export function parseMagicPacket(buf: Buffer, offset = 0): Parsed<MagicPacketRepr> {
  if (offset < 0 || buf.length - offset < MAGIC_PACKET_LEN) return fail('truncated', 'magic packet');
  for (let at = offset; at + MAGIC_PACKET_LEN <= buf.length; at++) {
    if (!isMagicAt(buf, at)) continue;
    const target = macToString(buf, at + SYNC_LEN);
    const end = at + MAGIC_PACKET_LEN;
    const trailing = buf.length - end;
    const passwordLength =
      trailing >= PASSWORD_LONG ? PASSWORD_LONG : trailing >= PASSWORD_SHORT ? PASSWORD_SHORT : 0;
    const repr =
      passwordLength > 0 ? { target, password: buf.subarray(end, end + passwordLength) } : { target };
    return ok(repr, end + passwordLength - offset);
  }
  return fail('malformed', 'no magic packet');
}

function checkPassword(password: Buffer | undefined): number {
  const length = password?.length ?? 0;
  if (length !== 0 && length !== PASSWORD_SHORT && length !== PASSWORD_LONG) {
    throw new RangeError(`SecureOn password must be 4 or 6 bytes, got ${length}`);
  }
  return length;
}

export function magicPacketEncodingLength(repr: MagicPacketRepr): number {
  return MAGIC_PACKET_LEN + checkPassword(repr.password);
}

export function emitMagicPacket(repr: MagicPacketRepr, buf: Buffer, offset: number): number {
  const length = magicPacketEncodingLength(repr);
  ensureRoom(buf, offset, length, 'magic packet');
  const mac = macBytes(repr.target);
  buf.fill(0xff, offset, offset + SYNC_LEN);
  for (let copy = 0; copy < MAC_REPEATS; copy++) mac.copy(buf, offset + SYNC_LEN + copy * MAC_LEN);
  repr.password?.copy(buf, offset + MAGIC_PACKET_LEN);
  return length;
}

/** The magic packet as a UDP payload (the socket layer sends it to port 9, usually broadcast). */
export function encodeMagicPacket(repr: MagicPacketRepr): Buffer {
  const buf = Buffer.alloc(magicPacketEncodingLength(repr));
  emitMagicPacket(repr, buf, 0);
  return buf;
}

export interface MagicFrame {
  /** Ethernet destination: Apple sends one copy to the sleeper's MAC, then one to ff:ff:ff:ff:ff:ff. */
  readonly destination: string;
  /** Ethernet source: the sender's own MAC. */
  readonly source: string;
  readonly target: string;
  /** 4 or 6 bytes; the 6-byte field on the wire is zero-padded (all zeros without password). */
  readonly password?: Buffer;
}

/** Apple's 122-byte EtherType 0x0842 frame (mDNSCore SendWakeup): the password field is always 6 bytes. */
export function encodeMagicFrame(frame: MagicFrame): Buffer {
  checkPassword(frame.password);
  const payload = Buffer.alloc(MAGIC_PACKET_LEN + PASSWORD_LONG);
  emitMagicPacket({ target: frame.target }, payload, 0);
  frame.password?.copy(payload, MAGIC_PACKET_LEN);
  const buf = Buffer.alloc(APPLE_WAKE_FRAME_LEN);
  emitEthernet({ dst: frame.destination, src: frame.source, etherType: ETHERTYPE.WOL, payload }, buf, 0);
  return buf;
}

const PASSWORD_TEXT_RE = /^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(\1[0-9a-f]{2}){2}((\1[0-9a-f]{2}){2})?$/i;

/** A SecureOn password typed by a user: 4 or 6 hex bytes, "aa:bb:cc:dd", "aa-bb-..." or bare hex. */
export function parseSecureOnPassword(text: string): Buffer | undefined {
  const trimmed = text.trim();
  if (!PASSWORD_TEXT_RE.test(trimmed)) return undefined;
  return Buffer.from(trimmed.replace(/[:-]/g, ''), 'hex');
}
