// Names and addresses of a test LAN, derived from the host list alone (pure; no I/O). The layout
// follows /work/shared/testlan/lan.sh so numbers seen in its README and baselines carry over:
//   host N: IPv4 10.77.0.N/24, IPv6 fd77::N/64 (N written in decimal digits, as lan.sh does),
//   MAC 02:77:00:00:00:<N hex>, link-local fe80:: + EUI-64 of the MAC; its bridge port in the
//   switch namespace is "v-<name>" with MAC 02:77:00:00:01:<N hex>; the bridge is 02:77:00:00:01:00.
// Namespace names carry a per-run suffix, so runs never collide while addresses repeat freely.

import { ipv6ToString, macToBytes } from '../../../src/wire/address';

export interface HostSpec {
  readonly name: string;
  /** Last IPv4 octet and IPv6 host part, 1..254. */
  readonly n: number;
  /** Replaces the default MAC (and so the link-local address), e.g. to replay a capture's bytes. */
  readonly mac?: string;
}

export const DEFAULT_HOSTS: readonly HostSpec[] = [
  { name: 'proxy', n: 2 },
  { name: 'sleeper', n: 10 },
  { name: 'waker', n: 20 },
];

export const HOST_IFNAME = 'eth0';
export const BRIDGE_IFNAME = 'br0';
export const IPV4_PREFIX = 24;
export const IPV6_PREFIX = 64;
const NET4 = '10.77.0';
const NET6 = 'fd77::';
const MAC_PREFIX = '02:77:00:00';
export const BRIDGE_MAC = `${MAC_PREFIX}:01:00`;

/** Where one host sits on the segment. */
export interface HostAddressing {
  readonly name: string;
  readonly n: number;
  /** Network namespace name, `<suffix>-<name>`. */
  readonly ns: string;
  readonly mac: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly linkLocal: string;
  /** Bridge port (veth peer) in the switch namespace. */
  readonly port: string;
  readonly portMac: string;
}

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

// Host names become netns names and "v-<name>" port names, which the kernel caps at 15 bytes.
const HOST_NAME = /^[a-z][a-z0-9]{0,12}$/;

export function parseHostSpecs(hosts: readonly (string | HostSpec)[]): HostSpec[] {
  const specs = hosts.map((h) => (typeof h === 'string' ? parseHostText(h) : h));
  const names = new Set<string>();
  const numbers = new Set<number>();
  for (const { name, n } of specs) {
    if (!HOST_NAME.test(name) || name === 'lan') {
      throw new Error(`test LAN: bad host name "${name}" (lowercase letters/digits, <= 13, not "lan")`);
    }
    if (!Number.isInteger(n) || n < 1 || n > 254)
      throw new Error(`test LAN: host ${name}: n=${n} not in 1..254`);
    if (names.has(name)) throw new Error(`test LAN: duplicate host name "${name}"`);
    if (numbers.has(n)) throw new Error(`test LAN: duplicate host number ${n}`);
    names.add(name);
    numbers.add(n);
  }
  return specs;
}

/** "name:N" as in lan.sh's SPS_HOSTS, or a bare name numbered after the defaults' scheme. */
function parseHostText(text: string): HostSpec {
  const [name, num] = text.split(':');
  if (num !== undefined) return { name: name ?? '', n: Number(num) };
  const known = DEFAULT_HOSTS.find((h) => h.name === text);
  if (known) return known;
  throw new Error(`test LAN: host "${text}" needs a number ("${text}:N")`);
}

export function hostAddressing(suffix: string, { name, n, mac: given }: HostSpec): HostAddressing {
  const mac = given ?? `${MAC_PREFIX}:00:${hex2(n)}`;
  return {
    name,
    n,
    ns: `${suffix}-${name}`,
    mac,
    ipv4: `${NET4}.${n}`,
    ipv6: `${NET6}${n}`,
    linkLocal: eui64LinkLocal(mac),
    port: `v-${name}`,
    portMac: `${MAC_PREFIX}:01:${hex2(n)}`,
  };
}

export const switchNamespace = (suffix: string): string => `${suffix}-lan`;

/** fe80::/64 with the modified EUI-64 interface identifier of `mac` (RFC 4291 appendix A). */
export function eui64LinkLocal(mac: string): string {
  const m = macToBytes(mac);
  if (!m) throw new Error(`test LAN: bad MAC ${mac}`);
  const address = Buffer.alloc(16);
  address[0] = 0xfe;
  address[1] = 0x80;
  const [b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0] = m;
  Buffer.from([b0 ^ 0x02, b1, b2, 0xff, 0xfe, b3, b4, b5]).copy(address, 8);
  return ipv6ToString(address);
}

/** `sps<pid base36><random>`: short (netns names show up in tool output) and unique per run. */
export function newSuffix(pid: number, random: () => number = Math.random): string {
  const tail = Math.floor(random() * 36 ** 3)
    .toString(36)
    .padStart(3, '0');
  return `sps${pid.toString(36)}${tail}`;
}
