// A child process that prints one JSON object per line (the Python witnesses of the tests): lines are
// collected; next(pred) waits for the first one (seen before or after the call) that matches; send()
// writes a command line to its stdin.
import type { ChildProcess } from 'node:child_process';
import { waitForExit } from './lan/exec';

export type JsonLine = Record<string, unknown> & { event: string };

export class JsonLinesProcess {
  readonly lines: JsonLine[] = [];
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
          this.lines.push(JSON.parse(line) as JsonLine);
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
  next(pred: (l: JsonLine) => boolean, timeoutMs = 8000, from = 0): Promise<JsonLine> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.lines.slice(from).find(pred);
        if (hit) return done(() => resolve(hit));
        if (this.child.exitCode !== null || this.child.signalCode !== null)
          done(() => reject(new Error(`process exited: ${this.output()}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no matching line within ${timeoutMs} ms: ${this.output()}`))),
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

  send(line: string): void {
    this.child.stdin?.write(`${line}\n`);
  }

  /** SIGTERM (the zeroconf tool unregisters, i.e. sends goodbyes) and wait for the exit. */
  async stop(): Promise<void> {
    this.child.kill('SIGTERM');
    await waitForExit(this.child, 4000);
  }
}
