// Ethernet frames in and out of one interface (Linux AF_PACKET through native/link.cc).
//
// Guarantees:
// - A new link delivers nothing until a filter is set (opts.filter or setFilter): the kernel
//   filter is the proxy's first line of defence, so there is no unfiltered default.
// - setFilter replaces the program atomically without reopening; frames the old program had
//   already queued may still arrive right after the call.
// - Frames this host sends are not delivered, unless opened with `outgoing: true` (then they arrive
//   with packetType PACKET_OUTGOING; the link's own sends still never come back to it).
// - Each 'frame' Buffer is fresh (the kernel wrote into it directly) and exactly the frame, or the
//   first snap-length bytes of it (info.truncated, info.originalLength).
// - Errors never escape as exceptions from the receive path: they become 'error' events (only
//   emitted when someone listens; always counted in stats().errors). Calls made by the owner
//   throw LinkError synchronously for misuse: a closed link, a program the kernel rejects.
// - close() releases the socket at once and is idempotent; no event fires after it, and an open
//   link is the only thing it keeps the event loop alive for (see unref()).
import { EventEmitter } from 'node:events';
import { macToBytes, macToString } from '../../wire/address';
import { type BpfProgram, encodeBpf } from './bpf';
import { dropAll } from './bpf-filter';
import { CODE_CLOSED, CODE_NOT_ETHERNET, LinkError, LinkInterfaceError, toLinkError } from './errors';
import {
  type NativeHandle,
  type NativeInterfaceInfo,
  type NativeLinkBinding,
  type NativeOpenResult,
  loadLinkBinding,
} from './native';

/** Every EtherType (ETH_P_ALL): what the proxy binds, leaving the choice to the filter. */
export const ETH_P_ALL = 0x0003;
const ARPHRD_ETHER = 1;
const ARPHRD_LOOPBACK = 772;
const IFF_UP = 0x1;
const IFF_RUNNING = 0x40;
const PACKET_MR_MULTICAST = 0;
// tpacket_auxdata tp_status bits (linux/if_packet.h)
const TP_STATUS_CSUMNOTREADY = 1 << 3;
const VLAN_VID_MASK = 0x0fff;

// sll_pkttype values (linux/if_packet.h); PACKET_OUTGOING only with LinkOptions.outgoing.
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
export const PACKET_TYPE_NAMES: Readonly<Record<number, string>> = {
  [PACKET_HOST]: 'host',
  [PACKET_BROADCAST]: 'broadcast',
  [PACKET_MULTICAST]: 'multicast',
  [PACKET_OTHERHOST]: 'otherhost',
  [PACKET_OUTGOING]: 'outgoing',
};

export interface LinkFrameInfo {
  /** PACKET_HOST / _BROADCAST / _MULTICAST / _OTHERHOST (to someone else; only in promiscuous mode). */
  readonly packetType: number;
  /** Length on the wire; more than frame.length when the filter's snap length cut the frame. */
  readonly originalLength: number;
  readonly truncated: boolean;
  /**
   * The kernel had not filled in the transport checksum yet (TP_STATUS_CSUMNOTREADY): frames from
   * a veth peer or a local stack with offload carry a partial checksum; do not reject them for it.
   */
  readonly checksumPartial: boolean;
  /** The 802.1Q VLAN id the kernel stripped from the frame, if it was tagged. */
  readonly vlanId: number | undefined;
}

export interface LinkStats {
  /** Frames that passed the kernel filter since open (received or dropped for lack of buffer). */
  readonly kernelPackets: number;
  /** Frames that passed the filter but were dropped because the receive queue was full. */
  readonly kernelDrops: number;
  /** Frames handed to JavaScript. */
  readonly delivered: number;
  readonly truncated: number;
  readonly sent: number;
  /** Receive-side and send errors, emitted as 'error' or not. */
  readonly errors: number;
}

export interface LinkOptions {
  /** EtherType to bind (default ETH_P_ALL). */
  readonly protocol?: number;
  /** The first filter (default: drop all until setFilter). */
  readonly filter?: BpfProgram;
  /** Longest frame delivered; longer ones arrive truncated (default 65536). */
  readonly maxFrameBytes?: number;
  /**
   * Also deliver frames sent by this host's own stack and other sockets (PACKET_OUTGOING), e.g.
   * broadcasts of local processes, which the kernel never loops back as received frames.
   */
  readonly outgoing?: boolean;
}

export interface LinkInterface {
  readonly ifname: string;
  readonly ifindex: number;
  /** Lowercase "aa:bb:cc:dd:ee:ff". */
  readonly mac: string;
  readonly mtu: number;
  readonly up: boolean;
  readonly running: boolean;
  readonly hardwareType: number;
}

export interface LinkEvents {
  frame: [frame: Buffer, info: LinkFrameInfo];
  error: [error: LinkError];
}

const DEFAULT_MAX_FRAME = 65536;
const DROP_ALL = encodeBpf(dropAll());

const isNoMemory = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOMEM';

/** Interface index, MAC and state, looked up in this process's network namespace (no privilege). */
export function interfaceInfo(ifname: string): LinkInterface {
  const binding = loadLinkBinding();
  let info: NativeInterfaceInfo;
  try {
    info = binding.interfaceInfo(ifname);
  } catch (error) {
    throw toLinkError(error, ifname, 'interface lookup');
  }
  return describeInterface(ifname, info);
}

/** Opens a link on `ifname`. Throws LinkUnavailableError, LinkInterfaceError, LinkPermissionError. */
export function openLink(ifname: string, options: LinkOptions = {}): LinkSocket {
  const info = interfaceInfo(ifname);
  if (info.hardwareType !== ARPHRD_ETHER && info.hardwareType !== ARPHRD_LOOPBACK) {
    throw new LinkInterfaceError(
      `link ${ifname}: not an Ethernet interface (ARPHRD ${info.hardwareType})`,
      CODE_NOT_ETHERNET,
      { ifname },
    );
  }
  const binding = loadLinkBinding();
  // Frames can only arrive on a later event-loop turn, by which time `receiver.socket` is set.
  const receiver: { socket?: LinkSocket } = {};
  let opened: NativeOpenResult;
  try {
    opened = binding.open(
      ifname,
      options.protocol ?? ETH_P_ALL,
      options.maxFrameBytes ?? DEFAULT_MAX_FRAME,
      (frame, packetType, originalLength, status, vlanTci) =>
        receiver.socket?.receive(frame, packetType, originalLength, status, vlanTci),
      options.outgoing === true,
    );
  } catch (error) {
    throw toLinkError(error, ifname, 'open');
  }
  const socket = new LinkSocket(binding, opened.handle, describeInterface(ifname, opened));
  receiver.socket = socket;
  if (options.filter) {
    try {
      socket.setFilter(options.filter);
    } catch (error) {
      socket.close();
      throw error;
    }
  }
  return socket;
}

function describeInterface(ifname: string, info: NativeInterfaceInfo): LinkInterface {
  return {
    ifname,
    ifindex: info.ifindex,
    mac: macToString(info.mac),
    mtu: info.mtu,
    up: (info.flags & IFF_UP) !== 0,
    running: (info.flags & IFF_RUNNING) !== 0,
    hardwareType: info.hardwareType,
  };
}

export class LinkSocket extends EventEmitter<LinkEvents> {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: string;
  readonly mtu: number;
  private handle: NativeHandle | undefined;
  private sent = 0;
  private errors = 0;
  private lastStats: LinkStats | undefined;
  /** The attached program, encoded (the addon attaches drop-all at open). */
  private filter: Buffer = DROP_ALL;

  /** Use openLink(). */
  constructor(
    private readonly binding: NativeLinkBinding,
    handle: NativeHandle,
    info: LinkInterface,
  ) {
    super();
    this.handle = handle;
    this.ifname = info.ifname;
    this.ifindex = info.ifindex;
    this.mac = info.mac;
    this.mtu = info.mtu;
  }

  get closed(): boolean {
    return this.handle === undefined;
  }

  /**
   * Replaces the kernel filter; throws LinkError when the kernel rejects the program (EINVAL:
   * malformed; ENOMEM: larger than net.core.optmem_max allows), leaving the previous one in place.
   *
   * The kernel charges the new program while the old one is still attached, so two large programs
   * may not fit side by side (optmem_max 20480: about 1000 instructions each). On ENOMEM the
   * replacement goes through a drop-all program: frames arriving in those microseconds are
   * dropped, never passed unfiltered.
   */
  setFilter(program: BpfProgram): void {
    const handle = this.openHandle('setFilter');
    const code = encodeBpf(program);
    const attach = (bytes: Buffer): unknown => {
      try {
        this.binding.setFilter(handle, bytes);
        return undefined;
      } catch (error) {
        return error;
      }
    };
    let error = attach(code);
    if (isNoMemory(error) && attach(DROP_ALL) === undefined) {
      error = attach(code);
      if (error !== undefined) attach(this.filter);
    }
    if (error !== undefined)
      throw toLinkError(error, this.ifname, `setFilter (${program.length} instructions)`);
    this.filter = code;
  }

  /** Receives frames sent to a multicast MAC, e.g. 33:33:ff:xx:xx:xx for a solicited-node group. */
  addMulticast(mac: string): void {
    this.membership(true, mac);
  }

  /** Leaves a group joined with addMulticast; a no-op (as in the kernel) for a group not joined. */
  dropMulticast(mac: string): void {
    this.membership(false, mac);
  }

  /**
   * Sends one complete Ethernet frame (header included; the NIC adds padding and FCS). Returns
   * false, and emits 'error', when the kernel refused it (ENETDOWN, EMSGSIZE, ENOBUFS/EAGAIN
   * when the device queue is full).
   */
  send(frame: Uint8Array): boolean {
    const handle = this.openHandle('send');
    try {
      this.binding.send(handle, frame);
      this.sent++;
      return true;
    } catch (error) {
      this.report(toLinkError(error, this.ifname, 'send'));
      return false;
    }
  }

  stats(): LinkStats {
    if (this.handle === undefined) return this.lastStats ?? this.countersOnly();
    let native;
    try {
      native = this.binding.stats(this.handle);
    } catch (error) {
      throw toLinkError(error, this.ifname, 'stats');
    }
    this.lastStats = {
      kernelPackets: native.kernelPackets,
      kernelDrops: native.kernelDrops,
      delivered: native.delivered,
      truncated: native.truncated,
      sent: this.sent,
      errors: this.errors,
    };
    return this.lastStats;
  }

  /** Lets the process exit while the link is open (it still delivers frames while alive). */
  unref(): this {
    if (this.handle) this.binding.ref(this.handle, false);
    return this;
  }

  ref(): this {
    if (this.handle) this.binding.ref(this.handle, true);
    return this;
  }

  close(): void {
    if (this.handle === undefined) return;
    try {
      this.stats();
    } catch {
      // counters are best effort; releasing the socket is not
    }
    this.binding.close(this.handle);
    this.handle = undefined;
  }

  /** @internal Called by the addon for each frame, or with an Error from the socket. */
  receive(
    frame: Buffer | Error,
    packetType: number,
    originalLength: number,
    status: number,
    vlanTci: number,
  ): void {
    if (this.handle === undefined) return;
    if (frame instanceof Error) {
      this.report(toLinkError(frame, this.ifname, 'receive'));
      return;
    }
    this.emit('frame', frame, {
      packetType,
      originalLength,
      truncated: originalLength > frame.length,
      checksumPartial: (status & TP_STATUS_CSUMNOTREADY) !== 0,
      vlanId: vlanTci < 0 ? undefined : vlanTci & VLAN_VID_MASK,
    });
  }

  private membership(add: boolean, text: string): void {
    const handle = this.openHandle(add ? 'addMulticast' : 'dropMulticast');
    const mac = macToBytes(text);
    if (!mac || (mac[0] & 1) === 0) throw new TypeError(`link ${this.ifname}: not a multicast MAC: ${text}`);
    try {
      this.binding.membership(handle, add, PACKET_MR_MULTICAST, mac);
    } catch (error) {
      throw toLinkError(error, this.ifname, `${add ? 'add' : 'drop'} multicast ${text}`);
    }
  }

  private openHandle(action: string): NativeHandle {
    if (this.handle === undefined) {
      throw new LinkError(`link ${this.ifname}: ${action} on a closed link`, CODE_CLOSED, {
        ifname: this.ifname,
      });
    }
    return this.handle;
  }

  private report(error: LinkError): void {
    this.errors++;
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  private countersOnly(): LinkStats {
    return {
      kernelPackets: 0,
      kernelDrops: 0,
      delivered: 0,
      truncated: 0,
      sent: this.sent,
      errors: this.errors,
    };
  }
}
