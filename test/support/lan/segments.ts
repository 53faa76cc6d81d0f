// TestSegments: several IPv4 broadcast segments joined by a router, for UDP broadcast relays (the
// layout of /work/shared/testlan/segments.sh). One switch namespace holds a bridge per segment
// (br-<segment>); each host has one NIC (eth0) on one segment; the router (host number 1 on every
// segment, IPv4 forwarding on, the only namespace with it) has a leg eth-<segment> on each.
// Unicast crosses segments through the router (hosts' default route), broadcasts never do.
//   segment i (1-based): 10.78.i.0/24; host N: 10.78.i.N, MAC 02:78:00:0i:00:NN (hex),
//   bridge port v-<name> (router legs: v-r-<segment>). IPv6 is off everywhere (quiet captures)
//   unless `ipv6: true`: then segment i is also fd78:i::/64, host N fd78:i::N (no DAD), the router
//   fd78:i::1 forwarding IPv6, and hosts reach the other segments (fd78::/16) through it.
// Runs are in the same ledger as TestLan (./runs), torn down the same ways.
import type { ChildProcess } from 'node:child_process';
import { HOST_SYSCTLS, SWITCH_SYSCTLS } from './build';
import {
  type HostAddressing,
  type HostSpec,
  eui64LinkLocal,
  newSuffix,
  parseHostSpecs,
  switchNamespace,
} from './addressing';
import { probeLan } from './availability';
import { NsEndpoint, type EndpointOwner } from './endpoint';
import { waitForExit } from './exec';
import { LanHost } from './host';
import { NetnsContext, currentMode } from './netns';
import { buildRun } from './run-build';
import { reapStaleRuns, removeRun, teardownRun, type RunRecord } from './runs';

export interface SegmentSpec {
  /** One lowercase letter or digit run (bridge br-<name>), e.g. 'a'. */
  readonly name: string;
  /** Hosts as "name:N" or HostSpec (N 2..254; 1 is the router). */
  readonly hosts: readonly (string | HostSpec)[];
}

export interface SegmentsOptions {
  readonly segments: readonly SegmentSpec[];
  /** Add the router (default true). */
  readonly router?: boolean;
  /** IPv6 on (ULA per segment, see the header); default off. */
  readonly ipv6?: boolean;
}

const NO_IPV6 = ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
const SEGMENT_NAME = /^[a-z0-9]{1,4}$/;
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** One segment: its bridge (captures default to it), net and broadcast address. */
export class Segment extends NsEndpoint {
  constructor(
    owner: EndpointOwner,
    switchNs: string,
    readonly name: string,
    readonly index: number,
  ) {
    super(owner, switchNs, `br-${name}`);
  }

  get net(): string {
    return `10.78.${this.index}`;
  }

  get broadcast(): string {
    return `${this.net}.255`;
  }

  get gateway(): string {
    return `${this.net}.1`;
  }

  /** The segment's IPv6 prefix (/64) when the segments have IPv6, e.g. 'fd78:1::'. */
  get net6(): string {
    return `fd78:${this.index}::`;
  }
}

export class TestSegments implements EndpointOwner {
  readonly segments: readonly Segment[];
  readonly hosts: readonly LanHost[];
  readonly router: NsEndpoint | undefined;
  private readonly children = new Set<ChildProcess>();
  private destroying: Promise<void> | undefined;

  private constructor(
    readonly context: NetnsContext,
    private readonly record: RunRecord,
    private readonly removeExitHook: () => void,
    switchNs: string,
    segments: readonly { readonly name: string; readonly index: number }[],
    hosts: readonly HostAddressing[],
    routerNs: string | undefined,
  ) {
    this.segments = segments.map((s) => new Segment(this, switchNs, s.name, s.index));
    this.hosts = hosts.map((h) => new LanHost(this, h));
    this.router = routerNs ? new NsEndpoint(this, routerNs, 'lo') : undefined;
  }

  static async create(opts: SegmentsOptions): Promise<TestSegments> {
    const unavailable = probeLan();
    if (unavailable) throw new Error(`test segments unavailable: ${unavailable}`);
    const mode = currentMode();
    reapStaleRuns(mode);
    const specs = opts.segments.map((s, i) => {
      if (!SEGMENT_NAME.test(s.name)) throw new Error(`test segments: bad segment name "${s.name}"`);
      return { name: s.name, index: i + 1, hosts: parseHostSpecs(s.hosts) };
    });
    const names = new Set<string>();
    for (const s of specs)
      for (const h of s.hosts) {
        if (h.n === 1) throw new Error(`test segments: host ${h.name}: N=1 is the router`);
        if (names.has(h.name) || h.name === 'router')
          throw new Error(`test segments: duplicate host ${h.name}`);
        names.add(h.name);
      }
    const suffix = newSuffix(process.pid);
    const switchNs = switchNamespace(suffix);
    const routerNs = opts.router === false ? undefined : `${suffix}-router`;
    const hosts = specs.flatMap((s) =>
      s.hosts.map((h) => ({
        segment: s,
        addressing: {
          name: h.name,
          n: h.n,
          ns: `${suffix}-${h.name}`,
          mac: `02:78:00:${hex2(s.index)}:00:${hex2(h.n)}`,
          ipv4: `10.78.${s.index}.${h.n}`,
          ipv6: opts.ipv6 ? `fd78:${s.index}::${h.n.toString(16)}` : '',
          linkLocal: opts.ipv6 ? eui64LinkLocal(`02:78:00:${hex2(s.index)}:00:${hex2(h.n)}`) : '',
          port: `v-${h.name}`,
          portMac: `02:78:00:${hex2(s.index)}:01:${hex2(h.n)}`,
        },
      })),
    );
    const namespaces = [switchNs, ...(routerNs ? [routerNs] : []), ...hosts.map((h) => h.addressing.ns)];
    const { context, record, removeExitHook } = await buildRun(suffix, mode, namespaces, (ctx) =>
      build(ctx, switchNs, routerNs, specs, hosts, opts.ipv6 === true),
    );
    return new TestSegments(
      context,
      record,
      removeExitHook,
      switchNs,
      specs,
      hosts.map((h) => h.addressing),
      routerNs,
    );
  }

  host(name: string): LanHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`test segments have no host "${name}"`);
    return h;
  }

  segment(name: string): Segment {
    const s = this.segments.find((x) => x.name === name);
    if (!s) throw new Error(`test segments have no segment "${name}"`);
    return s;
  }

  /** The segment a host sits on. */
  segmentOf(host: LanHost): Segment {
    const index = Number(host.ipv4.split('.')[2]);
    const s = this.segments.find((x) => x.index === index);
    if (!s) throw new Error(`host ${host.name} on no segment`);
    return s;
  }

  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  assertLive(): void {
    if (this.destroying) throw new Error(`test segments ${this.record.suffix} are destroyed`);
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  private async teardown(): Promise<void> {
    this.removeExitHook();
    for (const c of this.children) c.kill('SIGKILL');
    teardownRun(this.record);
    this.context.close();
    removeRun(this.record.suffix);
    await Promise.all([...this.children].map((c) => waitForExit(c, 1000)));
  }
}

interface BuildHost {
  readonly segment: { readonly name: string; readonly index: number };
  readonly addressing: { ns: string; mac: string; ipv4: string; ipv6: string; port: string; portMac: string };
}

async function build(
  ctx: NetnsContext,
  switchNs: string,
  routerNs: string | undefined,
  segments: readonly { name: string; index: number }[],
  hosts: readonly BuildHost[],
  ipv6: boolean,
): Promise<void> {
  const hostNs = hosts.map((h) => h.addressing.ns);
  await ctx.ipBatch([switchNs, ...(routerNs ? [routerNs] : []), ...hostNs].map((ns) => `netns add ${ns}`));
  const family = ipv6 ? [] : NO_IPV6;
  const forward = ['net.ipv4.ip_forward=1', ...(ipv6 ? ['net.ipv6.conf.all.forwarding=1'] : [])];
  await Promise.all([
    ctx.sysctl(switchNs, SWITCH_SYSCTLS),
    ...hostNs.map((ns) => ctx.sysctl(ns, [...HOST_SYSCTLS, ...family])),
    ...(routerNs ? [ctx.sysctl(routerNs, [...HOST_SYSCTLS, ...family, ...forward])] : []),
  ]);
  const bridge = (s: { name: string; index: number }): string =>
    `link add br-${s.name} netns ${switchNs} address 02:78:00:${hex2(s.index)}:02:00 type bridge stp_state 0` +
    ' forward_delay 0 mcast_snooping 0 nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0';
  await ctx.ipBatch([
    ...segments.map(bridge),
    ...hosts.map(
      (h) =>
        `link add eth0 netns ${h.addressing.ns} address ${h.addressing.mac} type veth` +
        ` peer name ${h.addressing.port} netns ${switchNs} address ${h.addressing.portMac}`,
    ),
    ...(routerNs
      ? segments.map(
          (s) =>
            `link add eth-${s.name} netns ${routerNs} address 02:78:00:${hex2(s.index)}:00:01 type veth` +
            ` peer name v-r-${s.name} netns ${switchNs} address 02:78:00:${hex2(s.index)}:01:01`,
        )
      : []),
  ]);
  const ports = [
    ...hosts.map((h) => ({ port: h.addressing.port, segment: h.segment.name })),
    ...(routerNs ? segments.map((s) => ({ port: `v-r-${s.name}`, segment: s.name })) : []),
  ];
  await Promise.all([
    ctx.ipBatch(
      [
        'link set lo up',
        ...ports.flatMap((p) => [`link set ${p.port} master br-${p.segment}`, `link set ${p.port} up`]),
        ...segments.map((s) => `link set br-${s.name} up`),
      ],
      switchNs,
    ),
    ...hosts.map((h) =>
      ctx.ipBatch(
        [
          'link set lo up',
          'link set eth0 up',
          `addr add ${h.addressing.ipv4}/24 broadcast + dev eth0`,
          ...(routerNs ? [`route add default via 10.78.${h.segment.index}.1`] : []),
          ...(ipv6 ? [`addr add ${h.addressing.ipv6}/64 dev eth0 nodad`] : []),
          ...(ipv6 && routerNs ? [`route add fd78::/16 via fd78:${h.segment.index}::1`] : []),
        ],
        h.addressing.ns,
      ),
    ),
    ...(routerNs
      ? [
          ctx.ipBatch(
            [
              'link set lo up',
              ...segments.flatMap((s) => [
                `link set eth-${s.name} up`,
                `addr add 10.78.${s.index}.1/24 broadcast + dev eth-${s.name}`,
                ...(ipv6 ? [`addr add fd78:${s.index}::1/64 dev eth-${s.name} nodad`] : []),
              ]),
            ],
            routerNs,
          ),
        ]
      : []),
  ]);
}
