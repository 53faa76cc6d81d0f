// Whole Ethernet frames: parseFrame peels Ethernet -> ARP | magic packet (0x0842) | IPv4 | IPv6 ->
// UDP (-> magic packet on ports 9/7) | TCP | ICMPv6 (-> NS/NA) into one discriminated union, for the
// capture path and the fuzzer. It never throws: any malformed layer makes the whole result a
// WireError (its detail names the layer). What we do not decode is not an error: another EtherType
// is kind 'ethernet', another IP protocol, an IPv6 extension header or an IPv4 fragment (first or
// not: its transport header or checksum covers bytes elsewhere) is kind 'ip'.
//
// Transport checksums (UDP, TCP, ICMPv6) are verified by default. A capture of frames that were
// checksum-offloaded and never left the host (a veth pair, the sender's own tap; packet sockets
// flag them TP_STATUS_CSUMNOTREADY) holds unfinished checksums; pass
// { verifyTransportChecksums: false } for those. The IPv4 header checksum is always verified.
//
// emitFrame/encodeFrame rebuild a frame from its innermost repr outwards, in place, filling every
// length and checksum: the payload fields of the outer layers are ignored except where they are the
// innermost thing we know (kinds 'ip' and 'ethernet').
import { type ArpRepr, ARP_LEN, emitArp, parseArp } from './arp';
import { ensureRoom } from './bytes';
import { type PseudoHeaderContext } from './checksum';
import { type EthernetRepr, ETHERTYPE, emitEthernet, ethernetHeaderLength, parseEthernet } from './ethernet';
import { type Icmpv6Repr, emitIcmpv6, icmpv6EncodingLength, parseIcmpv6 } from './icmpv6';
import { IP_PROTOCOL } from './ip';
import { type Ipv4Repr, emitIpv4, ipv4HeaderLength, isIpv4Fragment, parseIpv4 } from './ipv4';
import { type Ipv6Repr, IPV6_HEADER_LEN, emitIpv6, parseIpv6 } from './ipv6';
import {
  type NdpFrame,
  type NdpRepr,
  NDP_HOP_LIMIT,
  emitNdp,
  isNdpType,
  ndpEncodingLength,
  parseNdp,
} from './ndp';
import { type Parsed, ok } from './result';
import { type TcpHeaderRepr, type TcpRepr, emitTcp, parseTcp, tcpEncodingLength, tcpRepr } from './tcp';
import { type UdpRepr, emitUdp, parseUdp, udpEncodingLength } from './udp';
import {
  type MagicPacketRepr,
  WOL_UDP_PORTS,
  emitMagicPacket,
  magicPacketEncodingLength,
  parseMagicPacket,
} from './wol';

export type IpRepr = Ipv4Repr | Ipv6Repr;

export interface ArpFrame {
  readonly kind: 'arp';
  readonly eth: EthernetRepr;
  readonly arp: ArpRepr;
}

/** A magic packet straight after the Ethernet header (EtherType 0x0842). */
export interface WolFrame {
  readonly kind: 'wol';
  readonly eth: EthernetRepr;
  readonly wol: MagicPacketRepr;
}

export interface UdpFrame {
  readonly kind: 'udp';
  readonly eth: EthernetRepr;
  readonly ip: IpRepr;
  readonly udp: UdpRepr;
  /** Set when the datagram goes to port 9 or 7 and its payload holds a magic packet. */
  readonly wol?: MagicPacketRepr;
}

export interface TcpFrame {
  readonly kind: 'tcp';
  readonly eth: EthernetRepr;
  readonly ip: IpRepr;
  readonly tcp: TcpRepr;
}

export interface Icmpv6Frame {
  readonly kind: 'icmpv6';
  readonly eth: EthernetRepr;
  readonly ip: Ipv6Repr;
  readonly icmpv6: Icmpv6Repr;
  /** Set for Neighbour Solicitations and Advertisements. */
  readonly ndp?: NdpRepr;
}

/** An IP packet whose payload we do not decode (other protocol, extension header, fragment). */
export interface IpFrame {
  readonly kind: 'ip';
  readonly eth: EthernetRepr;
  readonly ip: IpRepr;
}

/** Any other EtherType. */
export interface OtherFrame {
  readonly kind: 'ethernet';
  readonly eth: EthernetRepr;
}

export type Frame = ArpFrame | WolFrame | UdpFrame | TcpFrame | Icmpv6Frame | IpFrame | OtherFrame;

export interface FrameOptions {
  /** Verify UDP, TCP and ICMPv6 checksums (default true); see the file comment. */
  readonly verifyTransportChecksums?: boolean;
}

// Where the pseudo-header addresses sit in the IP headers (RFC 791 §3.1, RFC 8200 §3), passed as
// byte views so the capture path does not turn them into text and back.
const IPV4_SRC = 12;
const IPV4_DST = 16;
const IPV6_SRC = 8;
const IPV6_DST = 24;
const ADDRESS_END_V4 = 20;
const ADDRESS_END_V6 = 40;

export function parseFrame(buf: Buffer, options: FrameOptions = {}): Parsed<Frame> {
  const parsedEth = parseEthernet(buf, 0);
  if (!parsedEth.ok) return parsedEth;
  const eth = parsedEth.value;
  const bytes = parsedEth.bytes;
  switch (eth.etherType) {
    case ETHERTYPE.ARP: {
      const arp = parseArp(eth.payload);
      return arp.ok ? ok({ kind: 'arp', eth, arp: arp.value }, bytes) : arp;
    }
    case ETHERTYPE.WOL: {
      const wol = parseMagicPacket(eth.payload);
      return wol.ok ? ok({ kind: 'wol', eth, wol: wol.value }, bytes) : wol;
    }
    case ETHERTYPE.IPV4: {
      const ip = parseIpv4(eth.payload);
      if (!ip.ok) return ip;
      if (isIpv4Fragment(ip.value)) return ok({ kind: 'ip', eth, ip: ip.value }, bytes);
      const ctx = {
        src: eth.payload.subarray(IPV4_SRC, IPV4_DST),
        dst: eth.payload.subarray(IPV4_DST, ADDRESS_END_V4),
      };
      return parseTransport(eth, ip.value, ip.value.protocol, ctx, options, bytes);
    }
    case ETHERTYPE.IPV6: {
      const ip = parseIpv6(eth.payload);
      if (!ip.ok) return ip;
      const ctx = {
        src: eth.payload.subarray(IPV6_SRC, IPV6_DST),
        dst: eth.payload.subarray(IPV6_DST, ADDRESS_END_V6),
      };
      return parseTransport(eth, ip.value, ip.value.nextHeader, ctx, options, bytes);
    }
    default:
      return ok({ kind: 'ethernet', eth }, bytes);
  }
}

function parseTransport(
  eth: EthernetRepr,
  ip: IpRepr,
  protocol: number,
  addresses: PseudoHeaderContext,
  options: FrameOptions,
  bytes: number,
): Parsed<Frame> {
  const ctx = options.verifyTransportChecksums === false ? undefined : addresses;
  switch (protocol) {
    case IP_PROTOCOL.UDP: {
      const udp = parseUdp(ip.payload, 0, ctx);
      if (!udp.ok) return udp;
      const isWolPort = (WOL_UDP_PORTS as readonly number[]).includes(udp.value.dstPort);
      const wol = isWolPort ? parseMagicPacket(udp.value.payload) : undefined;
      return ok({ kind: 'udp', eth, ip, udp: udp.value, ...(wol?.ok ? { wol: wol.value } : {}) }, bytes);
    }
    case IP_PROTOCOL.TCP: {
      const tcp = parseTcp(ip.payload, 0, ctx);
      return tcp.ok ? ok({ kind: 'tcp', eth, ip, tcp: tcp.value }, bytes) : tcp;
    }
    case IP_PROTOCOL.ICMPV6: {
      if (ip.version !== 6) break;
      const icmpv6 = parseIcmpv6(ip.payload, 0, ctx);
      if (!icmpv6.ok) return icmpv6;
      if (!isNdpType(icmpv6.value.type)) return ok({ kind: 'icmpv6', eth, ip, icmpv6: icmpv6.value }, bytes);
      // The checksum was just verified; don't sum the message twice.
      const ndp = parseNdp(ip.payload, 0);
      return ndp.ok ? ok({ kind: 'icmpv6', eth, ip, icmpv6: icmpv6.value, ndp: ndp.value }, bytes) : ndp;
    }
  }
  return ok({ kind: 'ip', eth, ip }, bytes);
}

function ipHeaderLength(ip: IpRepr): number {
  return ip.version === 4 ? ipv4HeaderLength(ip) : IPV6_HEADER_LEN;
}

function transportLength(frame: UdpFrame | TcpFrame | Icmpv6Frame | IpFrame): number {
  switch (frame.kind) {
    case 'udp':
      return udpEncodingLength(frame.udp);
    case 'tcp':
      return tcpEncodingLength(frame.tcp);
    case 'icmpv6':
      return frame.ndp ? ndpEncodingLength(frame.ndp) : icmpv6EncodingLength(frame.icmpv6);
    case 'ip':
      return frame.ip.payload.length;
  }
}

function networkLength(frame: Frame): number {
  switch (frame.kind) {
    case 'arp':
      return ARP_LEN;
    case 'wol':
      return magicPacketEncodingLength(frame.wol);
    case 'ethernet':
      return frame.eth.payload.length;
    default:
      return ipHeaderLength(frame.ip) + transportLength(frame);
  }
}

export function frameEncodingLength(frame: Frame): number {
  return ethernetHeaderLength(frame.eth) + networkLength(frame);
}

function emitIp(frame: UdpFrame | TcpFrame | Icmpv6Frame | IpFrame, buf: Buffer, offset: number): number {
  const at = offset + ipHeaderLength(frame.ip);
  const ctx = { src: frame.ip.src, dst: frame.ip.dst };
  let length: number;
  switch (frame.kind) {
    case 'udp':
      length = emitUdp(frame.udp, buf, at, ctx);
      break;
    case 'tcp':
      length = emitTcp(frame.tcp, buf, at, ctx);
      break;
    case 'icmpv6':
      length = frame.ndp ? emitNdp(frame.ndp, buf, at, ctx) : emitIcmpv6(frame.icmpv6, buf, at, ctx);
      break;
    case 'ip':
      length = frame.ip.payload.length;
      frame.ip.payload.copy(buf, at);
  }
  // The payload already sits where the IP emitter copies it, so that copy moves nothing.
  const payload = buf.subarray(at, at + length);
  return frame.ip.version === 4
    ? emitIpv4({ ...frame.ip, payload }, buf, offset)
    : emitIpv6({ ...frame.ip, payload }, buf, offset);
}

export function emitFrame(frame: Frame, buf: Buffer, offset: number): number {
  ensureRoom(buf, offset, frameEncodingLength(frame), 'frame');
  const at = offset + ethernetHeaderLength(frame.eth);
  let length: number;
  switch (frame.kind) {
    case 'arp':
      length = emitArp(frame.arp, buf, at);
      break;
    case 'wol':
      length = emitMagicPacket(frame.wol, buf, at);
      break;
    case 'ethernet':
      length = frame.eth.payload.length;
      frame.eth.payload.copy(buf, at);
      break;
    default:
      length = emitIp(frame, buf, at);
  }
  return emitEthernet({ ...frame.eth, payload: buf.subarray(at, at + length) }, buf, offset);
}

export function encodeFrame(frame: Frame): Buffer {
  const buf = Buffer.alloc(frameEncodingLength(frame));
  emitFrame(frame, buf, 0);
  return buf;
}

// Builders for the frames the proxy sends. Outer payloads are placeholders: emitFrame fills them.
const EMPTY = Buffer.alloc(0);
const DEFAULT_TTL = 64;

/** Ethernet and IP addressing of a frame to build; the IP family follows the address text. */
export interface FrameAddressing {
  readonly srcMac: string;
  readonly dstMac: string;
  readonly src: string;
  readonly dst: string;
  /** IPv4 TTL or IPv6 hop limit; default 64 (use 255 for mDNS and NDP). */
  readonly ttl?: number;
  /** IPv4 identification; default 0. */
  readonly ident?: number;
}

function ethFor(spec: FrameAddressing, etherType: number): EthernetRepr {
  return { dst: spec.dstMac, src: spec.srcMac, etherType, payload: EMPTY };
}

function ipFor(spec: FrameAddressing, protocol: number): IpRepr {
  const ttl = spec.ttl ?? DEFAULT_TTL;
  if (spec.src.includes(':')) {
    return {
      version: 6,
      trafficClass: 0,
      flowLabel: 0,
      nextHeader: protocol,
      hopLimit: ttl,
      src: spec.src,
      dst: spec.dst,
      payload: EMPTY,
    };
  }
  return {
    version: 4,
    dscp: 0,
    ecn: 0,
    ident: spec.ident ?? 0,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl,
    protocol,
    src: spec.src,
    dst: spec.dst,
    options: EMPTY,
    payload: EMPTY,
  };
}

function etherTypeFor(ip: IpRepr): number {
  return ip.version === 4 ? ETHERTYPE.IPV4 : ETHERTYPE.IPV6;
}

export interface UdpFrameSpec extends FrameAddressing {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Buffer;
}

/** A UDP datagram over IPv4 (DF set, ident 0) or IPv6, with its checksum computed either way. */
export function encodeUdpFrame(spec: UdpFrameSpec): Buffer {
  const ip = ipFor(spec, IP_PROTOCOL.UDP);
  const udp = { srcPort: spec.srcPort, dstPort: spec.dstPort, payload: spec.payload };
  return encodeFrame({ kind: 'udp', eth: ethFor(spec, etherTypeFor(ip)), ip, udp });
}

export interface TcpFrameSpec extends FrameAddressing {
  readonly tcp: TcpHeaderRepr;
}

export function encodeTcpFrame(spec: TcpFrameSpec): Buffer {
  const ip = ipFor(spec, IP_PROTOCOL.TCP);
  return encodeFrame({ kind: 'tcp', eth: ethFor(spec, etherTypeFor(ip)), ip, tcp: tcpRepr(spec.tcp) });
}

/** An ARP frame; the Ethernet source defaults to the ARP sender (as in every frame of §4.3). */
export function encodeArpFrame(arp: ArpRepr, dstMac: string, srcMac: string = arp.senderMac): Buffer {
  return encodeFrame({
    kind: 'arp',
    eth: { dst: dstMac, src: srcMac, etherType: ETHERTYPE.ARP, payload: EMPTY },
    arp,
  });
}

/** An NS or NA in IPv6 with hop limit 255 (RFC 4861 §7.1). */
export function encodeNdpFrame(frame: NdpFrame): Buffer {
  const spec = { ...frame, ttl: NDP_HOP_LIMIT };
  const ip = ipFor(spec, IP_PROTOCOL.ICMPV6);
  const icmpv6 = { type: frame.ndp.type, code: 0, body: EMPTY };
  return encodeFrame({
    kind: 'icmpv6',
    eth: ethFor(spec, ETHERTYPE.IPV6),
    ip: ip as Ipv6Repr,
    icmpv6,
    ndp: frame.ndp,
  });
}
