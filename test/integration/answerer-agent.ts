// Agent for answerer.test.ts: a NeighbourAnswerer inside a test-LAN host, and what this process
// holds (answering threads, file descriptors), to show that close() leaves nothing behind.
import { readdirSync, readFileSync } from 'node:fs';
import {
  type AnswererStats,
  type AnswerTableSpec,
  openAnswerer,
  type NeighbourAnswerer,
} from '../../src/io/link';

let answerer: NeighbourAnswerer | undefined;

export function open(ifname: string): number {
  answerer = openAnswerer(ifname);
  return answerer.stats().workers;
}

export function set(spec: AnswerTableSpec): void {
  answerer?.set(spec);
}

export function stats(): AnswererStats | undefined {
  return answerer?.stats();
}

export function close(): void {
  answerer?.close();
}

/** Opens, fills and closes an answerer `times` times. */
export function churn(ifname: string, spec: AnswerTableSpec, times: number): void {
  for (let i = 0; i < times; i++) {
    const a = openAnswerer(ifname);
    a.set(spec);
    a.close();
  }
}

export interface Resources {
  /** Threads named after the answerer's workers. */
  readonly answererThreads: number;
  readonly threads: number;
  readonly fds: number;
}

export function resources(): Resources {
  const tasks = readdirSync('/proc/self/task');
  const names = tasks.map((t) => {
    try {
      return readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim();
    } catch {
      return ''; // the thread ended meanwhile
    }
  });
  return {
    answererThreads: names.filter((n) => n === 'sps-answerer').length,
    threads: tasks.length,
    fds: readdirSync('/proc/self/fd').length,
  };
}

export function shutdown(): void {
  answerer?.close();
}
