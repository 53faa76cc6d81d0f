// One sleep-proxy-config node on several interfaces (issue 8). Root namespace: flows saved with the single
// `interface` string load unchanged (one engine on it), the `interfaces` list starts one engine per
// interface (duplicates dropped), and a status names every interface that failed. On two routed test
// segments (Node-RED runs in the router, the one host with a leg on each): a sleeper registers on each
// segment and each message names its interface, each engine journals into its own file of the shared
// state directory, `list` shows both, a `sleep` command goes to the interface whose subnet holds the host,
// a redeploy gives each engine its sleepers back, and a wake by name reaches only the sleeper's segment
// (tcpdump on both bridges). One interface that does not exist leaves the other running, with a yellow
// status and an error log line naming it.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { configInterfaces } from '../../nodes/config-interfaces';
import {
  capture,
  lanUnavailableReason,
  toolUnavailableReason,
  TestSegments,
  type NodeChild,
} from '../support/lan';
import { helper, startServer, stopServer } from '../support/node-red';
import { parsePcap } from '../support/pcap';
import { registerHost } from '../integration/sleeper-registration';
import { parseMagicPacket } from '../../src/wire/wol';
import { drainEvents, nextFromNode, type Msg, proxyFlow, REGISTRATION_PORT } from './proxy-lan-fixture';
import type * as NodeRed from './agents/sleep-proxy-node-agent';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const configNode = require('../../nodes/sleep-proxy-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyNode = require('../../nodes/sleep-proxy');

const AGENT = join(__dirname, 'agents', 'sleep-proxy-node-agent.js');

/** The target MACs of the EtherType 0x0842 magic packets of a capture. */
function magicTargets(pcap: Buffer): string[] {
  return parsePcap(pcap)
    .records.filter((r) => r.data.readUInt16BE(12) === 0x0842)
    .map((r) => {
      const magic = parseMagicPacket(r.data.subarray(14));
      assert.ok(magic.ok, 'a magic packet');
      return magic.value.target;
    });
}

interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}
interface Snapshot {
  proxies: { id: string; interface: string; state: string; reason?: string }[];
}
type Row = { name: string; hostMac: string; interface: string };

describe('several interfaces: the config node settings', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-ifaces-'));
  const load = (config: Record<string, unknown>) =>
    helper.load([configNode, proxyNode], proxyFlow(config) as Parameters<typeof helper.load>[1]);
  beforeEach(() => startServer());
  afterEach(() => stopServer());
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  test('configInterfaces: the list, else the old single interface, else the default; no duplicates', () => {
    const fallback = () => 'eth0';
    assert.deepEqual(configInterfaces({ interface: 'enp3s0' }, fallback), ['enp3s0']);
    assert.deepEqual(configInterfaces({ interface: ' enp3s0 ' }, fallback), ['enp3s0']);
    assert.deepEqual(configInterfaces({ interfaces: ['eth1', 'eth2', 'eth1'] }, fallback), ['eth1', 'eth2']);
    assert.deepEqual(configInterfaces({ interfaces: 'eth1, eth2 eth3' }, fallback), ['eth1', 'eth2', 'eth3']);
    assert.deepEqual(configInterfaces({ interfaces: ['eth1'], interface: 'eth9' }, fallback), ['eth1']);
    assert.deepEqual(configInterfaces({ interfaces: [], interface: 'eth9' }, fallback), ['eth9']);
    assert.deepEqual(configInterfaces({ interfaces: [], interface: '' }, fallback), ['eth0']);
    assert.deepEqual(configInterfaces({}, fallback), ['eth0']);
  });

  async function snapshot(): Promise<[string, string, string | undefined][]> {
    const interfaces = async () =>
      ((await helper.request().get('/sleep-proxy/sleepers').expect(200)).body as Snapshot).proxies;
    for (let i = 0; i < 200 && (await interfaces()).some((p) => p.state === 'starting'); i++)
      await new Promise((r) => setTimeout(r, 10));
    return (await interfaces()).map((p) => [p.id, p.interface, p.reason]);
  }
  async function lastStatus(): Promise<Status> {
    const node = helper.getNode('sp') as unknown as { status: { getCalls(): { args: [Status] }[] } };
    for (let i = 0; i < 200; i++) {
      const calls = node.status.getCalls().map((c) => c.args[0]);
      const last = calls[calls.length - 1];
      if (last && last.fill !== 'grey') return last;
      await new Promise((r) => setTimeout(r, 10));
    }
    assert.fail('no settled status');
  }

  test('a flow saved with the single `interface` string loads unchanged: one engine on it', async () => {
    await load({ interface: 'nosuch0', stateDir });
    assert.deepEqual(await snapshot(), [['cfg', 'nosuch0', 'no interface nosuch0']]);
    assert.deepEqual(await lastStatus(), { fill: 'red', shape: 'ring', text: 'no interface nosuch0' });
  });

  test('the `interfaces` list starts one engine per interface; a red status names each failure', async () => {
    const config = { interfaces: ['nosuch0', 'nosuch1', 'nosuch0'], interface: 'eth0', stateDir };
    await load(config);
    assert.deepEqual(await snapshot(), [
      ['cfg', 'nosuch0', 'no interface nosuch0'],
      ['cfg', 'nosuch1', 'no interface nosuch1'],
    ]);
    assert.deepEqual(await lastStatus(), {
      fill: 'red',
      shape: 'ring',
      text: 'nosuch0: no interface nosuch0; nosuch1: no interface nosuch1',
    });
    const logged = (helper.log().args as [{ level: number; msg: unknown }][])
      .filter(([l]) => l.level === 20)
      .map(([l]) => String(l.msg));
    for (const name of ['nosuch0', 'nosuch1'])
      assert.ok(
        logged.some((l) => l.startsWith(`sleep proxy on ${name}:`)),
        JSON.stringify(logged),
      );
    const caught = once(helper.getNode('caught'), 'input');
    helper.getNode('sp').receive({ topic: 'wake', payload: { target: 'nas', interface: 'eth7' } });
    const [msg] = (await caught) as [Msg];
    assert.match(msg.error!.message, /no interface eth7 \(it serves nosuch0, nosuch1\)/);
  });
});

describe(
  'several interfaces on two test segments',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump') },
  () => {
    let net: TestSegments;
    let red: NodeChild<typeof NodeRed>;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-ifaces-lan-'));
    const flow = (interfaces: string[]) => proxyFlow({ interfaces, stateDir });
    const hosts = () => [
      { host: net.host('alpha'), ifname: 'eth-a', proxy: '10.78.1.1' },
      { host: net.host('bravo'), ifname: 'eth-b', proxy: '10.78.2.1' },
    ];

    const nextMessage = (topic: string, timeoutMs = 8000, id = 'out') =>
      nextFromNode<Msg>(red, 'message', id, (m) => m.topic === topic, timeoutMs);
    const nextStatus = (pred: (s: Status) => boolean, timeoutMs = 8000) =>
      nextFromNode<Status>(red, 'status', 'sp', pred, timeoutMs);
    /** Forgets queued agent events, so that a wait sees only what happens next. */
    const drain = () => drainEvents(red, ['message', 'status']);
    async function list(): Promise<Row[]> {
      const listed = nextMessage('list');
      await red.call('inject', 'sp', { topic: 'list' });
      const rows = (await listed).payload as unknown as Row[];
      return rows.map((r) => ({ name: r.name, hostMac: r.hostMac, interface: r.interface }));
    }
    /** Magic packets on each segment's bridge while `act` runs and 2.5 s after (two wake rounds). */
    async function magicPackets(act: () => Promise<void>): Promise<{ a: Buffer; b: Buffer }> {
      const [a, b] = await Promise.all(
        ['a', 'b'].map((s) => capture(net.segment(s), 'ether proto 0x0842 or udp port 9')),
      );
      await act();
      await new Promise((r) => setTimeout(r, 2500));
      return { a: await a.stop(), b: await b.stop() };
    }

    before(async () => {
      net = await TestSegments.create({
        segments: [
          { name: 'a', hosts: ['alpha:10'] },
          { name: 'b', hosts: ['bravo:10', 'charlie:30'] },
        ],
      });
      red = await net.router!.runNode<typeof NodeRed>(AGENT);
    });
    after(async () => {
      await red?.call('unload').catch(() => undefined);
      await red?.close();
      await net?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('a sleeper registers on each segment; each message names its interface', async () => {
      const green = nextStatus((s) => s.fill === 'green');
      await red.call('load', flow(['eth-a', 'eth-b']));
      assert.equal((await green).text, '0 sleeping, 2 interfaces');
      for (const { host, ifname, proxy } of hosts()) {
        const registered = nextMessage('registered');
        await registerHost(host, proxy, REGISTRATION_PORT);
        await host.sleep();
        const msg = await registered;
        assert.equal(msg.payload.hostMac, host.mac);
        assert.equal(msg.payload.interface, ifname);
      }
      const taken = [await nextMessage('takeover', 10_000), await nextMessage('takeover', 10_000)];
      assert.deepEqual(
        taken.map((m) => [m.payload.address, m.payload.interface]).sort(),
        hosts().map((h) => [h.host.ipv4, h.ifname]),
      );
      await nextStatus((s) => s.text === '2 sleeping, 2 interfaces');
    });

    test('list shows both, each with its interface; each engine journals into its own file', async () => {
      assert.deepEqual(
        (await list()).sort((x, y) => x.name.localeCompare(y.name)),
        hosts().map((h) => ({ name: `${h.host.name}.local`, hostMac: h.host.mac, interface: h.ifname })),
      );
      const files = readdirSync(stateDir).filter((f) => f.endsWith('.journal'));
      assert.deepEqual(files.sort(), ['registry-eth-a.journal', 'registry-eth-b.journal']);
    });

    test('sleep goes to the interface whose subnet holds the host, or the one named', async () => {
      const host = { mac: '02:78:00:02:00:30', ports: [22], lease: 600 };
      const sleep = (payload: object) => red.call('inject', 'sp', { topic: 'sleep', payload });
      let registered = nextMessage('registered');
      await sleep({ ...host, name: 'charlie', addresses: ['10.78.2.30'] });
      assert.equal((await registered).payload.interface, 'eth-b');
      registered = nextMessage('registered');
      await sleep({
        ...host,
        name: 'delta',
        mac: '02:78:00:01:00:31',
        addresses: ['10.99.0.31'],
        interface: 'eth-a',
      });
      assert.equal((await registered).payload.interface, 'eth-a');
      const caught = nextMessage('sleep', 8000, 'caught');
      await sleep({ ...host, name: 'echo', addresses: ['10.99.0.32'] });
      assert.match(
        (await caught).error!.message,
        /sleep: echo: no interface's subnet holds 10\.99\.0\.32: give msg\.payload\.interface \(one of eth-a, eth-b\)/,
      );
      for (const name of ['charlie', 'delta']) {
        const released = nextMessage('released');
        await red.call('inject', 'sp', { topic: 'release', payload: `${name}.local` });
        assert.equal((await released).payload.name, `${name}.local`);
      }
    });

    test('a redeploy gives each engine its own sleepers back', async () => {
      await drain();
      await red.call('load', flow(['eth-a', 'eth-b']));
      await nextStatus((s) => s.fill === 'green' && s.text === '2 sleeping, 2 interfaces');
      assert.deepEqual(
        (await list()).sort((x, y) => x.name.localeCompare(y.name)),
        hosts().map((h) => ({ name: `${h.host.name}.local`, hostMac: h.host.mac, interface: h.ifname })),
      );
    });

    test("a wake by name reaches only the sleeper's segment", async () => {
      const bravo = net.host('bravo');
      const woken = nextMessage('wake');
      const seen = await magicPackets(() =>
        red.call('inject', 'sp', { topic: 'wake', payload: 'bravo.local' }),
      );
      const msg = await woken;
      assert.equal(msg.payload.interface, 'eth-b');
      assert.deepEqual(msg.payload.reason, { kind: 'command' });
      assert.equal(parsePcap(seen.a).records.length, 0, 'no wake traffic on segment a');
      const targets = magicTargets(seen.b);
      assert.ok(targets.length >= 2, `${targets.length} magic packets on segment b`);
      assert.deepEqual(new Set(targets), new Set([bravo.mac]));
    });

    test('a watched host is watched on the interface whose subnet holds it; one that fits none is skipped', async () => {
      const charlie = net.host('charlie');
      await charlie.sleep();
      await drain();
      const watched = [
        { name: 'charlie', mac: charlie.mac, addresses: [charlie.ipv4], ports: [22] },
        { name: 'ghost', mac: '02:78:00:09:00:09', addresses: ['10.99.0.9'], ports: [22] },
      ];
      const config = { interfaces: ['eth-a', 'eth-b'], stateDir, watchInterval: '1', watchSilence: '2' };
      await red.call('load', proxyFlow({ ...config, hosts: JSON.stringify(watched) }));
      const asleep = await nextMessage('asleep', 10_000);
      assert.deepEqual([asleep.payload.hostMac, asleep.payload.interface], [charlie.mac, 'eth-b']);
      const warnings = await red.call('logLines', 'sleep-proxy-config', 30);
      assert.ok(
        warnings.some((w) =>
          /^watched hosts: ghost skipped: no interface's subnet holds 10\.99\.0\.9/.test(w),
        ),
        JSON.stringify(warnings),
      );
    });

    test('an interface that does not exist leaves the other running, with a yellow status naming it', async () => {
      await drain();
      await red.call('load', flow(['eth-a', 'nosuch0']));
      const status = await nextStatus((s) => s.fill !== 'grey');
      assert.deepEqual(status, {
        fill: 'yellow',
        shape: 'ring',
        text: '1 sleeping, 2 interfaces; nosuch0: no interface nosuch0',
      });
      const errors = await red.call('logLines', 'sleep-proxy-config', 20);
      assert.ok(
        errors.some((e) => e.startsWith('sleep proxy on nosuch0:')),
        JSON.stringify(errors),
      );
      assert.deepEqual(await list(), [
        { name: 'alpha.local', hostMac: net.host('alpha').mac, interface: 'eth-a' },
      ]);
      const seen = await magicPackets(() =>
        red.call('inject', 'sp', { topic: 'wake', payload: net.host('alpha').ipv4 }),
      );
      const targets = magicTargets(seen.a);
      assert.ok(targets.length >= 2, `${targets.length} magic packets on segment a`);
      assert.deepEqual(new Set(targets), new Set([net.host('alpha').mac]));
      assert.equal(parsePcap(seen.b).records.length, 0, 'no wake traffic on segment b');
    });
  },
);
