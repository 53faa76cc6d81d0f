// node-red-node-test-helper bound to the Node-RED under test: the installed devDependency, or the one
// named by SPS_NODE_RED (CI runs the suite a second time against Node-RED 5 that way).
import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import helper from 'node-red-node-test-helper';

const runtime = process.env.SPS_NODE_RED ?? 'node-red';
helper.init(require.resolve(runtime));

export { helper };

export const nodeRedVersion: string = (
  JSON.parse(readFileSync(require.resolve(`${runtime}/package.json`), 'utf8')) as { version: string }
).version;

export function startServer(): Promise<void> {
  return new Promise((resolve) => helper.startServer(() => resolve()));
}

export async function stopServer(): Promise<void> {
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
}

/**
 * For agents that run a flow inside a LAN host: reports every 'helper' node's messages as
 * ('message', id, msg), every node's status as ('status', id, status) and its log lines as
 * ('log', id, level, text) through `emit`.
 */
export function forwardNodeEvents(
  flow: readonly Record<string, unknown>[],
  emit: (name: string, ...args: unknown[]) => void,
): void {
  for (const n of flow) {
    const node = helper.getNode(n.id as string) as unknown as EventEmitter | null;
    if (!node) continue;
    if (n.type === 'helper') node.on('input', (msg: object) => emit('message', n.id, msg));
    node.on('call:status', (call: { args: unknown[] }) => emit('status', n.id, call.args[0]));
    for (const level of ['log', 'warn', 'error'])
      node.on(`call:${level}`, (call: { args: unknown[] }) => emit('log', n.id, level, String(call.args[0])));
  }
}
