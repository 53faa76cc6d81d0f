// The "sleep-proxy-config" config node: one sleep proxy on one interface (name, metric, registration
// port, lease cap, allow-list, state directory, watched hosts: issue 7, src/core/watch.ts), shared by
// every "sleep proxy" flow node that names it. It starts the SleepProxyService, logs why it could not
// (the flow nodes show it as a red status; the runtime keeps running), offers its sleepers to the wake
// on lan node by name, and on close (redeploy, stop) closes the service: the journal in the state
// directory brings the sleepers back when the next one starts.
import { join } from 'node:path';
import type { NodeAPI, NodeDef } from 'node-red';
import { describeHost, type HostDescription } from '../src/core/manual-registration';
import { parseAllowList } from '../src/service/allow-list';
import { DEFAULT_METRIC, DEFAULT_REGISTRATION_PORT } from '../src/service/sleep-proxy-service';
import { registerSleeperSource } from '../src/service/sleeper-directory';
import { interfaceChoices, publishChanges, registerAdminRoutes } from './sleep-proxy-admin';
import { SharedProxy, type SleepProxyConfigNode } from './sleep-proxy-shared';

interface SleepProxyConfigDef extends NodeDef {
  interface: string;
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
}

/** The valid host descriptions of the config's JSON list, and a warning per invalid entry. */
function parseWatchedHosts(text: string | undefined): { hosts: HostDescription[]; invalid: string[] } {
  if (!text?.trim()) return { hosts: [], invalid: [] };
  let list: unknown;
  try {
    list = JSON.parse(text);
  } catch (error) {
    return { hosts: [], invalid: [`not JSON: ${(error as Error).message}`] };
  }
  if (!Array.isArray(list)) return { hosts: [], invalid: ['not a list of hosts'] };
  const hosts: HostDescription[] = [];
  const invalid: string[] = [];
  list.forEach((entry, i) => {
    const d = describeHost(entry);
    if (d.ok) hosts.push(d.value);
    else invalid.push(`host ${i + 1}: ${d.error}`);
  });
  return { hosts, invalid };
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
    const ifname = (def.interface ?? '').trim() || defaultInterface();
    const watched = parseWatchedHosts(def.hosts);
    for (const problem of watched.invalid) node.warn(`watched hosts: ${problem}`);
    node.proxy = new SharedProxy(node.id, def.name || def.proxyName || ifname, {
      ifname,
      stateDir,
      port: intSetting(def.port, DEFAULT_REGISTRATION_PORT, 0, 65535),
      name: def.proxyName?.trim() || undefined,
      metric: {
        intent: metric('intent', def.intent),
        portability: metric('portability', def.portability),
        marginalPower: metric('marginalPower', def.marginalPower),
        totalPower: metric('totalPower', def.totalPower),
        features: 0,
      },
      limits: def.maxLease ? { maxLeaseSeconds: intSetting(def.maxLease, 86_400, 60, 86_400) } : undefined,
      allow,
      watch: {
        hosts: watched.hosts,
        policy: {
          probeIntervalMs: intSetting(def.watchInterval, 10, 1, 3600) * 1000,
          silenceMs: intSetting(def.watchSilence, 60, 1, 86_400) * 1000,
        },
      },
    });
    const proxy = node.proxy;
    proxy.on('warning', (message) => node.warn(message));
    proxy.on('state', (state) => {
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

    node.on('close', (_removed: boolean, done: () => void) => {
      unregister();
      proxy.close().then(
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
