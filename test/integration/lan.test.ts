// The test LAN harness itself (test/support/lan): addressing, reachability, Node children with IPC,
// captures, sleep/wake, isolation of concurrent LANs, and teardown including after a SIGKILL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { macToString } from '../../src/wire/address';
import { LINKTYPE_ETHERNET, parsePcap, type PcapRecord } from '../support/pcap';
import {
  TestLan,
  capture,
  captureUnavailableReason,
  eui64LinkLocal,
  lanUnavailableReason,
  runsDir,
  toolUnavailableReason,
  waitForOutput,
  type LanHost,
} from '../support/lan';
import { parseHostSpecs } from '../support/lan/addressing';
import type * as UdpAgent from '../support/lan/agents/udp-agent';

const UDP_AGENT = join(__dirname, '../support/lan/agents/udp-agent.js');
const LAN_OWNER = join(__dirname, '../support/lan/agents/lan-owner.js');

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_ARP = 0x0806;
const ETHERTYPE_IPV6 = 0x86dd;
const ICMPV6_NA = 136;

const ethertype = (r: PcapRecord): number => r.data.readUInt16BE(12);
const sourceMac = (r: PcapRecord): string => macToString(r.data, 6);

const ping = (from: LanHost, to: string): Promise<number | null> =>
  from.exec('ping', ['-c', '1', '-W', '1', to]).then((r) => r.code);

describe('addressing', () => {
  test('link-local addresses come from the MAC by modified EUI-64', () => {
    assert.equal(eui64LinkLocal('02:77:00:00:00:0a'), 'fe80::77:ff:fe00:a');
    assert.equal(eui64LinkLocal('00:11:22:33:44:55'), 'fe80::211:22ff:fe33:4455');
  });

  test('host lists are checked', () => {
    assert.deepEqual(parseHostSpecs(['proxy', 'x:7']), [
      { name: 'proxy', n: 2 },
      { name: 'x', n: 7 },
    ]);
    assert.throws(() => parseHostSpecs(['a:1', 'b:1']), /duplicate host number/);
    assert.throws(() => parseHostSpecs(['lan:3']), /bad host name/);
    assert.throws(() => parseHostSpecs(['nonumber']), /needs a number/);
    assert.throws(() => parseHostSpecs(['a:255']), /not in 1..254/);
  });

  test('in CI a missing LAN is a failure, never a skip', () => {
    const saved = process.env.CI;
    process.env.CI = 'true';
    try {
      assert.equal(lanUnavailableReason(), undefined);
    } finally {
      if (saved === undefined) delete process.env.CI;
      else process.env.CI = saved;
    }
  });
});

describe('test LAN', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  before(async () => {
    lan = await TestLan.create();
  });
  after(() => lan?.destroy());

  test('hosts have their NIC, addresses and multicast route, and no way out', async () => {
    const sleeper = lan.host('sleeper');
    assert.equal(sleeper.ns, `${lan.suffix}-sleeper`);
    assert.deepEqual(
      [sleeper.mac, sleeper.ipv4, sleeper.ipv6, sleeper.linkLocal],
      ['02:77:00:00:00:0a', '10.77.0.10', 'fd77::10', 'fe80::77:ff:fe00:a'],
    );
    const link = await sleeper.exec('ip', ['-o', 'link', 'show', 'eth0']);
    assert.match(link.stdout, /link\/ether 02:77:00:00:00:0a/);
    const addrs = (await sleeper.exec('ip', ['-o', 'addr', 'show', 'dev', 'eth0'])).stdout;
    for (const a of ['10.77.0.10/24 brd 10.77.0.255', 'fd77::10/64', 'fe80::77:ff:fe00:a/64']) {
      assert.ok(addrs.includes(a), `${a} in ${addrs}`);
    }
    assert.doesNotMatch(addrs, /tentative/);
    const routes = (await sleeper.exec('ip', ['route', 'show'])).stdout;
    assert.match(routes, /^224\.0\.0\.0\/4 dev eth0/m);
    assert.doesNotMatch(routes, /default/);
    const sysctls = await sleeper.exec('sysctl', [
      '-n',
      'net.ipv4.ip_forward',
      'net.ipv4.conf.eth0.rp_filter',
    ]);
    assert.deepEqual(sysctls.stdout.split('\n').slice(0, 2), ['0', '0']);
    const bridge = await lan.bridgeExec('ip', ['-o', 'link', 'show', 'master', 'br0']);
    assert.deepEqual([...bridge.stdout.matchAll(/ (v-\w+)@/g)].map((m) => m[1]).sort(), [
      'v-proxy',
      'v-sleeper',
      'v-waker',
    ]);
    const snooping = await lan.bridgeExec('cat', ['/sys/class/net/br0/bridge/multicast_snooping']);
    assert.equal(snooping.stdout.trim(), '0');
  });

  test(
    'hosts reach each other over IPv4, IPv6 and link-local',
    { skip: toolUnavailableReason('ping') },
    async () => {
      const waker = lan.host('waker');
      const sleeper = lan.host('sleeper');
      const proxy = lan.host('proxy');
      assert.equal(await ping(waker, sleeper.ipv4), 0);
      assert.equal(await ping(waker, sleeper.ipv6), 0);
      assert.equal(await ping(waker, `${sleeper.linkLocal}%eth0`), 0);
      assert.equal(await ping(proxy, waker.ipv6), 0);
    },
  );

  test('a Node child in one host receives datagrams sent by a Node child in another', async () => {
    const sleeper = lan.host('sleeper');
    const receiver = await sleeper.runNode<typeof UdpAgent>(UDP_AGENT);
    const sender = await lan.host('waker').runNode<typeof UdpAgent>(UDP_AGENT);
    try {
      const v4 = await receiver.call('open', {
        type: 'udp4',
        port: 5000,
        groups: ['224.0.0.251'],
        interfaceAddress: sleeper.ipv4,
      });
      const v6 = await receiver.call('open', { type: 'udp6', port: 5001 });
      const out4 = await sender.call('open', { type: 'udp4' });
      const out6 = await sender.call('open', { type: 'udp6' });
      await sender.call('send', out4.id, Buffer.from('unicast'), 5000, sleeper.ipv4);
      // reaches the group only because of the 224.0.0.0/4 route (there is no default route)
      await sender.call('send', out4.id, 'multicast', 5000, '224.0.0.251');
      await sender.call('send', out6.id, 'six', 5001, sleeper.ipv6);
      const got = await Promise.all([0, 1, 2].map(() => receiver.next('datagram')));
      const seen = got.map(([id, data, from]) => [id, String(data), (from as { address: string }).address]);
      assert.deepEqual(
        seen.sort(),
        [
          [v4.id, 'multicast', '10.77.0.20'],
          [v4.id, 'unicast', '10.77.0.20'],
          [v6.id, 'six', 'fd77::20'],
        ].sort(),
      );
      await assert.rejects(receiver.call('send', 99, 'x', 1, '10.77.0.2'), /no socket 99/);
    } finally {
      await Promise.all([receiver.close(), sender.close()]);
    }
    assert.deepEqual(await receiver.exited, { code: 0, signal: null });
  });

  test("a capture on the bridge sees a host's frames", async (t) => {
    const reason = captureUnavailableReason(lan.bridge) ?? toolUnavailableReason('ping');
    if (reason) return t.skip(reason);
    const waker = lan.host('waker');
    const cap = await capture(lan.bridge, 'icmp');
    assert.equal(await ping(waker, lan.host('proxy').ipv4), 0);
    const pcap = parsePcap(await cap.stop());
    assert.equal(pcap.linkType, LINKTYPE_ETHERNET);
    assert.ok(pcap.records.some((r) => ethertype(r) === ETHERTYPE_IPV4 && sourceMac(r) === waker.mac));
  });

  test('sleep() makes a host unreachable, wake() restores and announces it', async (t) => {
    const reason = toolUnavailableReason('ping', 'nft');
    if (reason) return t.skip(reason);
    const sleeper = lan.host('sleeper');
    const waker = lan.host('waker');
    await sleeper.sleep();
    assert.equal(sleeper.isAsleep, true);
    assert.notEqual(await ping(waker, sleeper.ipv4), 0);
    assert.notEqual(await ping(waker, sleeper.ipv6), 0);
    const cap = captureUnavailableReason(waker)
      ? undefined
      : await capture(waker, 'arp or icmp6', { direction: 'in' });
    await sleeper.wake();
    assert.equal(await ping(waker, sleeper.ipv4), 0);
    assert.equal(await ping(waker, sleeper.ipv6), 0);
    if (!cap) return;
    const frames = parsePcap(await cap.stop()).records.filter((r) => sourceMac(r) === sleeper.mac);
    const arpOps = frames.filter((r) => ethertype(r) === ETHERTYPE_ARP).map((r) => r.data.readUInt16BE(20));
    assert.ok(arpOps.includes(1) && arpOps.includes(2), `gratuitous ARP request and reply: ${arpOps}`);
    // ICMPv6 type: after Ethernet (14) and the fixed IPv6 header (40)
    const advertised = frames.filter((r) => ethertype(r) === ETHERTYPE_IPV6 && r.data[54] === ICMPV6_NA);
    assert.ok(advertised.length >= 2, 'unsolicited neighbor advertisements for the ULA and link-local');
  });

  test('two LANs at once do not collide', async () => {
    const other = await TestLan.create();
    try {
      assert.notEqual(other.suffix, lan.suffix);
      assert.equal(new Set([...other.namespaces, ...lan.namespaces]).size, 8);
      const quiet = captureUnavailableReason(lan.bridge) ? undefined : await capture(lan.bridge, 'icmp');
      if (!toolUnavailableReason('ping')) {
        assert.equal(await ping(other.host('waker'), other.host('sleeper').ipv4), 0);
      }
      // the same addresses exist in both LANs; nothing of the other LAN shows up on ours
      if (quiet) assert.equal(parsePcap(await quiet.stop()).records.length, 0);
    } finally {
      await other.destroy();
    }
    assert.deepEqual(other.leftovers(), []);
  });

  test('destroy() kills what runs inside, leaves nothing behind, and is idempotent', async () => {
    const doomed = await TestLan.create({ hosts: ['solo:5'] });
    const solo = doomed.host('solo');
    const child = await solo.runNode<typeof UdpAgent>(UDP_AGENT);
    const sleeper = solo.spawn('sleep', ['30']);
    const ledger = join(runsDir(), `${doomed.suffix}.json`);
    assert.ok(existsSync(ledger));
    await doomed.destroy();
    await doomed.destroy();
    assert.deepEqual(doomed.leftovers(), []);
    assert.ok(!existsSync(ledger));
    assert.equal((await child.exited).signal, 'SIGKILL');
    assert.ok(sleeper.exitCode !== null || sleeper.signalCode !== null);
    if (doomed.mode === 'root') {
      for (const ns of doomed.namespaces) assert.ok(!existsSync(`/run/netns/${ns}`), ns);
    }
    await assert.rejects(solo.exec('true'), /destroyed/);
  });

  test('a LAN left by a SIGKILLed process is reaped by the next create()', async () => {
    const owner = spawn(process.execPath, [LAN_OWNER], { stdio: ['ignore', 'pipe', 'pipe'] });
    const line = await waitForOutput(owner, /^\{.*\}$/m, { stream: 'stdout', timeoutMs: 10_000 });
    const run = JSON.parse(line[0]) as { suffix: string; namespaces: string[]; mode: string };
    const ledger = join(runsDir(), `${run.suffix}.json`);
    assert.ok(existsSync(ledger));
    if (run.mode === 'root') for (const ns of run.namespaces) assert.ok(existsSync(`/run/netns/${ns}`), ns);
    const gone = new Promise((resolve) => owner.once('exit', resolve));
    owner.kill('SIGKILL');
    await gone;
    const next = await TestLan.create({ hosts: ['x:1'] });
    await next.destroy();
    assert.ok(!existsSync(ledger), 'ledger entry reaped');
    for (const ns of run.namespaces) assert.ok(!existsSync(`/run/netns/${ns}`), ns);
  });
});
