// The sleep proxy next to avahi-daemon on the same host (Raspberry Pi OS and most Linux hosts run one
// on port 5353), with the `sleep-proxy` command as a black box: the captured UPDATE is answered, the
// silent sleeper's address is held (arping), python3-zeroconf in the waker resolves avahi's own
// service, the sleeper's service through our proxy and our `_sleep-proxy._udp` advertisement, and
// datagrams sent unicast to the shared port 5353 reach our stack (a legacy unicast query is answered,
// and a waking sleeper's Owner option sent unicast to the proxy, as macOS IPConfiguration does, drops
// it silently). The kernel hands unicast to 5353 to one socket only, the last bound: the proxy's
// mDNS sockets are bound to the groups and take unicast from the link capture, so avahi, started
// first, keeps getting its own unicast queries and responses.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DnsClass, dnsFlags, encodeDnsMessage, parseDnsMessage } from '../../src/wire/dns';
import { DnsType } from '../../src/wire/dns-rdata';
import { encodeOwnerAnnouncement } from '../../src/wire/sps-owner';
import { parseRegistration, parseRegistrationReply } from '../../src/wire/sps-registration';
import { lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { AvahiDaemon, avahiUnavailableReason } from '../support/lan/avahi';
import { updateDatagrams } from '../support/sps-fixtures';
import { startSleepProxy, type Line, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { startZeroconf, zeroconfUnavailableReason } from '../support/zeroconf';
import type * as Client from './agents/sps-client-agent';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;
const SLEEPER_MAC = '02:53:50:00:00:0a';
const AVAHI_HOST = 'proxybox';
const AVAHI_SERVICE = { name: 'Proxy Box Web', type: '_sps-avahi._tcp', port: 8080 };

const sleeperOf = (l: Line) => (l.sleeper as { hostMac: string }).hostMac;

/** A legacy unicast query (RFC 6762 §6.7: from a port other than 5353) for `name`'s A record. */
const aQuery = (name: string, id: number) =>
  encodeDnsMessage({
    id,
    flags: dnsFlags({}),
    questions: [{ name, type: DnsType.A, class: DnsClass.IN }],
    answers: [],
    authorities: [],
    additionals: [],
  });

describe(
  'sleep proxy next to avahi-daemon on the proxy host',
  {
    skip:
      lanUnavailableReason() ??
      toolUnavailableReason('arping') ??
      avahiUnavailableReason() ??
      zeroconfUnavailableReason(),
  },
  () => {
    let lan: TestLan;
    let avahi: AvahiDaemon;
    let proxy: SleepProxyProcess;
    let proxyHost: LanHost;
    let sleeper: LanHost;
    let waker: LanHost;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-avahi-'));

    /** Sends `payload` from `from` (port `sourcePort`) to the proxy host and returns the parsed replies. */
    async function exchange(
      from: LanHost,
      port: number,
      payload: Buffer,
      sourcePort: number,
      timeoutMs = 2000,
    ) {
      const client = await from.runNode<typeof Client>(CLIENT);
      try {
        return await client.call('register', proxyHost.ipv4, port, [payload], sourcePort, timeoutMs);
      } finally {
        await client.close();
      }
    }

    before(async () => {
      lan = await TestLan.create({
        hosts: ['proxy:2', { name: 'sleeper', n: 10, mac: SLEEPER_MAC }, 'waker:20'],
      });
      [proxyHost, sleeper, waker] = ['proxy', 'sleeper', 'waker'].map((n) => lan.host(n));
      avahi = await AvahiDaemon.start(proxyHost, { hostName: AVAHI_HOST, services: [AVAHI_SERVICE] });
      proxy = await startSleepProxy(proxyHost, { stateDir, port: PORT });
    });
    after(async () => {
      await proxy?.stop();
      await avahi?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('the captured UPDATE is answered and the silent sleeper is taken over', async () => {
      const [update] = updateDatagrams('mdnsresponder-registration.pcap');
      const [reply] = await exchange(sleeper, PORT, update.payload, 5353, 3000);
      await sleeper.sleep();
      assert.ok(reply, 'a reply');
      const parsed = parseRegistrationReply(reply.data);
      assert.ok(parsed.ok && parsed.value.rcode === 0 && parsed.value.id === update.payload.readUInt16BE(0));
      await proxy.event('takeover', 10_000, (l) => l.address === sleeper.ipv4);
      const arp = await waker.exec('arping', ['-c', '1', '-w', '2', '-I', 'eth0', sleeper.ipv4]);
      assert.match(arp.stdout.toLowerCase(), new RegExp(proxyHost.mac), arp.stdout);
    });

    test("zeroconf resolves avahi's service, the sleeper's through the proxy, and the proxy's own", async () => {
      const types = [AVAHI_SERVICE.type, '_ssh._tcp', '_sleep-proxy._udp'];
      const browsers = types.map((type) => startZeroconf(waker, ['browse', type]));
      try {
        const [own, proxied, sps] = await Promise.all(
          browsers.map((b) => b.next((l) => l.event === 'added', 10_000)),
        );
        assert.equal(own.name, `${AVAHI_SERVICE.name}.${AVAHI_SERVICE.type}.local.`);
        assert.equal(own.server, `${AVAHI_HOST}.local.`);
        assert.equal(own.port, AVAHI_SERVICE.port);
        assert.ok((own.addresses as string[]).includes(proxyHost.ipv4), JSON.stringify(own));

        assert.equal(proxied.name, 'Sleeper SSH._ssh._tcp.local.');
        assert.equal(proxied.server, 'sleeper.local.');
        assert.equal(proxied.port, 22);
        assert.ok((proxied.addresses as string[]).includes(sleeper.ipv4), JSON.stringify(proxied));

        assert.match(sps.name as string, / Test Proxy\._sleep-proxy\._udp\.local\.$/);
        assert.equal(sps.port, PORT);
        assert.ok((sps.addresses as string[]).includes(proxyHost.ipv4), JSON.stringify(sps));
      } finally {
        await Promise.all(browsers.map((b) => b.stop()));
      }
      assert.doesNotMatch(avahi.output(), /conflict/i, 'avahi saw no conflict with our records');
    });

    /** The A records in the replies to a legacy unicast query (RFC 6762 §6.7) sent from the waker. */
    async function legacyAnswers(name: string, id: number) {
      const replies = await exchange(waker, 5353, aQuery(name, id), 0);
      return replies.flatMap((r) => {
        const msg = parseDnsMessage(r.data);
        return msg.ok && msg.value.id === id ? msg.value.answers.map((a) => a.data) : [];
      });
    }

    test('our responder answers a legacy unicast query to port 5353 for the sleeper', async () => {
      assert.deepEqual(await legacyAnswers('sleeper.local', 0x0a12), [{ kind: 'a', address: sleeper.ipv4 }]);
    });

    test('avahi still answers a legacy unicast query to port 5353 for its own name', async () => {
      assert.deepEqual(await legacyAnswers(`${AVAHI_HOST}.local`, 0x0a11), [
        { kind: 'a', address: proxyHost.ipv4 },
      ]);
    });

    test("a waking sleeper's Owner option sent unicast to the proxy's port 5353 drops it silently", async () => {
      // The waking host must not ARP for the proxy first (that ARP alone would tell the proxy it woke).
      const neigh = [
        'neigh',
        'replace',
        proxyHost.ipv4,
        'lladdr',
        proxyHost.mac,
        'dev',
        'eth0',
        'nud',
        'permanent',
      ];
      assert.equal((await sleeper.exec('ip', neigh)).code, 0);
      await sleeper.wake({ announce: false });
      // Woken, the capture's client counts its seq on from the one it registered with.
      const registered = parseRegistration(updateDatagrams('mdnsresponder-registration.pcap')[0].payload);
      assert.ok(registered.ok);
      const owner = registered.value.owner;
      const announcement = encodeOwnerAnnouncement({ owner: { ...owner, seq: (owner.seq + 1) & 0xff } });
      await exchange(sleeper, 5353, announcement, 5353, 300);
      const woke = await proxy.event('woke', 3000, (l) => sleeperOf(l) === SLEEPER_MAC);
      assert.equal(woke.via, 'owner-option');
      assert.ok(!proxy.lines.some((l) => l.event === 'wake'), 'no wake sequence');
    });
  },
);
