// The example flow examples/relay-over-mqtt.json against a real broker (Debian's mosquitto, started
// here on the router of a two-segment test LAN): its site A tab runs in a Node-RED on segment A,
// its site B tab in a Node-RED on segment B; a broadcast from a client on A reaches a listener on B
// with its source address and port kept, and the listener's unicast reply reaches the client.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason, TestSegments, waitForOutput, which, type NodeChild } from '../support/lan';
import { repoRoot } from '../support/paths';
import type * as NodeRedAgent from './agents/node-red-agent';
import type * as RelayAgent from './agents/relay-agent';

const AGENTS = join(__dirname, 'agents');
const BROKER_PORT = 18830;
const skip =
  lanUnavailableReason() ??
  (which('mosquitto') ? false : 'needs mosquitto (Debian: apt-get install mosquitto)');
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string };

/** One site's tab of the example, with the broker node pointed at the test broker. */
function siteFlow(label: RegExp): FlowNode[] {
  const example = JSON.parse(
    readFileSync(join(repoRoot, 'examples', 'relay-over-mqtt.json'), 'utf8'),
  ) as FlowNode[];
  const tab = example.find((n) => n.type === 'tab' && label.test(String(n.label)));
  assert.ok(tab, `example has a tab ${label}`);
  return example
    .filter((n) => n === tab || n.z === tab.id || n.type === 'mqtt-broker')
    .map((n) => (n.type === 'mqtt-broker' ? { ...n, broker: '10.78.1.1', port: String(BROKER_PORT) } : n));
}

describe('relay over MQTT (example flow)', { skip }, () => {
  let net: TestSegments;
  let dir: string;
  const agents: Record<string, NodeChild<typeof NodeRedAgent>> = {};
  let client: NodeChild<typeof RelayAgent>;
  let listener: NodeChild<typeof RelayAgent>;

  before(async () => {
    net = await TestSegments.create({
      segments: [
        { name: 'a', hosts: ['client:10', 'sitea:2'] },
        { name: 'b', hosts: ['listener:10', 'siteb:2'] },
      ],
    });
    dir = mkdtempSync(join(tmpdir(), 'relay-mqtt-'));
    const conf = join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      `listener ${BROKER_PORT} 0.0.0.0\nallow_anonymous true\nlog_dest stderr\nlog_type all\npersistence false\n`,
    );
    const router = net.router;
    assert.ok(router);
    const broker = router.spawn('mosquitto', ['-c', conf]);
    await waitForOutput(broker, /running/, { stream: 'stderr', timeoutMs: 5000 });
    broker.stderr?.resume();
    client = await net.host('client').runNode<typeof RelayAgent>(join(AGENTS, 'relay-agent.js'));
    listener = await net.host('listener').runNode<typeof RelayAgent>(join(AGENTS, 'relay-agent.js'));
    await listener.call('listen', 5076, true);
    for (const [host, label] of [
      ['sitea', /^Site A/],
      ['siteb', /^Site B/],
    ] as const) {
      const agent = await net.host(host).runNode<typeof NodeRedAgent>(join(AGENTS, 'node-red-agent.js'));
      const connected = new Promise<void>((resolve) =>
        agent.on('status', (_id, status) => {
          if (
            /connected/.test(String((status as { text?: string })?.text)) &&
            !/dis/.test(String((status as { text?: string }).text))
          )
            resolve();
        }),
      );
      await agent.call('load', siteFlow(label));
      await connected;
      agents[host] = agent;
    }
  });
  after(async () => {
    await net?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a broadcast on A crosses to B through MQTT, source kept; the reply comes back', async () => {
    await pause(300); // the subscription of site B's mqtt in
    const received = listener.next('datagram', 5000);
    const replied = client.next('reply', 5000);
    await client.call('broadcast', '255.255.255.255', 5076, Buffer.from('search over mqtt'), 40200);
    const [data, address, port] = (await received) as [Buffer, string, number];
    assert.equal(String(data), 'search over mqtt');
    assert.equal(address, '10.78.1.10');
    assert.equal(port, 40200);
    const [reply, from] = (await replied) as [Buffer, string];
    assert.equal(from, '10.78.2.10');
    assert.equal(String(reply), 'reply:search over mqtt');
  });
});
