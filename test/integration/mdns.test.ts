// mdns advertise/browse on the test LAN against python3-zeroconf as the third-party responder:
// a service we advertise is resolved by zeroconf and its goodbye seen when we stop; a service zeroconf
// registers shows up in our browser (up) and goes (down) on its goodbye; a name zeroconf already owns
// makes our advertiser rename to "Name (2)".
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowseEvent } from '../../src/discovery/browse-cache';
import type { ResponderEvent } from '../../src/core/mdns/responder';
import { lanUnavailableReason, TestLan, type NodeChild } from '../support/lan';
import { startZeroconf, zeroconfUnavailableReason } from '../support/zeroconf';
import type * as MdnsAgent from './agents/mdns-agent';
import { nextMatching } from './agents/next-event';

const AGENT = join(__dirname, 'agents', 'mdns-agent.js');

describe(
  'mDNS advertise and browse against python3-zeroconf',
  {
    skip: lanUnavailableReason() ?? zeroconfUnavailableReason(),
  },
  () => {
    let lan: TestLan;
    let agent: NodeChild<typeof MdnsAgent>;

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10'] });
    });
    after(() => lan?.destroy());

    test('zeroconf resolves an advertised service and sees its goodbye', async () => {
      agent = await lan.host('proxy').runNode<typeof MdnsAgent>(AGENT);
      const witness = startZeroconf(lan.host('sleeper'), ['browse', '_sps-test._tcp']);
      try {
        await witness.next((l) => l.event === 'browsing');
        await agent.call('advertise', {
          interface: 'eth0',
          name: 'Kitchen Pi',
          type: '_sps-test._tcp',
          port: 8123,
          txt: { path: '/ui', secure: true },
          host: 'kitchen',
        });
        await nextMatching<ResponderEvent>(agent, 'advertise', (e) => e.kind === 'announced');
        const added = await witness.next((l) => l.event === 'added');
        assert.equal(added.name, 'Kitchen Pi._sps-test._tcp.local.');
        assert.equal(added.server, 'kitchen.local.');
        assert.equal(added.port, 8123);
        assert.deepEqual(added.addresses, [lan.host('proxy').ipv4]);
        assert.deepEqual(added.txt, { path: '/ui', secure: null });
        const from = witness.lines.length;
        await agent.call('stopAdvertising');
        const removed = await witness.next((l) => l.event === 'removed', 5000, from);
        assert.equal(removed.name, 'Kitchen Pi._sps-test._tcp.local.');
      } finally {
        await witness.stop();
        await agent.close();
      }
    });

    test('a zeroconf service comes up in the browser and goes down on its goodbye', async () => {
      agent = await lan.host('proxy').runNode<typeof MdnsAgent>(AGENT);
      await agent.call('browse', { interface: 'eth0', types: ['_sps-test._tcp'] });
      const sleeper = lan.host('sleeper');
      const zc = startZeroconf(sleeper, [
        'register',
        'Printer',
        '_sps-test._tcp',
        '631',
        'printer',
        sleeper.ipv4,
        'rp=ipp',
        'note=hi',
      ]);
      try {
        await zc.next((l) => l.event === 'registered');
        const up = await nextMatching<BrowseEvent>(agent, 'browse', (e) => e.kind === 'up');
        assert.ok(up.kind === 'up');
        assert.deepEqual(
          { ...up.instance },
          {
            name: 'Printer',
            fqdn: 'Printer._sps-test._tcp.local',
            type: '_sps-test._tcp.local',
            host: 'printer.local',
            port: 631,
            addresses: [sleeper.ipv4],
            txt: { rp: 'ipp', note: 'hi' },
          },
        );
        assert.equal((await agent.call('list')).length, 1);
        await zc.stop();
        const down = await nextMatching<BrowseEvent>(agent, 'browse', (e) => e.kind === 'down', 5000);
        assert.ok(down.kind === 'down');
        assert.equal(down.instance.name, 'Printer');
        assert.equal((await agent.call('list')).length, 0);
      } finally {
        await zc.stop();
        await agent.close();
      }
    });

    test('a name zeroconf already owns is renamed "Name (2)"', async () => {
      const sleeper = lan.host('sleeper');
      const zc = startZeroconf(sleeper, ['register', 'Clash', '_sps-test._tcp', '80', 'other', sleeper.ipv4]);
      agent = await lan.host('proxy').runNode<typeof MdnsAgent>(AGENT);
      try {
        await zc.next((l) => l.event === 'registered');
        await agent.call('advertise', {
          interface: 'eth0',
          name: 'Clash',
          type: '_sps-test._tcp',
          port: 81,
          host: 'mine',
        });
        const renamed = await nextMatching<ResponderEvent>(agent, 'advertise', (e) => e.kind === 'renamed');
        assert.ok(renamed.kind === 'renamed');
        assert.equal(renamed.from, 'Clash._sps-test._tcp.local');
        assert.equal(renamed.to, 'Clash (2)._sps-test._tcp.local');
        await nextMatching<ResponderEvent>(agent, 'advertise', (e) => e.kind === 'announced');
        assert.equal((await agent.call('advertised')).name, 'Clash (2)');
      } finally {
        await zc.stop();
        await agent.close();
      }
    });

    test('over IPv4 and IPv6 (ff02::fb): our browser resolves our advertiser with its AAAA records', async () => {
      const advertiser = await lan.host('proxy').runNode<typeof MdnsAgent>(AGENT);
      const browser = await lan.host('sleeper').runNode<typeof MdnsAgent>(AGENT);
      try {
        await browser.call('browse', { interface: 'eth0', ipv6: true, types: ['_sps-v6._tcp'] });
        await advertiser.call('advertise', {
          interface: 'eth0',
          ipv6: true,
          name: 'Dual',
          type: '_sps-v6._tcp',
          port: 5,
          host: 'dual',
        });
        const up = await nextMatching<BrowseEvent>(browser, 'browse', (e) => e.kind === 'up');
        assert.ok(up.kind === 'up');
        const proxy = lan.host('proxy');
        assert.deepEqual(up.instance.addresses, [proxy.ipv4, proxy.ipv6, proxy.linkLocal].sort());
        await advertiser.call('stopAdvertising');
        await nextMatching<BrowseEvent>(browser, 'browse', (e) => e.kind === 'down', 5000);
      } finally {
        await advertiser.close();
        await browser.close();
      }
    });
  },
);
