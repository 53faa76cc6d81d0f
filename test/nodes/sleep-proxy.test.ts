// The sleep proxy nodes in a real Node-RED runtime. In the root namespace: a config node that cannot
// start (unknown interface) gives a red status and a log line, never a crash, and commands end in
// done(err) that a Catch node sees; the admin endpoints answer. On the test LAN: the runtime runs in
// the proxy host (an agent), the config node opens real sockets on eth0, the sleeper host sends the
// captured Apple registration, and the flow's output carries registered / takeover / wake messages
// of the documented shape; the admin API lists and wakes; a redeploy keeps the sleeper (journal);
// the allow-list silences hosts that are not on it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import type { ProxyEvent, SleeperView } from '../../src/core/events';
import { eventMessage } from '../../nodes/sleep-proxy-shared';
import { helper, nodeRedVersion, startServer, stopServer } from '../support/node-red';
import { fixturePath, repoRoot } from '../support/paths';
import { udpDatagrams } from '../support/udp-payloads';
import {
  lanUnavailableReason,
  TestLan,
  toolUnavailableReason,
  type LanHost,
  type NodeChild,
} from '../support/lan';
import { nextMatching } from '../integration/agents/next-event';
import type * as Client from '../integration/agents/registration-client-agent';
import type * as NodeRed from './agents/sleep-proxy-node-agent';
import { nextStatus as nextStatusOf } from './proxy-lan-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const configNode = require('../../nodes/sleep-proxy-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyNode = require('../../nodes/sleep-proxy');

const execFileAsync = promisify(execFile);
const EXAMPLES = ['notify-when-a-host-sleeps', 'wake-the-nas-before-backup', 'log-wake-reasons'];
const nodeRedRuntime = process.env.SPS_NODE_RED ?? 'node-red';
const AGENT = join(__dirname, 'agents', 'sleep-proxy-node-agent.js');
const CLIENT = join(__dirname, '..', 'integration', 'agents', 'registration-client-agent.js');
const SLEEPER_MAC = '02:53:50:00:00:0a';
const PORT = 5354;

interface Msg {
  topic: string;
  payload: Record<string, unknown> & { hostMac?: string; name?: string };
  error?: { message: string };
}
interface Status {
  fill?: string;
  text?: string;
}

const flow = (config: Record<string, unknown>, proxyExtra: Record<string, unknown> = {}) => [
  { id: 'f1', type: 'tab' },
  { id: 'cfg', type: 'sleep-proxy-config', port: String(PORT), ...config },
  { id: 'sp', z: 'f1', type: 'sleep proxy', proxy: 'cfg', wires: [['out']], ...proxyExtra },
  { id: 'out', z: 'f1', type: 'helper' },
  { id: 'catcher', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
  { id: 'caught', z: 'f1', type: 'helper' },
];

describe('event messages', () => {
  const sleeper: SleeperView = {
    key: SLEEPER_MAC,
    interface: 'eth0',
    name: 'nas.local',
    hostMac: SLEEPER_MAC,
    wakeMac: SLEEPER_MAC,
    addresses: ['10.77.0.10'],
    services: [{ name: 'NAS', type: '_smb._tcp', port: 445 }],
    leaseEnd: 1_700_000_000_000,
    state: 'proxied',
  };
  const msg = (event: ProxyEvent) => eventMessage({ ...event, interface: 'eth0' });

  test('topic is the event type; payload the sleeper plus the event detail (reason, waker, via, address)', () => {
    assert.deepEqual(msg({ type: 'registered', sleeper }), { topic: 'registered', payload: { ...sleeper } });
    assert.deepEqual(msg({ type: 'expired', sleeper }).payload, { ...sleeper });
    assert.deepEqual(msg({ type: 'takeover', sleeper, address: '10.77.0.10' }).payload, {
      ...sleeper,
      address: '10.77.0.10',
    });
    const reason = { kind: 'syn', port: 445, from: '10.77.0.20' } as const;
    assert.deepEqual(msg({ type: 'wake', sleeper, reason }), {
      topic: 'wake',
      payload: { ...sleeper, reason, waker: '10.77.0.20' },
    });
    assert.deepEqual(msg({ type: 'wake-failed', sleeper, reason: { kind: 'lease-end' } }).payload, {
      ...sleeper,
      reason: { kind: 'lease-end' },
    });
    assert.deepEqual(msg({ type: 'woke', sleeper, via: 'arp' }), {
      topic: 'woke',
      payload: { ...sleeper, via: 'arp' },
    });
    const copy = msg({ type: 'renewed', sleeper });
    assert.notEqual(copy.payload.addresses, sleeper.addresses, 'each message has its own copy');
  });
});

describe(`sleep proxy nodes, root namespace (Node-RED ${nodeRedVersion})`, () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-node-'));
  beforeEach(() => startServer());
  afterEach(() => stopServer());
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  async function statusOf(id: string, pred: (s: Status) => boolean): Promise<Status> {
    const node = helper.getNode(id) as unknown as { status: { args: [Status][] } };
    for (let i = 0; i < 200; i++) {
      const calls = (node.status as unknown as { getCalls(): { args: [Status] }[] }).getCalls();
      const hit = calls.map((c) => c.args[0]).find(pred);
      if (hit) return hit;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail(`no such status of ${id}`);
  }

  test('an unknown interface gives a red status with the reason and a log line; the runtime keeps running', async () => {
    await helper.load([configNode, proxyNode], flow({ interface: 'nosuch0', stateDir }));
    const red = await statusOf('sp', (s) => s.fill === 'red');
    assert.equal(red.text, 'no interface nosuch0');
    const logged = helper
      .log()
      .args.map((a: unknown[]) => a[0] as { level: number; msg: unknown; type: string })
      .filter((l: { level: number; type: string }) => l.type === 'sleep-proxy-config' && l.level === 20);
    assert.ok(logged.length > 0, 'an error log line from the config node');
    // Commands now end in done(err), which the Catch node sees.
    const caught = once(helper.getNode('caught'), 'input');
    helper.getNode('sp').receive({ topic: 'list' });
    const [msg] = (await caught) as [Msg];
    assert.match(msg.error!.message, /not running: no interface nosuch0/);
  });

  test(
    'without CAP_NET_RAW: a red "needs CAP_NET_RAW" status and an error log line, no crash',
    { skip: toolUnavailableReason('setpriv') },
    async () => {
      const probe = join(__dirname, 'agents', 'sleep-proxy-status-probe.js');
      const { stdout } = await execFileAsync('setpriv', [
        ...['--inh-caps=-net_raw', '--bounding-set=-net_raw'],
        ...[process.execPath, probe, stateDir],
      ]);
      const result = JSON.parse(stdout.trim().split('\n').pop()!) as { status: Status; errors: string[] };
      assert.deepEqual(result.status, { fill: 'red', shape: 'ring', text: 'needs CAP_NET_RAW' });
      assert.ok(
        result.errors.some((e) => /sleep proxy on lo/.test(e)),
        JSON.stringify(result.errors),
      );
    },
  );

  test('an invalid "sleep", unknown commands and missing targets are errors a Catch node sees', async () => {
    await helper.load([configNode, proxyNode], flow({ interface: 'nosuch0', stateDir }));
    const caught = helper.getNode('caught');
    for (const [input, expected] of [
      [{ topic: 'sleep', payload: { name: 'nas' } }, /sleep: mac must be a MAC address/],
      [{ payload: { command: 'dance' } }, /unknown command "dance"/],
      [{ topic: 'wake' }, /wake needs a target/],
    ] as const) {
      const next = once(caught, 'input');
      helper.getNode('sp').receive(input);
      const [msg] = (await next) as [Msg];
      assert.match(msg.error!.message, expected);
    }
  });

  test('a flow node without its config node shows a red status', async () => {
    const lonely = [
      { id: 'f1', type: 'tab' },
      { id: 'sp', z: 'f1', type: 'sleep proxy', proxy: 'missing', wires: [[]] },
    ];
    await helper.load([configNode, proxyNode], lonely as Parameters<typeof helper.load>[1]);
    const red = await statusOf('sp', (s) => s.fill === 'red');
    assert.equal(red.text, 'no proxy configured');
  });

  test('every example flow loads and starts (on an interface that does not exist here)', async () => {
    const core = (path: string): unknown =>
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      require(require.resolve(`@node-red/nodes/core/${path}`, { paths: [require.resolve(nodeRedRuntime)] }));
    const coreNodes = [
      'common/20-inject.js',
      'common/21-debug.js',
      'function/10-function.js',
      'function/80-template.js',
    ];
    for (const example of EXAMPLES) {
      const nodes = JSON.parse(readFileSync(join(repoRoot, 'examples', `${example}.json`), 'utf8')) as {
        type: string;
        interface?: string;
      }[];
      // Never the machine's real eth0: the proxy would announce itself on the real network.
      for (const n of nodes)
        if (n.type === 'sleep-proxy-config') Object.assign(n, { interface: 'nosuch0', stateDir });
      assert.ok(nodes.some((n) => n.type === 'sleep proxy'));
      await helper.load(
        [configNode, proxyNode, ...coreNodes.map(core)],
        nodes as Parameters<typeof helper.load>[1],
      );
      await helper.unload();
    }
  });

  test('admin endpoints: interfaces, the sleepers of each proxy, and wake errors', async () => {
    await helper.load([configNode, proxyNode], flow({ interface: 'nosuch0', stateDir }));
    await statusOf('sp', (s) => s.fill === 'red');
    const interfaces = await helper.request().get('/sleep-proxy/interfaces').expect(200);
    assert.ok((interfaces.body as { name: string }[]).some((i) => i.name === 'lo'));
    const sleepers = await helper.request().get('/sleep-proxy/sleepers').expect(200);
    const body = sleepers.body as { now: number; proxies: { id: string; state: string; reason: string }[] };
    assert.equal(typeof body.now, 'number');
    assert.deepEqual(
      body.proxies.map((p) => [p.id, p.state, p.reason]),
      [['cfg', 'failed', 'no interface nosuch0']],
    );
    await helper.request().post('/sleep-proxy/wake').send({}).expect(400);
    const missing = await helper.request().post('/sleep-proxy/wake').send({ target: 'nas' }).expect(404);
    assert.match((missing.body as { error: string }).error, /no sleeper nas/);
  });
});

describe('sleep proxy nodes on the test LAN', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  let sleeper: LanHost;
  let red: NodeChild<typeof NodeRed>;
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-node-lan-'));
  const update = udpDatagrams(fixturePath('mdnsresponder-registration.pcap')).find(
    (d) => d.dstPort === PORT,
  )!;

  /** Forgets queued agent events, so that a wait sees only what happens next. */
  async function drain(): Promise<void> {
    for (const name of ['message', 'status', 'comms'])
      await (async () => {
        for (;;) await red.next(name, 1);
      })().catch(() => undefined);
  }
  async function nextMessage(id: string, topic: string, timeoutMs = 8000): Promise<Msg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [from, msg] = (await red.next('message', Math.max(1, deadline - Date.now()))) as [string, Msg];
      if (from === id && msg.topic === topic) return msg;
    }
  }
  const nextStatus = (pred: (s: Status) => boolean, timeoutMs = 8000) => nextStatusOf(red, pred, timeoutMs);
  async function register(): Promise<Buffer> {
    const client = await sleeper.runNode<typeof Client>(CLIENT);
    try {
      const reply = await client.call(
        'exchange',
        'udp4',
        lan.host('proxy').ipv4,
        PORT,
        update.payload,
        5353,
        3000,
      );
      return reply.data;
    } finally {
      await client.close();
    }
  }

  before(async () => {
    lan = await TestLan.create({
      hosts: ['proxy:2', { name: 'sleeper', n: 10, mac: SLEEPER_MAC }, 'waker:20'],
    });
    sleeper = lan.host('sleeper');
    red = await lan.host('proxy').runNode<typeof NodeRed>(AGENT);
  });
  after(async () => {
    await red?.close();
    await lan?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('starts green with 0 sleeping; a registration becomes a "registered" message', async () => {
    await drain();
    const green = nextStatus((s) => s.fill === 'green');
    await red.call('load', flow({ interface: 'eth0', stateDir }));
    assert.equal((await green).text, '0 sleeping');
    const registered = nextMessage('out', 'registered');
    const comms = nextMatching<string>(red, 'comms', (topic) => topic === 'sleep-proxy/event');
    await register();
    const msg = await registered;
    assert.equal(msg.payload.hostMac, SLEEPER_MAC);
    assert.equal(msg.payload.wakeMac, SLEEPER_MAC);
    assert.equal(msg.payload.interface, 'eth0');
    assert.equal(msg.payload.state, 'probing'); // claiming its addresses until it goes silent
    assert.ok((msg.payload.addresses as string[]).includes(sleeper.ipv4));
    assert.ok((msg.payload.services as { port: number }[]).some((s) => s.port === 22));
    assert.ok((msg.payload.leaseEnd as number) > Date.now());
    await comms;
    assert.equal((await nextStatus((s) => s.fill === 'green' && s.text === '1 sleeping')).text, '1 sleeping');
  });

  test('the proxy takes over the silent sleeper\'s address: a "takeover" message', async () => {
    await sleeper.sleep();
    const msg = await nextMessage('out', 'takeover', 15_000);
    assert.equal(msg.payload.hostMac, SLEEPER_MAC);
    assert.equal(typeof msg.payload.address, 'string');
  });

  test('admin API lists the sleeper; an unknown host is a 404 and a Catch-able error', async () => {
    const { status, body } = await red.call('request', 'get', '/sleep-proxy/sleepers');
    assert.equal(status, 200);
    const proxies = (body as { proxies: { state: string; sleepers: { hostMac: string }[] }[] }).proxies;
    assert.equal(proxies[0].state, 'running');
    assert.deepEqual(
      proxies[0].sleepers.map((s) => s.hostMac),
      [SLEEPER_MAC],
    );
    assert.equal((await red.call('request', 'post', '/sleep-proxy/wake', { target: 'nobody' })).status, 404);
    const caught = nextMessage('caught', 'wake');
    await red.call('inject', 'sp', { topic: 'wake', payload: 'nobody.local' });
    assert.match((await caught).error!.message, /no sleeper nobody.local/);
  });

  test('a redeploy closes and reopens the proxy and the sleeper survives (list command)', async () => {
    await drain();
    await red.call('load', flow({ interface: 'eth0', stateDir }));
    await nextStatus((s) => s.fill === 'green' && s.text === '1 sleeping');
    const listed = nextMessage('out', 'list');
    await red.call('inject', 'sp', { topic: 'list' });
    const msg = await listed;
    const sleepers = msg.payload as unknown as { hostMac: string; name: string }[];
    assert.deepEqual(
      sleepers.map((s) => s.hostMac),
      [SLEEPER_MAC],
    );
  });

  test('wake by name (command) gives a "wake" message with the reason; POST wake works too', async () => {
    await drain();
    const listed = nextMessage('out', 'list');
    await red.call('inject', 'sp', { topic: 'list' });
    const name = ((await listed).payload as unknown as { name: string }[])[0].name;
    const woken = nextMessage('out', 'wake');
    const yellow = nextStatus((s) => s.fill === 'yellow');
    await red.call('inject', 'sp', { payload: { command: 'wake', target: name } });
    const msg = await woken;
    assert.equal(msg.payload.hostMac, SLEEPER_MAC);
    assert.deepEqual(msg.payload.reason, { kind: 'command' });
    assert.equal(msg.payload.state, 'waking');
    await yellow;
    const posted = await red.call('request', 'post', '/sleep-proxy/wake', { target: SLEEPER_MAC });
    assert.equal(posted.status, 200);
    assert.equal((posted.body as { sleeper: { hostMac: string } }).sleeper.hostMac, SLEEPER_MAC);
  });

  test('release forgets the sleeper: a "released" message', async () => {
    const released = nextMessage('out', 'released');
    await red.call('inject', 'sp', { topic: 'release', payload: SLEEPER_MAC });
    assert.equal((await released).payload.hostMac, SLEEPER_MAC);
  });

  test('a host outside the allow-list gets no answer; one on it registers', async () => {
    await sleeper.wake();
    await drain();
    await red.call('load', flow({ interface: 'eth0', stateDir, allow: '10.99.0.0/24' }));
    await nextStatus((s) => s.fill === 'green');
    await assert.rejects(register(), /no reply/);
    await drain();
    await red.call('load', flow({ interface: 'eth0', stateDir, allow: `10.99.0.0/24, ${SLEEPER_MAC}` }));
    await nextStatus((s) => s.fill === 'green');
    const registered = nextMessage('out', 'registered');
    await register();
    assert.equal((await registered).payload.hostMac, SLEEPER_MAC);
    await red.call('unload');
  });
});
