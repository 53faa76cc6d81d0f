// Neighbour Discovery for IPv6 (RFC 4861): Neighbour Solicitation (§4.3) and Advertisement (§4.4)
// as ICMPv6 bodies, their options (§4.6), and the frames a sleep proxy sends (sps-protocol.md §4.4).
// parseNdp never throws. It checks the ICMPv6 checksum when given the context, code 0, the body
// length and the option grammar: a zero-length option is 'malformed' (§4.6: "nodes MUST silently
// discard"), an option running past the end 'truncated'. The first Ethernet-sized (length 1)
// source link-layer option of an NS and target link-layer option of an NA are decoded; every other
// option (Nonce, unknown, a second link-layer option) is kept raw in `otherOptions`, in order, so a
// re-emit reproduces it; emit writes the link-layer option first. Reserved bits read as ignored and
// are written as zero. Checks that need the IP header (hop limit 255, no SLLA from ::, §7.1) are
// the caller's; NDP frames here are always built with hop limit 255.
import { ipv6ToString, macToString } from './address';
import { ensureRoom, ipv6Bytes, writeMac } from './bytes';
import { type PseudoHeaderContext } from './checksum';
import { ICMPV6_HEADER_LEN, ICMPV6_TYPE, emitIcmpv6, parseIcmpv6 } from './icmpv6';
import { type Parsed, fail, ok } from './result';

// RFC 4861 §4.3/§4.4, offsets inside the ICMPv6 body (after type, code, checksum).
const FLAGS_OFFSET = 0; // NA: R(1) S(1) O(1) reserved(29); NS: reserved(32)
const TARGET_OFFSET = 4;
const OPTIONS_OFFSET = 20;
export const NDP_BODY_LEN = 20;
// RFC 4861 §4.6: type(1) length(1, in units of 8 bytes) data.
const OPTION_UNIT = 8;
const LINK_LAYER_OPTION_UNITS = 1; // 2 + 6-byte MAC, RFC 2464 §8

const FLAG_ROUTER = 0x80;
const FLAG_SOLICITED = 0x40;
const FLAG_OVERRIDE = 0x20;

export const NDP_HOP_LIMIT = 255;

export const NDP_OPTION = {
  SOURCE_LINK_LAYER_ADDRESS: 1,
  TARGET_LINK_LAYER_ADDRESS: 2,
  PREFIX_INFORMATION: 3,
  REDIRECTED_HEADER: 4,
  MTU: 5,
  NONCE: 14, // RFC 3971 §5.3.2, sent by Linux in DAD probes
} as const;

export const UNSPECIFIED_IPV6 = '::';
export const ALL_NODES_IPV6 = 'ff02::1';
export const ALL_NODES_MAC = '33:33:00:00:00:01';

/** An option kept as found: `data` is everything after the type and length bytes (8*length - 2 bytes). */
export interface NdpOption {
  readonly type: number;
  readonly data: Buffer;
}

export interface NeighborSolicitationRepr {
  readonly type: typeof ICMPV6_TYPE.NEIGHBOR_SOLICITATION;
  readonly target: string;
  readonly sourceLinkLayer?: string;
  readonly otherOptions: readonly NdpOption[];
}

export interface NeighborAdvertisementRepr {
  readonly type: typeof ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT;
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: string;
  readonly targetLinkLayer?: string;
  readonly otherOptions: readonly NdpOption[];
}

export type NdpRepr = NeighborSolicitationRepr | NeighborAdvertisementRepr;

export function isNdpType(type: number): boolean {
  return type === ICMPV6_TYPE.NEIGHBOR_SOLICITATION || type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT;
}

/** Parses a whole ICMPv6 message (running to the end of `buf`) that must be an NS or an NA. */
export function parseNdp(buf: Buffer, offset = 0, ctx?: PseudoHeaderContext): Parsed<NdpRepr> {
  const icmp = parseIcmpv6(buf, offset, ctx);
  if (!icmp.ok) return icmp;
  const { type, code, body } = icmp.value;
  if (!isNdpType(type)) return fail('unsupported', `ndp: icmpv6 type ${type}`);
  if (code !== 0) return fail('malformed', `ndp: code ${code}`);
  if (body.length < NDP_BODY_LEN) return fail('truncated', 'ndp body');
  if (body[TARGET_OFFSET] === 0xff) return fail('malformed', 'ndp: multicast target');
  const target = ipv6ToString(body, TARGET_OFFSET);
  const linkLayerType =
    type === ICMPV6_TYPE.NEIGHBOR_SOLICITATION
      ? NDP_OPTION.SOURCE_LINK_LAYER_ADDRESS
      : NDP_OPTION.TARGET_LINK_LAYER_ADDRESS;
  let linkLayer: string | undefined;
  const otherOptions: NdpOption[] = [];
  for (let at = OPTIONS_OFFSET; at < body.length;) {
    if (body.length - at < 2) return fail('truncated', 'ndp option header');
    const optionType = body[at];
    const optionLength = body[at + 1] * OPTION_UNIT;
    if (optionLength === 0) return fail('malformed', `ndp: zero-length option ${optionType}`);
    if (optionLength > body.length - at) return fail('truncated', `ndp option ${optionType}`);
    if (
      optionType === linkLayerType &&
      optionLength === LINK_LAYER_OPTION_UNITS * OPTION_UNIT &&
      !linkLayer
    ) {
      linkLayer = macToString(body, at + 2);
    } else {
      otherOptions.push({ type: optionType, data: body.subarray(at + 2, at + optionLength) });
    }
    at += optionLength;
  }
  const bytes = icmp.bytes;
  if (type === ICMPV6_TYPE.NEIGHBOR_SOLICITATION) {
    const sourceLinkLayer = linkLayer === undefined ? {} : { sourceLinkLayer: linkLayer };
    return ok({ type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION, target, ...sourceLinkLayer, otherOptions }, bytes);
  }
  const flags = body[FLAGS_OFFSET];
  return ok(
    {
      type: ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT,
      router: (flags & FLAG_ROUTER) !== 0,
      solicited: (flags & FLAG_SOLICITED) !== 0,
      override: (flags & FLAG_OVERRIDE) !== 0,
      target,
      ...(linkLayer === undefined ? {} : { targetLinkLayer: linkLayer }),
      otherOptions,
    },
    bytes,
  );
}

function linkLayerOf(repr: NdpRepr): string | undefined {
  return repr.type === ICMPV6_TYPE.NEIGHBOR_SOLICITATION ? repr.sourceLinkLayer : repr.targetLinkLayer;
}

function ndpBodyLength(repr: NdpRepr): number {
  let length = NDP_BODY_LEN + (linkLayerOf(repr) === undefined ? 0 : LINK_LAYER_OPTION_UNITS * OPTION_UNIT);
  for (const option of repr.otherOptions) {
    const optionLength = option.data.length + 2;
    if (optionLength % OPTION_UNIT !== 0 || optionLength > 255 * OPTION_UNIT || option.type > 0xff) {
      throw new RangeError(`ndp option ${option.type}: ${option.data.length} data bytes cannot be encoded`);
    }
    length += optionLength;
  }
  return length;
}

export function ndpEncodingLength(repr: NdpRepr): number {
  return ICMPV6_HEADER_LEN + ndpBodyLength(repr);
}

/** Writes the whole ICMPv6 message with its checksum. */
export function emitNdp(repr: NdpRepr, buf: Buffer, offset: number, ctx: PseudoHeaderContext): number {
  const bodyLength = ndpBodyLength(repr);
  ensureRoom(buf, offset, ICMPV6_HEADER_LEN + bodyLength, 'ndp');
  const start = offset + ICMPV6_HEADER_LEN;
  const flags =
    repr.type === ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT
      ? (repr.router ? FLAG_ROUTER : 0) |
        (repr.solicited ? FLAG_SOLICITED : 0) |
        (repr.override ? FLAG_OVERRIDE : 0)
      : 0;
  buf.writeUInt32BE((flags << 24) >>> 0, start + FLAGS_OFFSET);
  ipv6Bytes(repr.target).copy(buf, start + TARGET_OFFSET);
  let at = start + OPTIONS_OFFSET;
  const linkLayer = linkLayerOf(repr);
  if (linkLayer !== undefined) {
    buf[at] =
      repr.type === ICMPV6_TYPE.NEIGHBOR_SOLICITATION
        ? NDP_OPTION.SOURCE_LINK_LAYER_ADDRESS
        : NDP_OPTION.TARGET_LINK_LAYER_ADDRESS;
    buf[at + 1] = LINK_LAYER_OPTION_UNITS;
    writeMac(buf, at + 2, linkLayer);
    at += LINK_LAYER_OPTION_UNITS * OPTION_UNIT;
  }
  for (const option of repr.otherOptions) {
    buf[at] = option.type;
    buf[at + 1] = (option.data.length + 2) / OPTION_UNIT;
    option.data.copy(buf, at + 2);
    at += option.data.length + 2;
  }
  const body = buf.subarray(start, start + bodyLength);
  return emitIcmpv6({ type: repr.type, code: 0, body }, buf, offset, ctx);
}

export function encodeNdp(repr: NdpRepr, ctx: PseudoHeaderContext): Buffer {
  const buf = Buffer.alloc(ndpEncodingLength(repr));
  emitNdp(repr, buf, 0, ctx);
  return buf;
}

/** RFC 4291 §2.7.1: ff02::1:ffXX:XXXX from the low 24 bits of `address`. */
export function solicitedNodeAddress(address: string): string {
  const bytes = ipv6Bytes(address);
  const out = ipv6Bytes('ff02::1:ff00:0');
  bytes.copy(out, 13, 13, 16);
  return ipv6ToString(out);
}

/** RFC 2464 §7: 33:33 followed by the low 32 bits of the multicast address. */
export function ipv6MulticastMac(address: string): string {
  const bytes = ipv6Bytes(address);
  return macToString(Buffer.from([0x33, 0x33, bytes[12], bytes[13], bytes[14], bytes[15]]));
}

export function solicitedNodeMac(address: string): string {
  return ipv6MulticastMac(solicitedNodeAddress(address));
}

/** An NDP message with the Ethernet and IPv6 addresses around it; hop limit is always 255. */
export interface NdpFrame {
  readonly srcMac: string;
  readonly dstMac: string;
  readonly src: string;
  readonly dst: string;
  readonly ndp: NdpRepr;
}

// The frames of sps-protocol.md §4.4 (Apple mDNSCore SendNDP).

/** DAD-style probe "does anyone still own `target`?", unicast to the sleeper's MAC, no SLLA. */
export function ndpProbe(ourMac: string, ownerMac: string, target: string): NdpFrame {
  return {
    srcMac: ourMac,
    dstMac: ownerMac,
    src: UNSPECIFIED_IPV6,
    dst: solicitedNodeAddress(target),
    ndp: { type: ICMPV6_TYPE.NEIGHBOR_SOLICITATION, target, otherOptions: [] },
  };
}

/**
 * Unsolicited NA with the Override flag, from `target` to all nodes, pointing `target` at `mac`.
 * With the proxy's MAC it is the announcement; with the sleeper's own MAC it is the "release" sent
 * on the first wake round, which gives peers' caches back to the waking host.
 */
export function ndpAnnouncement(mac: string, target: string): NdpFrame {
  return {
    srcMac: mac,
    dstMac: ALL_NODES_MAC,
    src: target,
    dst: ALL_NODES_IPV6,
    ndp: advertisement(target, mac, false),
  };
}

/** What ndpReply needs from a received NS: its Ethernet source, IPv6 source and target. */
export interface NeighborSolicitationSeen {
  readonly srcMac: string;
  readonly src: string;
  readonly target: string;
}

/**
 * Answer to an NS for a proxied `target` (our recommendation in §4.4, not Apple's exact frames):
 * address resolution gets a solicited NA (S and O) unicast back to the asker; a DAD probe (source
 * ::) gets an unsolicited-style NA (O only) to all nodes, which defends the address.
 */
export function ndpReply(ourMac: string, request: NeighborSolicitationSeen): NdpFrame {
  const dad = request.src === UNSPECIFIED_IPV6;
  return {
    srcMac: ourMac,
    dstMac: dad ? ALL_NODES_MAC : request.srcMac,
    src: request.target,
    dst: dad ? ALL_NODES_IPV6 : request.src,
    ndp: advertisement(request.target, ourMac, !dad),
  };
}

function advertisement(target: string, mac: string, solicited: boolean): NeighborAdvertisementRepr {
  return {
    type: ICMPV6_TYPE.NEIGHBOR_ADVERTISEMENT,
    router: false,
    solicited,
    override: true,
    target,
    targetLinkLayer: mac,
    otherOptions: [],
  };
}
