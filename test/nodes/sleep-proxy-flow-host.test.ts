// The `sleep` command of the sleep proxy node (issue 7: a host without a Bonjour client, described by
// the flow). Root namespace: invalid descriptions end in errors a Catch node sees, saying what is wrong.
// On the test LAN (Node-RED runs in the proxy host): a silent host slept by message is probed, then taken
// over (arping from the waker gets the proxy's MAC), and a TCP connect from the waker to one of its bare
// ports sends magic packets, seen by tcpdump in the host's namespace; a port it was not given wakes
// nobody. A host that still answers is never taken over: the proxy sees it awake ("woke").
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';
import { capture, lanUnavailableReason, toolUnavailableReason } from '../support/lan';
import { helper, startServer, stopServer } from '../support/node-red';
import { parsePcap } from '../support/pcap';
import { assertMagicPackets, type Msg, NAS_MAC, ProxyLan, proxyFlow } from './proxy-lan-fixture';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const configNode = require('../../nodes/sleep-proxy-config');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxyNode = require('../../nodes/sleep-proxy');

describe('sleep command: invalid host descriptions', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-flow-host-'));
  beforeEach(() => startServer());
  afterEach(() => stopServer());
  after(() => rmSync(stateDir, { recursive: true, force: true }));

  test('each ends in an error a Catch node sees, saying what is wrong', async () => {
    const flow = proxyFlow({ interface: 'nosuch0', stateDir });
    await helper.load([configNode, proxyNode], flow as Parameters<typeof helper.load>[1]);
    const caught = helper.getNode('caught');
    const good = { name: 'nas', mac: NAS_MAC, addresses: ['10.77.0.10'], ports: [22] };
    for (const [payload, expected] of [
      [{ name: 'nas' }, /sleep: mac must be a MAC address/],
      [{ ...good, addresses: ['nas.local'] }, /"nas.local" is not an IPv4 or IPv6 address/],
      [{ ...good, ports: [] }, /give ports or services/],
      [{ ...good, services: [{ name: 'NAS', type: 'smb', port: 445 }] }, /services\[0\]\.type/],
      // A valid description reaches the proxy, which is not running here.
      [good, /not running: no interface nosuch0/],
    ] as const) {
      const next = once(caught, 'input');
      helper.getNode('sp').receive({ topic: 'sleep', payload });
      const [msg] = (await next) as [Msg];
      assert.match(msg.error!.message, expected);
    }
  });
});

describe(
  'sleep command on the test LAN',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'arping') },
  () => {
    let net: ProxyLan;
    const sleepNas = () =>
      net.red.call('inject', 'sp', {
        topic: 'sleep',
        payload: { name: 'nas', mac: NAS_MAC, addresses: [net.nas.ipv4], ports: [22, 445], lease: 600 },
      });

    before(async () => {
      net = await ProxyLan.start(() => ({}));
    });
    after(() => net?.close());

    test('a host that still answers is not taken over: the proxy sees it awake', async () => {
      await sleepNas();
      const registered = await net.nextMessage('registered');
      assert.equal(registered.payload.state, 'probing');
      const woke = await net.nextMessage('woke', 10_000);
      assert.equal(woke.payload.hostMac, NAS_MAC);
      assert.ok(!(await net.arpingNas()).includes(net.proxyMac), 'the proxy never answered for it');
    });

    test('a silent host slept by message is probed, then taken over', async () => {
      await net.nas.sleep();
      await sleepNas();
      const registered = await net.nextMessage('registered');
      assert.deepEqual(registered.payload.addresses, [net.nas.ipv4]);
      assert.deepEqual(registered.payload.services, [], 'bare ports are not advertised');
      const takeover = await net.nextMessage('takeover', 10_000);
      assert.equal(takeover.payload.address, net.nas.ipv4);
      assert.match(await net.arpingNas(), new RegExp(net.proxyMac));
    });

    test('a connect to one of its ports sends magic packets; another port wakes nobody', async () => {
      const quiet = await capture(net.nas, 'ether proto 0x0842');
      await net.connect(8080);
      assert.equal(parsePcap(await quiet.stop()).records.length, 0, 'no magic packet for port 8080');
      const woken = await capture(net.nas, 'ether proto 0x0842');
      const wake = net.nextMessage('wake', 5000);
      await net.connect(445);
      assert.deepEqual((await wake).payload.reason, { kind: 'syn', port: 445, from: net.waker.ipv4 });
      await new Promise((r) => setTimeout(r, 2500)); // rounds 1 and 2
      assertMagicPackets(await woken.stop(), NAS_MAC);
      // The host comes back: it is handed its address back.
      const woke = net.nextMessage('woke', 8000);
      await net.nas.wake();
      assert.equal((await woke).payload.hostMac, NAS_MAC);
    });
  },
);
