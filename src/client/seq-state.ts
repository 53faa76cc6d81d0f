// The Owner option's sequence number (sps-protocol.md §2.4, §3.4): the sleep/wake epoch, +1 on every wake,
// 8 bits. Kept in one small file of the state directory so that the registration before a suspend and
// the announcement after the resume, two separate runs, agree. A missing or unreadable file reads 0.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const FILE = 'owner-seq';

export function readSeq(stateDir: string): number {
  try {
    const n = Number(readFileSync(join(stateDir, FILE), 'utf8').trim());
    return Number.isInteger(n) && n >= 0 && n <= 255 ? n : 0;
  } catch {
    return 0;
  }
}

/** Stores seq + 1 (mod 256) and returns it. Written via rename, so a crash leaves the old or new value. */
export function nextSeq(stateDir: string): number {
  const seq = (readSeq(stateDir) + 1) & 0xff;
  mkdirSync(stateDir, { recursive: true });
  const tmp = join(stateDir, `${FILE}.tmp`);
  writeFileSync(tmp, `${seq}\n`);
  renameSync(tmp, join(stateDir, FILE));
  return seq;
}
