// The headless `broadcast-relay` command on two routed segments: one relay configured by
// SnowSignal's environment variables, the other by its flags; a broadcast crosses, the reply comes
// back, and SIGTERM stops the command cleanly.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason, TestSegments, waitForOutput, type NodeChild } from '../support/lan';
import type * as RelayAgent from './agents/relay-agent';

const AGENT = join(__dirname, 'agents', 'relay-agent.js');
const CLI = join(__dirname, '..', '..', 'src', 'relay', 'cli.js');

describe('broadcast-relay command', { skip: lanUnavailableReason() }, () => {
  let net: TestSegments;
  let client: NodeChild<typeof RelayAgent>;
  let listener: NodeChild<typeof RelayAgent>;
  const relays: ChildProcess[] = [];

  before(async () => {
    net = await TestSegments.create({
      segments: [
        { name: 'a', hosts: ['client:10', 'relaya:2'] },
        { name: 'b', hosts: ['listener:10', 'relayb:2'] },
      ],
    });
    client = await net.host('client').runNode<typeof RelayAgent>(AGENT);
    listener = await net.host('listener').runNode<typeof RelayAgent>(AGENT);
    relays.push(
      net.host('relaya').spawn(process.execPath, [CLI], {
        env: { ...process.env, TARGET_INTERFACE: 'eth0', BDCAST_PORT: '5076', OTHER_RELAYS: '10.78.2.2' },
      }),
      net
        .host('relayb')
        .spawn(process.execPath, [
          CLI,
          '-t',
          'eth0',
          '-b',
          '5076',
          '-m',
          '7124',
          '--other-relays',
          '10.78.1.2',
        ]),
    );
    await Promise.all(
      relays.map((r) => waitForOutput(r, /relaying UDP broadcasts/, { stream: 'stderr', timeoutMs: 5000 })),
    );
    await listener.call('listen', 5076, true);
  });
  after(() => net?.destroy());

  test('relays a broadcast and its reply; stops on SIGTERM', async () => {
    const received = listener.next('datagram', 3000);
    const replied = client.next('reply', 3000);
    await client.call('broadcast', '255.255.255.255', 5076, Buffer.from('cli search'), 40100);
    const [data, address, port] = (await received) as [Buffer, string, number];
    assert.equal(String(data), 'cli search');
    assert.equal(address, '10.78.1.10');
    assert.equal(port, 40100);
    const [, from] = (await replied) as [Buffer, string];
    assert.equal(from, '10.78.2.10');
    const exits = relays.map(
      (r) => new Promise<number | null>((resolve) => r.once('exit', (code) => resolve(code))),
    );
    for (const r of relays) r.kill('SIGTERM');
    assert.deepEqual(await Promise.all(exits), [0, 0]);
  });
});
