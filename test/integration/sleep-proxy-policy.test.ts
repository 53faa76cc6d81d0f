// The registration policy on the test LAN (issue 10's "done when"): the `sleep-proxy` command is sent
// crafted hijack attempts from the waker namespace — someone else's address to proxy, a source that
// is not among the addresses it asks for, an off-subnet source, too many records, an oversized
// datagram, a flood, a live host's address, a MAC outside the allow-list — and each is refused with
// silence (the client sees no reply), counted under its reason (`counters` command) and announced
// by a `refused` event, while a legitimate registration in the same run is answered and taken over.
// Witnesses: the replies the sending agent got, tcpdump in the waker (no reply datagrams, no ARP
// from the proxy for a hijacked address), and arping (only the live owner answers for its address).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFrame } from '../../src/wire/frame';
import { encodeRegistration } from '../../src/wire/sps-registration';
import { capture, lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { parsePcap } from '../support/pcap';
import { updateDatagrams } from '../support/sps-fixtures';
import { startSleepProxy, type Line, type SleepProxyProcess } from '../support/sleep-proxy-process';
import type * as Client from './agents/sps-client-agent';
import { reverseName, sleeperRecords, sleeperRegistration, type SleeperSpec } from './sleeper-registration';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;
/** The client of the captures (its UPDATE bytes name this MAC and 10.77.0.10). */
const SLEEPER_MAC = '02:53:50:00:00:0a';
const OFF_SUBNET = '192.168.77.20';
/** A second address of the waker in the LAN's subnet, so the flood has a source of its own. */
const FLOODER = '10.77.0.21';
const UNUSED = '10.77.0.99';
/** Caps small enough to reach: the captured sleeper holds about 100 records; 5 datagrams, then 1/s. */
const FLAGS = ['--max-host-records', '120', '--rate-limit', '5/1'];

const arping = (from: LanHost, address: string, seconds = 2) =>
  from.exec('arping', ['-c', String(seconds), '-w', String(seconds), '-I', 'eth0', address]);

describe(
  'registration policy on the test LAN: hijack attempts refused, the legitimate sleeper served',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'arping') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let sleeper: LanHost;
    let waker: LanHost;
    let victim: LanHost;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-policy-'));
    const startProxy = (args: readonly string[] = []) =>
      startSleepProxy(lan.host('proxy'), { stateDir, port: PORT, args: [...FLAGS, ...args] });
    /** The waker posing as a host with `ipv4`'s records under its own MAC. */
    const hijacker = (ipv4: string, extra: Partial<SleeperSpec> = {}): SleeperSpec => ({
      host: 'hijacker',
      ipv4,
      mac: waker.mac,
      services: [{ instance: 'Hijacker SSH', type: '_ssh._tcp', port: 22 }],
      ...extra,
    });

    /** Sends from `host` (from `source` when given) and returns the replies that came back. */
    async function send(host: LanHost, payloads: readonly Buffer[], source?: string, timeoutMs = 1500) {
      const client = await host.runNode<typeof Client>(CLIENT);
      try {
        return await client.call('register', lan.host('proxy').ipv4, PORT, payloads, 5353, timeoutMs, source);
      } finally {
        await client.close();
      }
    }

    async function counters(): Promise<Record<string, number>> {
      const seen = proxy.lines.length;
      proxy.command('counters');
      const line = await proxy.next(
        (l) => l.event === 'counters' && proxy.lines.indexOf(l) >= seen,
        2000,
        'counters',
      );
      return (line.counters as { refusedBy: Record<string, number> }).refusedBy;
    }

    /** Sent from the waker: no reply, and a `refused` event with `reason` from `source`. */
    async function refused(payloads: readonly Buffer[], source: string, reason: string): Promise<Line> {
      const replies = await send(waker, payloads, source);
      assert.deepEqual(replies, [], `${reason}: no reply`);
      return proxy.event('refused', 3000, (l) => l.reason === reason && l.source === source);
    }

    before(async () => {
      lan = await TestLan.create({
        hosts: ['proxy:2', { name: 'sleeper', n: 10, mac: SLEEPER_MAC }, 'waker:20', 'victim:30'],
      });
      [sleeper, waker, victim] = ['sleeper', 'waker', 'victim'].map((name) => lan.host(name));
      for (const address of [`${FLOODER}/24`, `${OFF_SUBNET}/24`])
        assert.equal((await waker.exec('ip', ['addr', 'add', address, 'dev', 'eth0'])).code, 0);
      proxy = await startProxy();
    });
    after(async () => {
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('the legitimate sleeper (the captured 4-fragment registration) is answered and taken over', async () => {
      const fragments = updateDatagrams('mdnsresponder-registration-multipacket.pcap').map((f) => f.payload);
      const replies = await send(sleeper, fragments, undefined, 3000);
      assert.equal(replies.length, 4);
      await sleeper.sleep();
      await proxy.event('takeover', 10_000, (l) => l.address === sleeper.ipv4);
      const arp = await arping(waker, sleeper.ipv4);
      assert.match(arp.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac), arp.stdout);
    });

    test('each hijack attempt from the waker gets silence, a counter and a refused event; no ARP for it', async () => {
      const witness = await capture(waker, `arp or udp port ${PORT}`);
      // Someone else's address (a live host's, then the sleeping sleeper's) from the waker's own.
      const victimEvent = await refused(
        [sleeperRegistration(hijacker(victim.ipv4))],
        waker.ipv4,
        'source-not-proxied',
      );
      assert.deepEqual(victimEvent.addresses, [victim.ipv4]);
      assert.equal(victimEvent.hostMac, waker.mac);
      await refused(
        [sleeperRegistration(hijacker(sleeper.ipv4, { id: 2 }))],
        waker.ipv4,
        'source-not-proxied',
      );
      // A source that is not among the addresses asked for.
      await refused([sleeperRegistration(hijacker(UNUSED, { id: 3 }))], waker.ipv4, 'source-not-proxied');
      // An off-subnet source, even asking for its own address.
      await refused([sleeperRegistration(hijacker(OFF_SUBNET, { id: 4 }))], OFF_SUBNET, 'off-subnet');
      // Over the per-host record cap (3 records per service).
      const services = Array.from({ length: 45 }, (_, i) => ({
        instance: `S${i}`,
        type: '_http._tcp',
        port: 80 + i,
      }));
      await refused(
        [sleeperRegistration(hijacker(waker.ipv4, { id: 5, services }))],
        waker.ipv4,
        'host-records-cap',
      );
      // Over the datagram cap (9000 bytes).
      const big = Buffer.concat([sleeperRegistration(hijacker(waker.ipv4, { id: 6 })), Buffer.alloc(9000)]);
      await refused([big], waker.ipv4, 'too-large');
      // A flood from one source: 5 refused on their merits, then rate-limited with one event.
      const flood = Array.from({ length: 12 }, () => sleeperRegistration(hijacker(victim.ipv4, { id: 7 })));
      await refused(flood, FLOODER, 'rate-limited');

      const refusedBy = await counters();
      // The flood's split between the two depends on how fast its 12 datagrams arrive (1 token/s).
      assert.equal(refusedBy['source-not-proxied'] + refusedBy['rate-limited'], 3 + 12);
      assert.ok(refusedBy['rate-limited'] >= 5, `${refusedBy['rate-limited']} rate-limited`);
      assert.equal(refusedBy['off-subnet'], 1);
      assert.equal(refusedBy['host-records-cap'], 1);
      assert.equal(refusedBy['too-large'], 1);
      const rateEvents = proxy.lines.filter((l) => l.event === 'refused' && l.reason === 'rate-limited');
      assert.equal(rateEvents.length, 1, 'one event for a run of rate-limited datagrams');

      const hijacked = new Set([victim.ipv4, UNUSED, OFF_SUBNET, waker.ipv4]);
      const frames = parsePcap(await witness.stop()).records.map((r) =>
        parseFrame(r.data, { verifyTransportChecksums: false }),
      );
      const udp = frames.flatMap((f) => (f.ok && f.value.kind === 'udp' ? [f.value.udp] : []));
      // The two large ones travel as IP fragments; the other 16 are whole UDP datagrams.
      const sent = udp.filter((u) => u.dstPort === PORT).length;
      assert.ok(sent >= 16, `${sent} attempts on the wire`);
      assert.deepEqual(
        udp.filter((u) => u.srcPort === PORT),
        [],
        'no registration reply on the wire',
      );
      const proxyMac = lan.host('proxy').mac;
      const claims = frames.filter(
        (f) =>
          f.ok &&
          f.value.kind === 'arp' &&
          f.value.arp.senderMac === proxyMac &&
          hijacked.has(f.value.arp.senderIp),
      );
      assert.deepEqual(claims, [], 'no ARP from the proxy for a hijacked address');
    });

    test("a live host's address, listed beside the sender's own: the probe finds its owner, no takeover", async () => {
      const witness = await capture(waker, 'arp');
      const spec = hijacker(waker.ipv4, { id: 8 });
      const records = [...sleeperRecords(spec), sleeperRecords(hijacker(victim.ipv4))[0]];
      const payload = encodeRegistration({
        id: 8,
        owner: { version: 0, seq: 1, hostMac: waker.mac, wakeMac: waker.mac },
        lease: 7200,
        records,
      });
      assert.ok(records.some((r) => r.name === reverseName(victim.ipv4)));
      // Answered (nothing tells the proxy yet that the address is alive), then probed.
      const replies = await send(waker, [payload]);
      assert.equal(replies.length, 1);
      const wake = await proxy.event(
        'wake',
        5000,
        (l) => (l.reason as { kind?: string }).kind === 'conflict',
      );
      assert.deepEqual(wake.reason, { kind: 'conflict', address: victim.ipv4, mac: victim.mac });
      // Past the whole announcement schedule (t+4..11 s): never taken over, never answered for.
      await new Promise((r) => setTimeout(r, 12_000));
      const arp = await arping(waker, victim.ipv4);
      assert.match(arp.stdout.toLowerCase(), new RegExp(victim.mac), arp.stdout);
      assert.doesNotMatch(arp.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac), arp.stdout);
      assert.ok(!proxy.lines.some((l) => l.event === 'takeover' && l.address === victim.ipv4));
      const proxyMac = lan.host('proxy').mac;
      const arpFrames = parsePcap(await witness.stop()).records.map((r) =>
        parseFrame(r.data, { verifyTransportChecksums: false }),
      );
      const probed = arpFrames.some(
        (f) =>
          f.ok &&
          f.value.kind === 'arp' &&
          f.value.eth.dst === 'ff:ff:ff:ff:ff:ff' &&
          f.value.arp.senderIp === '0.0.0.0' &&
          f.value.arp.targetIp === victim.ipv4,
      );
      assert.ok(probed, 'the proxy probed the address to every host');
      const claims = arpFrames.filter(
        (f) =>
          f.ok &&
          f.value.kind === 'arp' &&
          f.value.arp.senderMac === proxyMac &&
          f.value.arp.senderIp === victim.ipv4,
      );
      assert.deepEqual(claims, [], 'no ARP from the proxy naming the live address');
    });

    test('with an allow-list of MACs: a MAC not on it is refused, the listed sleeper is answered', async () => {
      await proxy.stop();
      proxy = await startProxy(['--allow', SLEEPER_MAC]);
      await refused([sleeperRegistration(hijacker(waker.ipv4, { id: 9 }))], waker.ipv4, 'not-allowed');
      assert.equal((await counters())['not-allowed'], 1);
      await sleeper.wake({ announce: false });
      const fragments = updateDatagrams('mdnsresponder-registration-multipacket.pcap').map((f) => f.payload);
      const replies = await send(sleeper, fragments, undefined, 3000);
      assert.equal(replies.length, 4);
    });
  },
);
