// What the proxy's interface looks like now, for the supervisor (supervisor.ts): present or not, up
// with carrier or not, its index and MAC, and the addresses the service binds to (IPv4, IPv6
// link-local). Read by polling (an ioctl through the link addon and getifaddrs through
// os.networkInterfaces, a few microseconds each) rather than an rtnetlink subscription: Node has no
// netlink sockets, the addon would need a second receive path for them, and a change noticed within
// a second or two is soon enough for a sleep proxy (a sleeper's clients retry for much longer).
import { networkInterfaces } from 'node:os';
import { interfaceInfo, LinkInterfaceError } from '../io/link';

export type InterfaceState =
  /** `why`: short, for a status dot ("no interface eth0", "eth0 is down"). */
  | { readonly usable: false; readonly why: string }
  | {
      readonly usable: true;
      /** Changes whenever a socket bound to the interface would have to be reopened. */
      readonly signature: string;
    };

export function interfaceState(ifname: string): InterfaceState {
  let info: ReturnType<typeof interfaceInfo>;
  try {
    info = interfaceInfo(ifname);
  } catch (error) {
    if (error instanceof LinkInterfaceError) return { usable: false, why: `no interface ${ifname}` };
    // not the interface's fault (the link addon missing...): let a start try, and fail with the reason
    return { usable: true, signature: 'unreadable' };
  }
  if (!info.up || !info.running) return { usable: false, why: `${ifname} is down` };
  const addresses = (networkInterfaces()[ifname] ?? [])
    .filter((a) => a.family === 'IPv4' || a.address.startsWith('fe80:'))
    .map((a) => a.address)
    .sort();
  if (addresses.length === 0) return { usable: false, why: `${ifname} has no address` };
  return { usable: true, signature: [info.ifindex, info.mac, ...addresses].join(' ') };
}
