// node-red-node-test-helper bound to the Node-RED under test: the installed devDependency, or the one
// named by SPS_NODE_RED (CI runs the suite a second time against Node-RED 5 that way).
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
