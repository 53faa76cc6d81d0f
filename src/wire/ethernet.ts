// Ethernet II frames (IEEE 802.3 §3.2.6 with EtherType >= 0x0600), with at most one 802.1Q tag.
// Contract: parseEthernet never throws; the payload is a zero-copy view that runs to the end of the
// captured frame, so it still holds any padding to the 60-byte minimum and, on captures that keep
// it, the FCS; the IP layer trims by its own length field. emitEthernet writes the header and the
// payload and no padding: short frames are padded on their way out (by the NIC or its driver; a veth
// pair does not pad, and receivers accept either). Codes below 0x0600 (802.3 length/LLC frames) and
// unknown EtherTypes pass through as numbers.
import { macToString } from './address';
import { checkField, ensureRoom, writeMac } from './bytes';
import { type Parsed, fail, ok } from './result';

// IEEE 802.3 §3.1.1 (MAC frame format) and IEEE 802.1Q §9.3 (tag format).
const DST_OFFSET = 0;
const SRC_OFFSET = 6;
const ETHERTYPE_OFFSET = 12;
const TCI_OFFSET = 14; // only in tagged frames: PCP(3) DEI(1) VID(12)
const INNER_ETHERTYPE_OFFSET = 16;
export const ETHERNET_HEADER_LEN = 14;
export const VLAN_TAG_LEN = 4;
export const ETHERNET_MIN_FRAME_LEN = 60; // without FCS

export const ETHERTYPE = {
  IPV4: 0x0800,
  ARP: 0x0806,
  WOL: 0x0842, // Wake-on-LAN magic packet, as Apple's SPS sends it
  VLAN: 0x8100, // IEEE 802.1Q C-tag
  IPV6: 0x86dd,
  QINQ: 0x88a8, // IEEE 802.1ad S-tag
} as const;

/** An 802.1Q tag: priority code point, drop eligible indicator, VLAN id. */
export interface VlanTag {
  readonly pcp: number;
  readonly dei: boolean;
  readonly id: number;
}

export interface EthernetRepr {
  readonly dst: string;
  readonly src: string;
  /** The EtherType of the payload (inside the tag when `vlan` is set). */
  readonly etherType: number;
  /** Present when the frame carried one 802.1Q tag. */
  readonly vlan?: VlanTag;
  readonly payload: Buffer;
}

export function ethernetHeaderLength(repr: Pick<EthernetRepr, 'vlan'>): number {
  return repr.vlan ? ETHERNET_HEADER_LEN + VLAN_TAG_LEN : ETHERNET_HEADER_LEN;
}

/**
 * One 802.1Q tag is decoded; a second tag (802.1ad QinQ, or 0x8100 again) inside it is
 * 'unsupported', as is an outer 802.1ad S-tag: a sleep proxy serves one broadcast domain and the
 * kernel strips the tag of the VLAN device it captures on.
 */
export function parseEthernet(buf: Buffer, offset = 0): Parsed<EthernetRepr> {
  if (offset < 0 || buf.length - offset < ETHERNET_HEADER_LEN) return fail('truncated', 'ethernet header');
  const dst = macToString(buf, offset + DST_OFFSET);
  const src = macToString(buf, offset + SRC_OFFSET);
  const outer = buf.readUInt16BE(offset + ETHERTYPE_OFFSET);
  if (outer === ETHERTYPE.QINQ) return fail('unsupported', 'ethernet: 802.1ad tag');
  if (outer !== ETHERTYPE.VLAN) {
    return ok(
      { dst, src, etherType: outer, payload: buf.subarray(offset + ETHERNET_HEADER_LEN) },
      buf.length - offset,
    );
  }
  if (buf.length - offset < ETHERNET_HEADER_LEN + VLAN_TAG_LEN)
    return fail('truncated', 'ethernet: 802.1Q tag');
  const tci = buf.readUInt16BE(offset + TCI_OFFSET);
  const etherType = buf.readUInt16BE(offset + INNER_ETHERTYPE_OFFSET);
  if (etherType === ETHERTYPE.VLAN || etherType === ETHERTYPE.QINQ) {
    return fail('unsupported', 'ethernet: stacked VLAN tags');
  }
  const vlan: VlanTag = { pcp: tci >> 13, dei: (tci & 0x1000) !== 0, id: tci & 0x0fff };
  const payload = buf.subarray(offset + ETHERNET_HEADER_LEN + VLAN_TAG_LEN);
  return ok({ dst, src, etherType, vlan, payload }, buf.length - offset);
}

export function ethernetEncodingLength(repr: EthernetRepr): number {
  return ethernetHeaderLength(repr) + repr.payload.length;
}

export function emitEthernet(repr: EthernetRepr, buf: Buffer, offset: number): number {
  const headerLength = ethernetHeaderLength(repr);
  const length = headerLength + repr.payload.length;
  ensureRoom(buf, offset, length, 'ethernet');
  checkField(repr.etherType, 0xffff, 'ethernet etherType');
  writeMac(buf, offset + DST_OFFSET, repr.dst);
  writeMac(buf, offset + SRC_OFFSET, repr.src);
  if (repr.vlan) {
    checkField(repr.vlan.pcp, 7, 'vlan pcp');
    checkField(repr.vlan.id, 0x0fff, 'vlan id');
    buf.writeUInt16BE(ETHERTYPE.VLAN, offset + ETHERTYPE_OFFSET);
    buf.writeUInt16BE(
      (repr.vlan.pcp << 13) | (repr.vlan.dei ? 0x1000 : 0) | repr.vlan.id,
      offset + TCI_OFFSET,
    );
    buf.writeUInt16BE(repr.etherType, offset + INNER_ETHERTYPE_OFFSET);
  } else {
    buf.writeUInt16BE(repr.etherType, offset + ETHERTYPE_OFFSET);
  }
  // Buffer#copy is a memmove, so a payload already built in place (see frame.ts) copies onto itself.
  repr.payload.copy(buf, offset + headerLength);
  return length;
}

export function encodeEthernet(repr: EthernetRepr): Buffer {
  const buf = Buffer.alloc(ethernetEncodingLength(repr));
  emitEthernet(repr, buf, 0);
  return buf;
}
