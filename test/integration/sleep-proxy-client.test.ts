// The `sleep-proxy-client` command against our `sleep-proxy` command on the test LAN: the client in the
// sleeper host (which publishes _ssh._tcp with our mDNS advertiser) finds the proxy by browsing, ranks
// and registers with it; the proxy reports the sleeper's addresses and service; once the sleeper sleeps
// the waker's arping gets the proxy's MAC; after the wake, `sleep-proxy-client announce` (new Owner seq)
// makes the proxy drop it via the Owner option.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { ResponderEvent } from '../../src/core/mdns/responder';
import {
  lanUnavailableReason,
  TestLan,
  toolUnavailableReason,
  type LanHost,
  type NodeChild,
} from '../support/lan';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import type * as MdnsAgent from './agents/mdns-agent';
import { nextMatching } from './agents/next-event';

const CLIENT_CLI = join(__dirname, '..', '..', 'src', 'client', 'cli.js');
const MDNS_AGENT = join(__dirname, 'agents', 'mdns-agent.js');
const PORT = 5354;

describe(
  'sleep-proxy-client on the test LAN',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('arping') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let sleeper: LanHost;
    let advertiser: NodeChild<typeof MdnsAgent>;
    const proxyState = mkdtempSync(join(tmpdir(), 'sps-state-'));
    const clientState = mkdtempSync(join(tmpdir(), 'spc-state-'));

    const client = (...args: string[]) =>
      sleeper.exec(process.execPath, [
        CLIENT_CLI,
        ...args,
        '--interface',
        'eth0',
        '--state-dir',
        clientState,
      ]);

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10', 'waker:20'] });
      sleeper = lan.host('sleeper');
      proxy = await startSleepProxy(lan.host('proxy'), { stateDir: proxyState, port: PORT });
      advertiser = await sleeper.runNode<typeof MdnsAgent>(MDNS_AGENT);
      await advertiser.call('advertise', {
        interface: 'eth0',
        name: 'sleeper',
        type: '_ssh._tcp',
        port: 22,
        host: 'sleeper',
      });
      await nextMatching<ResponderEvent>(advertiser, 'advertise', (e) => e.kind === 'announced');
    });
    after(async () => {
      await advertiser?.close();
      await proxy?.stop();
      await lan?.destroy();
      rmSync(proxyState, { recursive: true, force: true });
      rmSync(clientState, { recursive: true, force: true });
    });

    test('finds the proxy, registers the addresses and the advertised service; the proxy takes over on sleep', async () => {
      const run = await client('--hostname', 'sleeper', '--browse-time', '2');
      assert.equal(run.code, 0, run.stderr);
      assert.match(
        run.stdout,
        new RegExp(`eth0: registered with ".*Test Proxy" at ${lan.host('proxy').ipv4}:${PORT}, lease 7200 s`),
      );
      const registered = await proxy.event('registered', 2000);
      const view = registered.sleeper as {
        hostMac: string;
        wakeMac: string;
        addresses: string[];
        services: { port: number }[];
      };
      assert.equal(view.hostMac, sleeper.mac);
      assert.equal(view.wakeMac, sleeper.mac);
      assert.deepEqual([...view.addresses].sort(), [sleeper.ipv4, sleeper.ipv6, sleeper.linkLocal].sort());
      assert.deepEqual(
        view.services.map((s) => s.port),
        [22],
      );

      await sleeper.sleep();
      await proxy.event('takeover', 15_000, (l) => l.address === sleeper.ipv4);
      const arp = await lan.host('waker').exec('arping', ['-c', '2', '-w', '3', '-I', 'eth0', sleeper.ipv4]);
      assert.match(arp.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac));
    });

    test('after the wake, the announce mode (new seq) makes the proxy drop the sleeper via the Owner option', async () => {
      // A resumed kernel may ARP before the announcement leaves, and the proxy's non-Apple heuristic
      // (§4.5) would call that the wake: keep ARP/NDP quiet so the Owner option is the only witness.
      const arp = (state: 'on' | 'off') => sleeper.exec('ip', ['link', 'set', 'dev', 'eth0', 'arp', state]);
      assert.equal((await arp('off')).code, 0);
      await sleeper.wake({ announce: false });
      const run = await client('announce');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`eth0: announced owner ${sleeper.mac} seq 1`));
      assert.equal(readFileSync(join(clientState, 'owner-seq'), 'utf8').trim(), '1');
      const woke = await proxy.event('woke', 3000);
      assert.equal(woke.via, 'owner-option');
      assert.equal((await arp('on')).code, 0);
    });

    test('a proxy and a service given by hand: no browsing, only that service is registered', async () => {
      const proxyAt = `${lan.host('proxy').ipv4}:${PORT}`;
      const run = await client('--proxy', proxyAt, '--service', '_http._tcp:8080', '--no-browse-services');
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, new RegExp(`registered with "${proxyAt}" at ${proxyAt}, lease 7200 s`));
      const registered = await proxy.event('registered', 2000, (l) =>
        (l.sleeper as { services: { port: number }[] }).services.some((s) => s.port === 8080),
      );
      const view = registered.sleeper as { services: { port: number }[] };
      assert.deepEqual(
        view.services.map((s) => s.port),
        [8080],
      );
    });

    test('with no proxy on the link the command fails with a clear message', async () => {
      await proxy.stop();
      const run = await client('--no-browse-services', '--browse-time', '1');
      assert.equal(run.code, 1);
      assert.match(run.stderr, /eth0: not registered: no sleep proxy to register with/);
    });
  },
);
