// Which of a proxy's interfaces a host described by a flow (the `sleep` command) sits on: the one
// whose subnets (the machine's own addresses on it, as CIDR) hold one of the host's addresses.
// Link-local subnets say nothing (every interface has fe80::/64), so they are left out. Pure.
import { addressBytes, inAnySubnet, parseSubnet, type Subnet } from '../core/subnet';

export type InterfaceChoice =
  { readonly ok: true; readonly ifname: string } | { readonly ok: false; readonly error: string };

const isLinkLocal = (cidr: string): boolean => /^(fe80:|169\.254\.)/i.test(cidr);

/** `subnets`: per interface, its addresses as CIDR (os.networkInterfaces()[name][i].cidr). */
export function interfaceForHost(
  addresses: readonly string[],
  subnets: ReadonlyMap<string, readonly string[]>,
): InterfaceChoice {
  const names = [...subnets.keys()];
  if (names.length === 1) return { ok: true, ifname: names[0] };
  const holding = names.filter((name) => {
    const own = (subnets.get(name) ?? [])
      .filter((c) => !isLinkLocal(c))
      .map(parseSubnet)
      .filter((s): s is Subnet => s !== undefined);
    return own.length > 0 && addresses.some((a) => inAnySubnet(addressBytes(a) ?? Buffer.alloc(0), own));
  });
  if (holding.length === 1) return { ok: true, ifname: holding[0] };
  const which = `msg.payload.interface (one of ${names.join(', ')})`;
  return {
    ok: false,
    error:
      holding.length === 0
        ? `no interface's subnet holds ${addresses.join(', ')}: give ${which}`
        : `${addresses.join(', ')} fit the subnets of ${holding.join(' and ')}: give ${which}`,
  };
}
