// Loop safety (issue 6): three relays in a full mesh, two of them on the same segment, so every
// broadcast on A is captured twice and sent to each peer twice. Each broadcast must still appear
// exactly once on every segment (tcpdump on both bridges and listeners on both count), and the
// relays' counters show where the copies were dropped.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { capture, lanUnavailableReason, TestSegments, which, type NodeChild } from '../support/lan';
import { parsePcap } from '../support/pcap';
import type * as RelayAgent from './agents/relay-agent';

const AGENT = join(__dirname, 'agents', 'relay-agent.js');
// tcpdump witnesses the segments; it cannot run in an unprivileged user namespace
const captureSkip = (): string | undefined =>
  process.getuid?.() !== 0 ? 'captures need root' : which('tcpdump') ? undefined : 'needs tcpdump';
const PORT = 5076;
const MESH = 7124;
type Agent = NodeChild<typeof RelayAgent>;

describe('three relays on shared segments', { skip: lanUnavailableReason() ?? captureSkip() }, () => {
  let net: TestSegments;
  const agents: Record<string, Agent> = {};

  before(async () => {
    net = await TestSegments.create({
      segments: [
        { name: 'a', hosts: ['client:10', 'listena:20', 'r1:2', 'r3:3'] },
        { name: 'b', hosts: ['listenb:10', 'r2:2'] },
      ],
    });
    await Promise.all(
      ['client', 'listena', 'listenb', 'r1', 'r2', 'r3'].map(
        async (h) => (agents[h] = await net.host(h).runNode<typeof RelayAgent>(AGENT)),
      ),
    );
    const relays = { r1: '10.78.1.2', r2: '10.78.2.2', r3: '10.78.1.3' };
    await Promise.all(
      Object.entries(relays).map(([name, self]) =>
        agents[name].call('startRelay', {
          interface: 'eth0',
          ports: [PORT],
          mesh: { port: MESH, peers: Object.values(relays).filter((a) => a !== self) },
        }),
      ),
    );
    await Promise.all([
      agents.listena.call('listen', PORT, false),
      agents.listenb.call('listen', PORT, false),
    ]);
  });
  after(() => net?.destroy());

  test('each broadcast crosses each segment exactly once', async () => {
    const caps = await Promise.all(['a', 'b'].map((s) => capture(net.segment(s), `udp dst port ${PORT}`)));
    const counts = { listena: 0, listenb: 0 };
    agents.listena.on('datagram', () => counts.listena++);
    agents.listenb.on('datagram', () => counts.listenb++);
    for (let i = 0; i < 3; i++) {
      await agents.client.call('broadcast', '255.255.255.255', PORT, Buffer.from(`search ${i}`), 41000 + i);
    }
    await new Promise((r) => setTimeout(r, 600));
    const [onA, onB] = await Promise.all(caps.map(async (c) => parsePcap(await c.stop()).records.length));
    assert.equal(onA, 3, 'three broadcasts on A: the originals, no rebroadcast');
    assert.equal(onB, 3, 'three broadcasts on B: one rebroadcast each');
    assert.deepEqual(counts, { listena: 3, listenb: 3 });

    const [c1, c2, c3] = await Promise.all(['r1', 'r2', 'r3'].map((r) => agents[r].call('counters')));
    // r1 and r3 both capture each broadcast on A and relay it...
    assert.equal(c1.relayed, 3);
    assert.equal(c3.relayed, 3);
    // ...r2 rebroadcasts the first copy and drops the second...
    assert.equal(c2.rebroadcast, 3);
    assert.equal(c2.dropped.duplicate, 3);
    // ...and r1 and r3 do not put back on A what they already saw there.
    assert.equal(c1.rebroadcast + c3.rebroadcast, 0);
    assert.equal(c1.dropped.duplicate, 3);
    assert.equal(c3.dropped.duplicate, 3);
    // r2 never captures its own rebroadcasts as new broadcasts (the kernel does not loop them back).
    assert.equal(c2.relayed, 0);
  });
});
