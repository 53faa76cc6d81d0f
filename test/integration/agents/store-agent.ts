// Agent for the store fault tests (test/integration/store-faults.test.ts), started inside a private
// mount namespace (`unshare -m --propagation private`), so the tmpfs mounts and read-only remounts
// it makes are invisible to the rest of the machine and vanish with it. Methods drive one journal
// and report plain data (StoreErrors travel as their code).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Journal, StoreError, type JournalDamage } from '../../../src/io/store';

type Entry = { readonly n: number; readonly pad: string };
let journal: Journal<Entry, unknown> | undefined;

const run = promisify(execFile);
const codeOf = (e: unknown): string => (e instanceof StoreError ? e.code : `not a StoreError: ${String(e)}`);

export async function mount(dir: string, options: string): Promise<void> {
  await run('mount', ['-t', 'tmpfs', '-o', options, 'sps-store-test', dir]);
}

export async function remount(dir: string, mode: 'ro' | 'rw'): Promise<void> {
  await run('mount', ['-o', `remount,${mode}`, dir]);
}

export interface OpenReport {
  readonly ok: boolean;
  readonly code?: string;
  readonly entries?: number[];
  readonly damage?: JournalDamage[];
  readonly recovered?: number[];
  readonly recoveredDamage?: JournalDamage[];
}

export async function open(dir: string): Promise<OpenReport> {
  const r = await Journal.open<Entry, unknown>(dir, { name: 'registry' });
  if (r.ok) {
    journal = r.journal;
    return { ok: true, entries: r.entries.map((e) => e.n), damage: r.damage };
  }
  return {
    ok: false,
    code: r.error.code,
    recovered: r.recovered?.entries.map((e) => e.n),
    recoveredDamage: r.recovered?.damage,
  };
}

/** Appends {n, pad} for n = from.. one at a time until one fails; returns the acknowledged n's. */
export async function appendUntilError(
  from: number,
  padBytes: number,
  max = 10_000,
): Promise<{ acked: number[]; code?: string }> {
  const acked: number[] = [];
  for (let n = from; n < from + max; n++) {
    try {
      await journal?.append({ n, pad: 'p'.repeat(padBytes) });
      acked.push(n);
    } catch (e) {
      return { acked, code: codeOf(e) };
    }
  }
  return { acked };
}

/** Appends raw bytes to a file, as a write cut short by a crash leaves them. */
export function appendBytes(path: string, bytes: Buffer): void {
  appendFileSync(path, bytes);
}

export async function compact(snapshot: unknown): Promise<string | undefined> {
  try {
    await journal?.compact(snapshot);
    return undefined;
  } catch (e) {
    return codeOf(e);
  }
}

export async function close(): Promise<void> {
  await journal?.close();
  journal = undefined;
}

/** Name -> sha256 of every file in `dir`: "nothing corrupted" is an unchanged digest. */
export function digest(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort())
    out[name] = createHash('sha256')
      .update(readFileSync(join(dir, name)))
      .digest('hex');
  return out;
}

export function shutdown(): Promise<void> {
  return close();
}
