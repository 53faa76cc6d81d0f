// Which hosts may register with the proxy: an allow-list of subnets (CIDR, IPv4 or IPv6; a bare
// address is a /32 or /128) and host MACs. A registration is admitted when the list is empty, when its
// source address lies in a listed subnet, or when its Owner option's host MAC is listed. Entries that
// are neither are reported by parseAllowList, so a config UI can show them instead of ignoring them.
import { BlockList, isIP } from 'node:net';
import { normalizeMac } from '../wire/address';

export interface AllowList {
  /** "10.0.0.0/24", "fe80::/10", "192.168.1.5". */
  readonly subnets: readonly string[];
  /** Host MACs (any usual spelling). */
  readonly macs: readonly string[];
}

export interface ParsedAllowList {
  readonly allow: AllowList;
  /** Entries that are neither a subnet nor a MAC. */
  readonly invalid: readonly string[];
}

/** Splits a free-text list (commas, spaces or new lines) into subnets and MACs. */
export function parseAllowList(text: string): ParsedAllowList {
  const subnets: string[] = [];
  const macs: string[] = [];
  const invalid: string[] = [];
  for (const entry of text.split(/[\s,;]+/).filter((e) => e !== '')) {
    const mac = normalizeMac(entry);
    if (mac) macs.push(mac);
    else if (subnetParts(entry)) subnets.push(entry);
    else invalid.push(entry);
  }
  return { allow: { subnets, macs }, invalid };
}

function subnetParts(
  entry: string,
): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | undefined {
  const [address, prefixText, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return undefined;
  const max = version === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return undefined;
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A predicate over (source address, host MAC); undefined MAC when the datagram did not parse. */
export function allowListCheck(allow: AllowList | undefined): (address: string, hostMac?: string) => boolean {
  if (!allow || (allow.subnets.length === 0 && allow.macs.length === 0)) return () => true;
  const blocks = new BlockList();
  for (const s of allow.subnets) {
    const parts = subnetParts(s);
    if (parts) blocks.addSubnet(parts.address, parts.prefix, parts.family);
  }
  const macs = new Set(allow.macs.map((m) => normalizeMac(m)).filter((m) => m !== undefined));
  return (address, hostMac) => {
    const bare = address.replace(/%.*$/, ''); // a link-local source carries its zone
    const family = isIP(bare);
    if (family !== 0 && blocks.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return true;
    // An IPv4-mapped IPv6 source (dual-stack socket) is its IPv4 address.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
    if (mapped && blocks.check(mapped, 'ipv4')) return true;
    const mac = hostMac === undefined ? undefined : normalizeMac(hostMac);
    return mac !== undefined && macs.has(mac);
  };
}
