// Loading the AF_PACKET addon (native/link.cc) and the shape of what it exports. The addon is
// found with node-gyp-build from the package root, the directory holding binding.gyp: a local
// build (build/Release) wins over the prebuilt binaries in prebuilds/<platform>-<arch>/.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import nodeGypBuild from 'node-gyp-build';
import { CODE_UNAVAILABLE, LinkUnavailableError } from './errors';

declare const handleBrand: unique symbol;
/** An open socket inside the addon (a napi external). */
export type NativeHandle = { readonly [handleBrand]: true };

export interface NativeInterfaceInfo {
  readonly ifindex: number;
  /** ARPHRD_* (1 Ethernet, 772 loopback). */
  readonly hardwareType: number;
  readonly mtu: number;
  /** IFF_* flags. */
  readonly flags: number;
  readonly mac: Buffer;
}

export interface NativeOpenResult extends NativeInterfaceInfo {
  readonly handle: NativeHandle;
  /** PACKET_IGNORE_OUTGOING took effect (Linux >= 4.20); otherwise outgoing frames are skipped in C. */
  readonly ignoresOutgoing: boolean;
}

export interface NativeStats {
  /** Frames that passed the filter (PACKET_STATISTICS tp_packets, summed since open). */
  readonly kernelPackets: number;
  /** Of those, dropped because the receive queue was full (tp_drops). */
  readonly kernelDrops: number;
  readonly delivered: number;
  readonly truncated: number;
  readonly outgoingSkipped: number;
}

/**
 * Called with a received frame (packetType = sll_pkttype, originalLength before any snap,
 * status = tp_status, vlanTci or -1), or with a single Error when the socket reports one.
 */
export type NativeFrameCallback = (
  frame: Buffer | Error,
  packetType: number,
  originalLength: number,
  status: number,
  vlanTci: number,
) => void;

/** Counters of the native answerer (native/answerer.cc). */
export interface NativeAnswererStats {
  /** Frames that passed its filter (tp_packets) and of those dropped for a full queue (tp_drops). */
  readonly kernelPackets: number;
  readonly kernelDrops: number;
  readonly received: number;
  readonly arpReplies: number;
  readonly ndpReplies: number;
  /** Received but not answered (the table said no, malformed, or too long). */
  readonly skipped: number;
  readonly sendErrors: number;
  readonly socketErrors: number;
  /** Answering threads (one per CPU, each pinned, when PACKET_FANOUT works), and how many got SCHED_FIFO. */
  readonly workers: number;
  readonly realtimeWorkers: number;
}

/** Answer-table arguments: our MAC, answering IPv4 / IPv6, claimed IPv4 / IPv6, owner MACs (packed). */
export type NativeAnswerTable = readonly [
  mac: Buffer,
  answer4: Buffer,
  answer6: Buffer,
  claimed4: Buffer,
  claimed6: Buffer,
  owners: Buffer,
];

export interface NativeLinkBinding {
  interfaceInfo(ifname: string): NativeInterfaceInfo;
  open(
    ifname: string,
    protocol: number,
    maxFrame: number,
    onFrame: NativeFrameCallback,
    outgoing?: boolean,
  ): NativeOpenResult;
  setFilter(handle: NativeHandle, program: Buffer): void;
  membership(handle: NativeHandle, add: boolean, type: number, mac: Buffer): void;
  send(handle: NativeHandle, frame: Uint8Array): number;
  stats(handle: NativeHandle): NativeStats;
  ref(handle: NativeHandle, ref: boolean): void;
  close(handle: NativeHandle): void;
  answererOpen(ifname: string): {
    readonly handle: NativeHandle;
    readonly ifindex: number;
    readonly workers: number;
  };
  answererSet(handle: NativeHandle, ...args: [...NativeAnswerTable, filter: Buffer]): void;
  answererStats(handle: NativeHandle): NativeAnswererStats;
  answererClose(handle: NativeHandle): void;
  /** The answerer's decision for one frame (for tests): the reply, or null. */
  answerFrame(...args: [...NativeAnswerTable, frame: Buffer, checksumPartial: boolean]): Buffer | null;
}

/** The directory holding binding.gyp above `from` (works from src/, dist/src/ and dist-*\/src/). */
export function findPackageRoot(from: string = __dirname): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'binding.gyp'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

let cached: NativeLinkBinding | undefined;

/** The addon, loaded once; throws LinkUnavailableError when there is no usable binary. */
export function loadLinkBinding(): NativeLinkBinding {
  if (cached) return cached;
  const where = `${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') {
    throw new LinkUnavailableError(
      `link: raw Ethernet needs Linux (AF_PACKET); this is ${where}`,
      CODE_UNAVAILABLE,
    );
  }
  const root = findPackageRoot();
  if (!root) {
    throw new LinkUnavailableError(
      `link: package root (binding.gyp) not found above ${__dirname}`,
      CODE_UNAVAILABLE,
    );
  }
  try {
    cached = nodeGypBuild(root) as NativeLinkBinding;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new LinkUnavailableError(
      `link: the native addon could not be loaded for ${where} (${reason}). Prebuilt binaries cover linux ` +
        `x64, arm64 and armv7 with glibc; elsewhere build it: "npm run build:native" in ${root} ` +
        '(needs python3, make and a C++ compiler)',
      CODE_UNAVAILABLE,
      { cause: error },
    );
  }
  return cached;
}
