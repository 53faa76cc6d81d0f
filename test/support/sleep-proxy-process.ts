// The `sleep-proxy` command as a black box inside a test LAN host: started with a state directory,
// its JSON lines collected, awaited by event name.
import { type ChildProcess, spawn, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { NsEndpoint } from './lan';

// The command compiled beside this file (in dist/ or a dist-NAME/ build folder): a test runs its own build.
export const SLEEP_PROXY_CLI = join(__dirname, '..', '..', 'src', 'service', 'cli.js');

export type Line = Record<string, unknown> & { event?: string };

export interface SleepProxyStart {
  readonly stateDir: string;
  readonly port: number;
  /** One or more --interface (default eth0). */
  readonly ifname?: string | readonly string[];
  readonly name?: string;
  /** More flags, e.g. the registration policy's ("--any-source" for virtual sleepers). */
  readonly args?: readonly string[];
  /** A command that runs node, e.g. setpriv with its options (least-privilege tests). */
  readonly prefix?: readonly string[];
  /** --keep-on-exit: SIGTERM keeps the registrations for the next start instead of handing over. */
  readonly keepOnExit?: boolean;
  /**
   * Run in the mount (and network) namespace of this process, e.g. one holding a tmpfs state
   * directory that the test can remount or fill between runs (see StateMount).
   */
  readonly mountsOf?: number;
  /** Options for node itself, e.g. ['--cpu-prof'] (the bench's BENCH_PROFILE). */
  readonly nodeArgs?: readonly string[];
}

/** A `sleep-proxy` process and the JSON lines it prints. */
export class SleepProxyProcess {
  readonly lines: Line[] = [];
  private waiters: { match: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  stderr = '';

  constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (text) => {
      const line = JSON.parse(text) as Line;
      this.lines.push(line);
      this.waiters = this.waiters.filter((w) => (w.match(line) ? (w.resolve(line), false) : true));
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
  }

  next(match: (l: Line) => boolean, timeoutMs: number, what: string): Promise<Line> {
    const seen = this.lines.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ${what} within ${timeoutMs} ms; stderr: ${this.stderr}`)),
        timeoutMs,
      );
      this.waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }

  event(name: string, timeoutMs: number, extra: (l: Line) => boolean = () => true): Promise<Line> {
    return this.next((l) => l.event === name && extra(l), timeoutMs, `"${name}" event`);
  }

  /** Sends a command line ("list", "wake <target>", "release <target>") to its stdin. */
  command(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** SIGTERM, and the exit code. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    return exited;
  }
}

export async function startSleepProxy(
  host: NsEndpoint,
  options: SleepProxyStart,
): Promise<SleepProxyProcess> {
  const ifnames = [options.ifname ?? 'eth0'].flat();
  const args = [
    ...(options.nodeArgs ?? []),
    SLEEP_PROXY_CLI,
    ...ifnames.flatMap((i) => ['--interface', i]),
    '--state-dir',
    options.stateDir,
  ];
  args.push('--port', String(options.port), '--name', options.name ?? 'Test Proxy', ...(options.args ?? []));
  if (options.keepOnExit) args.push('--keep-on-exit');
  const [command, ...before] = [...(options.prefix ?? []), process.execPath];
  const stdio: SpawnOptions = { stdio: ['pipe', 'pipe', 'pipe'] };
  const child =
    options.mountsOf === undefined
      ? host.spawn(command, [...before, ...args], stdio)
      : spawn(
          'nsenter',
          ['-t', String(options.mountsOf), '-m', '-n', '--', command, ...before, ...args],
          stdio,
        );
  const process_ = new SleepProxyProcess(child);
  await process_.event('started', 10_000);
  return process_;
}
