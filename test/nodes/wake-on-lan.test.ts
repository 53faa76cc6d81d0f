// The "wake on lan" node in a real Node-RED runtime: UDP magic packets to a loopback listener, message
// shapes, the message-wins rule, targets by sleeper name / host name, waiting until awake (TCP probe on
// loopback), and errors reported as status and to Catch nodes.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { EventEmitter, once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { after, before, beforeEach, afterEach, describe, test } from 'node:test';
import { helper, nodeRedVersion, startServer, stopServer } from '../support/node-red';
import { parseMagicPacket } from '../../src/wire/wol';
import { registerSleeperSource } from '../../src/service/sleeper-directory';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const wakeOnLan = require('../../nodes/wake-on-lan');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require(
  require.resolve('@node-red/nodes/core/common/25-catch.js', {
    paths: [require.resolve(process.env.SPS_NODE_RED ?? 'node-red')],
  }),
);

interface CapturedMessage {
  topic?: string;
  payload: { mac: string; forms: string[]; packets: number };
  keep?: string;
}

describe(`wake on lan node (Node-RED ${nodeRedVersion})`, () => {
  let listener: dgram.Socket;
  let port: number;
  const received: Buffer[] = [];

  before(async () => {
    listener = dgram.createSocket('udp4');
    listener.on('message', (data) => received.push(data));
    listener.bind(0, '127.0.0.1');
    await once(listener, 'listening');
    port = (listener.address() as AddressInfo).port;
  });
  after(() => listener.close());
  beforeEach(async () => {
    received.length = 0;
    await startServer();
  });
  afterEach(() => stopServer());

  const flow = (settings: Record<string, string | boolean>) => [
    { id: 'f1', type: 'tab' },
    {
      id: 'wol',
      z: 'f1',
      type: 'wake on lan',
      mode: 'udp',
      address: '127.0.0.1',
      port: String(port),
      repeats: '2',
      interval: '10',
      ...settings,
      wires: [['out']],
    },
    { id: 'out', z: 'f1', type: 'helper' },
    { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', z: 'f1', type: 'helper' },
  ];

  async function waitFor(count: number): Promise<void> {
    for (let i = 0; i < 100 && received.length < count; i++) await new Promise((r) => setTimeout(r, 10));
  }

  test('sends the magic packet for the MAC in msg.payload and reports it', async () => {
    await helper.load([wakeOnLan, catchNode], flow({}));
    const out = helper.getNode('out');
    const message = once(out, 'input');
    helper.getNode('wol').receive({ payload: '02-77-00-00-00-0A', keep: 'me' });
    const [msg] = (await message) as [CapturedMessage];
    assert.equal(msg.topic, 'wake');
    assert.deepEqual(msg.payload.forms, ['udp']);
    assert.equal(msg.payload.mac, '02:77:00:00:00:0a');
    assert.equal(msg.payload.packets, 2);
    assert.equal(msg.keep, 'me');
    await waitFor(2);
    assert.equal(received.length, 2);
    const parsed = parseMagicPacket(received[0]);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.target, '02:77:00:00:00:0a');
  });

  test('msg.mac wins over the configured MAC; the SecureOn password is appended', async () => {
    await helper.load([wakeOnLan, catchNode], flow({ mac: '02:00:00:00:00:01' }), {
      wol: { password: '01:02:03:04:05:06' },
    });
    const out = helper.getNode('out');
    const message = once(out, 'input');
    helper.getNode('wol').receive({ mac: '02:00:00:00:00:02', payload: 'ignored' });
    await message;
    await waitFor(1);
    const parsed = parseMagicPacket(received[0]);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.target, '02:00:00:00:00:02');
    assert.deepEqual(parsed.value.password, Buffer.from([1, 2, 3, 4, 5, 6]));
  });

  test('uses the configured MAC when the message names none', async () => {
    await helper.load([wakeOnLan, catchNode], flow({ mac: '02:00:00:00:00:01' }));
    const message = once(helper.getNode('out'), 'input');
    helper.getNode('wol').receive({ payload: 1234 });
    const [msg] = (await message) as [CapturedMessage];
    assert.equal(msg.payload.mac, '02:00:00:00:00:01');
  });

  test('no MAC anywhere: red status and an error a Catch node sees, nothing sent', async () => {
    await helper.load([wakeOnLan, catchNode], flow({}));
    const wol = helper.getNode('wol') as unknown as EventEmitter & { receive(msg: object): void };
    const statuses: { fill?: string; text?: string }[] = [];
    wol.on('call:status', (call: { args: [{ fill?: string; text?: string }] }) =>
      statuses.push(call.args[0]),
    );
    const caught = once(helper.getNode('caught'), 'input');
    wol.receive({ payload: 1234 });
    const [msg] = (await caught) as [{ error: { message: string } }];
    assert.match(msg.error.message, /no target in msg.target/);
    assert.equal(statuses.at(-1)?.fill, 'red');
    assert.equal(received.length, 0);
  });

  test('text that is no MAC, address, host name or sleeper is refused without a lookup', async () => {
    await helper.load([wakeOnLan, catchNode], flow({}));
    const caught = once(helper.getNode('caught'), 'input');
    helper.getNode('wol').receive({ payload: 'not a mac' });
    const [msg] = (await caught) as [{ error: { message: string } }];
    assert.match(msg.error.message, /not a MAC, IP address, host name or known sleeper/);
  });

  test('a host name without a neighbour entry is an error naming it', async () => {
    await helper.load([wakeOnLan, catchNode], flow({}));
    const caught = once(helper.getNode('caught'), 'input');
    helper.getNode('wol').receive({ target: 'localhost' });
    const [msg] = (await caught) as [{ error: { message: string } }];
    assert.match(msg.error.message, /no MAC known for localhost \(127\.0\.0\.1\)/);
  });

  test('a registered sleeper is woken by name with its wake MAC and password', async () => {
    const unregister = registerSleeperSource({
      lookup: (name) =>
        name === 'the-nas'
          ? {
              mac: '02:00:00:00:00:aa',
              wakeMac: '02:00:00:00:00:ab',
              password: Buffer.from([9, 8, 7, 6]),
              ipv4: '127.0.0.1',
            }
          : undefined,
    });
    try {
      await helper.load([wakeOnLan, catchNode], flow({}));
      const message = once(helper.getNode('out'), 'input');
      helper.getNode('wol').receive({ payload: 'the-nas.local' });
      const [msg] = (await message) as [
        CapturedMessage & { payload: { source: string; ip: string; target: string } },
      ];
      assert.equal(msg.payload.mac, '02:00:00:00:00:ab');
      assert.equal(msg.payload.source, 'sleeper');
      assert.equal(msg.payload.ip, '127.0.0.1');
      assert.equal(msg.payload.target, 'the-nas.local');
      await waitFor(1);
      const parsed = parseMagicPacket(received[0]);
      assert.ok(parsed.ok);
      assert.deepEqual(parsed.value.password, Buffer.from([9, 8, 7, 6]));
    } finally {
      unregister();
    }
  });

  test('wait until awake: a TCP probe that connects reports awake in one message', async () => {
    const server = net.createServer((s) => s.destroy()).listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const probePort = String((server.address() as AddressInfo).port);
      await helper.load(
        [wakeOnLan, catchNode],
        flow({ mac: '02:00:00:00:00:01', wait: true, probe: 'tcp', probePort, timeout: '5' }),
      );
      const wol = helper.getNode('wol') as unknown as EventEmitter & { receive(msg: object): void };
      const statuses: { fill?: string; text?: string }[] = [];
      wol.on('call:status', (call: { args: [{ fill?: string; text?: string }] }) =>
        statuses.push(call.args[0]),
      );
      const message = once(helper.getNode('out'), 'input');
      wol.receive({ ip: '127.0.0.1' });
      const [msg] = (await message) as [
        {
          topic: string;
          payload: {
            awake: boolean;
            attempts: number;
            elapsed: number;
            probe: string;
            mac: string;
            packets: number;
          };
        },
      ];
      assert.equal(msg.topic, 'wake');
      assert.equal(msg.payload.mac, '02:00:00:00:00:01');
      assert.equal(msg.payload.packets, 2);
      assert.equal(msg.payload.probe, 'tcp');
      assert.equal(msg.payload.awake, true);
      assert.equal(msg.payload.attempts, 1);
      assert.ok(msg.payload.elapsed >= 0 && msg.payload.elapsed < 2000);
      assert.ok(statuses.some((st) => st.fill === 'yellow' && st.text === 'waking… 1'));
      assert.equal(statuses.at(-1)?.fill, 'green');
    } finally {
      server.close();
    }
  });

  test('wait until awake without an address to probe is an error', async () => {
    await helper.load([wakeOnLan, catchNode], flow({ mac: '02:00:00:00:00:77', wait: true }));
    const caught = once(helper.getNode('caught'), 'input');
    helper.getNode('wol').receive({});
    const [msg] = (await caught) as [{ error: { message: string } }];
    assert.match(msg.error.message, /no IP address to probe/);
  });

  test('a bad SecureOn password is refused', async () => {
    await helper.load([wakeOnLan, catchNode], flow({ mac: '02:00:00:00:00:01' }));
    const caught = once(helper.getNode('caught'), 'input');
    helper.getNode('wol').receive({ password: '01:02:03' });
    const [msg] = (await caught) as [{ error: { message: string } }];
    assert.match(msg.error.message, /4 or 6 bytes/);
  });

  test('the Ethernet form on a missing interface fails cleanly, never crashing the runtime', async () => {
    await helper.load(
      [wakeOnLan, catchNode],
      flow({ mac: '02:00:00:00:00:01', mode: 'ethernet', interface: 'nosuch0' }),
    );
    const caught = once(helper.getNode('caught'), 'input');
    helper.getNode('wol').receive({});
    const [msg] = (await caught) as [{ error: { message: string } }];
    assert.match(msg.error.message, /nosuch0/);
  });
});
