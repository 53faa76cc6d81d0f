// Agent (run inside a LAN host): a Node-RED runtime (node-red-node-test-helper) with the sleep proxy
// nodes, so that the config node opens its link, registration and mDNS sockets on the host's own
// interface. Every 'helper' node's messages come back as 'message' events (id, msg), every status as
// 'status' (id, status), every comms publish as 'comms' (topic, data); request() calls the admin API.
import type { EventEmitter } from 'node:events';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { emit } from '../../support/lan/agent';
import { forwardNodeEvents, helper, startServer, stopServer } from '../../support/node-red';

let running = false;
const runtimeEvents = (helper as unknown as { _events: EventEmitter })._events;
const onComms = (c: { topic: string; data: unknown }) => emit('comms', c.topic, c.data);

export async function load(
  flow: Record<string, unknown>[],
  settings: Record<string, unknown> = {},
): Promise<void> {
  if (running) await helper.unload();
  else {
    await startServer();
    runtimeEvents.on('comms', onComms);
  }
  running = true;
  helper.settings(settings);
  const nodes = [
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../../nodes/sleep-proxy-config'),
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../../nodes/sleep-proxy'),
  ];
  await helper.load(nodes, flow as Parameters<typeof helper.load>[1]);
  forwardNodeEvents(flow, emit);
}

/**
 * A deploy of `flow` over the loaded one, as the editor's full deploy: Node-RED closes the nodes it no
 * longer has (or that are disabled) with removed = true, the changed ones with removed = false.
 */
export async function deploy(flow: Record<string, unknown>[]): Promise<void> {
  await helper.setFlows(flow as Parameters<typeof helper.setFlows>[0], 'full');
  forwardNodeEvents(flow, emit);
}

export function inject(id: string, msg: Record<string, unknown>): void {
  helper.getNode(id).receive(msg);
}

export async function unload(): Promise<void> {
  if (running) await helper.unload();
}

export async function request(
  method: 'get' | 'post',
  path: string,
  body?: object,
): Promise<{ status: number; body: unknown }> {
  const call = method === 'get' ? helper.request().get(path) : helper.request().post(path).send(body);
  const res = await call;
  return { status: res.status, body: res.body as unknown };
}

export async function shutdown(): Promise<void> {
  runtimeEvents.off('comms', onComms);
  if (running) await stopServer();
  running = false;
}

/** The runtime's log lines of nodes of `type` so far, at one Node-RED level (20 error, 30 warn). */
export function logLines(type: string, level = 20): string[] {
  return helper
    .log()
    .args.map((a: unknown[]) => a[0] as { level: number; msg: unknown; type: string })
    .filter((l: { level: number; type: string }) => l.type === type && l.level === level)
    .map((l: { msg: unknown }) => String(l.msg));
}

/** What this process holds (the redeploy leak test): fds, AF_PACKET sockets, active handles by type. */
export function resources(): { fds: number; packetSockets: number; active: Record<string, number> } {
  const inodes = new Set<string>();
  const fds = readdirSync('/proc/self/fd');
  for (const fd of fds) {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkOr(`/proc/self/fd/${fd}`));
    if (m) inodes.add(m[1]);
  }
  // /proc/net/packet: one line per AF_PACKET socket of the namespace; the inode is the last column
  const packet = readFileSync('/proc/self/net/packet', 'utf8').trim().split('\n').slice(1);
  const packetSockets = packet.filter((line) => inodes.has(line.trim().split(/\s+/).at(-1) ?? '')).length;
  const active: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) active[kind] = (active[kind] ?? 0) + 1;
  return { fds: fds.length, packetSockets, active };
}

function readlinkOr(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return '';
  }
}
