// What the wake on lan node wakes, from the text a user typed or a message carried: a MAC as is, the
// name of a sleeper registered with a sleep proxy (src/service/sleeper-directory.ts), or an IP address /
// host name looked up in the kernel's neighbour table (src/io/neighbours.ts).
import { isIpv4, isIpv6, normalizeMac } from '../wire/address';
import { lookupSleeper } from '../service/sleeper-directory';
import { resolveNeighbour } from './neighbours';

/** Letters, digits, '-' and '.', as host names are (RFC 1123); anything else is not looked up. */
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

export interface WakeTarget {
  /** The MAC for the magic packet. */
  readonly mac: string;
  /** An address to probe or to send unicast to, when known. */
  readonly ip?: string;
  /** From the sleeper's registration. */
  readonly password?: Buffer;
  readonly source: 'mac' | 'sleeper' | 'neighbour';
}

/** True for text that names a target without any lookup (a MAC or an IP address). */
export function isLiteralTarget(text: string): boolean {
  return normalizeMac(text) !== undefined || isIpv4(text) || isIpv6(text);
}

export async function resolveWakeTarget(
  text: string,
  options: { interface?: string } = {},
): Promise<WakeTarget> {
  const target = text.trim();
  const mac = normalizeMac(target);
  if (mac) return { mac, source: 'mac' };
  const sleeper = lookupSleeper(target);
  if (sleeper) {
    const wakeMac = normalizeMac(sleeper.wakeMac ?? sleeper.mac) ?? sleeper.mac;
    return { mac: wakeMac, ip: sleeper.ipv4, password: sleeper.password, source: 'sleeper' };
  }
  if (!isIpv4(target) && !isIpv6(target) && !HOST_NAME.test(target))
    throw new Error(`not a MAC, IP address, host name or known sleeper: ${target}`);
  const found = await resolveNeighbour(target, { interface: options.interface });
  return { mac: found.mac, ip: found.ip, source: 'neighbour' };
}
