// Magic packets on the test LAN: the proxy host sends them in each form (EtherType 0x0842 with a
// SecureOn password, UDP to a directed broadcast and to 255.255.255.255), and tcpdump on the sleeping
// sleeper's NIC sees them as a NIC's wake logic would.
import assert from 'node:assert/strict';
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

  before(async () => {
    lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10'] });
    waker = await lan.host('proxy').runNode<typeof WakeAgent>(AGENT);
    await lan.host('sleeper').sleep();
  });
  after(() => lan?.destroy());

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
});
