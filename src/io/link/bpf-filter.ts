// The kernel-side filters of the sleep proxy (ARCHITECTURE.md "Performance shape"): a program
// that accepts a frame when any of a list of matchers does and drops everything else, so that
// JavaScript never sees the rest of the LAN. Pure; regenerated whenever the sleeper set changes.
//
// Frames are seen by the filter as the packet socket delivers them: Ethernet header at offset 0,
// VLAN tags already removed by the kernel (a tagged frame looks untagged), IPv4 options honoured
// through the header length, IPv6 without extension headers only (NDP and the TCP/UDP that wakes a
// sleeper carry none; a frame with them is not matched). As in the kernel, a load past the end of
// the frame drops it at once: a runt too short for its EtherType's header (a malformed frame; no
// real NIC delivers under 60 bytes) is dropped even when a later matcher would have accepted it.
//
// Size: about one instruction per address in a set (IPv6 and MAC sets are tries that share equal
// prefixes and suffixes, see emitSet; a run of three or more consecutive values is one range test).
// Measured with sleepers of one IPv4, one ULA and one link-local IPv6 address and a MAC in
// ARP+NDP+TCP-SYN+source-MAC matchers, all scattered: ~8 instructions per sleeper, 250 sleepers
// (Apple's cap) = 2094 instructions. Limits: BPF_MAXINSNS = 4096 (about 490 such sleepers; beyond
// it the sets are matched coarsely, see Coarsening: 1,000 scattered sleepers fit, some frames for
// unproxied neighbours get through and are dropped in JavaScript), and the kernel charges the program,
// converted to eBPF, against net.core.optmem_max: with the old default of 20480 bytes programs up
// to about 2150 instructions attach, but an in-place replacement needs old + new to fit, which
// LinkSocket.setFilter works around (see there). Newer kernels default to 131072.
import { ipv4ToBytes, ipv6ToBytes, macToBytes } from '../../wire/address';
import {
  BPF_B,
  BPF_H,
  BPF_JGE,
  BPF_JGT,
  BPF_JMP,
  BPF_K,
  BPF_LD,
  BPF_MEM,
  BPF_RET,
  BPF_ST,
  BPF_W,
  BpfAssembler,
  BPF_MAXINSNS,
  type BpfLabel,
  type BpfProgram,
  bpfStmt,
} from './bpf';

/** What tcpdump returns for "whole frame"; the kernel clamps it to the frame length. */
export const DEFAULT_SNAP_LENGTH = 0x40000;

const ETHERTYPE_OFFSET = 12;
const SOURCE_MAC_OFFSET = 6;
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ETH_HEADER = 14;
// ARP for Ethernet/IPv4 (RFC 826), offsets from the frame start.
const ARP_SENDER_IP = ETH_HEADER + 14;
const ARP_TARGET_IP = ETH_HEADER + 24;
// IPv4 (RFC 791)
const IPV4_FLAGS_FRAGMENT = ETH_HEADER + 6;
const IPV4_FRAGMENT_OFFSET_MASK = 0x1fff;
const IPV4_PROTOCOL = ETH_HEADER + 9;
const IPV4_DESTINATION = ETH_HEADER + 16;
// IPv6 (RFC 8200)
const IPV6_NEXT_HEADER = ETH_HEADER + 6;
const IPV6_HOP_LIMIT = ETH_HEADER + 7;
const IPV6_SOURCE = ETH_HEADER + 8;
const IPV6_DESTINATION = ETH_HEADER + 24;
const IPV6_PAYLOAD = ETH_HEADER + 40;
// ICMPv6 NDP (RFC 4861 §4.3, §4.4): type, code, checksum, reserved, then the target address.
const NDP_TARGET = IPV6_PAYLOAD + 8;
const NDP_HOP_LIMIT = 255;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
const IP_PROTOCOL_ICMPV6 = 58;
const IP_PROTOCOL_TCP = 6;
const IP_PROTOCOL_UDP = 17;
// TCP/UDP (RFC 9293, RFC 768): destination port at 2; TCP flags at 13.
const L4_DESTINATION_PORT = 2;
const TCP_FLAGS = 13;
const TCP_SYN = 0x02;
const TCP_ACK = 0x10;

interface MatcherBase {
  /** Bytes of a matching frame passed to the socket (default: the program's snap length). */
  readonly snapLength?: number;
}

/** ARP (any operation) whose target and/or sender protocol address is one of `addresses`. */
export interface ArpMatcher extends MatcherBase {
  readonly kind: 'arp';
  readonly addresses: readonly string[];
  /** Default 'target'. */
  readonly field?: 'target' | 'sender' | 'either';
}

/**
 * ICMPv6 Neighbor Solicitation/Advertisement with hop limit 255 whose target is one of `targets`; with
 * field 'source' one whose IPv6 source is instead, with 'either' one whose source or target is (an NS
 * from a proxied address: a conflict, §4.4).
 */
export interface NdpMatcher extends MatcherBase {
  readonly kind: 'ndp';
  readonly targets: readonly string[];
  /** ICMPv6 types, default NS and NA. */
  readonly types?: readonly number[];
  /** Default 'target'. */
  readonly field?: 'target' | 'source' | 'either';
}

/** TCP or UDP to one of `destinations` (IPv4 and IPv6 mixed), optionally to `ports` only. */
export interface IpMatcher extends MatcherBase {
  readonly kind: 'tcp' | 'udp';
  readonly destinations: readonly string[];
  readonly ports?: readonly number[];
  /** TCP only: connection attempts (SYN without ACK). */
  readonly synOnly?: boolean;
}

export interface SourceMacMatcher extends MatcherBase {
  readonly kind: 'source-mac';
  readonly macs: readonly string[];
}

/** Frames of the given EtherTypes, e.g. 0x0842 (Wake-on-LAN). */
export interface EtherTypeMatcher extends MatcherBase {
  readonly kind: 'ethertype';
  readonly types: readonly number[];
}

export type LinkMatcher = ArpMatcher | NdpMatcher | IpMatcher | SourceMacMatcher | EtherTypeMatcher;

export interface FilterOptions {
  /** Default DEFAULT_SNAP_LENGTH (whole frames). */
  readonly snapLength?: number;
}

export const acceptAll = (snapLength = DEFAULT_SNAP_LENGTH): BpfProgram => [
  bpfStmt(BPF_RET | BPF_K, checkSnap(snapLength)),
];
export const dropAll = (): BpfProgram => [bpfStmt(BPF_RET | BPF_K, 0)];

/**
 * How exactly the address and MAC sets are matched. Exact: every value (runs of three or more
 * consecutive values as one range test). Coarser, when the exact program would not fit in 4096
 * instructions: multi-word values (IPv6, MAC) compared by their last 4 bytes only, and values less
 * than `gap` apart merged into one range. A coarse filter lets through some frames for addresses
 * nobody proxies; the engine looks every frame up and ignores those.
 */
interface Coarsening {
  readonly gap: number;
  readonly tailOnly: boolean;
}

const EXACT: Coarsening = { gap: 0, tailOnly: false };
// Tried in order until the program fits; the last one makes each set one range, which always does.
const COARSENINGS: readonly Coarsening[] = [
  EXACT,
  ...[0, 4, 8, 12, 16, 20, 24, 28, 32].map((bits) => ({ gap: 2 ** bits - 1, tailOnly: true })),
];

/**
 * A program accepting a frame when any matcher matches (in order; the first match decides the
 * snap length) and dropping every other frame. Empty sets match nothing; no matchers: drop all.
 * Throws TypeError on an unparsable address. A program that would exceed 4096 instructions
 * (about 600 sleepers with an IPv4, a ULA, a link-local address and a MAC each, fewer when their
 * addresses are scattered) matches the address and MAC sets coarsely instead (see Coarsening).
 */
export function compileFilter(matchers: readonly LinkMatcher[], options: FilterOptions = {}): BpfProgram {
  for (const coarse of COARSENINGS.slice(0, -1)) {
    const asm = emitProgram(matchers, options, coarse);
    // Trampolines only add: a program already over the limit before them is not worth assembling.
    if (asm.length > BPF_MAXINSNS) continue;
    try {
      return asm.assemble();
    } catch (error) {
      if (!(error instanceof RangeError) || !/length/.test(error.message)) throw error;
    }
  }
  return emitProgram(matchers, options, COARSENINGS[COARSENINGS.length - 1]).assemble();
}

function emitProgram(
  matchers: readonly LinkMatcher[],
  options: FilterOptions,
  coarse: Coarsening,
): BpfAssembler {
  const asm = new BpfAssembler();
  const accepts = new Map<number, BpfLabel>();
  const acceptFor = (matcher: LinkMatcher): BpfLabel => {
    const snap = checkSnap(matcher.snapLength ?? options.snapLength ?? DEFAULT_SNAP_LENGTH);
    let label = accepts.get(snap);
    if (!label) accepts.set(snap, (label = asm.label()));
    return label;
  };
  // Matchers never fall through (each ends in a jump), so the returns can follow the last one,
  // accepts first and the drop last: the layout tcpdump uses, which keeps outputs comparable.
  const drop = asm.label();
  matchers.forEach((matcher, i) => {
    const next = i === matchers.length - 1 ? drop : asm.label();
    emitMatcher(asm, matcher, acceptFor(matcher), next, coarse);
    if (next !== drop) asm.place(next);
  });
  for (const [snap, label] of accepts) asm.place(label).ret(snap);
  asm.place(drop).ret(0);
  return asm;
}

function checkSnap(snap: number): number {
  if (!Number.isInteger(snap) || snap < 1 || snap > 0xffffffff)
    throw new RangeError(`BPF filter: bad snap length ${snap}`);
  return snap;
}

function emitMatcher(
  asm: BpfAssembler,
  matcher: LinkMatcher,
  accept: BpfLabel,
  fail: BpfLabel,
  coarse: Coarsening,
): void {
  switch (matcher.kind) {
    case 'ethertype':
      if (matcher.types.length === 0) return void asm.goto(fail);
      return emitSet(
        asm,
        [{ size: BPF_H, offset: ETHERTYPE_OFFSET }],
        matcher.types.map((t) => [u16(t)]),
        accept,
        fail,
      );
    case 'source-mac':
      return emitSet(asm, MAC_WORDS, matcher.macs.map(macWords), accept, fail, coarse);
    case 'arp':
      return emitArp(asm, matcher, accept, fail, coarse);
    case 'ndp':
      return emitNdp(asm, matcher, accept, fail, coarse);
    case 'tcp':
    case 'udp':
      return emitIp(asm, matcher, accept, fail, coarse);
  }
}

function emitArp(
  asm: BpfAssembler,
  { addresses, field = 'target' }: ArpMatcher,
  accept: BpfLabel,
  fail: BpfLabel,
  coarse: Coarsening,
): void {
  const values = addresses.map((a) => [ipv4Word(a)]);
  if (values.length === 0) return void asm.goto(fail);
  asm.ldAbs(BPF_H, ETHERTYPE_OFFSET).jeq(ETHERTYPE_ARP, undefined, fail);
  const sender = [{ size: BPF_W, offset: ARP_SENDER_IP }];
  const target = [{ size: BPF_W, offset: ARP_TARGET_IP }];
  if (field === 'sender') return emitSet(asm, sender, values, accept, fail, coarse);
  if (field === 'target') return emitSet(asm, target, values, accept, fail, coarse);
  // Sender first, as tcpdump's "arp host": it comes first in the frame (see the header on runts).
  const tryTarget = asm.label();
  emitSet(asm, sender, values, accept, tryTarget, coarse);
  asm.place(tryTarget);
  emitSet(asm, target, values, accept, fail, coarse);
}

function emitNdp(
  asm: BpfAssembler,
  matcher: NdpMatcher,
  accept: BpfLabel,
  fail: BpfLabel,
  coarse: Coarsening,
): void {
  const targets = matcher.targets.map(ipv6Words);
  const types = matcher.types ?? [ICMPV6_NEIGHBOR_SOLICITATION, ICMPV6_NEIGHBOR_ADVERTISEMENT];
  if (targets.length === 0 || types.length === 0) return void asm.goto(fail);
  asm.ldAbs(BPF_H, ETHERTYPE_OFFSET).jeq(ETHERTYPE_IPV6, undefined, fail);
  asm.ldAbs(BPF_B, IPV6_NEXT_HEADER).jeq(IP_PROTOCOL_ICMPV6, undefined, fail);
  // RFC 4861 §7.1.1/§7.1.2: NS/NA not sent with hop limit 255 may come from off-link; discard.
  asm.ldAbs(BPF_B, IPV6_HOP_LIMIT).jeq(NDP_HOP_LIMIT, undefined, fail);
  const typeMatched = asm.label();
  emitSet(
    asm,
    [{ size: BPF_B, offset: IPV6_PAYLOAD }],
    types.map((t) => [u8(t)]),
    typeMatched,
    fail,
  );
  asm.place(typeMatched);
  if (matcher.field === 'either') {
    // Source first: it comes first in the frame (see the header on runts).
    const tryTarget = asm.label();
    emitSet(asm, ipv6WordsAt(IPV6_SOURCE), targets, accept, tryTarget, coarse);
    asm.place(tryTarget);
  }
  emitSet(
    asm,
    ipv6WordsAt(matcher.field === 'source' ? IPV6_SOURCE : NDP_TARGET),
    targets,
    accept,
    fail,
    coarse,
  );
}

function emitIp(
  asm: BpfAssembler,
  matcher: IpMatcher,
  accept: BpfLabel,
  fail: BpfLabel,
  coarse: Coarsening,
): void {
  const v4 = matcher.destinations.filter((a) => !a.includes(':')).map((a) => [ipv4Word(a)]);
  const v6 = matcher.destinations.filter((a) => a.includes(':')).map(ipv6Words);
  const protocol = matcher.kind === 'tcp' ? IP_PROTOCOL_TCP : IP_PROTOCOL_UDP;
  const ports = matcher.ports?.map((p) => [u16(p)]);
  const synOnly = matcher.kind === 'tcp' && matcher.synOnly === true;
  const transportChecks = ports !== undefined || synOnly;
  if (ports?.length === 0) return void asm.goto(fail);
  const tryV6 = v6.length > 0 ? asm.label() : fail;
  if (v4.length > 0) {
    asm.ldAbs(BPF_H, ETHERTYPE_OFFSET).jeq(ETHERTYPE_IPV4, undefined, tryV6);
    asm.ldAbs(BPF_B, IPV4_PROTOCOL).jeq(protocol, undefined, tryV6);
    const addressed = transportChecks ? asm.label() : accept;
    emitSet(asm, [{ size: BPF_W, offset: IPV4_DESTINATION }], v4, addressed, tryV6, coarse);
    if (transportChecks) {
      asm.place(addressed);
      // Only the first fragment carries the transport header.
      asm.ldAbs(BPF_H, IPV4_FLAGS_FRAGMENT).jset(IPV4_FRAGMENT_OFFSET_MASK, fail);
      asm.ldxMsh(ETH_HEADER);
      emitTransport(asm, 'indirect', ports, synOnly, accept, fail);
    }
  }
  if (v6.length > 0) {
    if (tryV6 !== fail) asm.place(tryV6);
    asm.ldAbs(BPF_H, ETHERTYPE_OFFSET).jeq(ETHERTYPE_IPV6, undefined, fail);
    asm.ldAbs(BPF_B, IPV6_NEXT_HEADER).jeq(protocol, undefined, fail);
    const addressed = transportChecks ? asm.label() : accept;
    emitSet(asm, ipv6WordsAt(IPV6_DESTINATION), v6, addressed, fail, coarse);
    if (transportChecks) {
      asm.place(addressed);
      emitTransport(asm, 'absolute', ports, synOnly, accept, fail);
    }
  }
  if (v4.length === 0 && v6.length === 0) asm.goto(fail);
}

// Port and SYN checks on the transport header, which starts at X + 14 (IPv4, X = header length)
// or at the fixed IPv6 payload offset.
function emitTransport(
  asm: BpfAssembler,
  addressing: 'indirect' | 'absolute',
  ports: number[][] | undefined,
  synOnly: boolean,
  accept: BpfLabel,
  fail: BpfLabel,
): void {
  const at = (field: number): Load =>
    addressing === 'indirect'
      ? { size: BPF_H, offset: ETH_HEADER + field, indirect: true }
      : { size: BPF_H, offset: IPV6_PAYLOAD + field };
  const portOk = ports && synOnly ? asm.label() : accept;
  if (ports) emitSet(asm, [at(L4_DESTINATION_PORT)], ports, portOk, fail);
  if (!synOnly) return;
  if (portOk !== accept) asm.place(portOk);
  const flags = { ...at(TCP_FLAGS), size: BPF_B };
  emitLoad(asm, flags);
  asm.and(TCP_SYN | TCP_ACK).jeq(TCP_SYN, accept, fail);
}

interface Load {
  readonly size: number;
  readonly offset: number;
  readonly indirect?: boolean;
}

const emitLoad = (asm: BpfAssembler, load: Load): BpfAssembler =>
  load.indirect ? asm.ldInd(load.size, load.offset) : asm.ldAbs(load.size, load.offset);

/**
 * Jumps to `accept` when the words loaded by `loads` equal one of `values` (each value one word
 * per load), else to `fail`. One word: a load and a chain of jeq. Several words (IPv6, MAC): each
 * is loaded from the packet once into scratch memory M[i], and the values are compared as a trie
 * over M[0], M[1], … in which equal subtrees are emitted once, so addresses sharing a prefix (one
 * /64) or a suffix cost about one jeq each.
 *
 * Why scratch memory: the kernel converts each packet load into a dozen eBPF instructions and
 * charges the converted program against net.core.optmem_max, while a scratch load stays one.
 */
function emitSet(
  asm: BpfAssembler,
  loads: readonly Load[],
  values: readonly number[][],
  accept: BpfLabel,
  fail: BpfLabel,
  coarse: Coarsening = EXACT,
): void {
  if (values.length === 0) return void asm.goto(fail);
  if (loads.length > 1 && coarse.tailOnly) {
    // the last 4 bytes of each value, loaded as one word (the loads are contiguous)
    const width = loads.reduce((n, l) => n + loadBytes(l), 0);
    const tail: Load = { size: BPF_W, offset: loads[0].offset + width - 4 };
    return emitSet(asm, [tail], values.map(tailWord(loads)), accept, fail, coarse);
  }
  if (loads.length === 1) {
    emitLoad(asm, loads[0]);
    emitLeafChain(asm, uniqueHeads(values), accept, fail, coarse.gap);
    return;
  }
  // Loaded last to first, so that A holds word 0 when the trie starts.
  for (let i = loads.length - 1; i >= 0; i--) {
    emitLoad(asm, loads[i]);
    if (i > 0) asm.stmt(BPF_ST, i);
  }
  emitTrie(asm, 0, loads.length, values, accept, fail, new Map());
}

function emitTrie(
  asm: BpfAssembler,
  level: number,
  depth: number,
  values: readonly number[][],
  accept: BpfLabel,
  fail: BpfLabel,
  emitted: Map<string, BpfLabel>,
): void {
  if (level > 0) asm.stmt(BPF_LD | BPF_MEM, level);
  if (level === depth - 1) return emitLeafChain(asm, uniqueHeads(values), accept, fail, 0);
  const groups = new Map<number, number[][]>();
  for (const [head, ...tail] of values) groups.set(head, [...(groups.get(head) ?? []), tail]);
  const pending: [BpfLabel, number[][]][] = [];
  const subtreeFor = (head: number): BpfLabel => {
    const tails = groups.get(head) ?? [];
    const key = `${level + 1}:${tails
      .map((t) => t.join(','))
      .sort()
      .join(';')}`;
    let label = emitted.get(key);
    if (!label) {
      emitted.set(key, (label = asm.label()));
      pending.push([label, tails]);
    }
    return label;
  };
  emitChain(asm, [...groups.keys()], subtreeFor, fail);
  for (const [label, tails] of pending) {
    asm.place(label);
    emitTrie(asm, level + 1, depth, tails, accept, fail, emitted);
  }
}

/** A jeq per value on A: to `target(value)` on equality, to `fail` after the last one. */
function emitChain(
  asm: BpfAssembler,
  heads: readonly number[],
  target: (head: number) => BpfLabel,
  fail: BpfLabel,
): void {
  heads.forEach((head, i) => asm.jeq(head, target(head), i === heads.length - 1 ? fail : undefined));
}

/**
 * A test of A against `heads`, all leading to `accept`: runs of three or more values at most
 * `gap` + 1 apart become one range test (two instructions), the rest a jeq each, in their order.
 */
function emitLeafChain(
  asm: BpfAssembler,
  heads: readonly number[],
  accept: BpfLabel,
  fail: BpfLabel,
  gap: number,
): void {
  const sorted = [...heads].sort((a, b) => a - b);
  const runs: number[][] = [];
  for (const v of sorted) {
    const run = runs[runs.length - 1];
    if (run && v - run[run.length - 1] <= gap + 1) run.push(v);
    else runs.push([v]);
  }
  if (runs.every((run) => run.length < 3)) return emitChain(asm, heads, () => accept, fail);
  runs.forEach((run, i) => {
    const next = i === runs.length - 1 ? fail : asm.label();
    if (run.length < 3) emitChain(asm, run, () => accept, next);
    else {
      asm.jump(BPF_JMP | BPF_JGT | BPF_K, run[run.length - 1], next);
      asm.jump(BPF_JMP | BPF_JGE | BPF_K, run[0], accept, next);
    }
    if (next !== fail) asm.place(next);
  });
}

const loadBytes = (load: Load): number => (load.size === BPF_W ? 4 : load.size === BPF_H ? 2 : 1);

/** The last 4 bytes of a multi-word value as one unsigned word. */
const tailWord =
  (loads: readonly Load[]) =>
  (value: readonly number[]): number[] => {
    let tail = 0;
    loads.forEach((load, i) => {
      const bits = loadBytes(load) * 8;
      tail = ((tail * 2 ** bits) % 2 ** 32) + value[i];
    });
    return [tail];
  };

const uniqueHeads = (values: readonly number[][]): number[] => [...new Set(values.map((v) => v[0]))];

const MAC_WORDS: readonly Load[] = [
  { size: BPF_W, offset: SOURCE_MAC_OFFSET },
  { size: BPF_H, offset: SOURCE_MAC_OFFSET + 4 },
];
const ipv6WordsAt = (offset: number): Load[] =>
  [0, 4, 8, 12].map((d) => ({ size: BPF_W, offset: offset + d }));

function macWords(text: string): number[] {
  const bytes = macToBytes(text);
  if (!bytes) throw new TypeError(`BPF filter: not a MAC address: ${text}`);
  return [bytes.readUInt32BE(0), bytes.readUInt16BE(4)];
}

function ipv4Word(text: string): number {
  const bytes = ipv4ToBytes(text);
  if (!bytes) throw new TypeError(`BPF filter: not an IPv4 address: ${text}`);
  return bytes.readUInt32BE(0);
}

function ipv6Words(text: string): number[] {
  const bytes = ipv6ToBytes(text);
  if (!bytes) throw new TypeError(`BPF filter: not an IPv6 address: ${text}`);
  return [0, 4, 8, 12].map((d) => bytes.readUInt32BE(d));
}

function u16(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff)
    throw new TypeError(`BPF filter: not a 16-bit value: ${value}`);
  return value;
}

function u8(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new TypeError(`BPF filter: not an 8-bit value: ${value}`);
  return value;
}
