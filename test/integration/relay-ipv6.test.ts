// IPv6 multicast on a chosen group across two routed segments (issue 6): a client on segment A
// sends UDP to ff15::4b50, a listener on B joined to the group receives it with the client's
// source address and port kept, and its unicast reply (routed over IPv6) reaches the client.
// tcpdump on B's bridge checks the rebroadcast frame: to 33:33:00:00:4b:50 from relay B's MAC,
// valid UDP checksum, exactly one copy. IPv4 relaying on the same relays keeps working.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFrame } from '../../src/wire/frame';
import { capture, lanUnavailableReason, TestSegments, which, type NodeChild } from '../support/lan';
import { parsePcap } from '../support/pcap';
import type * as RelayAgent from './agents/relay-agent';

const AGENT = join(__dirname, 'agents', 'relay-agent.js');
const captureSkip = (): string | undefined =>
  process.getuid?.() !== 0 ? 'captures need root' : which('tcpdump') ? undefined : 'needs tcpdump';
const PORT = 5076;
const MESH = 7124;
const GROUP = 'ff15::4b50';
type Agent = NodeChild<typeof RelayAgent>;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe(
  'IPv6 multicast relay between two segments',
  { skip: lanUnavailableReason() ?? captureSkip() },
  () => {
    let net: TestSegments;
    let client: Agent;
    let listener: Agent;
    let relayA: Agent;
    let relayB: Agent;

    before(async () => {
      net = await TestSegments.create({
        ipv6: true,
        segments: [
          { name: 'a', hosts: ['client:10', 'relaya:2'] },
          { name: 'b', hosts: ['listener:10', 'relayb:2'] },
        ],
      });
      [client, listener, relayA, relayB] = await Promise.all(
        ['client', 'listener', 'relaya', 'relayb'].map((h) => net.host(h).runNode<typeof RelayAgent>(AGENT)),
      );
      const start = (agent: Agent, peer: string) =>
        agent.call('startRelay', {
          interface: 'eth0',
          ports: [PORT],
          ipv6Groups: [GROUP],
          mesh: { port: MESH, peers: [peer] },
        });
      await Promise.all([start(relayA, '10.78.2.2'), start(relayB, '10.78.1.2')]);
      await listener.call('listen6', GROUP, PORT, true);
    });
    after(() => net?.destroy());

    async function roundTrip(payload: Buffer, fromPort: number) {
      const cap = await capture(net.segment('b'), `ip6 and udp port ${PORT}`);
      const received = listener.next('datagram', 3000);
      const replied = client.next('reply', 3000);
      await client.call('multicast6', GROUP, PORT, payload, fromPort);
      const [data, address, port] = (await received) as [Buffer, string, number];
      const [reply, replyFrom] = (await replied) as [Buffer, string];
      await pause(200);
      const records = parsePcap(await cap.stop()).records;
      return { data, address, port, reply, replyFrom, records };
    }

    test('a datagram to the group crosses with its source kept, and the unicast reply comes back', async () => {
      const payload = Buffer.from('search pv:temperature over IPv6');
      const r = await roundTrip(payload, 40100);
      assert.deepEqual(r.data, payload);
      assert.equal(r.address, net.host('client').ipv6);
      assert.equal(r.address, 'fd78:1::a');
      assert.equal(r.port, 40100);
      assert.equal(r.replyFrom, 'fd78:2::a');
      assert.equal(r.reply.toString(), `reply:${payload.subarray(0, 32).toString()}`);
      const toGroup = r.records
        .map((x) => parseFrame(x.data, { verifyTransportChecksums: true }))
        .filter((f) => f.ok && f.value.kind === 'udp' && f.value.ip.dst === GROUP);
      assert.equal(toGroup.length, 1, 'one copy on segment B, with valid UDP checksum');
      const [frame] = toGroup;
      assert.ok(frame.ok && frame.value.kind === 'udp');
      assert.equal(frame.value.eth.dst, '33:33:00:00:4b:50');
      assert.equal(frame.value.eth.src, net.host('relayb').mac);
      assert.equal(frame.value.ip.src, 'fd78:1::a');
      assert.equal(frame.value.udp.srcPort, 40100);
    });

    test('a payload that fills the MTU (1,452 bytes) crosses too; the counters show one each way', async () => {
      const payload = Buffer.alloc(1452, 0x36);
      payload.write('full frame');
      const before = await relayB.call('counters');
      const r = await roundTrip(payload, 40101);
      assert.deepEqual(r.data, payload);
      assert.equal(r.address, 'fd78:1::a');
      assert.equal(r.port, 40101);
      const after = await relayB.call('counters');
      assert.equal(after.rebroadcast - before.rebroadcast, 1);
      assert.equal(after.relayed, before.relayed, 'B never relays what it put on its segment');
      const a = await relayA.call('counters');
      assert.equal(a.relayed, 2);
      assert.equal(a.rebroadcast, 0, 'the listener reply is unicast: nothing comes back to A');
    });

    test('IPv4 broadcasts still cross on the same relays', async () => {
      await listener.call('listen', PORT, true);
      const received = listener.next('datagram', 3000);
      await client.call('broadcast', '255.255.255.255', PORT, Buffer.from('v4 search'), 40102);
      const [data, address, port] = (await received) as [Buffer, string, number];
      assert.equal(String(data), 'v4 search');
      assert.equal(address, '10.78.1.10');
      assert.equal(port, 40102);
    });
  },
);
