// The sleep proxy as a black box on the test LAN: the `sleep-proxy` command runs in the proxy host;
// the sleeper (with the MAC of the captured Apple client, so the capture's UPDATE bytes are sent
// unchanged) registers, goes silent, and the waker's tools are the witnesses: arping and ndisc6 get
// the proxy's MAC for the sleeper's addresses, a TCP connect to a registered port makes magic packets
// appear on the sleeper's wire (tcpdump), one to an unregistered port does not, a SIGKILLed proxy
// restarted on the same state directory proxies the sleeper again, and SIGTERM wakes the sleeper it holds.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFrame } from '../../src/wire/frame';
import { parseMagicPacket } from '../../src/wire/wol';
import { parseRegistrationReply } from '../../src/wire/sps-registration';
import { capture, lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { MAGIC_FILTER, magicPacketsFor } from '../support/magic-witness';
import { fixturePath } from '../support/paths';
import { parsePcap } from '../support/pcap';
import { udpDatagrams } from '../support/udp-payloads';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import type * as Tcp from './agents/kernel-agent';
import type * as Client from './agents/registration-client-agent';
import type * as WakingSleeper from './agents/waking-sleeper-agent';

const CLIENT = join(__dirname, 'agents', 'registration-client-agent.js');
const WAKING_SLEEPER = join(__dirname, 'agents', 'waking-sleeper-agent.js');
const TCP_AGENT = join(__dirname, 'agents', 'kernel-agent.js');
/** The Apple client of the capture: mdnsresponder-registration.pcap (MAC and so its link-local). */
const SLEEPER_MAC = '02:53:50:00:00:0a';
const SLEEPER_LINK_LOCAL = 'fe80::53:50ff:fe00:a';
const PORT = 5354;

describe(
  'sleep proxy on the test LAN',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'arping', 'ndisc6') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let sleeper: LanHost;
    let waker: LanHost;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-state-'));

    const startProxy = () => startSleepProxy(lan.host('proxy'), { stateDir, port: PORT });

    before(async () => {
      lan = await TestLan.create({
        hosts: ['proxy:2', { name: 'sleeper', n: 10, mac: SLEEPER_MAC }, 'waker:20'],
      });
      sleeper = lan.host('sleeper');
      waker = lan.host('waker');
      proxy = await startProxy();
    });
    after(async () => {
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('the captured UPDATE from source port 5353 is stored and answered like Apple does', async () => {
      const updates = udpDatagrams(fixturePath('mdnsresponder-registration.pcap')).filter(
        (d) => d.dstPort === PORT,
      );
      assert.ok(updates.length > 0);
      const client = await sleeper.runNode<typeof Client>(CLIENT);
      const reply = await client.call(
        'exchange',
        'udp4',
        lan.host('proxy').ipv4,
        PORT,
        updates[0].payload,
        5353,
        3000,
      );
      await client.close();
      assert.equal(reply.address, lan.host('proxy').ipv4);
      assert.equal(reply.port, PORT);
      const parsed = parseRegistrationReply(reply.data);
      assert.ok(parsed.ok, 'reply parses');
      assert.equal(parsed.value.rcode, 0);
      assert.equal(parsed.value.lease, 7200);
      assert.equal(parsed.value.id, updates[0].payload.readUInt16BE(0));
      const registered = await proxy.event('registered', 2000);
      const view = registered.sleeper as {
        hostMac: string;
        addresses: string[];
        services: { port: number }[];
      };
      assert.equal(view.hostMac, SLEEPER_MAC);
      assert.deepEqual([...view.addresses].sort(), [sleeper.ipv4, SLEEPER_LINK_LOCAL].sort());
      assert.ok(view.services.some((s) => s.port === 22));
    });

    test('while the sleeper is silent, the proxy answers ARP and NDP for it with its own MAC', async () => {
      await sleeper.sleep();
      await proxy.event('takeover', 15_000, (l) => l.address === sleeper.ipv4);
      const arp = await waker.exec('arping', ['-c', '2', '-w', '3', '-I', 'eth0', sleeper.ipv4]);
      assert.match(arp.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac));
      await proxy.event('takeover', 15_000, (l) => l.address === SLEEPER_LINK_LOCAL);
      const ndp = await waker.exec('ndisc6', ['-1', '-r', '3', SLEEPER_LINK_LOCAL, 'eth0']);
      assert.match(ndp.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac.toUpperCase().toLowerCase()));
    });

    test('a connect to an unregistered port wakes nobody; one to the registered SSH port wakes the sleeper', async () => {
      const connect = (port: number) =>
        waker.exec('timeout', ['1.5', 'bash', '-c', `exec 3<>/dev/tcp/${sleeper.ipv4}/${port}`]);
      const quiet = await capture(sleeper, 'ether proto 0x0842');
      await connect(8080);
      assert.equal(parsePcap(await quiet.stop()).records.length, 0, 'no magic packet for port 8080');

      const woken = await capture(sleeper, 'ether proto 0x0842');
      await connect(22);
      const wake = await proxy.event('wake', 3000);
      assert.deepEqual((wake.reason as { kind: string; port: number }).kind, 'syn');
      await new Promise((r) => setTimeout(r, 4500)); // rounds 1-2 unicast to the wake MAC, 3 adds broadcast
      const frames = parsePcap(await woken.stop()).records.map((r) => {
        const f = parseFrame(r.data);
        assert.ok(f.ok && f.value.kind === 'wol', 'a magic packet frame');
        const magic = parseMagicPacket(f.value.eth.payload);
        assert.ok(magic.ok);
        assert.equal(magic.value.target, SLEEPER_MAC);
        assert.equal(f.value.eth.src, lan.host('proxy').mac);
        return f.value.eth.dst;
      });
      assert.deepEqual(frames.slice(0, 2), [SLEEPER_MAC, SLEEPER_MAC], `destinations: ${frames.join(' ')}`);
      assert.ok(frames.slice(2).includes('ff:ff:ff:ff:ff:ff'), `destinations: ${frames.join(' ')}`);
    });

    test('killed with SIGKILL and restarted, the proxy holds the sleeper again from its journal', async () => {
      proxy.child.kill('SIGKILL');
      await new Promise((r) => proxy.child.once('exit', r));
      proxy = await startProxy();
      const started = proxy.lines.find((l) => l.event === 'started') as { sleepers: { hostMac: string }[] };
      assert.deepEqual(
        started.sleepers.map((s) => s.hostMac),
        [SLEEPER_MAC],
      );
      await proxy.event('takeover', 8000, (l) => l.address === sleeper.ipv4);
    });

    test("a sleeper that wakes on the magic packet completes the waker's original connect() in under 500 ms", async () => {
      const host = await sleeper.runNode<typeof WakingSleeper>(WAKING_SLEEPER);
      await host.call('listen', 22);
      await host.call('sleepUntilMagicPacket', { hostMac: SLEEPER_MAC, wakeMac: SLEEPER_MAC, seq: 1 });
      const tcp = await waker.runNode<typeof Tcp>(TCP_AGENT);
      const result = await tcp.call('connect', sleeper.ipv4, 22, 5000);
      assert.equal(result.outcome, 'connected');
      assert.ok(result.ms < 500, `connected after ${result.ms} ms (TCP's own retransmission would take 1 s)`);
      const woke = await proxy.event('woke', 2000);
      assert.equal(woke.via, 'owner-option');
      await Promise.all([host.close(), tcp.close()]);
    });

    test('SIGTERM hands over: the sleeper it holds gets magic packets at once, then the proxy exits cleanly', async () => {
      const update = udpDatagrams(fixturePath('mdnsresponder-registration.pcap')).find(
        (d) => d.dstPort === PORT,
      )!;
      const client = await sleeper.runNode<typeof Client>(CLIENT);
      await client.call('exchange', 'udp4', lan.host('proxy').ipv4, PORT, update.payload, 5353, 3000);
      await client.close();
      await sleeper.sleep();
      await proxy.event('registered', 2000); // this run of the proxy restored it, so this is the new one
      const witness = await capture(sleeper, MAGIC_FILTER);
      assert.equal(await proxy.stop(), 0);
      await new Promise((r) => setTimeout(r, 300));
      const magic = magicPacketsFor(await witness.stop(), SLEEPER_MAC);
      assert.deepEqual(
        magic.filter((m) => m.via === 'ethertype').map((m) => m.dst),
        [SLEEPER_MAC, 'ff:ff:ff:ff:ff:ff'],
      );
      const wake = proxy.lines.filter((l) => l.event === 'wake').pop();
      assert.deepEqual(wake?.reason, { kind: 'shutdown' });
    });
  },
);
