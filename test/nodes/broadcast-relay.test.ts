// The "broadcast in", "broadcast out" and "broadcast relay" nodes in a real Node-RED runtime
// (node-red-node-test-helper): message shapes, counters, and errors as status and Catch messages,
// never a crash. Traffic tests run Node-RED inside a test LAN host (agents/node-red-agent) with a
// plain UDP peer on another host; the error test runs in-process and sends nothing.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { helper, nodeRedVersion, startServer, stopServer } from '../support/node-red';
import { TestLan, lanUnavailableReason, type NodeChild } from '../support/lan';
import { encodeUdpFrame } from '../../src/wire/frame';
import type * as NodeRedAgent from '../integration/agents/node-red-agent';
import type * as RelayAgent from '../integration/agents/relay-agent';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const broadcastRelay = require('../../nodes/broadcast-relay');

const AGENTS = join(__dirname, '..', 'integration', 'agents');
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Status = { fill?: string; text?: string };
type Flow = Parameters<typeof helper.load>[1];
const flow = (...nodes: object[]): Flow => nodes as Flow;
const tab = { id: 'f1', type: 'tab' };
const catcher = [
  { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', z: 'f1', type: 'helper' },
];

describe(`broadcast relay node, no interface (Node-RED ${nodeRedVersion})`, () => {
  beforeEach(() => startServer());
  afterEach(() => stopServer());

  test('a missing interface: red status, counters still answer, no crash', async () => {
    await helper.load(
      broadcastRelay,
      flow(
        tab,
        {
          id: 'relay',
          z: 'f1',
          type: 'broadcast relay',
          interface: 'nosuch0',
          ports: '5076',
          meshPort: '0',
          wires: [['out']],
        },
        { id: 'out', z: 'f1', type: 'helper' },
      ),
    );
    const seen: Status[] = [];
    (helper.getNode('relay') as unknown as EventEmitter).on('call:status', (call: { args: [Status] }) =>
      seen.push(call.args[0]),
    );
    for (let i = 0; i < 50 && !seen.some((x) => x.fill === 'red'); i++) await pause(10);
    const red = seen.find((x) => x.fill === 'red');
    assert.ok(red, 'red status');
    assert.match(red.text ?? '', /nosuch0|CAP_NET_RAW/);
    const out = once(helper.getNode('out'), 'input');
    helper.getNode('relay').receive({ payload: 'counters?' });
    const [msg] = (await out) as [
      { topic: string; payload: { relayed: number; dropped: Record<string, number> } },
    ];
    assert.equal(msg.topic, 'counters');
    assert.equal(msg.payload.relayed, 0);
    assert.equal(msg.payload.dropped.forged, 0);
  });
});

describe('broadcast nodes on a test LAN', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  let red: NodeChild<typeof NodeRedAgent>;
  let peer: NodeChild<typeof RelayAgent>;
  const PORT = 5076;

  before(async () => {
    lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10'] });
    red = await lan.host('proxy').runNode<typeof NodeRedAgent>(join(AGENTS, 'node-red-agent.js'));
    peer = await lan.host('sleeper').runNode<typeof RelayAgent>(join(AGENTS, 'relay-agent.js'));
    red.on('message', (id, msg) => inbox.push([id as string, msg as Record<string, unknown>]));
  });

  // every helper node's messages, in order; tests take from it by node id
  const inbox: [string, Record<string, unknown>][] = [];
  async function nextFrom(id: string): Promise<Record<string, unknown>> {
    for (let i = 0; i < 300; i++) {
      const at = inbox.findIndex(([from]) => from === id);
      if (at >= 0) return inbox.splice(at, 1)[0][1];
      await pause(10);
    }
    throw new Error(`no message from ${id}`);
  }
  after(() => lan?.destroy());

  test('broadcast in emits each broadcast once; broadcast out rebroadcasts one with its source kept', async () => {
    await red.call('load', [
      tab,
      { id: 'bin', z: 'f1', type: 'broadcast in', interface: 'eth0', ports: String(PORT), wires: [['out']] },
      { id: 'out', z: 'f1', type: 'helper' },
      { id: 'bout', z: 'f1', type: 'broadcast out', interface: 'eth0', ports: '', wires: [] },
      ...catcher,
    ]);
    await pause(200);
    inbox.length = 0;
    await peer.call('broadcast', '10.77.0.255', PORT, Buffer.from('who has pv:x?'), 40000);
    await peer.call('broadcast', '10.77.0.255', PORT + 1, Buffer.from('other port'), 40000);
    const msg = await nextFrom('out');
    await pause(150);
    assert.equal(inbox.length, 0, 'one message: the other port is not emitted');
    assert.deepEqual(Buffer.from(msg.payload as Buffer), Buffer.from('who has pv:x?'));
    assert.deepEqual(msg.source, { address: '10.77.0.10', port: 40000 });
    assert.equal(msg.port, PORT);
    assert.equal(msg.destination, '10.77.0.255');
    assert.equal(msg.topic, `broadcast/${PORT}`);
    assert.equal(Buffer.from(msg.frame as Buffer).length, 14 + 20 + 8 + 13);

    // broadcast out: from the proxy host, as if sent by 10.77.0.99:4242; the peer listens
    await peer.call('listen', 6000, false);
    const received = peer.next('datagram', 3000);
    red.call('inject', 'bout', {
      payload: 'found pv:x',
      source: { address: '10.77.0.99', port: 4242 },
      port: 6000,
    });
    const [data, address, port] = await received;
    assert.equal(String(data), 'found pv:x');
    assert.equal(address, '10.77.0.99');
    assert.equal(port, 4242);
    await pause(100);
    assert.equal(inbox.length, 0, 'broadcast in does not emit what broadcast out just sent');
  });

  test('several ports per node, and an IPv6 group: broadcast in emits each, broadcast out sends the group', async () => {
    const GROUP = 'ff15::4b50';
    await red.call('load', [
      tab,
      {
        id: 'bin',
        z: 'f1',
        type: 'broadcast in',
        interface: 'eth0',
        ports: '5076, 5065',
        ipv6Groups: GROUP,
        wires: [['out']],
      },
      { id: 'out', z: 'f1', type: 'helper' },
      {
        id: 'bout',
        z: 'f1',
        type: 'broadcast out',
        interface: 'eth0',
        ports: '',
        ipv6Groups: GROUP,
        wires: [],
      },
      ...catcher,
    ]);
    await pause(200);
    inbox.length = 0;
    await peer.call('broadcast', '10.77.0.255', 5065, Buffer.from('second port'), 40010);
    await peer.call('broadcast', '10.77.0.255', 5077, Buffer.from('not listed'), 40010);
    await peer.call('multicast6', GROUP, 5076, Buffer.from('v6 search'), 40011);
    await peer.call('multicast6', GROUP, 5077, Buffer.from('v6 not listed'), 40011);
    const first = await nextFrom('out');
    const second = await nextFrom('out');
    await pause(150);
    assert.equal(inbox.length, 0, 'ports not listed are not emitted');
    assert.equal(String(Buffer.from(first.payload as Buffer)), 'second port');
    assert.equal(first.port, 5065);
    assert.equal(String(Buffer.from(second.payload as Buffer)), 'v6 search');
    assert.deepEqual(second.source, { address: lan.host('sleeper').ipv6, port: 40011 });
    assert.equal(second.destination, GROUP);
    assert.equal(second.port, 5076);

    // the IPv6 frame through broadcast out: the peer, joined to the group, gets it with the source kept
    await peer.call('listen6', GROUP, 6001, false);
    const received = peer.next('datagram', 3000);
    const frame = encodeUdpFrame({
      srcMac: '02:00:00:00:00:99',
      dstMac: '33:33:00:00:4b:50',
      src: 'fd77::99',
      dst: GROUP,
      srcPort: 4243,
      dstPort: 6001,
      payload: Buffer.from('found over v6'),
    });
    red.call('inject', 'bout', { frame });
    const [data, address, port] = await received;
    assert.equal(String(data), 'found over v6');
    assert.equal(address, 'fd77::99');
    assert.equal(port, 4243);
    await pause(100);
    assert.equal(inbox.length, 0, 'nothing caught, nothing re-emitted');
  });

  test('broadcast out: messages it cannot send go to Catch', async () => {
    await red.call('load', [
      tab,
      { id: 'bout', z: 'f1', type: 'broadcast out', interface: 'eth0', ports: '', wires: [] },
      ...catcher,
    ]);
    for (const [msg, error] of [
      [{ payload: 'x', source: { address: 'nowhere', port: 1 }, port: 9 }, /msg\.source\.address/],
      [{ payload: 'x', source: { address: '10.77.0.2', port: 1 } }, /msg\.port/],
      [{ frame: Buffer.from('not a frame') }, /not an IPv4\/UDP Ethernet frame/],
    ] as const) {
      await red.call('inject', 'bout', msg);
      const m = (await nextFrom('caught')) as { error: { message: string } };
      assert.match(m.error.message, error);
    }
  });

  test('broadcast relay: relays to a peer in SnowSignal format; any input returns the counters', async () => {
    await peer.call('listen', 7124, false);
    await red.call('load', [
      tab,
      {
        id: 'relay',
        z: 'f1',
        type: 'broadcast relay',
        interface: 'eth0',
        ports: String(PORT),
        meshPort: '7124',
        peers: '10.77.0.10',
        wires: [['out']],
      },
      { id: 'out', z: 'f1', type: 'helper' },
    ]);
    await pause(200);
    const mesh = peer.next('datagram', 3000);
    await peer.call('broadcast', '10.77.0.255', PORT, Buffer.from('search'), 40001);
    const [message] = (await mesh) as [Buffer];
    assert.equal(Buffer.from(message).subarray(0, 2).toString(), 'SS');
    assert.ok(Buffer.from(message).includes(Buffer.from('search')));
    await red.call('inject', 'relay', {});
    const msg = (await nextFrom('out')) as unknown as {
      topic: string;
      payload: { relayed: number; peers: { address: string }[] };
    };
    assert.equal(msg.topic, 'counters');
    assert.equal(msg.payload.relayed, 1);
    assert.deepEqual(
      msg.payload.peers.map((p) => p.address),
      ['10.77.0.10'],
    );
  });
});
