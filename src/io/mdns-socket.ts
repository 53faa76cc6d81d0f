// The mDNS sockets of one interface: UDP port 5353 joined to 224.0.0.251 (and, optionally, ff02::fb),
// delivering raw datagrams to whoever parses them (src/core/mdns, src/discovery) and sending their bytes.
//
// Why plain dgram rather than multicast-dns: multicast-dns decodes every datagram with dns-packet before
// handing it over (losing the QU bit, throwing away packets with one bad record) and, given only
// `interface`, binds to the interface address and hears no queries on Linux (notes §4). Here the socket
// binds 0.0.0.0:5353 with SO_REUSEADDR (so it coexists with avahi and other nodes), joins the group on
// the chosen interface's address and sends from it. A socket bound to 0.0.0.0 also hears groups joined
// on other interfaces, so datagrams whose source is not on the chosen interface's subnets (or
// link-local, or our own address) are dropped, and so are IPv6 link-local sources scoped to another
// interface: RFC 6762 §11 wants on-link sources only anyway. IPv6 sources keep their scope
// ("fe80::1%eth0"), so a unicast reply to one goes out of the right interface.
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import { ipv4ToBytes } from '../wire/address';
import type { MdnsDestination, MdnsSource } from '../core/mdns/responder';

export const MDNS_PORT = 5353;
export const MDNS_IPV4_GROUP = '224.0.0.251';
export const MDNS_IPV6_GROUP = 'ff02::fb';

export interface MdnsSocketOptions {
  /** Interface name; the first up, non-internal interface with IPv4 when empty. */
  readonly interface?: string;
  /** Also join ff02::fb on the interface. */
  readonly ipv6?: boolean;
  /**
   * Bind to the groups instead of the wildcard address, so that this socket receives multicast only.
   * Linux gives a unicast datagram to port 5353 to just one of the SO_REUSEADDR sockets sharing the
   * port (the last bound): a wildcard socket would take avahi's unicast (legacy queries, QU answers)
   * away from it. Whoever sets this receives unicast to 5353 some other way (the sleep proxy: from
   * its link capture).
   */
  readonly multicastOnly?: boolean;
}

export interface MdnsInterface {
  readonly name: string;
  readonly ipv4: string;
  readonly netmask: string;
  readonly ipv6: readonly string[];
}

export class MdnsInterfaceError extends Error {
  override name = 'MdnsInterfaceError';
}

/** The interface's mDNS identity: its first IPv4 address (needed for the membership) and IPv6 addresses. */
export function mdnsInterface(name?: string): MdnsInterface {
  const all = networkInterfaces();
  const candidates = name ? [name] : Object.keys(all);
  for (const candidate of candidates) {
    const addresses = (all[candidate] ?? []).filter((a) => !a.internal || name);
    const v4 = addresses.find((a) => a.family === 'IPv4');
    if (!v4) continue;
    const ipv6 = addresses.filter((a) => a.family === 'IPv6').map((a) => a.address);
    return { name: candidate, ipv4: v4.address, netmask: v4.netmask, ipv6 };
  }
  throw new MdnsInterfaceError(name ? `interface ${name} has no IPv4 address` : 'no interface with IPv4');
}

/** Whether an IPv4 source is on the interface's subnet (or link-local); the interface's part once. */
function onLinkCheck(iface: MdnsInterface): (address: string) => boolean {
  const mine = ipv4ToBytes(iface.ipv4);
  const mask = ipv4ToBytes(iface.netmask);
  if (!mine || !mask) return () => false;
  const net = mine.map((b, i) => b & mask[i]);
  return (address) => {
    const a = ipv4ToBytes(address);
    if (!a) return false;
    if (a[0] === 169 && a[1] === 254) return true;
    return a.every((b, i) => (b & mask[i]) === net[i]);
  };
}

export interface MdnsSocketEvents {
  packet: [data: Buffer, from: MdnsSource];
  error: [err: Error];
}

export class MdnsSocket extends EventEmitter<MdnsSocketEvents> {
  /** Datagrams dropped because their source was not on this link. */
  offLink = 0;
  private closed = false;

  private constructor(
    readonly iface: MdnsInterface,
    private readonly v4: dgram.Socket,
    private readonly v6: dgram.Socket | undefined,
  ) {
    super();
    const onLink = onLinkCheck(iface);
    v4.on('message', (data, rinfo) => {
      if (!onLink(rinfo.address)) {
        this.offLink++;
        return;
      }
      this.emit('packet', data, { address: rinfo.address, port: rinfo.port });
    });
    v6?.on('message', (data, rinfo) => {
      // Link-local sources carry their scope ("fe80::1%eth0"): one of another interface is not ours.
      const scope = rinfo.address.split('%')[1];
      if (scope !== undefined && scope !== iface.name) {
        this.offLink++;
        return;
      }
      this.emit('packet', data, { address: rinfo.address, port: rinfo.port });
    });
    for (const s of [v4, v6]) s?.on('error', (err) => this.emit('error', err));
  }

  static async open(options: MdnsSocketOptions = {}): Promise<MdnsSocket> {
    const iface = mdnsInterface(options.interface);
    const v4 = await bindSocket('udp4', options.multicastOnly ? MDNS_IPV4_GROUP : '0.0.0.0');
    try {
      v4.addMembership(MDNS_IPV4_GROUP, iface.ipv4);
      v4.setMulticastInterface(iface.ipv4);
      v4.setMulticastTTL(255);
      v4.setMulticastLoopback(true);
    } catch (err) {
      v4.close();
      throw err;
    }
    let v6: dgram.Socket | undefined;
    if (options.ipv6) {
      try {
        v6 = await bindSocket('udp6', options.multicastOnly ? `${MDNS_IPV6_GROUP}%${iface.name}` : '::');
        v6.addMembership(MDNS_IPV6_GROUP, `::%${iface.name}`);
        v6.setMulticastInterface(`::%${iface.name}`);
        v6.setMulticastTTL(255);
      } catch (err) {
        v6?.close();
        v4.close();
        throw err;
      }
    }
    return new MdnsSocket(iface, v4, v6);
  }

  /**
   * Sends to the group(s) or to one querier. Never rejects: errors are emitted (a send can race close);
   * the promise settles when the datagrams left, so goodbyes can be awaited before close().
   */
  send(data: Buffer, to: MdnsDestination): Promise<void> {
    if (this.closed) return Promise.resolve();
    const one = (socket: dgram.Socket | undefined, port: number, address: string) =>
      new Promise<void>((resolve) => {
        if (!socket) return resolve();
        socket.send(data, port, address, (err) => {
          if (err && !this.closed) this.emit('error', err);
          resolve();
        });
      });
    if (to === 'multicast') {
      return Promise.all([
        one(this.v4, MDNS_PORT, MDNS_IPV4_GROUP),
        one(this.v6, MDNS_PORT, `${MDNS_IPV6_GROUP}%${this.iface.name}`),
      ]).then(() => undefined);
    }
    return one(to.address.includes(':') ? this.v6 : this.v4, to.port, to.address);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [this.v4, this.v6].map((s) =>
        s ? new Promise<void>((resolve) => s.close(() => resolve())) : undefined,
      ),
    );
  }
}

function bindSocket(type: 'udp4' | 'udp6', address: string): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type, reuseAddr: true });
    socket.once('error', reject);
    socket.bind({ port: MDNS_PORT, address, exclusive: false }, () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}
