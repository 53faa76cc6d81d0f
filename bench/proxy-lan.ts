// The stage every LAN row shares: a fresh test LAN (proxy .2, sleeper .10, waker .20), the
// `sleep-proxy` command running in the proxy host, and sleepers registered with it and taken over.
// The real sleeper registers its IPv4 and IPv6 (reverse PTRs for both) and then goes to sleep;
// `virtual` sleepers (10.77.0.100 + i, MAC 02:77:00:00:02:<i>) exist only in the registry, so the
// proxy takes them over at once and each can be woken once (one fresh first SYN per trial).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ipv6ToBytes } from '../src/wire/address';
import { DnsClass, type DnsRecord } from '../src/wire/dns';
import { reverseNameFor } from '../src/wire/dns-name';
import { DnsType } from '../src/wire/dns-rdata';
import { encodeRegistration } from '../src/wire/sps-registration';
import { sleeperRecords, type SleeperSpec } from '../test/integration/sleeper-registration';
import type * as Client from '../test/integration/agents/sps-client-agent';
import { TestLan, type LanHost } from '../test/support/lan';
import { startSleepProxy, type SleepProxyProcess } from '../test/support/sleep-proxy-process';

export const PORT = 5354;
export const AGENTS = join(__dirname, '..', 'test', 'integration', 'agents');
const CLIENT = join(AGENTS, 'sps-client-agent.js');

/** How a row runs the proxy: the `sleep-proxy` command, or the service inside a bench agent. */
export interface ProxyStarter<P> {
  start(host: LanHost, stateDir: string): Promise<P>;
  takeover(proxy: P, address: string, timeoutMs: number): Promise<unknown>;
  /** Stops the proxy before the LAN goes (so that it can write its profile). */
  stop?(proxy: P): Promise<unknown>;
}

/**
 * Virtual sleepers are registered from the real sleeper, and the registrations row sends hundreds per
 * second from the waker: both are what the registration policy refuses by default (README "Security
 * model"), so the bench proxy runs with the source rule and the rate limit off.
 */
const BENCH_POLICY_ARGS = ['--any-source', '--rate-limit', '0'] as const;

/** BENCH_PROFILE=<dir>: the proxy writes a CPU profile there when it exits (node --cpu-prof). */
const profile = process.env.BENCH_PROFILE;
const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];

export const cliProxy: ProxyStarter<SleepProxyProcess> = {
  start: (host, stateDir) =>
    startSleepProxy(host, { stateDir, port: PORT, args: BENCH_POLICY_ARGS, nodeArgs }),
  takeover: (proxy, address, timeoutMs) => proxy.event('takeover', timeoutMs, (l) => l.address === address),
  stop: (proxy) => proxy.stop(),
};

export interface ProxyLan<P = SleepProxyProcess> {
  readonly lan: TestLan;
  readonly proxyHost: LanHost;
  readonly sleeper: LanHost;
  readonly waker: LanHost;
  readonly proxy: P;
  readonly virtual: readonly SleeperSpec[];
  close(): Promise<void>;
}

export const virtualSleeper = (i: number): SleeperSpec => ({
  host: `virtual${i}`,
  ipv4: `10.77.0.${100 + i}`,
  mac: `02:77:00:00:02:${i.toString(16).padStart(2, '0')}`,
  id: 0x7000 + i,
  services: [{ instance: `virtual${i} ssh`, type: '_ssh._tcp', port: 22 }],
});

/** A registration for `spec` that also claims `ipv6` (its ip6.arpa PTR). */
export function registrationWithIpv6(spec: SleeperSpec, ipv6?: string): Buffer {
  const records: DnsRecord[] = sleeperRecords(spec);
  const bytes = ipv6 ? ipv6ToBytes(ipv6) : undefined;
  if (bytes && ipv6) {
    const target = `${spec.host}.local`;
    const unique = { class: DnsClass.IN, cacheFlush: true, ttl: 120 } as const;
    records.push(
      { name: reverseNameFor(bytes), type: DnsType.PTR, data: { kind: 'name', target }, ...unique },
      { name: target, type: DnsType.AAAA, data: { kind: 'aaaa', address: ipv6 }, ...unique },
    );
  }
  return encodeRegistration({
    id: spec.id ?? 0x5150,
    owner: { version: 0, seq: spec.seq ?? 1, hostMac: spec.mac, wakeMac: spec.mac },
    lease: spec.lease ?? 7200,
    records,
  });
}

/** The real sleeper's registration (its IPv4 and IPv6, SSH on port 22) in epoch `seq`. */
export const sleeperRegistration = (sleeper: LanHost, seq = 1): Buffer =>
  registrationWithIpv6(
    {
      host: 'sleeper',
      ipv4: sleeper.ipv4,
      mac: sleeper.mac,
      seq,
      services: [{ instance: 'sleeper ssh', type: '_ssh._tcp', port: 22 }],
    },
    sleeper.ipv6,
  );

/** The real sleeper registers itself (and `extra` payloads) from its own address, then sleeps. */
export async function registerAndSleep(
  sleeper: LanHost,
  proxyHost: LanHost,
  extra: readonly Buffer[] = [],
  seq = 1,
): Promise<void> {
  const payloads = [sleeperRegistration(sleeper, seq), ...extra];
  const client = await sleeper.runNode<typeof Client>(CLIENT);
  const replies = await client.call('register', proxyHost.ipv4, PORT, payloads, 5353, 5000);
  await client.close();
  if (replies.length !== payloads.length)
    throw new Error(`${replies.length}/${payloads.length} registrations answered`);
  await sleeper.sleep();
}

/** Builds the stage; `virtualCount` extra sleepers beside the real one. */
export async function proxyLan<P>(starter: ProxyStarter<P>, virtualCount = 0): Promise<ProxyLan<P>> {
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-bench-'));
  const lan = await TestLan.create();
  let proxy: P | undefined;
  const close = async () => {
    if (proxy !== undefined) await starter.stop?.(proxy).catch(() => undefined);
    await lan.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    const [proxyHost, sleeper, waker] = ['proxy', 'sleeper', 'waker'].map((n) => lan.host(n));
    proxy = await starter.start(proxyHost, stateDir);
    const started = proxy;
    const virtual = Array.from({ length: virtualCount }, (_, i) => virtualSleeper(i));
    await registerAndSleep(
      sleeper,
      proxyHost,
      virtual.map((v) => registrationWithIpv6(v)),
    );
    const held = [sleeper.ipv4, sleeper.ipv6, ...virtual.map((v) => v.ipv4)];
    await Promise.all(held.map((a) => starter.takeover(started, a, 20_000)));
    return { lan, proxyHost, sleeper, waker, proxy: started, virtual, close };
  } catch (error) {
    await close();
    throw error;
  }
}
