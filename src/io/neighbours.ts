// Finds a host's MAC in the kernel's neighbour table (the ARP cache / IPv6 neighbour cache), so the wake
// on lan node can wake "the-nas" or "192.168.1.20". Hostnames go through dns.lookup (so /etc/hosts,
// mDNS via nss-mdns and DNS all work). When the table has no usable entry, one UDP datagram to the
// discard port makes the kernel resolve the address, and the table is read again for up to `waitMs`.
// A sleeping host does not answer ARP, so this works while its entry is still cached (REACHABLE or
// STALE), which is the usual case shortly after it went to sleep.
//
// Reads `ip -j neigh` (iproute2, both families) and falls back to /proc/net/arp (IPv4) without it.
import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { isIpv4, isIpv6, normalizeIpv6, normalizeMac } from '../wire/address';

export interface Neighbour {
  readonly ip: string;
  readonly mac: string;
  readonly interface: string;
  /** REACHABLE, STALE, DELAY, PROBE, PERMANENT... (from ip neigh; "unknown" from /proc/net/arp). */
  readonly state: string;
}

interface IpNeighJson {
  dst?: string;
  dev?: string;
  lladdr?: string;
  state?: string[];
}

/** `ip -j neigh show` output -> entries with a MAC (FAILED/INCOMPLETE ones carry none). */
export function parseIpNeighJson(text: string): Neighbour[] {
  let rows: unknown;
  try {
    rows = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(rows)) return [];
  const out: Neighbour[] = [];
  for (const row of rows as IpNeighJson[]) {
    const mac = row.lladdr ? normalizeMac(row.lladdr) : undefined;
    if (!row.dst || !mac) continue;
    out.push({ ip: row.dst, mac, interface: row.dev ?? '', state: (row.state ?? ['unknown']).join(',') });
  }
  return out;
}

/** /proc/net/arp -> entries; flags 0x0 (incomplete) and the zero MAC are left out. */
export function parseProcNetArp(text: string): Neighbour[] {
  const out: Neighbour[] = [];
  for (const line of text.split('\n').slice(1)) {
    const [ip, , flags, hw, , dev] = line.trim().split(/\s+/);
    const mac = hw ? normalizeMac(hw) : undefined;
    if (!ip || !mac || mac === '00:00:00:00:00:00' || Number.parseInt(flags, 16) === 0) continue;
    out.push({
      ip,
      mac,
      interface: dev ?? '',
      state: (Number.parseInt(flags, 16) & 0x4) !== 0 ? 'PERMANENT' : 'unknown',
    });
  }
  return out;
}

function run(file: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: 2000 }, (err, stdout) => resolve(err ? undefined : stdout));
  });
}

/** The whole neighbour table (both families with iproute2, IPv4 only without). */
export async function readNeighbours(): Promise<Neighbour[]> {
  const json = await run('ip', ['-j', 'neigh', 'show']);
  if (json !== undefined) return parseIpNeighJson(json);
  const proc = await readFile('/proc/net/arp', 'utf8').catch(() => '');
  return parseProcNetArp(proc);
}

const sameIp = (a: string, b: string) =>
  isIpv6(a) && isIpv6(b) ? normalizeIpv6(a) === normalizeIpv6(b) : a === b;

export async function neighbourFor(ip: string, iface?: string): Promise<Neighbour | undefined> {
  const all = await readNeighbours();
  return all.find((n) => sameIp(n.ip, ip) && (!iface || n.interface === iface));
}

/** The IPv4 address the table lists for `mac` (to probe a host named only by its MAC). */
export async function ipForMac(mac: string, iface?: string): Promise<string | undefined> {
  const wanted = normalizeMac(mac);
  const all = await readNeighbours();
  return all.find((n) => n.mac === wanted && isIpv4(n.ip) && (!iface || n.interface === iface))?.ip;
}

/** Makes the kernel resolve `ip` (one datagram to the discard port; the datagram itself is irrelevant). */
async function provoke(ip: string): Promise<void> {
  const socket = dgram.createSocket(isIpv6(ip) ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve) => {
      socket.once('error', () => resolve());
      socket.send(Buffer.alloc(0), 9, ip, () => resolve());
    });
  } finally {
    socket.close();
  }
}

export interface ResolveOptions {
  readonly interface?: string;
  /** How long to wait for the kernel to resolve an unknown address (default 1000 ms). */
  readonly waitMs?: number;
}

export interface ResolvedTarget {
  readonly ip: string;
  readonly mac: string;
  readonly interface: string;
}

export class NeighbourNotFoundError extends Error {
  override name = 'NeighbourNotFoundError';
}

/** An IPv4/IPv6 address or a hostname -> its address and MAC from the neighbour table. */
export async function resolveNeighbour(
  target: string,
  options: ResolveOptions = {},
): Promise<ResolvedTarget> {
  let ip = target;
  if (!isIpv4(target) && !isIpv6(target)) {
    try {
      ip = (await lookup(target, { family: 4 })).address;
    } catch {
      ip = (await lookup(target).catch(() => undefined))?.address ?? '';
    }
    if (!ip) throw new NeighbourNotFoundError(`cannot resolve host name ${target}`);
  }
  let entry = await neighbourFor(ip, options.interface);
  if (!entry) {
    await provoke(ip);
    const deadline = Date.now() + (options.waitMs ?? 1000);
    while (!entry && Date.now() < deadline) {
      await delay(50);
      entry = await neighbourFor(ip, options.interface);
    }
  }
  if (!entry)
    throw new NeighbourNotFoundError(`no MAC known for ${target === ip ? ip : `${target} (${ip})`}`);
  return { ip, mac: entry.mac, interface: entry.interface };
}
