// What /proc says about processes and namespaces, synchronously (teardown runs in 'exit' handlers,
// where nothing asynchronous happens any more). Namespaces are compared by nsfs inode number.
import { readFileSync, readdirSync, statSync } from 'node:fs';

/**
 * Start time of a process in clock ticks since boot (field 22 of /proc/<pid>/stat), if it lives;
 * a zombie (killed, not yet waited for by its parent) counts as gone.
 */
export function processStartTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // the command name (field 2) may contain spaces and parentheses: split after the last ')'
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return Number(fields[19]);
  } catch {
    return undefined;
  }
}

/** True if `pid` runs and is the same process as when `startTime` was read (pids get reused). */
export function isSameProcess(pid: number, startTime: number): boolean {
  return processStartTime(pid) === startTime;
}

/** Inode of the namespace `kind` of a process, or of a namespace file such as /run/netns/x. */
export function namespaceInode(path: string): number | undefined {
  try {
    return statSync(path).ino;
  } catch {
    return undefined;
  }
}

export const processNamespace = (pid: number | 'self', kind: 'net' | 'user'): number | undefined =>
  namespaceInode(`/proc/${pid}/ns/${kind}`);

/**
 * Processes whose network namespace is one of `netInodes` (what `ip netns pids` does), optionally
 * only those in user namespace `userInode`. Processes we may not inspect are not ours: skipped.
 */
export function pidsInNamespaces(netInodes: ReadonlySet<number>, userInode?: number): number[] {
  if (netInodes.size === 0) return [];
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const net = processNamespace(pid, 'net');
    if (net === undefined || !netInodes.has(net)) continue;
    if (userInode !== undefined && processNamespace(pid, 'user') !== userInode) continue;
    pids.push(pid);
  }
  return pids;
}

export function killAll(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
