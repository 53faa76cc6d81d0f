// Agent (run inside a LAN host): a Node-RED runtime (node-red-node-test-helper) with the broadcast
// nodes, Catch and the core MQTT nodes, so that flows run on the host's own interfaces. Every
// 'helper' node's messages come back as 'message' events (id, msg), every status as 'status'.
import { emit } from '../../support/lan/agent';
import { forwardNodeEvents, helper, startServer, stopServer } from '../../support/node-red';

const nodeRed = require.resolve(process.env.SPS_NODE_RED ?? 'node-red');
const core = (path: string): unknown =>
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require(require.resolve(`@node-red/nodes/core/${path}`, { paths: [nodeRed] }));

let running = false;

export async function load(
  flow: Record<string, unknown>[],
  credentials: Record<string, Record<string, string>> = {},
): Promise<void> {
  if (running) await helper.unload();
  else await startServer();
  running = true;
  const nodes = [
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('../../../nodes/broadcast-relay'),
    core('common/25-catch.js'),
    core('function/15-change.js'),
    core('network/10-mqtt.js'),
  ];
  await helper.load(nodes, flow as Parameters<typeof helper.load>[1], credentials);
  forwardNodeEvents(flow, emit);
}

export function inject(id: string, msg: Record<string, unknown>): void {
  helper.getNode(id).receive(msg);
}

export async function shutdown(): Promise<void> {
  if (running) await stopServer();
  running = false;
}
