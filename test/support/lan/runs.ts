// The run ledger: every LAN writes test/.runs/<suffix>.json (owner pid + start time, the namespaces
// it will create) before it creates anything, and removes it after teardown. A ledger entry whose
// owner is gone (crash, SIGKILL) is stale; reapStaleRuns() tears such runs down. Only namespaces
// named in a ledger entry are ever deleted, and processes are killed only inside them.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../paths';
import { tool, type HelperRecord, type LanMode } from './netns';
import { isSameProcess, killAll, namespaceInode, pidsInNamespaces, processStartTime } from './procfs';

export interface RunRecord {
  readonly suffix: string;
  readonly pid: number;
  readonly start: number;
  readonly mode: LanMode;
  readonly namespaces: readonly string[];
  /** userns mode: the helper holding the namespaces, and their inodes once created. */
  readonly helper?: HelperRecord;
  readonly netInodes?: readonly number[];
}

export const runsDir = (): string => process.env.SPS_LAN_RUNS_DIR ?? join(repoRoot, 'test', '.runs');

const REAPING = '.reaping.';

export function newRunRecord(suffix: string, mode: LanMode, namespaces: readonly string[]): RunRecord {
  const start = processStartTime(process.pid);
  if (start === undefined) throw new Error('test LAN: cannot read /proc/self/stat');
  return { suffix, pid: process.pid, start, mode, namespaces };
}

export function writeRun(record: RunRecord): void {
  const dir = runsDir();
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${record.suffix}.json`);
  writeFileSync(`${path}.tmp`, JSON.stringify(record, null, 2) + '\n');
  renameSync(`${path}.tmp`, path);
}

export function removeRun(suffix: string): void {
  try {
    unlinkSync(join(runsDir(), `${suffix}.json`));
  } catch {
    // never written, or reaped meanwhile
  }
}

export function readRuns(): RunRecord[] {
  return ledgerFiles().flatMap(({ path }) => {
    const r = readRecord(path);
    return r ? [r] : [];
  });
}

/**
 * Tears down every run whose owner process is gone and which this process is allowed to remove
 * (an unprivileged run cannot delete root's namespaces). Concurrent reapers claim an entry by
 * renaming it, so each stale run is reaped once. Returns the reaped suffixes.
 */
export function reapStaleRuns(mode: LanMode): string[] {
  const reaped: string[] = [];
  for (const { path, name } of ledgerFiles()) {
    const record = readRecord(path);
    if (!record) continue;
    if (name.includes(REAPING)) {
      const reaper = Number(name.slice(name.lastIndexOf('.') + 1));
      if (processStartTime(reaper) !== undefined) continue; // somebody is on it
    } else if (isSameProcess(record.pid, record.start)) {
      continue;
    }
    if (record.mode === 'root' && mode !== 'root') continue;
    const claimed = `${path.replace(/\.json.*$/, '.json')}${REAPING}${process.pid}`;
    try {
      renameSync(path, claimed);
    } catch {
      continue; // another reaper won
    }
    teardownRun(record);
    unlinkSync(claimed);
    reaped.push(record.suffix);
  }
  return reaped;
}

/**
 * Synchronously kills what runs in the run's namespaces and deletes them (root), or ends the
 * helper that holds them (userns). Safe to repeat; used by destroy(), exit handlers and the reaper.
 */
export function teardownRun(record: RunRecord): void {
  if (record.mode === 'root') {
    // a name is ours only while it is in our ledger; look up its current inode, not a recorded one
    const present = record.namespaces.filter((ns) => namespaceInode(`/run/netns/${ns}`) !== undefined);
    const inodes = new Set(present.map((ns) => namespaceInode(`/run/netns/${ns}`) ?? -1));
    killAll(pidsInNamespaces(inodes));
    if (present.length > 0) {
      spawnSync(tool('ip'), ['-force', '-batch', '-'], {
        input: present.map((ns) => `netns del ${ns}`).join('\n') + '\n',
        stdio: ['pipe', 'ignore', 'ignore'],
      });
    }
    return;
  }
  const h = record.helper;
  if (!h) return;
  if (isSameProcess(h.pid, h.start)) process.kill(h.pid, 'SIGKILL');
  // stragglers without a parent-death signal: in our netns AND our user namespace
  killAll(pidsInNamespaces(new Set(record.netInodes ?? []), h.userInode));
}

/** What of a run still exists: namespace names, helper, processes. Empty once torn down. */
export function runLeftovers(record: RunRecord): string[] {
  if (record.mode === 'root') {
    return record.namespaces.filter((ns) => namespaceInode(`/run/netns/${ns}`) !== undefined);
  }
  const h = record.helper;
  if (!h) return [];
  const pids = pidsInNamespaces(new Set(record.netInodes ?? []), h.userInode).map((p) => `pid ${p}`);
  return isSameProcess(h.pid, h.start) ? [`helper ${h.pid}`, ...pids] : pids;
}

function ledgerFiles(): { path: string; name: string }[] {
  let names: string[];
  try {
    names = readdirSync(runsDir());
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.json') || n.includes(`.json${REAPING}`))
    .map((name) => ({ name, path: join(runsDir(), name) }));
}

function readRecord(path: string): RunRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    return typeof r.suffix === 'string' && Array.isArray(r.namespaces) ? r : undefined;
  } catch {
    return undefined; // half-written or claimed meanwhile
  }
}
