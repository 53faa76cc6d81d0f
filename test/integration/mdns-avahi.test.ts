// mdns browse/advertise against avahi-daemon (run without D-Bus in a LAN host): avahi's static service
// comes up in our browser and goes down on avahi's goodbyes when it stops; a name avahi owns makes our
// advertiser rename.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { BrowseEvent } from '../../src/discovery/browse-cache';
import type { ResponderEvent } from '../../src/core/mdns/responder';
import { lanUnavailableReason, TestLan } from '../support/lan';
import { AvahiDaemon, avahiUnavailableReason } from '../support/lan/avahi';
import type * as MdnsAgent from './agents/mdns-agent';
import { nextMatching } from './agents/next-event';

const AGENT = join(__dirname, 'agents', 'mdns-agent.js');

describe(
  'mDNS browse and advertise against avahi-daemon',
  { skip: lanUnavailableReason() ?? avahiUnavailableReason() },
  () => {
    let lan: TestLan;

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10'] });
    });
    after(() => lan?.destroy());

    test("avahi's service comes up in the browser and goes down when avahi stops", async () => {
      const agent = await lan.host('proxy').runNode<typeof MdnsAgent>(AGENT);
      await agent.call('browse', { interface: 'eth0', types: [] });
      const avahi = await AvahiDaemon.start(lan.host('sleeper'), {
        hostName: 'avahi-host',
        services: [{ name: 'Avahi Web', type: '_sps-avahi._tcp', port: 8080, txt: ['path=/x', 'flag'] }],
      });
      try {
        const up = await nextMatching<BrowseEvent>(
          agent,
          'browse',
          (e) => e.kind === 'up' && e.instance.name === 'Avahi Web',
        );
        assert.ok(up.kind === 'up');
        assert.deepEqual(
          { ...up.instance },
          {
            name: 'Avahi Web',
            fqdn: 'Avahi Web._sps-avahi._tcp.local',
            type: '_sps-avahi._tcp.local',
            host: 'avahi-host.local',
            port: 8080,
            // publish-aaaa-on-ipv4 (avahi's default) adds the IPv6 address.
            addresses: [lan.host('sleeper').ipv4, lan.host('sleeper').ipv6].sort(),
            txt: { path: '/x', flag: true },
          },
        );
        await avahi.stop();
        const down = await nextMatching<BrowseEvent>(
          agent,
          'browse',
          (e) => e.kind === 'down' && e.instance.name === 'Avahi Web',
          5000,
        );
        assert.ok(down.kind === 'down');
      } finally {
        await avahi.stop();
        await agent.close();
      }
    });

    test('a name avahi owns is renamed "Name (2)"', async () => {
      const avahi = await AvahiDaemon.start(lan.host('sleeper'), {
        hostName: 'avahi-host',
        services: [{ name: 'Shared Name', type: '_sps-avahi._tcp', port: 1 }],
      });
      const agent = await lan.host('proxy').runNode<typeof MdnsAgent>(AGENT);
      try {
        await agent.call('advertise', {
          interface: 'eth0',
          name: 'Shared Name',
          type: '_sps-avahi._tcp',
          port: 2,
          host: 'avahi-host',
        });
        const renamed = await nextMatching<ResponderEvent>(
          agent,
          'advertise',
          (e) => e.kind === 'renamed' && e.from.startsWith('Shared'),
        );
        assert.ok(renamed.kind === 'renamed');
        assert.equal(renamed.to, 'Shared Name (2)._sps-avahi._tcp.local');
        await nextMatching<ResponderEvent>(agent, 'advertise', (e) => e.kind === 'announced');
        const advertised = await agent.call('advertised');
        assert.equal(advertised.name, 'Shared Name (2)');
        // Same host name, different address: the host is renamed too.
        assert.equal(advertised.host, 'avahi-host-2.local');
      } finally {
        await agent.close();
        await avahi.stop();
      }
    });
  },
);
