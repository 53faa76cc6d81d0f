// Subnets as the registration policy sees them (registration-policy.ts): "10.77.0.0/24",
// "fd77::/64", a bare address (/32, /128). Pure prefix arithmetic on the wire codecs' address bytes,
// so the core needs no node:net. A source address may carry a zone ("fe80::1%eth0") or be an
// IPv4-mapped IPv6 address from a dual-stack socket ("::ffff:10.0.0.1"): both count as the address.
import { ipv4ToBytes, ipv6ToBytes } from '../wire/address';

export interface Subnet {
  readonly bytes: Buffer;
  readonly prefix: number;
}

/** The address bytes of IP text (zone stripped, IPv4-mapped IPv6 as IPv4); undefined if not IP text. */
export function addressBytes(text: string): Buffer | undefined {
  const bare = text.split('%')[0];
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  return ipv4ToBytes(mapped ?? bare) ?? ipv6ToBytes(bare);
}

/** "address/prefix" or a bare address; undefined when it is neither. */
export function parseSubnet(text: string): Subnet | undefined {
  const [address, prefixText, extra] = text.trim().split('/');
  if (extra !== undefined || address.includes('%')) return undefined;
  const bytes = ipv4ToBytes(address) ?? ipv6ToBytes(address);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  return prefix <= max ? { bytes, prefix } : undefined;
}

export function inSubnet(address: Buffer, subnet: Subnet): boolean {
  if (address.length !== subnet.bytes.length) return false;
  const whole = subnet.prefix >> 3;
  if (!address.subarray(0, whole).equals(subnet.bytes.subarray(0, whole))) return false;
  const rest = subnet.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (address[whole] & mask) === (subnet.bytes[whole] & mask);
}

export function inAnySubnet(address: Buffer, subnets: readonly Subnet[]): boolean {
  return subnets.some((s) => inSubnet(address, s));
}

/** fe80::/10. */
export function isLinkLocalIpv6(address: Buffer): boolean {
  return address.length === 16 && address[0] === 0xfe && (address[1] & 0xc0) === 0x80;
}

/** The canonical key of an address (bytes as hex), so that any spelling of it compares equal. */
export function addressKey(text: string): string | undefined {
  return addressBytes(text)?.toString('hex');
}
