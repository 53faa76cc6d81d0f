// The interfaces this host registers: from os.networkInterfaces(), those that are not loopback, have a
// real MAC (the Owner's host and wake MAC) and an IPv4 address (mDNS browsing needs one). Every address
// of the interface, IPv6 link-local included, is registered (sps-protocol.md §2.3).
import { networkInterfaces } from 'node:os';

export interface HostInterface {
  readonly name: string;
  readonly mac: string;
  readonly ipv4: readonly string[];
  readonly ipv6: readonly string[];
}

const NO_MAC = '00:00:00:00:00:00';

export class HostInterfaceError extends Error {
  override name = 'HostInterfaceError';
}

/** One named interface (throws HostInterfaceError if unusable) or every usable one. */
export function hostInterfaces(name?: string): HostInterface[] {
  const all = networkInterfaces();
  const names = name ? [name] : Object.keys(all);
  const found: HostInterface[] = [];
  for (const n of names) {
    const addresses = (all[n] ?? []).filter((a) => !a.internal);
    const mac = addresses[0]?.mac;
    const ipv4 = addresses.filter((a) => a.family === 'IPv4').map((a) => a.address);
    if (!mac || mac === NO_MAC || ipv4.length === 0) continue;
    const ipv6 = addresses.filter((a) => a.family === 'IPv6').map((a) => a.address);
    found.push({ name: n, mac, ipv4, ipv6 });
  }
  if (name && found.length === 0)
    throw new HostInterfaceError(`interface ${name} is missing, loopback, or has no MAC or IPv4 address`);
  return found;
}
