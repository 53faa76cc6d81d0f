// Magic packets on the test LAN: the proxy host sends them in each form (EtherType 0x0842 to broadcast
// and unicast, UDP to 255.255.255.255, the directed broadcast and unicast, ports 9 and 7, SecureOn
// passwords of 6 and 4 bytes), to targets named by MAC, IP address or host name (through the neighbour
// table), and tcpdump on the sleeping sleeper's NIC sees them as a NIC's wake logic would. Then "wait
// until awake": probes time out while the sleeper sleeps and report it awake once it wakes.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFrame } from '../../src/wire/frame';
import { parseMagicPacket } from '../../src/wire/wol';
import { capture, lanUnavailableReason, TestLan, type NodeChild } from '../support/lan';
import { parsePcap } from '../support/pcap';
import type * as WakeAgent from './agents/wake-agent';

const AGENT = join(__dirname, 'agents', 'wake-agent.js');

describe('magic packets on the test LAN', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  let waker: NodeChild<typeof WakeAgent>;

  /** /etc/netns/<ns>/hosts: `ip netns exec` mounts it over /etc/hosts for processes it starts. */
  let hostsDir: string | undefined;

  before(async () => {
    lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10'] });
    const proxy = lan.host('proxy');
    if (proxy.mode === 'root') {
      hostsDir = join('/etc/netns', proxy.ns);
      mkdirSync(hostsDir, { recursive: true });
      writeFileSync(
        join(hostsDir, 'hosts'),
        `127.0.0.1 localhost\n${lan.host('sleeper').ipv4} sleeper-host\n`,
      );
    }
    waker = await proxy.runNode<typeof WakeAgent>(AGENT);
    // The proxy learns the sleeper's MAC while it is awake, as a LAN host would before it sleeps.
    await proxy.exec('ping', ['-c1', '-W1', lan.host('sleeper').ipv4]);
    await lan.host('sleeper').sleep();
  });
  after(async () => {
    if (hostsDir) rmSync(hostsDir, { recursive: true, force: true });
    await lan?.destroy();
  });

  async function sniff(filter: string, send: () => Promise<unknown>) {
    const cap = await capture(lan.host('sleeper'), filter);
    await send();
    await new Promise((r) => setTimeout(r, 200));
    return parsePcap(await cap.stop()).records.map((r) => {
      const frame = parseFrame(r.data, { verifyTransportChecksums: false });
      assert.ok(frame.ok, 'captured frame parses');
      return frame.value;
    });
  }

  test('EtherType 0x0842 to broadcast, with a 6-byte SecureOn password, repeated', async () => {
    const sleeper = lan.host('sleeper');
    const password = Buffer.from('0a0b0c0d0e0f', 'hex');
    const frames = await sniff('ether proto 0x0842', () =>
      waker.call('wake', {
        mac: sleeper.mac,
        password,
        forms: ['ethernet'],
        address: '255.255.255.255',
        port: 9,
        interface: 'eth0',
        repeats: 3,
        intervalMs: 20,
      }),
    );
    assert.equal(frames.length, 3);
    for (const frame of frames) {
      assert.equal(frame.kind, 'wol');
      assert.equal(frame.eth.dst, 'ff:ff:ff:ff:ff:ff');
      assert.equal(frame.eth.src, lan.host('proxy').mac);
      const magic = parseMagicPacket(frame.eth.payload);
      assert.ok(magic.ok);
      assert.equal(magic.value.target, sleeper.mac);
      assert.deepEqual(magic.value.password, password);
    }
  });

  for (const address of ['10.77.0.255', '255.255.255.255']) {
    test(`UDP to ${address} port 9 reaches the sleeping host`, async () => {
      const sleeper = lan.host('sleeper');
      const frames = await sniff('udp port 9', () =>
        waker.call('wake', {
          mac: sleeper.mac,
          forms: ['udp'],
          address,
          port: 9,
          interface: 'eth0',
          repeats: 2,
          intervalMs: 20,
        }),
      );
      assert.equal(frames.length, 2);
      for (const frame of frames) {
        assert.equal(frame.kind, 'udp');
        assert.equal(frame.ip.dst, address);
        assert.equal(frame.ip.src, lan.host('proxy').ipv4);
        const magic = parseMagicPacket(frame.udp.payload);
        assert.ok(magic.ok);
        assert.equal(magic.value.target, sleeper.mac);
        assert.equal(magic.value.password, undefined);
      }
    });
  }

  test('UDP unicast to port 7 with a 4-byte password, target named by its IP address', async () => {
    const sleeper = lan.host('sleeper');
    let found: Awaited<ReturnType<typeof WakeAgent.wakeTarget>> | undefined;
    const frames = await sniff('udp port 7', async () => {
      found = await waker.call('wakeTarget', sleeper.ipv4, {
        password: Buffer.from('c0a80001', 'hex'),
        forms: ['udp'],
        address: sleeper.ipv4,
        port: 7,
        interface: 'eth0',
        repeats: 1,
        intervalMs: 0,
      });
    });
    assert.deepEqual(found, { mac: sleeper.mac, ip: sleeper.ipv4, source: 'neighbour' });
    assert.equal(frames.length, 1);
    const frame = frames[0];
    assert.equal(frame.kind, 'udp');
    assert.equal(frame.ip.dst, sleeper.ipv4);
    assert.equal(frame.eth.dst, sleeper.mac);
    const magic = parseMagicPacket(frame.udp.payload);
    assert.ok(magic.ok);
    assert.equal(magic.value.target, sleeper.mac);
    assert.deepEqual(magic.value.password, Buffer.from('c0a80001', 'hex'));
  });

  test('the directed broadcast of the interface is its subnet broadcast', async () => {
    assert.equal(await waker.call('directed', 'eth0'), '10.77.0.255');
  });

  test('EtherType 0x0842 unicast to the target MAC, target named by host name', async (t) => {
    if (!hostsDir) return t.skip('needs /etc/netns (root mode)');
    const sleeper = lan.host('sleeper');
    const frames = await sniff('ether proto 0x0842', () =>
      waker.call('wakeTarget', 'sleeper-host', {
        forms: ['ethernet'],
        address: '255.255.255.255',
        port: 9,
        interface: 'eth0',
        ethernetDestination: sleeper.mac,
        repeats: 2,
        intervalMs: 10,
      }),
    );
    assert.equal(frames.length, 2);
    for (const frame of frames) {
      assert.equal(frame.kind, 'wol');
      assert.equal(frame.eth.dst, sleeper.mac);
      const magic = parseMagicPacket(frame.eth.payload);
      assert.ok(magic.ok);
      assert.equal(magic.value.target, sleeper.mac);
    }
  });

  test('an address nobody has is reported, not guessed', async () => {
    await assert.rejects(waker.call('resolve', '10.77.0.99', 'eth0'), /no MAC known for 10\.77\.0\.99/);
  });

  for (const method of ['ping', 'arp'] as const) {
    test(`wait until awake (${method}): times out while asleep`, async () => {
      const result = await waker.call('probe', {
        method,
        ip: lan.host('sleeper').ipv4,
        interface: 'eth0',
        timeoutMs: 1200,
        intervalMs: 400,
      });
      assert.equal(result.awake, false);
      assert.equal(result.attempts, 3);
      assert.ok(result.elapsedMs >= 1200 && result.elapsedMs < 2500, `${result.elapsedMs} ms`);
    });
  }

  for (const method of ['arp', 'ping', 'tcp'] as const) {
    test(`wait until awake (${method}): awake once the host wakes`, async () => {
      const sleeper = lan.host('sleeper');
      await sleeper.sleep();
      const probing = waker.call('probe', {
        method,
        ip: sleeper.ipv4,
        port: 22,
        interface: 'eth0',
        timeoutMs: 8000,
        intervalMs: 300,
      });
      await new Promise((r) => setTimeout(r, 700));
      await sleeper.wake({ announce: false });
      const result = await probing;
      assert.equal(result.awake, true);
      assert.ok(result.attempts >= 2, `${result.attempts} attempts`);
      assert.ok(result.elapsedMs >= 600 && result.elapsedMs < 4000, `${result.elapsedMs} ms`);
    });
  }
});
