// The "sleep-proxy-config" config node: one sleep proxy on one or more interfaces (name, metric,
// registration port, lease cap, allow-list, state directory, watched hosts: issue 7, src/core/watch.ts),
// shared by every "sleep proxy" flow node that names it. It starts one SleepProxyService per interface
// (a ProxyGroup), logs per interface why one could not (the flow nodes show it in their status; the
// others and the runtime keep running), offers its sleepers to the wake on lan node by name, and on
// close closes the services: on a redeploy or a Node-RED stop each interface's journal in the state
// directory brings its sleepers back when the next one starts; when the node is deleted or disabled it
// hands over (wakes its sleepers, so that they register with another proxy).
import { join } from 'node:path';
import type { NodeAPI, NodeDef } from 'node-red';
import { describeHost, type HostDescription } from '../src/core/manual-registration';
import { parseAllowList } from '../src/service/allow-list';
import { policySettings } from '../src/service/policy-settings';
import { DEFAULT_METRIC, DEFAULT_REGISTRATION_PORT } from '../src/service/sleep-proxy-service';
import { registerSleeperSource } from '../src/service/sleeper-directory';
import { configInterfaces, type InterfaceSettings } from './config-interfaces';
import { interfaceChoices, publishChanges, registerAdminRoutes } from './sleep-proxy-admin';
import { hostInterface, ProxyGroup, type SleepProxyConfigNode } from './sleep-proxy-group';

interface SleepProxyConfigDef extends NodeDef, InterfaceSettings {
  proxyName?: string;
  intent?: string;
  portability?: string;
  marginalPower?: string;
  totalPower?: string;
  port?: string;
  maxLease?: string;
  /** Subnets and MACs, separated by commas, spaces or new lines; empty admits everyone. */
  allow?: string;
  /** Default: <userDir>/sleep-proxy. */
  stateDir?: string;
  /** Watched hosts (issue 7): a JSON list of host descriptions, as the `sleep` command takes them. */
  hosts?: string;
  /** Seconds between probes of an awake watched host. */
  watchInterval?: string;
  /** Seconds of silence after which a watched host is asleep. */
  watchSilence?: string;
  // Registration policy (README "Security model"); missing means the default.
  /** Only sources in the interface's subnets or IPv6 link-local (default true). */
  onLinkOnly?: boolean;
  /** The source must be one of the addresses registered (default true). */
  sourceMustBeProxied?: boolean;
  /** Per source, "BURST/PER-SECOND" or "0". */
  rateLimit?: string;
  maxHosts?: string;
  maxRecords?: string;
  maxHostRecords?: string;
  maxDatagram?: string;
}

interface WatchedHost {
  readonly host: HostDescription;
  /** The entry's `interface`, when it names one. */
  readonly ifname?: string;
}

/** The valid host descriptions of the config's JSON list, and a warning per invalid entry. */
function parseWatchedHosts(text: string | undefined): { hosts: WatchedHost[]; invalid: string[] } {
  if (!text?.trim()) return { hosts: [], invalid: [] };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    return { hosts: [], invalid: [`not JSON: ${(error as Error).message}`] };
  }
  if (!Array.isArray(list)) return { hosts: [], invalid: ['not a list of hosts'] };
  const hosts: WatchedHost[] = [];
  const invalid: string[] = [];
  list.forEach((entry, i) => {
    const d = describeHost(entry);
    const ifname = (entry as { interface?: unknown } | null)?.interface;
    if (d.ok) hosts.push({ host: d.value, ...(typeof ifname === 'string' ? { ifname } : {}) });
    else invalid.push(`host ${i + 1}: ${d.error}`);
  });
  return { hosts, invalid };
}

/** Each watched host on its interface: its `interface`, else the one whose subnet holds its address. */
function placeWatched(
  watched: readonly WatchedHost[],
  ifnames: readonly string[],
  warn: (message: string) => void,
): Map<string, HostDescription[]> {
  const on = new Map<string, HostDescription[]>(ifnames.map((n) => [n, []]));
  for (const { host, ifname } of watched) {
    const choice = hostInterface(ifnames, host, ifname);
    const list = choice.ok ? on.get(choice.ifname) : undefined;
    if (list) list.push(host);
    else
      warn(
        `watched hosts: ${host.name} skipped: ${choice.ok ? `the proxy has no interface ${choice.ifname}` : choice.error}`,
      );
  }
  return on;
}

/**
 * No interface chosen means the one a user has in mind: the first external Ethernet interface with an
 * IPv4 address (eth0, enp3s0...; the kernel lists them before docker0 and other bridges added later).
 */
function defaultInterface(): string {
  const external = interfaceChoices().filter((c) => !c.internal && c.mac !== '00:00:00:00:00:00');
  return (external.find((c) => c.addresses.some((a) => a.includes('.'))) ?? external[0])?.name ?? '';
}

function intSetting(text: string | undefined, fallback: number, min: number, max: number): number {
  const value = Number.parseInt(text ?? '', 10);
  return Number.isInteger(value) && value >= min && value <= max ? value : fallback;
}

export = function register(RED: NodeAPI): void {
  registerAdminRoutes(RED);

  function SleepProxyConfig(this: SleepProxyConfigNode, def: SleepProxyConfigDef): void {
    RED.nodes.createNode(this, def);
    const node = this;
    const userDir = (RED.settings as { userDir?: string }).userDir ?? process.cwd();
    const stateDir = def.stateDir?.trim() || join(userDir, 'sleep-proxy');
    const { allow, invalid } = parseAllowList(def.allow ?? '');
    if (invalid.length > 0)
      node.warn(`allow-list: ignored ${invalid.join(', ')} (neither a subnet nor a MAC)`);
    const metric = (
      key: 'intent' | 'portability' | 'marginalPower' | 'totalPower',
      text: string | undefined,
    ) => intSetting(text, DEFAULT_METRIC[key], 10, 99);
    const settings = policySettings({
      onLinkOnly: def.onLinkOnly,
      sourceMustBeProxied: def.sourceMustBeProxied,
      rateLimit: def.rateLimit,
      maxHosts: def.maxHosts,
      maxRecords: def.maxRecords,
      maxRecordsPerHost: def.maxHostRecords,
      maxDatagramBytes: def.maxDatagram,
      maxLeaseSeconds: def.maxLease,
    });
    for (const problem of settings.invalid) node.warn(`registration policy: ${problem}; using the default`);
    const ifnames = configInterfaces(def, defaultInterface);
    const watched = parseWatchedHosts(def.hosts);
    for (const problem of watched.invalid) node.warn(`watched hosts: ${problem}`);
    const watchedOn = placeWatched(watched.hosts, ifnames, (message) => node.warn(message));
    const label = def.name || def.proxyName || ifnames.join(', ');
    node.proxy = new ProxyGroup(node.id, label, ifnames, (ifname) => ({
      ifname,
      stateDir,
      port: intSetting(def.port, DEFAULT_REGISTRATION_PORT, 0, 65535),
      name: def.proxyName?.trim() || undefined,
      metric: {
        intent: metric('intent', def.intent),
        portability: metric('portability', def.portability),
        marginalPower: metric('marginalPower', def.marginalPower),
        totalPower: metric('totalPower', def.totalPower),
        features: 1,
      },
      limits: settings.limits,
      policy: settings.policy,
      allow,
      watch: {
        hosts: watchedOn.get(ifname) ?? [],
        policy: {
          probeIntervalMs: intSetting(def.watchInterval, 10, 1, 3600) * 1000,
          silenceMs: intSetting(def.watchSilence, 60, 1, 86_400) * 1000,
        },
      },
    }));
    const proxy = node.proxy;
    proxy.on('warning', (message) => node.warn(message));
    for (const member of proxy.members)
      member.on('state', (state) => {
        const ifname = member.ifname;
        if (state.kind === 'failed') node.error(`sleep proxy on ${ifname}: ${state.error.message}`);
        if (state.kind === 'running' && !state.problem)
          node.log(`sleep proxy running on ${ifname}, state in ${stateDir}`);
      });
    publishChanges(RED, proxy);
    const unregister = registerSleeperSource({
      lookup(name) {
        const wanted = name.toLowerCase();
        const hit = proxy.list().find((s) => s.name.toLowerCase() === wanted || s.key === wanted);
        return (
          hit && { mac: hit.hostMac, wakeMac: hit.wakeMac, ipv4: hit.addresses.find((a) => a.includes('.')) }
        );
      },
    });

    node.on('close', (removed: boolean, done: () => void) => {
      unregister();
      proxy.close({ handOver: removed === true }).then(
        () => done(),
        (error: Error) => {
          node.warn(`closing the sleep proxy: ${error.message}`);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('sleep-proxy-config', SleepProxyConfig);
};
