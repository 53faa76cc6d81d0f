// The I/O around RelayCore: a link socket capturing UDP broadcasts on one interface (including
// those sent by processes on this host), a UDP mesh socket exchanging them with peer relays, and
// the link again to rebroadcast what arrives. Used by the Node-RED nodes and the headless command.
// With `ipv6Groups`, IPv6 UDP multicast to those groups (same ports) is captured and carried the
// same way; the link joins each group's MAC so that the NIC passes it up.
//
// Contract: start() throws LinkError (LinkPermissionError without CAP_NET_RAW) or a socket error;
// after it, nothing throws: failures become 'error' events and drops are counted. close() releases
// the link, the mesh socket and the discovery timer, and is idempotent.
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import { networkInterfaces } from 'node:os';
import { type BpfProgram, compileFilter, dropAll, openLink, type LinkSocket } from '../io/link';
import { ipv4ToBytes, ipv4ToString, normalizeIpv6 } from '../wire/address';
import { ipv6MulticastMac } from '../wire/ndp';
import { DEFAULT_MESH_PORT } from '../wire/relay-mesh';
import {
  type BroadcastDatagram,
  LIMITED_BROADCAST,
  encodeBroadcastFrames,
  isIpv6Datagram,
  parseIpv4Frame,
  parseIpv6MulticastFrame,
  rebroadcastDestination,
  toBroadcastDatagram,
} from './broadcast-datagram';
import { ExpiringSet, type RateLimit } from './expiring-set';
import { type DropReason, type Outcome, RelayCore, type RelayCounters } from './relay-core';

export const DISCOVERY_INTERVAL_MS = 10_000;

export interface MeshOptions {
  /** UDP port of the mesh (SnowSignal: 7124). */
  readonly port?: number;
  /** Peers as "host" or "host:port" (names are resolved on every discovery round). */
  readonly peers?: readonly string[];
  /** Docker Swarm service: peers are the addresses of tasks.<serviceName>, minus our own. */
  readonly serviceName?: string;
  readonly discoveryIntervalMs?: number;
  /** Address the mesh socket binds (default all). */
  readonly bindAddress?: string;
  /** Name to IPv4 addresses (default: the system resolver, as SnowSignal's gethostbyname_ex). */
  readonly resolve?: (name: string) => Promise<string[]>;
}

const systemResolve = async (name: string): Promise<string[]> =>
  (await lookup(name, { all: true, family: 4 })).map((a) => a.address);

export interface RelayServiceOptions {
  readonly interface: string;
  /** UDP ports whose broadcasts are captured and rebroadcast; empty: every port. */
  readonly ports: readonly number[];
  /** IPv6 multicast groups relayed like broadcasts (e.g. ff15::4b50, ff02::1); default none. */
  readonly ipv6Groups?: readonly string[];
  /** Capture broadcasts on the interface (false for a rebroadcast-only endpoint). Default true. */
  readonly capture?: boolean;
  /** Exchange with peer relays; absent: no mesh socket. */
  readonly mesh?: MeshOptions;
  /** Shared mesh key (text); absent: plain SnowSignal-format messages. */
  readonly key?: string;
  readonly rateLimit?: RateLimit;
  readonly dedupeMs?: number;
  /** This segment's directed broadcast; default from the interface's IPv4 address and prefix. */
  readonly broadcastAddress?: string;
  readonly now?: () => number;
}

export interface Peer {
  readonly address: string;
  readonly port: number;
}

export interface RelayServiceEvents {
  /** A broadcast captured on our segment (whether or not a mesh is configured). */
  broadcast: [datagram: BroadcastDatagram, frame: Buffer];
  /** A broadcast put on our segment. */
  rebroadcast: [datagram: BroadcastDatagram];
  drop: [reason: DropReason];
  peers: [peers: readonly Peer[]];
  error: [error: Error];
}

// Endpoints of one process on one interface share what they sent, so a `broadcast in` never
// captures what a `broadcast out` (or a relay) next to it has just rebroadcast.
const sentByInterface = new Map<string, ExpiringSet>();

export class RelayService extends EventEmitter<RelayServiceEvents> {
  private link: LinkSocket | undefined;
  /** Frames sent on the interface bypass this host's own stack; a copy on lo reaches its listeners. */
  private loopback: LinkSocket | undefined;
  private mesh: Socket | undefined;
  private timer: NodeJS.Timeout | undefined;
  private core: RelayCore;
  private segmentBroadcast = LIMITED_BROADCAST;
  private currentPeers: readonly Peer[] = [];
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: RelayServiceOptions) {
    super();
    this.now = options.now ?? Date.now;
    let sent = sentByInterface.get(options.interface);
    if (!sent) sentByInterface.set(options.interface, (sent = new ExpiringSet(options.dedupeMs ?? 3000)));
    this.core = new RelayCore({
      ports: options.ports,
      ipv6Groups: options.ipv6Groups,
      senderId: randomBytes(8),
      key: options.key ? Buffer.from(options.key, 'utf8') : undefined,
      dedupeMs: options.dedupeMs,
      rateLimit: options.rateLimit,
      sent,
    });
  }

  get counters(): RelayCounters {
    return this.core.counters;
  }

  get peers(): readonly Peer[] {
    return this.currentPeers;
  }

  /** Started and not closed: rebroadcasts reach the wire. */
  get running(): boolean {
    return this.link !== undefined && !this.closed;
  }

  get broadcastAddress(): string {
    return this.segmentBroadcast;
  }

  async start(): Promise<void> {
    this.segmentBroadcast = this.options.broadcastAddress ?? interfaceBroadcast(this.options.interface);
    const groups = ipv6Groups(this.options.ipv6Groups ?? []);
    const filter =
      this.options.capture === false
        ? dropAll()
        : relayCaptureFilter([LIMITED_BROADCAST, this.segmentBroadcast], groups, this.options.ports);
    this.link = openLink(this.options.interface, { filter, outgoing: true });
    // also for a rebroadcast-only endpoint: harmless, and one code path
    for (const group of groups) this.link.addMulticast(ipv6MulticastMac(group));
    // outgoing: broadcasts of processes on this host are relayed too (not SnowSignal's own-MAC rule)
    this.link.on('frame', (frame) => this.onCaptured(frame));
    this.link.on('error', (error) => this.emit('error', error));
    try {
      this.loopback = this.options.interface === 'lo' ? undefined : openLink('lo', { filter: dropAll() });
    } catch {
      // best effort: without it only listeners on this host miss rebroadcasts
    }
    if (!this.options.mesh) return;
    const mesh = createSocket('udp4');
    this.mesh = mesh;
    mesh.on('message', (message) => this.onMesh(message));
    mesh.on('error', (error) => this.emit('error', error));
    await new Promise<void>((resolve, reject) => {
      mesh.once('error', reject);
      mesh.bind(this.options.mesh?.port ?? DEFAULT_MESH_PORT, this.options.mesh?.bindAddress, () => {
        mesh.off('error', reject);
        resolve();
      });
    });
    await this.discover();
    const interval = this.options.mesh.discoveryIntervalMs ?? DISCOVERY_INTERVAL_MS;
    this.timer = setInterval(() => void this.discover(), interval);
    this.timer.unref();
  }

  /** Puts a datagram (from a `broadcast out` message) on our segment. */
  rebroadcast(datagram: BroadcastDatagram, frame: Buffer = Buffer.alloc(0)): Outcome {
    return this.put(this.core.toRebroadcast(datagram, frame, this.now()));
  }

  /** Same, from a captured Ethernet frame (msg.frame of a `broadcast in`). */
  rebroadcastFrame(frame: Buffer): Outcome {
    const packet = parseIpv4Frame(frame);
    const datagram = packet.ok ? toBroadcastDatagram(packet.value) : parseIpv6MulticastFrame(frame);
    if (!datagram.ok) return { kind: 'drop', reason: 'malformed' };
    return this.rebroadcast(datagram.value, frame);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.link?.close();
    this.loopback?.close();
    const mesh = this.mesh;
    this.mesh = undefined;
    if (mesh) await new Promise<void>((resolve) => mesh.close(() => resolve()));
  }

  private onCaptured(frame: Buffer): void {
    const outcome = this.core.captured(frame, this.now());
    if (outcome.kind === 'drop') return void this.emit('drop', outcome.reason);
    if (outcome.kind !== 'relay') return;
    this.emit('broadcast', outcome.datagram, outcome.frame);
    const mesh = this.mesh;
    if (!mesh || this.currentPeers.length === 0) return;
    const message = this.core.meshMessage(outcome.frame, this.now());
    for (const peer of this.currentPeers) {
      mesh.send(message, peer.port, peer.address, (error) => {
        if (error) this.emit('error', error);
      });
    }
  }

  private onMesh(message: Buffer): void {
    // After this turn's other I/O callbacks: when another relay on our segment relayed a broadcast
    // we also captured, our copy is already queued on the link (the bridge delivered it before that
    // relay even saw it), and handling it first marks the mesh copy as a duplicate.
    setImmediate(() => {
      if (!this.closed) this.put(this.core.meshReceived(message, this.now()));
    });
  }

  private put(outcome: Outcome): Outcome {
    if (outcome.kind === 'drop') this.emit('drop', outcome.reason);
    if (outcome.kind !== 'rebroadcast' || !this.link || this.closed) return outcome;
    const destination = rebroadcastDestination(outcome.datagram.destination, this.segmentBroadcast);
    try {
      const frames = encodeBroadcastFrames(outcome.datagram, {
        sourceMac: this.link.mac,
        destination,
        mtu: this.link.mtu,
      });
      for (const frame of frames) this.link.send(frame);
      // IPv6: a listener joins the group on the interface, so a copy on lo would not reach it
      const loopback = isIpv6Datagram(outcome.datagram) ? undefined : this.loopback;
      if (loopback) {
        // one unfragmented frame (lo's MTU is 64 KiB); the kernel takes it as received on lo, which
        // needs rp_filter 0 or 2 (loose) on lo for a source from another segment
        const local = { sourceMac: loopback.mac, destination, mtu: Math.max(loopback.mtu, 65_535) };
        for (const frame of encodeBroadcastFrames(outcome.datagram, local)) loopback.send(frame);
      }
      this.emit('rebroadcast', outcome.datagram);
    } catch (error) {
      this.emit('error', error instanceof Error ? error : new Error(String(error)));
    }
    return outcome;
  }

  private async discover(): Promise<void> {
    const mesh = this.options.mesh;
    if (!mesh || this.closed) return;
    const defaultPort = mesh.port ?? DEFAULT_MESH_PORT;
    const own = ownAddresses();
    const found: Peer[] = [];
    const names = (mesh.peers ?? []).map((text) => parsePeer(text, defaultPort));
    if (mesh.serviceName) names.push({ host: `tasks.${mesh.serviceName}`, port: defaultPort });
    await Promise.all(
      names.map(async ({ host, port }) => {
        try {
          const addresses = ipv4ToBytes(host) ? [host] : await (mesh.resolve ?? systemResolve)(host);
          for (const address of addresses) if (!own.has(address)) found.push({ address, port });
        } catch (error) {
          // a Swarm service with no task yet, or a peer not resolvable yet: try again next round
          if (!mesh.serviceName)
            this.emit('error', error instanceof Error ? error : new Error(String(error)));
        }
      }),
    );
    const unique = [...new Map(found.map((p) => [`${p.address}:${p.port}`, p])).values()];
    const changed =
      unique.length !== this.currentPeers.length ||
      unique.some(
        (p, i) => p.address !== this.currentPeers[i]?.address || p.port !== this.currentPeers[i]?.port,
      );
    this.currentPeers = unique;
    if (changed && !this.closed) this.emit('peers', unique);
  }
}

/**
 * The kernel filter of a capturing relay: UDP to the IPv4 broadcast `destinations` (any port:
 * fragments after the first carry no UDP header, so ports are checked after reassembly), and
 * IPv6 UDP to `groups` on `ports` (every port when empty; IPv6 fragments are not relayed).
 */
export function relayCaptureFilter(
  destinations: readonly string[],
  groups: readonly string[],
  ports: readonly number[],
): BpfProgram {
  return compileFilter([
    { kind: 'udp', destinations: [...new Set(destinations)] },
    ...(groups.length > 0
      ? [{ kind: 'udp' as const, destinations: groups, ports: ports.length > 0 ? ports : undefined }]
      : []),
  ]);
}

/** Canonical IPv6 multicast groups; throws TypeError on anything else. */
export function ipv6Groups(texts: readonly string[]): string[] {
  return texts.map((text) => {
    const group = normalizeIpv6(text.trim());
    if (!group?.startsWith('ff')) throw new TypeError(`not an IPv6 multicast group: ${text}`);
    return group;
  });
}

/** "host" or "host:port". */
export function parsePeer(text: string, defaultPort: number): { host: string; port: number } {
  const match = /^(.*):(\d+)$/.exec(text.trim());
  if (match && !match[1].includes(':')) return { host: match[1], port: Number(match[2]) };
  return { host: text.trim(), port: defaultPort };
}

/** The directed broadcast of the interface's first IPv4 address, or 255.255.255.255 without one. */
export function interfaceBroadcast(ifname: string): string {
  const entry = networkInterfaces()[ifname]?.find((a) => a.family === 'IPv4');
  if (!entry?.cidr) return LIMITED_BROADCAST;
  const prefix = Number(entry.cidr.split('/')[1]);
  const address = ipv4ToBytes(entry.address);
  if (!address || !(prefix >= 0 && prefix <= 30)) return LIMITED_BROADCAST;
  const host = prefix === 0 ? 0xffffffff : (1 << (32 - prefix)) - 1;
  const broadcast = Buffer.alloc(4);
  broadcast.writeUInt32BE((address.readUInt32BE(0) | host) >>> 0);
  return ipv4ToString(broadcast);
}

function ownAddresses(): Set<string> {
  return new Set(
    Object.values(networkInterfaces())
      .flatMap((list) => list ?? [])
      .map((a) => a.address),
  );
}
