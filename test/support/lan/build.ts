// Builds the segment in four steps, each one `ip -batch` or one sysctl per namespace, run in
// parallel across namespaces (creation takes ~0.1 s). Nothing is created in the base namespace:
// veth pairs are born with their two ends already in the host and switch namespaces.
//   1. namespaces;
//   2. sysctls, before any interface exists so that new interfaces inherit them from "default":
//      switch: IPv6 off (a silent switch), bridge-nf off; hosts: IPv6 on, DAD off, rp_filter 0
//      (IPv4 conf is inherited from the machine's root namespace), forwarding off everywhere;
//   3. the bridge (STP off, no forward delay, multicast snooping off: multicast floods like on a
//      dumb switch, see the pitfalls in /work/shared/testlan/README.md) and the veth pairs;
//   4. ports into the bridge and up; per host: lo and eth0 up, addresses, 224.0.0.0/4 route.
import {
  BRIDGE_IFNAME,
  BRIDGE_MAC,
  HOST_IFNAME,
  IPV4_PREFIX,
  IPV6_PREFIX,
  type HostAddressing,
} from './addressing';
import type { NetnsContext } from './netns';

export const SWITCH_SYSCTLS = [
  'net.ipv6.conf.all.disable_ipv6=1',
  'net.ipv6.conf.default.disable_ipv6=1',
  'net.ipv4.ip_forward=0',
  // exist only with br_netfilter loaded (sysctl -e ignores them otherwise)
  'net.bridge.bridge-nf-call-iptables=0',
  'net.bridge.bridge-nf-call-ip6tables=0',
  'net.bridge.bridge-nf-call-arptables=0',
];

export const HOST_SYSCTLS = [
  'net.ipv4.ip_forward=0',
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
  'net.ipv6.conf.all.disable_ipv6=0',
  'net.ipv6.conf.default.disable_ipv6=0',
  'net.ipv6.conf.all.forwarding=0',
  'net.ipv6.conf.all.accept_dad=0',
  'net.ipv6.conf.default.accept_dad=0',
];

export async function buildLan(
  ctx: NetnsContext,
  switchNs: string,
  hosts: readonly HostAddressing[],
): Promise<void> {
  await ctx.ipBatch([switchNs, ...hosts.map((h) => h.ns)].map((ns) => `netns add ${ns}`));

  await Promise.all([
    ctx.sysctl(switchNs, SWITCH_SYSCTLS),
    ...hosts.map((h) => ctx.sysctl(h.ns, HOST_SYSCTLS)),
  ]);

  await ctx.ipBatch([
    `link add ${BRIDGE_IFNAME} netns ${switchNs} address ${BRIDGE_MAC} type bridge stp_state 0 forward_delay 0` +
      ' mcast_snooping 0 mcast_querier 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0',
    ...hosts.map(
      (h) =>
        `link add ${HOST_IFNAME} netns ${h.ns} address ${h.mac} type veth` +
        ` peer name ${h.port} netns ${switchNs} address ${h.portMac}`,
    ),
  ]);

  await Promise.all([
    ctx.ipBatch(
      [
        'link set lo up',
        ...hosts.flatMap((h) => [`link set ${h.port} master ${BRIDGE_IFNAME}`, `link set ${h.port} up`]),
        `link set ${BRIDGE_IFNAME} up`,
      ],
      switchNs,
    ),
    ...hosts.map((h) =>
      ctx.ipBatch(
        [
          'link set lo up',
          `link set ${HOST_IFNAME} up`,
          `addr add ${h.ipv4}/${IPV4_PREFIX} broadcast + dev ${HOST_IFNAME}`,
          `addr add ${h.ipv6}/${IPV6_PREFIX} dev ${HOST_IFNAME} nodad`,
          // no default route in the LAN: without this, sending to 224.0.0.251 fails unless
          // the application sets IP_MULTICAST_IF
          `route add 224.0.0.0/4 dev ${HOST_IFNAME}`,
        ],
        h.ns,
      ),
    ),
  ]);
}
