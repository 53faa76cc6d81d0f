// Running programs and waiting on their output: the only place that turns a child process into
// an ExecResult. Non-zero exits are results, not exceptions; `checked` is the throwing variant
// the harness itself uses when a step must succeed.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface ExecResult {
  /** Exit status, or null when the process ended by a signal (see `signal`). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ExecOptions {
  /** Written to stdin, which is then closed. */
  readonly input?: string | Buffer;
  /** SIGKILL after this long (default 20 s); the result then has signal 'SIGKILL'. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 20_000;

export function execFile(file: string, args: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code,
        signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
    // a child that exits before reading its input must not crash us with EPIPE
    child.stdin.on('error', () => undefined);
    child.stdin.end(opts.input ?? '');
  });
}

export function describeCommand(file: string, args: readonly string[]): string {
  return [file, ...args].join(' ');
}

/** Throws unless the command exits 0; the error names the command and carries its stderr. */
export async function checked(
  file: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<string> {
  const r = await execFile(file, args, opts);
  if (r.code !== 0) throw new Error(`${describeCommand(file, args)}: ${exitText(r)}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function exitText(r: Pick<ExecResult, 'code' | 'signal'>): string {
  return r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
}

/** Path of an executable `name` on PATH or in the usual sbin/bin directories (sudo-less PATHs lack sbin). */
export function which(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  const candidates = name.includes('/') ? [name] : dirs.filter((d) => d).map((d) => join(d, name));
  for (const path of candidates) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface WaitForOutputOptions {
  readonly stream?: 'stdout' | 'stderr' | 'both';
  readonly timeoutMs?: number;
}

/**
 * Resolves with the first match of `pattern` in what the child prints from now on; rejects when
 * the child exits or the time is up, with what it printed.
 */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp,
  opts: WaitForOutputOptions = {},
): Promise<RegExpMatchArray> {
  const which = opts.stream ?? 'both';
  const streams = [which !== 'stderr' ? child.stdout : null, which !== 'stdout' ? child.stderr : null].filter(
    (s) => s !== null,
  );
  return new Promise((resolve, reject) => {
    let seen = '';
    const finish = (fn: () => void): void => {
      clearTimeout(timer);
      for (const s of streams) s.off('data', onData);
      child.off('exit', onExit);
      fn();
    };
    const onData = (b: Buffer): void => {
      seen += b.toString('latin1');
      const m = seen.match(pattern);
      if (m) finish(() => resolve(m));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(() =>
        reject(new Error(`process exited (${exitText({ code, signal })}) before ${pattern}: ${seen}`)),
      );
    const timer = setTimeout(
      () => finish(() => reject(new Error(`no ${pattern} within ${opts.timeoutMs ?? 5000} ms: ${seen}`))),
      opts.timeoutMs ?? 5000,
    );
    for (const s of streams) s.on('data', onData);
    child.on('exit', onExit);
  });
}

/** Resolves when the child has exited; SIGKILLs it if it has not after `timeoutMs`. */
export function waitForExit(child: ChildProcess, timeoutMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
