// TestLan: a throw-away Ethernet segment for integration tests. A bridge in its own namespace (the
// switch) and one namespace per host on a veth port; addresses in ./addressing, construction in
// ./build, where commands run in ./netns (root: `ip netns`; otherwise an unprivileged user
// namespace). Every run is in the ledger (./runs) before it creates anything, is torn down by
// destroy(), by exit/signal handlers, or — after a SIGKILL — by the next TestLan.create().
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  BRIDGE_IFNAME,
  DEFAULT_HOSTS,
  hostAddressing,
  newSuffix,
  parseHostSpecs,
  switchNamespace,
  type HostSpec,
} from './addressing';
import { probeLan } from './availability';
import { buildLan } from './build';
import { NsEndpoint, type EndpointOwner } from './endpoint';
import { waitForExit, type ExecOptions, type ExecResult } from './exec';
import { LanHost } from './host';
import { NetnsContext, currentMode, type LanMode } from './netns';
import { buildRun } from './run-build';
import { reapStaleRuns, removeRun, runLeftovers, runsDir, teardownRun, type RunRecord } from './runs';

export interface LanOptions {
  /** Hosts as HostSpec or "name:N" (default proxy:2, sleeper:10, waker:20). */
  readonly hosts?: readonly (string | HostSpec)[];
}

/** The switch: captures default to br0; `portOf(host)` names a host's bridge port. */
export class LanBridge extends NsEndpoint {
  readonly ifname = BRIDGE_IFNAME;

  portOf(host: LanHost): string {
    return host.port;
  }
}

export class TestLan implements EndpointOwner {
  readonly bridge: LanBridge;
  readonly hosts: readonly LanHost[];
  private readonly children = new Set<ChildProcess>();
  private destroying: Promise<void> | undefined;

  private constructor(
    readonly suffix: string,
    readonly context: NetnsContext,
    private record: RunRecord,
    private readonly removeExitHook: () => void,
    hosts: readonly ReturnType<typeof hostAddressing>[],
  ) {
    this.bridge = new LanBridge(this, switchNamespace(suffix), BRIDGE_IFNAME);
    this.hosts = hosts.map((a) => new LanHost(this, a));
  }

  /** Reaps stale runs, then builds a LAN. Throws (with the reason) where no LAN can be built. */
  static async create(opts: LanOptions = {}): Promise<TestLan> {
    const unavailable = probeLan();
    if (unavailable) throw new Error(`test LAN unavailable: ${unavailable}`);
    const mode = currentMode();
    reapStaleRuns(mode);
    const addressing = parseHostSpecs(opts.hosts ?? DEFAULT_HOSTS);
    const suffix = freshSuffix(mode, addressing);
    const hosts = addressing.map((spec) => hostAddressing(suffix, spec));
    const switchNs = switchNamespace(suffix);
    const { context, record, removeExitHook } = await buildRun(
      suffix,
      mode,
      [switchNs, ...hosts.map((h) => h.ns)],
      (ctx) => buildLan(ctx, switchNs, hosts),
    );
    return new TestLan(suffix, context, record, removeExitHook, hosts);
  }

  get mode(): LanMode {
    return this.record.mode;
  }

  /** Every namespace of this LAN (switch first). */
  get namespaces(): readonly string[] {
    return this.record.namespaces;
  }

  /** What of this LAN still exists (namespaces, helper, processes): empty after destroy(). */
  leftovers(): string[] {
    return runLeftovers(this.record);
  }

  get destroyed(): boolean {
    return this.destroying !== undefined;
  }

  host(name: string): LanHost {
    const h = this.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`test LAN has no host "${name}" (${this.hosts.map((x) => x.name).join(', ')})`);
    return h;
  }

  /** Runs a command in the switch's namespace (e.g. `bridge fdb show`, tcpdump on br0 or a port). */
  bridgeExec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.bridge.exec(cmd, args, opts);
  }

  /** Kills every process in the LAN's namespaces and deletes them. Idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  assertLive(): void {
    if (this.destroying) throw new Error(`test LAN ${this.suffix} is destroyed`);
  }

  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  private async teardown(): Promise<void> {
    this.removeExitHook();
    for (const c of this.children) c.kill('SIGKILL'); // also those still on their way into a namespace
    teardownRun(this.record);
    this.context.close();
    removeRun(this.suffix);
    await Promise.all([...this.children].map((c) => waitForExit(c, 1000)));
  }
}

// A failed build deletes every namespace named in the ledger, so none of the names may exist yet.
function freshSuffix(mode: LanMode, hosts: readonly HostSpec[]): string {
  for (;;) {
    const suffix = newSuffix(process.pid);
    const names = [switchNamespace(suffix), ...hosts.map((h) => hostAddressing(suffix, h).ns)];
    const taken =
      existsSync(join(runsDir(), `${suffix}.json`)) ||
      (mode === 'root' && names.some((ns) => existsSync(`/run/netns/${ns}`)));
    if (!taken) return suffix;
  }
}
