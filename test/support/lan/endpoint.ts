// One network namespace of a test LAN seen from a test: run a command to completion, start a
// long-running one, or run Node code in it. Hosts and the switch are both endpoints. Every process
// started here is tracked by its LAN and killed by destroy().
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { spawn } from 'node:child_process';
import { execFile, type ExecOptions, type ExecResult } from './exec';
import type { LanMode, NetnsContext } from './netns';
import { startNodeChild, type AgentModule, type NodeChild } from './node-child';

/** What an endpoint needs from its LAN. */
export interface EndpointOwner {
  readonly context: NetnsContext;
  /** Throws once the LAN is destroyed. */
  assertLive(): void;
  track(child: ChildProcess): void;
}

export class NsEndpoint {
  constructor(
    protected readonly owner: EndpointOwner,
    /** Network namespace name. */
    readonly ns: string,
    /** The interface captures use unless told otherwise (eth0 on hosts, br0 on the switch). */
    readonly defaultIface: string,
  ) {}

  /** 'root' (machine namespaces) or 'userns' (inside an unprivileged user namespace). */
  get mode(): LanMode {
    return this.owner.context.mode;
  }

  /** Runs `cmd` inside this namespace to completion; non-zero exits are results, not errors. */
  async exec(cmd: string, args: readonly string[] = [], opts: ExecOptions = {}): Promise<ExecResult> {
    this.owner.assertLive();
    const [file, argv] = this.owner.context.inNs(this.ns, cmd, args);
    return execFile(file, argv, opts);
  }

  /**
   * Starts `cmd` inside this namespace. stdout/stderr are pipes unless `opts.stdio` says otherwise:
   * read them (or pass 'ignore'), or a chatty process blocks once a pipe is full.
   */
  spawn(cmd: string, args: readonly string[] = [], opts: SpawnOptions = {}): ChildProcess {
    this.owner.assertLive();
    const [file, argv] = this.owner.context.inNs(this.ns, cmd, args);
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    this.owner.track(child);
    return child;
  }

  /**
   * Runs a Node module inside this namespace behind the request/reply channel of node-child.ts.
   * Type it with the module for checked calls: `runNode<typeof import('./agent')>(path)`.
   */
  runNode<M extends object = AgentModule>(
    modulePath: string,
    args: readonly string[] = [],
  ): Promise<NodeChild<M>> {
    return startNodeChild<M>((cmd, argv, opts) => this.spawn(cmd, argv, opts), modulePath, args);
  }
}
