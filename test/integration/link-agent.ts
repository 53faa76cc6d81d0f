// Agent for link.test.ts: a LinkSocket inside a test-LAN host, driven over the harness's IPC.
// Frames and link errors come back as 'frame' / 'link-error' events (not 'error': the harness
// re-emits agent events on an EventEmitter, where an unheard 'error' throws).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import {
  acceptAll,
  compileFilter,
  dropAll,
  openLink,
  type BpfProgram,
  type FilterOptions,
  type LinkMatcher,
  type LinkSocket,
  type LinkStats,
} from '../../src/io/link';
import { emit } from '../support/lan/agent';

/** A filter as it travels over IPC. */
export type FilterSpec =
  'all' | 'none' | { readonly matchers: LinkMatcher[]; readonly options?: FilterOptions };

export interface ErrorShape {
  readonly name: string;
  readonly code: string;
  readonly message: string;
}

let link: LinkSocket | undefined;
let linkInode: string | undefined;

const program = (spec: FilterSpec): BpfProgram =>
  spec === 'all' ? acceptAll() : spec === 'none' ? dropAll() : compileFilter(spec.matchers, spec.options);

const describe = (error: unknown): ErrorShape => {
  const e = error as { name?: string; code?: string; message?: string };
  return { name: e.name ?? 'Error', code: e.code ?? '', message: e.message ?? String(error) };
};

/** Inodes of this process's sockets (from /proc/self/fd). */
export function socketInodes(): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      return m ? [m[1]] : [];
    } catch {
      return [];
    }
  });
}

/** Inodes of the packet sockets in this network namespace (/proc/net/packet). */
export function packetSocketInodes(): string[] {
  return readFileSync('/proc/self/net/packet', 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/).pop() ?? '');
}

export function open(
  ifname: string,
  filter: FilterSpec = 'none',
): { ifindex: number; mac: string; inode: string | undefined } {
  const before = new Set(socketInodes());
  link = openLink(ifname, { filter: program(filter) });
  linkInode = socketInodes().find((inode) => !before.has(inode));
  link.on('frame', (frame, info) => emit('frame', frame, info));
  link.on('error', (error) => emit('link-error', describe(error)));
  return { ifindex: link.ifindex, mac: link.mac, inode: linkInode };
}

/** openLink's outcome as data: the error's class name and code, or 'ok' (closing right away). */
export function tryOpen(ifname: string): ErrorShape | 'ok' {
  try {
    openLink(ifname).close();
    return 'ok';
  } catch (error) {
    return describe(error);
  }
}

const current = (): LinkSocket => {
  if (!link) throw new Error('link-agent: not open');
  return link;
};

export function setFilter(filter: FilterSpec): ErrorShape | 'ok' {
  try {
    current().setFilter(program(filter));
    return 'ok';
  } catch (error) {
    return describe(error);
  }
}

export const addMulticast = (mac: string): void => current().addMulticast(mac);
export const dropMulticast = (mac: string): void => current().dropMulticast(mac);
export const send = (frame: Buffer): boolean => current().send(frame);
export const stats = (): LinkStats => current().stats();
export const inode = (): string | undefined => linkInode;

export function close(): LinkStats | undefined {
  const closing = link;
  link = undefined;
  closing?.close();
  closing?.close(); // idempotent
  return closing?.stats();
}

export function shutdown(): void {
  link?.close();
}
