// python3-zeroconf as a third-party witness in a LAN host (test/support/zeroconf-tool.py, run with
// Debian's /usr/bin/python3, not a pyenv python first on PATH). Lines of JSON from the tool are
// collected; next(pred) waits for the first one (seen before or after the call) that matches.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NsEndpoint } from './lan';
import { waitForExit } from './lan/exec';
import { repoRoot } from './paths';

export const PYTHON = '/usr/bin/python3';
export const ZEROCONF_TOOL = join(repoRoot, 'test', 'support', 'zeroconf-tool.py');

/** Why zeroconf tests cannot run here (Debian: apt-get install python3-zeroconf), or undefined. */
export function zeroconfUnavailableReason(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} missing`;
  try {
    execFileSync(PYTHON, ['-c', 'import zeroconf'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'python3-zeroconf not installed (apt-get install python3-zeroconf)';
  }
}

export type ZeroconfLine = Record<string, unknown> & { event: string };

export class ZeroconfProcess {
  readonly lines: ZeroconfLine[] = [];
  private stderr = '';
  private readonly waiters = new Set<() => void>();

  constructor(private readonly child: ChildProcess) {
    let buffered = '';
    child.stdout?.on('data', (b: Buffer) => {
      buffered += b.toString('utf8');
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          this.lines.push(JSON.parse(line) as ZeroconfLine);
        } catch {
          this.stderr += `unparsed: ${line}\n`;
        }
      }
      for (const w of this.waiters) w();
    });
    child.stderr?.on('data', (b: Buffer) => (this.stderr += b.toString('utf8')));
    child.on('exit', () => {
      for (const w of this.waiters) w();
    });
  }

  /** The first line matching `pred` at or after index `from`. */
  next(pred: (l: ZeroconfLine) => boolean, timeoutMs = 8000, from = 0): Promise<ZeroconfLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.slice(from).find(pred);
        if (hit) return done(() => resolve(hit));
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          done(() => reject(new Error(`zeroconf tool exited: ${this.output()}`)));
      };
      const timer = setTimeout(
        () =>
          done(() =>
            reject(new Error(`zeroconf: no matching line within ${timeoutMs} ms: ${this.output()}`)),
          ),
        timeoutMs,
      );
      const done = (fn: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        fn();
      };
      this.waiters.add(check);
      check();
    });
  }

  output(): string {
    return `${JSON.stringify(this.lines)}\n${this.stderr}`;
  }

  /** SIGTERM (the tool unregisters, i.e. sends goodbyes) and wait for the exit. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await waitForExit(this.child, 4000);
  }
}

export function startZeroconf(host: NsEndpoint, args: readonly string[]): ZeroconfProcess {
  return new ZeroconfProcess(
    host.spawn(PYTHON, ['-u', ZEROCONF_TOOL, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
}
