// The broadcast relay on two routed segments (issue 6 "Done when"): a broadcast from a client on
// segment A reaches a listener on B with the client's source address and port kept, and the
// listener's unicast reply (routed) reaches the client; the same with a 4,000-byte fragmented
// payload, with a directed broadcast (arriving as B's own broadcast address), and with a broadcast
// sent by a process on the relay host itself. tcpdump on B's bridge checks the rebroadcast frames.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeUdpFrame, parseFrame } from '../../src/wire/frame';
import { encodeAuthMesh } from '../../src/wire/relay-mesh';
import { capture, lanUnavailableReason, TestSegments, which, type NodeChild } from '../support/lan';
import { parsePcap } from '../support/pcap';
import { PACKET_OUTGOING } from '../../src/io/link';
import { repoRoot } from '../support/paths';
import type * as RelayAgent from './agents/relay-agent';

const AGENT = join(__dirname, 'agents', 'relay-agent.js');
// tcpdump witnesses the segments; it cannot run in an unprivileged user namespace
const captureSkip = (): string | undefined =>
  process.getuid?.() !== 0 ? 'captures need root' : which('tcpdump') ? undefined : 'needs tcpdump';
const PORT = 5076;
const MESH = 7124;
type Agent = NodeChild<typeof RelayAgent>;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('broadcast relay between two segments', { skip: lanUnavailableReason() ?? captureSkip() }, () => {
  let net: TestSegments;
  let client: Agent;
  let listener: Agent;
  let relayA: Agent;
  let relayB: Agent;

  const start = (agent: Agent, peer: string, key?: string) =>
    agent.call('startRelay', { interface: 'eth0', ports: [PORT], mesh: { port: MESH, peers: [peer] }, key });

  before(async () => {
    net = await TestSegments.create({
      segments: [
        { name: 'a', hosts: ['client:10', 'relaya:2'] },
        { name: 'b', hosts: ['listener:10', 'relayb:2'] },
      ],
    });
    [client, listener, relayA, relayB] = await Promise.all(
      ['client', 'listener', 'relaya', 'relayb'].map((h) => net.host(h).runNode<typeof RelayAgent>(AGENT)),
    );
    assert.equal(await start(relayA, '10.78.2.2'), '10.78.1.255');
    assert.equal(await start(relayB, '10.78.1.2'), '10.78.2.255');
    await listener.call('listen', PORT, true);
  });
  after(() => net?.destroy());

  async function roundTrip(destination: string, payload: Buffer, fromPort: number) {
    // non-first fragments carry no UDP header: match them by their fragment offset
    const cap = await capture(net.segment('b'), `udp port ${PORT} or (ip[6:2] & 0x1fff != 0)`);
    const received = listener.next('datagram', 3000);
    const replied = client.next('reply', 3000);
    await client.call('broadcast', destination, PORT, payload, fromPort);
    const [data, address, port] = (await received) as [Buffer, string, number];
    const [reply, replyFrom] = (await replied) as [Buffer, string];
    await pause(100);
    const records = parsePcap(await cap.stop()).records;
    return { data, address, port, reply, replyFrom, records };
  }

  test('a broadcast crosses with its source kept, and the unicast reply comes back', async () => {
    const payload = Buffer.from('search pv:temperature');
    const r = await roundTrip('255.255.255.255', payload, 40000);
    assert.deepEqual(r.data, payload);
    assert.equal(r.address, '10.78.1.10');
    assert.equal(r.port, 40000);
    assert.equal(r.replyFrom, '10.78.2.10');
    assert.equal(r.reply.toString(), `reply:${payload.toString()}`);
    const rebroadcast = r.records.map((x) => parseFrame(x.data, { verifyTransportChecksums: true }));
    const udp = rebroadcast.find(
      (f) => f.ok && f.value.kind === 'udp' && f.value.ip.dst === '255.255.255.255',
    );
    assert.ok(udp?.ok, 'rebroadcast frame on B with valid IPv4 and UDP checksums');
    assert.equal(udp.value.eth.dst, 'ff:ff:ff:ff:ff:ff');
    assert.equal(udp.value.eth.src, net.host('relayb').mac);
  });

  test('a 4,000-byte payload crosses fragmented and is reassembled by the listener', async () => {
    const payload = Buffer.alloc(4000, 0x5a);
    payload.write('big search');
    const r = await roundTrip('255.255.255.255', payload, 40001);
    assert.equal(r.data.length, 4000);
    assert.deepEqual(r.data, payload);
    assert.equal(r.address, '10.78.1.10');
    assert.equal(r.port, 40001);
    assert.equal(r.replyFrom, '10.78.2.10');
    const fragments = r.records.filter((x) => x.data.length > 1000);
    assert.ok(fragments.length >= 2, `fragmented on B (${r.records.length} frames)`);
  });

  test('a 65,000-byte payload (45 fragments, one mesh datagram) crosses too', async () => {
    const payload = Buffer.alloc(65_000, 0xa5);
    payload.write('huge search');
    const r = await roundTrip('255.255.255.255', payload, 40007);
    assert.equal(r.data.length, 65_000);
    assert.deepEqual(r.data, payload);
    assert.equal(r.address, '10.78.1.10');
  });

  test('a directed broadcast to 10.78.1.255 arrives as 10.78.2.255', async () => {
    const payload = Buffer.from('directed search');
    const r = await roundTrip('10.78.1.255', payload, 40002);
    assert.deepEqual(r.data, payload);
    assert.equal(r.address, '10.78.1.10');
    const dsts = r.records.flatMap((x) => {
      const f = parseFrame(x.data, { verifyTransportChecksums: true });
      return f.ok && f.value.kind === 'udp' && f.value.udp.dstPort === PORT ? [f.value.ip.dst] : [];
    });
    assert.deepEqual(dsts, ['10.78.2.255']);
  });

  test('the link delivers locally sent frames only when opened with outgoing: true', async () => {
    assert.deepEqual(await relayA.call('localBroadcastSeen', true, 40010), [PACKET_OUTGOING]);
    assert.deepEqual(await relayA.call('localBroadcastSeen', false, 40011), []);
  });

  test('a broadcast sent by a process on the relay host itself is relayed', async () => {
    const received = listener.next('datagram', 3000);
    await relayA.call('broadcast', '255.255.255.255', PORT, Buffer.from('from the relay host'), 40003);
    const [data, address, port] = (await received) as [Buffer, string, number];
    assert.equal(data.toString(), 'from the relay host');
    assert.equal(address, '10.78.1.2');
    assert.equal(port, 40003);
  });

  test('a listener on the receiving relay host itself gets the relayed broadcast too', async () => {
    await relayB.call('listen', PORT, false);
    const local = relayB.next('datagram', 3000);
    const remote = listener.next('datagram', 3000);
    await client.call('broadcast', '10.78.1.255', PORT, Buffer.from('co-located listener'), 40008);
    const [data, address, port] = (await local) as [Buffer, string, number];
    assert.equal(String(data), 'co-located listener');
    assert.equal(address, '10.78.1.10');
    assert.equal(port, 40008);
    await remote;
  });

  test('without a key, a SnowSignal mesh message (the fixture) is accepted', async () => {
    const record = parsePcap(readFileSync(join(repoRoot, 'test/fixtures/snowsignal-mesh.pcap'))).records[0];
    const frame = parseFrame(record.data, { verifyTransportChecksums: false });
    assert.ok(frame.ok && frame.value.kind === 'udp');
    const message = frame.value.udp.payload;
    assert.equal(message.subarray(0, 2).toString(), 'SS');
    const received = listener.next('datagram', 3000);
    await client.call('sendTo', '10.78.2.2', MESH, Buffer.from(message));
    const [data, address, port] = (await received) as [Buffer, string, number];
    assert.equal(data.toString(), 'hello snowsignal\n');
    assert.equal(address, '10.78.1.10');
    assert.equal(port, 40000);
  });

  test('with a shared key: authenticated relaying works; forged, altered, replayed and plain messages are dropped', async () => {
    await Promise.all([relayA.call('stopRelay'), relayB.call('stopRelay')]);
    await start(relayA, '10.78.2.2', 'swordfish');
    await start(relayB, '10.78.1.2', 'swordfish');
    const r = await roundTrip('255.255.255.255', Buffer.from('authenticated search'), 40004);
    assert.equal(r.data.toString(), 'authenticated search');

    const innerFrame = encodeUdpFrame({
      srcMac: net.host('client').mac,
      dstMac: 'ff:ff:ff:ff:ff:ff',
      src: '10.78.1.10',
      dst: '255.255.255.255',
      srcPort: 40005,
      dstPort: PORT,
      payload: Buffer.from('hand-made search'),
    });
    const senderId = Buffer.from('0102030405060708', 'hex');
    const counter = Date.now() * 1000;
    const forged = encodeAuthMesh({ senderId, counter, frame: innerFrame }, Buffer.from('not the key'));
    const valid = encodeAuthMesh(
      { senderId, counter: counter + 1, frame: innerFrame },
      Buffer.from('swordfish'),
    );
    const altered = Buffer.from(valid);
    altered[altered.length - 1] ^= 1;
    let datagrams = 0;
    listener.on('datagram', () => datagrams++);
    for (const message of [forged, altered, Buffer.concat([Buffer.from('SS'), innerFrame])])
      await client.call('sendTo', '10.78.2.2', MESH, message);
    await pause(300);
    assert.equal(datagrams, 0, 'nothing forged reaches the listener');
    await client.call('sendTo', '10.78.2.2', MESH, valid);
    await pause(300);
    assert.equal(datagrams, 1, 'the genuine message is rebroadcast');
    await client.call('sendTo', '10.78.2.2', MESH, valid);
    await pause(300);
    assert.equal(datagrams, 1, 'its replay is not');
    const c = await relayB.call('counters');
    assert.equal(c.dropped.forged, 2);
    assert.equal(c.dropped.unauthenticated, 1);
    assert.equal(c.dropped.replayed, 1);
    await listener.next('datagram', 1000); // the one genuine datagram, also queued for next()
  });

  test('Docker Swarm discovery: peers are tasks.<service> minus our own address, re-resolved', async () => {
    await Promise.all([relayA.call('stopRelay'), relayB.call('stopRelay')]);
    const dns = { 'tasks.relays': ['10.78.1.2', '10.78.2.2'] };
    const options = (interval: number) => ({
      interface: 'eth0',
      ports: [PORT],
      mesh: { port: MESH, serviceName: 'relays', discoveryIntervalMs: interval },
    });
    await relayA.call('startRelay', options(10_000), dns);
    await relayB.call('startRelay', options(100), dns);
    assert.deepEqual(await relayA.call('peers'), [{ address: '10.78.2.2', port: MESH }]);
    assert.deepEqual(await relayB.call('peers'), [{ address: '10.78.1.2', port: MESH }]);
    const r = await roundTrip('255.255.255.255', Buffer.from('swarm search'), 40006);
    assert.equal(r.data.toString(), 'swarm search');
    assert.equal(r.address, '10.78.1.10');
    // relay A's task goes away: B drops it from its peers at the next round
    await relayB.call('setFakeDns', { 'tasks.relays': ['10.78.2.2'] });
    for (let i = 0; i < 50 && ((await relayB.call('peers')) as unknown[]).length > 0; i++) await pause(20);
    assert.deepEqual(await relayB.call('peers'), []);
  });
});
