// The "mdns browse" and "mdns advertise" nodes in a real Node-RED runtime, on the loopback interface
// (multicast on lo stays inside this machine): message shapes, list, renaming, goodbyes on close, and
// errors reported as status and to Catch nodes.
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { helper, nodeRedVersion, startServer, stopServer } from '../support/node-red';
import { AdvertiseService } from '../../src/discovery/advertise-service';
import { BrowseService } from '../../src/discovery/browse-service';
import type { BrowseEvent } from '../../src/discovery/browse-cache';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const mdnsNodes = require('../../nodes/mdns');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require(
  require.resolve('@node-red/nodes/core/common/25-catch.js', {
    paths: [require.resolve(process.env.SPS_NODE_RED ?? 'node-red')],
  }),
);

interface Msg {
  topic: string;
  payload: Record<string, unknown> & { name?: string };
  error?: { message: string };
}

/** Types unique per run, so parallel test files and leftovers of an earlier run do not mix in. */
const TYPE = `_nr${process.pid % 100000}._tcp`;

type Flow = Parameters<typeof helper.load>[1];
const load = (flow: object[]) => helper.load([mdnsNodes, catchNode], flow as Flow);
/** The test helper's node as the event emitter it is (its typings only know 'close'). */
const emitter = (id: string) => helper.getNode(id) as unknown as EventEmitter;

function nextMsg(nodeId: string, pred: (m: Msg) => boolean, timeoutMs = 6000): Promise<Msg> {
  const node = emitter(nodeId);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      node.off('input', on);
      reject(new Error(`no matching message at ${nodeId} within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (m: Msg) => {
      if (!pred(m)) return;
      clearTimeout(timer);
      node.off('input', on);
      resolve(m);
    };
    node.on('input', on);
  });
}

const tab = { id: 'f1', type: 'tab' };
const catcher = [
  { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', z: 'f1', type: 'helper' },
];

describe(`mdns nodes (Node-RED ${nodeRedVersion})`, () => {
  beforeEach(() => startServer());
  afterEach(() => stopServer());

  test('browse sees an advertised service up with its details, lists it, and sees it down on redeploy', async () => {
    const watcher = await BrowseService.start({ interface: 'lo', types: [TYPE] });
    const watched: BrowseEvent[] = [];
    watcher.on('event', (e) => watched.push(e));
    try {
      await load([
        tab,
        { id: 'browser', z: 'f1', type: 'mdns browse', types: TYPE, interface: 'lo', wires: [['found']] },
        { id: 'found', z: 'f1', type: 'helper' },
        {
          id: 'adv',
          z: 'f1',
          type: 'mdns advertise',
          service: 'Flow Service',
          serviceType: TYPE,
          port: '1880',
          txt: '{"path":"/ui","n":"1"}',
          host: 'nr-test',
          interface: 'lo',
          wires: [['advertised']],
        },
        { id: 'advertised', z: 'f1', type: 'helper' },
        ...catcher,
      ]);
      const up = nextMsg('found', (m) => m.topic === 'up');
      const announced = await nextMsg('advertised', (m) => m.topic === 'announced');
      assert.deepEqual(announced.payload, {
        name: 'Flow Service',
        fqdn: `Flow Service.${TYPE}.local`,
        type: TYPE,
        port: 1880,
        host: 'nr-test.local',
      });
      const found = await up;
      assert.deepEqual(found.payload, {
        name: 'Flow Service',
        fqdn: `Flow Service.${TYPE}.local`,
        type: `${TYPE}.local`,
        host: 'nr-test.local',
        port: 1880,
        addresses: ['127.0.0.1'],
        txt: { path: '/ui', n: '1' },
      });
      const listed = nextMsg('found', (m) => m.topic === 'list');
      helper.getNode('browser').receive({ payload: 'list' });
      const list = (await listed).payload as unknown as unknown[];
      assert.equal(list.length, 1);

      // An update from a message: a new port is published (after probing again).
      const updated = nextMsg('found', (m) => m.topic === 'update');
      helper.getNode('adv').receive({ payload: { port: 1881 } });
      assert.equal((await updated).payload.port, 1881);
    } finally {
      await helper.unload();
      // The advertiser's goodbyes reach the independent browser.
      for (let i = 0; i < 40 && !watched.some((e) => e.kind === 'down'); i++)
        await new Promise((r) => setTimeout(r, 50));
      await watcher.stop();
    }
    assert.ok(watched.some((e) => e.kind === 'up'));
    assert.ok(
      watched.some((e) => e.kind === 'down'),
      'goodbye seen after close',
    );
  });

  test('advertise renames on a conflict and reports it', async () => {
    const other = await AdvertiseService.start({
      interface: 'lo',
      name: 'Taken',
      type: TYPE,
      port: 1,
      host: 'nr-other',
    });
    try {
      await once(other, 'event'); // probed
      await load([
        tab,
        {
          id: 'adv',
          z: 'f1',
          type: 'mdns advertise',
          service: 'Taken',
          serviceType: TYPE,
          port: '2',
          host: 'nr-mine',
          interface: 'lo',
          wires: [['out']],
        },
        { id: 'out', z: 'f1', type: 'helper' },
      ]);
      const renamed = await nextMsg('out', (m) => m.topic === 'renamed');
      assert.equal(renamed.payload.from, `Taken.${TYPE}.local`);
      assert.equal(renamed.payload.to, `Taken (2).${TYPE}.local`);
      const announced = await nextMsg('out', (m) => m.topic === 'announced');
      assert.equal(announced.payload.name, 'Taken (2)');
    } finally {
      await other.stop();
    }
  });

  test('errors: a bad browse type, a bad advertise message, an unknown browse command', async () => {
    await load([
      tab,
      { id: 'badtype', z: 'f1', type: 'mdns browse', types: 'http', interface: 'lo', wires: [[]] },
      { id: 'browser', z: 'f1', type: 'mdns browse', types: TYPE, interface: 'lo', wires: [[]] },
      {
        id: 'adv',
        z: 'f1',
        type: 'mdns advertise',
        service: '',
        serviceType: TYPE,
        port: '',
        interface: 'lo',
        wires: [[]],
      },
      ...catcher,
    ]);
    const statuses: { fill?: string; text?: string }[] = [];
    emitter('adv').on('call:status', (call: { args: [{ fill?: string; text?: string }] }) =>
      statuses.push(call.args[0]),
    );
    let caught = nextMsg('caught', () => true);
    helper.getNode('adv').receive({ payload: { name: 'A', type: TYPE, port: 99999 } });
    assert.match((await caught).error?.message ?? '', /port must be 0-65535/);
    assert.equal(statuses.at(-1)?.fill, 'red');
    caught = nextMsg('caught', () => true);
    helper.getNode('adv').receive({ payload: { name: 'A', type: 'nope', port: 1 } });
    assert.match((await caught).error?.message ?? '', /_http._tcp/);
    caught = nextMsg('caught', () => true);
    helper.getNode('adv').receive({ payload: { name: 'A', type: TYPE, port: 1, txt: { a: { nested: 1 } } } });
    assert.match((await caught).error?.message ?? '', /txt must be an object/);
    caught = nextMsg('caught', () => true);
    helper.getNode('browser').receive({ payload: 'what' });
    assert.match((await caught).error?.message ?? '', /"list"/);
  });

  test('an interface without IPv4 turns the status red', async () => {
    await load([
      tab,
      { id: 'browser', z: 'f1', type: 'mdns browse', types: TYPE, interface: 'nosuch0', wires: [[]] },
    ]);
    const node = emitter('browser');
    const statuses: { fill?: string; text?: string }[] = [];
    node.on('call:status', (call: { args: [{ fill?: string; text?: string }] }) =>
      statuses.push(call.args[0]),
    );
    for (let i = 0; i < 40 && statuses.at(-1)?.fill !== 'red'; i++)
      await new Promise((r) => setTimeout(r, 25));
    assert.equal(statuses.at(-1)?.fill, 'red');
    assert.match(statuses.at(-1)?.text ?? '', /nosuch0/);
  });
});
