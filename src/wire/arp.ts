// ARP for Ethernet and IPv4 only (RFC 826; RFC 5227 for probes and announcements). parseArp never
// throws; any other hardware/protocol type or address length is 'unsupported'. The message is 28
// bytes; Ethernet padding after it is not ours and is ignored. The operation stays a number, so
// RARP and other codes pass through.
import { ipv4ToString, macToString } from './address';
import { checkField, ensureRoom, ipv4Bytes, writeMac } from './bytes';
import { ETHERTYPE } from './ethernet';
import { type Parsed, fail, ok } from './result';

// RFC 826 "Packet format", for htype 1 (Ethernet) / ptype 0x0800 (IPv4): hlen 6, plen 4.
const HTYPE_OFFSET = 0;
const PTYPE_OFFSET = 2;
const HLEN_OFFSET = 4;
const PLEN_OFFSET = 5;
const OP_OFFSET = 6;
const SENDER_MAC_OFFSET = 8;
const SENDER_IP_OFFSET = 14;
const TARGET_MAC_OFFSET = 18;
const TARGET_IP_OFFSET = 24;
export const ARP_LEN = 28;
const HTYPE_ETHERNET = 1;
const MAC_LEN = 6;
const IPV4_LEN = 4;

export const ARP_OP = { REQUEST: 1, REPLY: 2 } as const;

export const ZERO_MAC = '00:00:00:00:00:00';
export const ZERO_IPV4 = '0.0.0.0';

export interface ArpRepr {
  readonly op: number;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export function parseArp(buf: Buffer, offset = 0): Parsed<ArpRepr> {
  if (offset < 0 || buf.length - offset < ARP_LEN) return fail('truncated', 'arp');
  if (
    buf.readUInt16BE(offset + HTYPE_OFFSET) !== HTYPE_ETHERNET ||
    buf.readUInt16BE(offset + PTYPE_OFFSET) !== ETHERTYPE.IPV4 ||
    buf[offset + HLEN_OFFSET] !== MAC_LEN ||
    buf[offset + PLEN_OFFSET] !== IPV4_LEN
  ) {
    return fail('unsupported', 'arp: not Ethernet/IPv4');
  }
  return ok(
    {
      op: buf.readUInt16BE(offset + OP_OFFSET),
      senderMac: macToString(buf, offset + SENDER_MAC_OFFSET),
      senderIp: ipv4ToString(buf, offset + SENDER_IP_OFFSET),
      targetMac: macToString(buf, offset + TARGET_MAC_OFFSET),
      targetIp: ipv4ToString(buf, offset + TARGET_IP_OFFSET),
    },
    ARP_LEN,
  );
}

export function arpEncodingLength(_repr?: ArpRepr): number {
  return ARP_LEN;
}

export function emitArp(repr: ArpRepr, buf: Buffer, offset: number): number {
  ensureRoom(buf, offset, ARP_LEN, 'arp');
  checkField(repr.op, 0xffff, 'arp op');
  buf.writeUInt16BE(HTYPE_ETHERNET, offset + HTYPE_OFFSET);
  buf.writeUInt16BE(ETHERTYPE.IPV4, offset + PTYPE_OFFSET);
  buf[offset + HLEN_OFFSET] = MAC_LEN;
  buf[offset + PLEN_OFFSET] = IPV4_LEN;
  buf.writeUInt16BE(repr.op, offset + OP_OFFSET);
  writeMac(buf, offset + SENDER_MAC_OFFSET, repr.senderMac);
  ipv4Bytes(repr.senderIp).copy(buf, offset + SENDER_IP_OFFSET);
  writeMac(buf, offset + TARGET_MAC_OFFSET, repr.targetMac);
  ipv4Bytes(repr.targetIp).copy(buf, offset + TARGET_IP_OFFSET);
  return ARP_LEN;
}

export function encodeArp(repr: ArpRepr): Buffer {
  const buf = Buffer.alloc(ARP_LEN);
  emitArp(repr, buf, 0);
  return buf;
}

// The three frames of sps-protocol.md §4.3 (Apple mDNSCore SendARP). The Ethernet source and the
// ARP sender hardware address are always the proxy's own MAC; the Ethernet destination is given
// alongside (frame.ts encodeArpFrame): the owner's MAC for a probe, broadcast for an announcement,
// the requester's MAC for a reply.

/** RFC 5227 probe: "is `ip` still in use?", sent unicast to the sleeper while it falls asleep. */
export function arpProbe(ourMac: string, ip: string): ArpRepr {
  return { op: ARP_OP.REQUEST, senderMac: ourMac, senderIp: ZERO_IPV4, targetMac: ZERO_MAC, targetIp: ip };
}

/** Gratuitous request (sender IP = target IP) moving `ip` to our MAC in every neighbour cache. */
export function arpAnnouncement(ourMac: string, ip: string): ArpRepr {
  return { op: ARP_OP.REQUEST, senderMac: ourMac, senderIp: ip, targetMac: ZERO_MAC, targetIp: ip };
}

/** Answer to `request` on behalf of the sleeper owning `request.targetIp`. */
export function arpReply(ourMac: string, request: ArpRepr): ArpRepr {
  return {
    op: ARP_OP.REPLY,
    senderMac: ourMac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  };
}
