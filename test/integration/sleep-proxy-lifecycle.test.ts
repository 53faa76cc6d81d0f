// How proxying ends, on the test LAN with the `sleep-proxy` command as a black box and three
// sleepers registered at once: alpha with a 6 s lease, bravo and charlie with 2 h.
// - bravo wakes and says so (an mDNS packet with its Owner option, seq + 1, from port 5353): dropped
//   silently, a `woke` event, no wake, no goodbyes; its address answers with its own MAC again.
// - the waker claims charlie's IPv4 with its own MAC (gratuitous ARP): charlie is woken (conflict).
// - alpha's lease ends: it is woken (magic packets on its wire), and when the 15 rounds x 2 s go
//   unanswered its records are withdrawn with goodbyes (TTL-0 responses seen by tcpdump in the waker)
//   and an `expired` event follows.
// The lease expiry takes ~36 s of real time; the other two run meanwhile.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isDnsResponse, parseDnsMessage } from '../../src/wire/dns';
import { parseFrame } from '../../src/wire/frame';
import { parseRegistrationReply } from '../../src/wire/sps-registration';
import { encodeOwnerAnnouncement } from '../../src/wire/sps-owner';
import { parseMagicPacket } from '../../src/wire/wol';
import {
  capture,
  lanUnavailableReason,
  TestLan,
  toolUnavailableReason,
  type Capture,
  type LanHost,
} from '../support/lan';
import { announceCommand } from '../support/lan/announce';
import { parsePcap, type PcapRecord } from '../support/pcap';
import { startSleepProxy, type Line, type SleepProxyProcess } from '../support/sleep-proxy-process';
import type * as Client from './agents/sps-client-agent';
import { sleeperRegistration } from './sleeper-registration';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;
const ALPHA_LEASE_S = 6;
/** 15 rounds, 2 s apart, and 2 s more for the last one to be answered (src/core/wake.ts). */
const WAKE_SEQUENCE_MS = 30_000;
const BRAVO_SEQ = 5;

const sleeperOf = (l: Line) => (l.sleeper as { hostMac: string }).hostMac;

/** The records of every mDNS response in a capture, with the capture time in ms. */
function mdnsRecords(records: readonly PcapRecord[]) {
  return records.flatMap((r) => {
    const frame = parseFrame(r.data, { verifyTransportChecksums: false });
    if (!frame.ok || frame.value.kind !== 'udp' || frame.value.udp.srcPort !== 5353) return [];
    const msg = parseDnsMessage(frame.value.udp.payload);
    if (!msg.ok || !isDnsResponse(msg.value.flags)) return [];
    const at = r.time * 1000;
    return [...msg.value.answers, ...msg.value.additionals].map((rr) => ({ at, name: rr.name, ttl: rr.ttl }));
  });
}

/** Magic packets (0x0842 frames) for `target` in a capture (others' broadcast copies left out), with capture times in ms. */
function magicPackets(records: readonly PcapRecord[], target: string) {
  return records.flatMap((r) => {
    const frame = parseFrame(r.data);
    if (!frame.ok || frame.value.kind !== 'wol') return [];
    const packet = parseMagicPacket(frame.value.eth.payload);
    return packet.ok && packet.value.target === target
      ? [{ at: r.time * 1000, dst: frame.value.eth.dst }]
      : [];
  });
}

describe(
  'sleep proxy lifecycle on the test LAN: woke, conflict, lease expiry',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'arping') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let alpha: LanHost;
    let bravo: LanHost;
    let charlie: LanHost;
    let waker: LanHost;
    let mdnsOnWaker: Capture;
    const magic = new Map<string, Capture>();
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-lifecycle-'));

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'alpha:10', 'bravo:11', 'charlie:12', 'waker:20'] });
      [alpha, bravo, charlie, waker] = ['alpha', 'bravo', 'charlie', 'waker'].map((n) => lan.host(n));
      proxy = await startSleepProxy(lan.host('proxy'), { stateDir, port: PORT });
      mdnsOnWaker = await capture(waker, 'udp port 5353');
      for (const host of [alpha, bravo, charlie])
        magic.set(host.name, await capture(host, 'ether proto 0x0842'));
    });
    after(async () => {
      await Promise.all([mdnsOnWaker, ...magic.values()].map((c) => c?.stop().catch(() => undefined)));
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('three sleepers register, fall silent and are taken over', async () => {
      await Promise.all(
        [alpha, bravo, charlie].map(async (host, i) => {
          const payload = sleeperRegistration({
            host: host.name,
            ipv4: host.ipv4,
            mac: host.mac,
            id: 0x0a00 + i,
            seq: host === bravo ? BRAVO_SEQ : 1,
            lease: host === alpha ? ALPHA_LEASE_S : 7200,
            services: [{ instance: `${host.name} ssh`, type: '_ssh._tcp', port: 22 }],
          });
          const client = await host.runNode<typeof Client>(CLIENT);
          const [reply] = await client.call('register', lan.host('proxy').ipv4, PORT, [payload], 5353, 3000);
          await host.sleep();
          await client.close();
          assert.ok(reply, `${host.name} got a reply`);
          const parsed = parseRegistrationReply(reply.data);
          assert.ok(parsed.ok && parsed.value.rcode === 0);
        }),
      );
      await Promise.all(
        [alpha, bravo, charlie].map((h) => proxy.event('takeover', 10_000, (l) => l.address === h.ipv4)),
      );
    });

    test('an Owner option with a new seq from the sleeper drops it silently', async () => {
      await bravo.wake({ announce: false });
      const announcement = encodeOwnerAnnouncement({
        owner: { version: 0, seq: BRAVO_SEQ + 1, hostMac: bravo.mac, wakeMac: bravo.mac },
      });
      const client = await bravo.runNode<typeof Client>(CLIENT);
      await client.call('sendMdns', announcement, bravo.ipv4);
      await client.close();
      const woke = await proxy.event('woke', 3000, (l) => sleeperOf(l) === bravo.mac);
      assert.equal(woke.via, 'owner-option');
      // Handed back: the address resolves to bravo itself again.
      const arp = await waker.exec('arping', ['-c', '1', '-w', '2', '-I', 'eth0', bravo.ipv4]);
      assert.match(arp.stdout.toLowerCase(), new RegExp(bravo.mac), arp.stdout);
    });

    test('a second MAC claiming a proxied address wakes the owner', async () => {
      const claim = announceCommand('eth0', waker.mac, charlie.ipv4, []);
      assert.ok(claim, 'python3 for the gratuitous ARP');
      await waker.exec(claim[0], claim[1]);
      const wake = await proxy.event('wake', 3000, (l) => sleeperOf(l) === charlie.mac);
      assert.deepEqual(wake.reason, { kind: 'conflict', address: charlie.ipv4, mac: waker.mac });
      await new Promise((r) => setTimeout(r, 500));
      proxy.command(`release ${charlie.mac}`);
      await proxy.event('released', 2000, (l) => sleeperOf(l) === charlie.mac);
      const packets = magicPackets(parsePcap(await magic.get('charlie')!.stop()).records, charlie.mac);
      assert.ok(packets.length > 0, 'magic packets for charlie on its wire');
    });

    test('the end of a lease wakes the owner, then drops its records with goodbyes', async (t) => {
      const wake = await proxy.event('wake', 10_000, (l) => sleeperOf(l) === alpha.mac);
      assert.deepEqual(wake.reason, { kind: 'lease-end' });
      await proxy.event('expired', WAKE_SEQUENCE_MS + 10_000, (l) => sleeperOf(l) === alpha.mac);
      await new Promise((r) => setTimeout(r, 500)); // the goodbyes follow the withdrawal at once
      const packets = magicPackets(parsePcap(await magic.get('alpha')!.stop()).records, alpha.mac);
      // 15 rounds to the wake MAC, 13 of them also broadcast (rounds 3-15).
      assert.equal(packets.filter((p) => p.dst === alpha.mac).length, 15);
      assert.equal(packets.filter((p) => p.dst === 'ff:ff:ff:ff:ff:ff').length, 13);

      const mdns = mdnsRecords(parsePcap(await mdnsOnWaker.stop()).records);
      const goodbyes = mdns.filter((r) => r.ttl === 0);
      const alphaGoodbyes = new Set(goodbyes.filter((r) => /alpha/i.test(r.name)).map((r) => r.name));
      for (const name of ['alpha ssh._ssh._tcp.local', 'alpha.local'])
        assert.ok(
          alphaGoodbyes.has(name),
          `goodbye for ${name}; TTL-0 names: ${[...alphaGoodbyes].join(', ')}`,
        );
      const firstGoodbye = Math.min(...goodbyes.filter((r) => /alpha/i.test(r.name)).map((r) => r.at));
      assert.ok(
        firstGoodbye - packets[0].at >= WAKE_SEQUENCE_MS - 2000,
        `goodbyes ${firstGoodbye - packets[0].at} ms after the first magic packet`,
      );
      t.diagnostic(`goodbyes ${Math.round(firstGoodbye - packets[0].at)} ms after the first magic packet`);

      // bravo (woke) and charlie (released): neither goodbyes nor, for bravo, any wake.
      assert.deepEqual(
        goodbyes.filter((r) => /bravo|charlie/i.test(r.name)).map((r) => r.name),
        [],
      );
      assert.equal(magicPackets(parsePcap(await magic.get('bravo')!.stop()).records, bravo.mac).length, 0);
      assert.ok(!proxy.lines.some((l) => l.event === 'wake' && sleeperOf(l) === bravo.mac));
    });
  },
);
