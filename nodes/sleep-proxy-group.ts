// The sleep proxy of one config node as its flow nodes, the sidebar and the admin endpoints see it: one
// SharedProxy (one SleepProxyService, one engine) per interface of the config, all journaling into the
// config's state directory (each interface in its own registry-<ifname> files, so no two engines ever
// write the same file, and a restart gives each engine back its own sleepers). An interface that cannot
// start does not stop the others: the group runs while one interface runs, lists the rest in
// failures(), and has failed only when every interface failed. Commands reach every interface that
// holds the sleeper (or the one named); `sleep` goes to the interface named, else the one whose subnet
// holds the host (hostInterface, which the config node also uses to place its watched hosts). Every
// group is listed in `runningProxies` for the admin endpoints.
import { EventEmitter } from 'node:events';
import { networkInterfaces } from 'node:os';
import type { Node } from 'node-red';
import type { HostDescription } from '../src/core/manual-registration';
import type { HostRegistrationOutcome } from '../src/core/options';
import { type InterfaceChoice, interfaceForHost } from '../src/service/interface-for-host';
import type {
  CloseOptions,
  SleepProxyService,
  SleepProxyServiceOptions,
} from '../src/service/sleep-proxy-service';
import { SharedProxy, type SharedProxyEvents, type SharedState, type SleeperRow } from './sleep-proxy-shared';

/** The config node as its flow nodes see it. */
export interface SleepProxyConfigNode extends Node {
  proxy: ProxyGroup;
}

export interface InterfaceFailure {
  readonly ifname: string;
  readonly reason: string;
}

/** The running proxies by config node id, for the admin endpoints. */
export const runningProxies = new Map<string, ProxyGroup>();

function stateText(state: SharedState): string {
  if (state.kind === 'failed') return state.reason;
  return state.kind === 'starting' ? 'still starting' : state.kind;
}

export class ProxyGroup extends EventEmitter<SharedProxyEvents> {
  readonly members: readonly SharedProxy[];
  private closed = false;

  constructor(
    readonly id: string,
    /** The proxy's name as the editor shows it. */
    readonly label: string,
    ifnames: readonly string[],
    optionsFor: (ifname: string) => SleepProxyServiceOptions,
    start?: (o: SleepProxyServiceOptions) => Promise<SleepProxyService>,
  ) {
    super();
    runningProxies.set(id, this);
    this.members = ifnames.map((ifname) => new SharedProxy(optionsFor(ifname), start));
    for (const member of this.members) {
      member.on('state', () => this.emit('state', this.state));
      member.on('event', (event) => this.emit('event', event));
      member.on('warning', (w) => this.emit('warning', this.several ? `${member.ifname}: ${w}` : w));
    }
  }

  get ifnames(): string[] {
    return this.members.map((m) => m.ifname);
  }

  /** Running while one interface runs; failed (every reason, by interface) once all failed. */
  get state(): SharedState {
    const states = this.members.map((m) => m.state);
    if (this.closed || states.every((s) => s.kind === 'closed')) return { kind: 'closed' };
    if (states.some((s) => s.kind === 'starting')) return { kind: 'starting' };
    if (states.some((s) => s.kind === 'running')) {
      // A state directory that cannot be written (registrations unanswered) shows, per interface.
      const problems = this.members.flatMap((m) =>
        m.state.kind === 'running' && m.state.problem
          ? [this.several ? `${m.ifname}: ${m.state.problem}` : m.state.problem]
          : [],
      );
      return problems.length > 0 ? { kind: 'running', problem: problems.join('; ') } : { kind: 'running' };
    }
    const error = states.find((s) => s.kind === 'failed')?.error ?? new Error('closed');
    return { kind: 'failed', reason: this.failureText(), error };
  }

  /** The interfaces that could not start, and why. */
  failures(): InterfaceFailure[] {
    return this.members.flatMap((m) =>
      m.state.kind === 'failed' ? [{ ifname: m.ifname, reason: m.state.reason }] : [],
    );
  }

  /** Every sleeper of every running interface (each says its `interface`). */
  list(): SleeperRow[] {
    return this.members.filter((m) => m.state.kind === 'running').flatMap((m) => m.list());
  }

  /** Starts waking `target` (name, MAC or address) on every interface that holds it, or on `ifname`. */
  wake(target: string, ifname?: string): SleeperRow[] {
    return this.serving(ifname).flatMap((m) => m.wake(target) ?? []);
  }

  release(target: string, ifname?: string): SleeperRow[] {
    return this.serving(ifname).flatMap((m) => m.release(target) ?? []);
  }

  /** Proxies a host described by a flow on `ifname`, or on the interface whose subnet holds it. */
  sleep(host: HostDescription, ifname?: string): HostRegistrationOutcome {
    const choice = hostInterface(this.ifnames, host, ifname);
    if (!choice.ok) throw new Error(`sleep proxy: sleep: ${host.name}: ${choice.error}`);
    return this.serving(choice.ifname)[0].sleep(host);
  }

  /** Throws why commands cannot be carried out now (no interface running). */
  ensureRunning(): void {
    this.serving();
  }

  /** Closes every interface's service; the journals keep the sleepers unless handing over. */
  async close(options: CloseOptions = {}): Promise<void> {
    if (runningProxies.get(this.id) === this) runningProxies.delete(this.id);
    if (this.closed) return;
    this.closed = true;
    this.emit('state', this.state);
    await Promise.all(this.members.map((m) => m.close(options)));
    this.removeAllListeners();
  }

  private get several(): boolean {
    return this.members.length > 1;
  }

  private failureText(): string {
    return this.failures()
      .map((f) => (this.several ? `${f.ifname}: ${f.reason}` : f.reason))
      .join('; ');
  }

  /** The running interfaces among all (or `ifname`); throws why when there is none. */
  private serving(ifname?: string): SharedProxy[] {
    const chosen = this.members.filter((m) => ifname === undefined || m.ifname === ifname);
    if (chosen.length === 0)
      throw new Error(`sleep proxy has no interface ${ifname} (it serves ${this.ifnames.join(', ')})`);
    const running = chosen.filter((m) => m.state.kind === 'running');
    if (running.length > 0) return running;
    if (chosen.length === 1) chosen[0].ensureRunning();
    throw new Error(
      `sleep proxy on ${this.ifnames.join(', ')} is not running: ` +
        chosen.map((m) => `${m.ifname}: ${stateText(m.state)}`).join('; '),
    );
  }
}

/** Which of `ifnames` a host is on: `wanted` when given, else the one whose subnet holds its address. */
export function hostInterface(
  ifnames: readonly string[],
  host: Pick<HostDescription, 'addresses'>,
  wanted?: string,
): InterfaceChoice {
  if (wanted !== undefined) return { ok: true, ifname: wanted };
  const own = networkInterfaces();
  const subnets = ifnames.map((n) => [n, (own[n] ?? []).flatMap((a) => (a.cidr ? [a.cidr] : []))] as const);
  return interfaceForHost(host.addresses, new Map(subnets));
}
