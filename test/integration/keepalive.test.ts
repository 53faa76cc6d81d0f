// TCP keepalive offload on the test LAN (sps-protocol.md §5.4): a real TCP connection from the waker to a
// service in the sleeper namespace. The sleeper reads its socket's sequence numbers from its kernel
// (TCP_REPAIR, as a Mac's mDNSResponder does before it sleeps), registers a keepalive record for the
// connection with the proxy and falls silent. The waker's kernel sends its own keepalive probes, which
// only the proxy can answer; without answers the waker would drop the connection after 18 s. After 60 s
// of silence, data from the waker wakes the sleeper, and the same TCP session carries on: the sleeper
// echoes the data, no reset anywhere (tcpdump on the waker is the witness).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFrame, type Frame } from '../../src/wire/frame';
import type { KeepaliveRepr } from '../../src/wire/sps-keepalive';
import { parseMagicPacket } from '../../src/wire/wol';
import { parseRegistrationReply } from '../../src/wire/sps-registration';
import { JsonLinesProcess } from '../support/json-lines-process';
import { capture, TestLan, toolUnavailableReason, type Capture, type LanHost } from '../support/lan';
import { parsePcap } from '../support/pcap';
import { repoRoot } from '../support/paths';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { PYTHON, startZeroconf, zeroconfUnavailableReason } from '../support/zeroconf';
import type * as Client from './agents/registration-client-agent';
import { sleeperRegistration } from './sleeper-registration';

const CLIENT = join(__dirname, 'agents', 'registration-client-agent.js');
const TCP_PEER = join(repoRoot, 'test', 'support', 'tcp-peer.py');
const PORT = 5354;
const SERVICE_PORT = 8022;
/** The waker's kernel probes after 8 s without a segment, then every 2 s, and gives up after 5 misses. */
const PEER_KEEPALIVE = { idle: 8, interval: 2, count: 5 };
const QUIET_MS = 60_000;
const KEEPALIVE_INTERVAL_S = 5;

type TcpFrame = Extract<Frame, { kind: 'tcp' }>;

function tcpFrames(pcap: Buffer): TcpFrame[] {
  return parsePcap(pcap).records.flatMap((r) => {
    const f = parseFrame(r.data, { verifyTransportChecksums: false });
    return f.ok && f.value.kind === 'tcp' ? [f.value] : [];
  });
}

describe(
  'TCP keepalive offload on the test LAN: a live connection kept up by the proxy, then woken',
  { skip: toolUnavailableReason('tcpdump', 'nft') ?? zeroconfUnavailableReason() },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let sleeper: LanHost;
    let waker: LanHost;
    let server: JsonLinesProcess;
    let client: JsonLinesProcess;
    let onWaker: Capture;
    let keepalive: KeepaliveRepr;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-keepalive-'));

    const python = (host: LanHost, args: string[]) =>
      new JsonLinesProcess(
        host.spawn(PYTHON, ['-u', TCP_PEER, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }),
      );

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10', 'waker:20'] });
      sleeper = lan.host('sleeper');
      waker = lan.host('waker');
      proxy = await startSleepProxy(lan.host('proxy'), { stateDir, port: PORT });
      onWaker = await capture(waker, `tcp port ${SERVICE_PORT}`);
    });
    after(async () => {
      await Promise.all([server?.stop(), client?.stop()].map((p) => p?.catch(() => undefined)));
      await onWaker?.stop().catch(() => undefined);
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('python3-zeroconf sees the proxy advertise feature 1 (keepalive offload) in its instance name', async () => {
      const browser = startZeroconf(waker, ['browse', '_sleep-proxy._udp']);
      try {
        const found = await browser.next((l) => l.event === 'added', 10_000);
        assert.match(String(found.name), /^20-35-10-67\.1 Test Proxy\._sleep-proxy\._udp\.local\.$/);
      } finally {
        await browser.stop();
      }
    });

    test('the sleeper registers a keepalive record built from its live socket and falls silent', async () => {
      server = python(sleeper, ['server', String(SERVICE_PORT)]);
      await server.next((l) => l.event === 'listening');
      const { idle, interval, count } = PEER_KEEPALIVE;
      client = python(waker, [
        'client',
        sleeper.ipv4,
        String(SERVICE_PORT),
        `${idle}`,
        `${interval}`,
        `${count}`,
      ]);
      const connected = await client.next((l) => l.event === 'connected');
      assert.equal(connected.echo, 'hello');
      const conn = await server.next((l) => l.event === 'connection');
      keepalive = {
        interval: KEEPALIVE_INTERVAL_S,
        local: sleeper.ipv4,
        remote: waker.ipv4,
        localPort: SERVICE_PORT,
        remotePort: Number(conn.remotePort),
        peerMac: waker.mac,
        seq: (Number(conn.sndNxt) - 1) >>> 0,
        ack: Number(conn.rcvNxt),
        window: 502,
      };
      // An SRV on another port only: the keepalive alone must make this connection's data wake.
      const payload = sleeperRegistration({
        host: 'sleeper',
        ipv4: sleeper.ipv4,
        mac: sleeper.mac,
        services: [{ instance: 'sleeper web', type: '_http._tcp', port: 80 }],
        keepalives: [keepalive],
      });
      const agent = await sleeper.runNode<typeof Client>(CLIENT);
      const reply = await agent.call('exchange', 'udp4', lan.host('proxy').ipv4, PORT, payload, 5353, 3000);
      await agent.close();
      const parsed = parseRegistrationReply(reply.data);
      assert.ok(parsed.ok && parsed.value.rcode === 0);
      await sleeper.sleep();
      await proxy.event('takeover', 10_000, (l) => l.address === sleeper.ipv4);
    });

    test(`for ${QUIET_MS / 1000} s the connection stays up on the proxy's keepalives and answers`, async (t) => {
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      client.send('state');
      const state = await client.next((l) => l.event === 'state');
      assert.deepEqual([state.state, state.error, state.readable], ['established', 0, false]);
      const frames = tcpFrames(await onWaker.stop());
      const probes = frames.filter(
        (f) => f.ip.src === waker.ipv4 && f.tcp.payload.length === 0 && f.tcp.seqNumber === keepalive.ack - 1,
      );
      const fromProxy = frames.filter(
        (f) => f.eth.src === lan.host('proxy').mac && f.ip.src === sleeper.ipv4,
      );
      const answers = fromProxy.filter((f) => f.tcp.seqNumber === keepalive.seq + 1);
      const periodic = fromProxy.filter((f) => f.tcp.seqNumber === keepalive.seq);
      t.diagnostic(
        `${probes.length} probes, ${answers.length} answers, ${periodic.length} periodic keepalives`,
      );
      // One probe every 8 s from the waker, each answered; ours every 5 s.
      assert.ok(probes.length >= 5, `${probes.length} probes from the waker`);
      assert.ok(answers.length >= probes.length - 1, `${answers.length} answers to ${probes.length} probes`);
      assert.ok(periodic.length >= 10, `${periodic.length} periodic keepalives`);
      for (const f of fromProxy) {
        assert.deepEqual([f.tcp.ack, f.tcp.syn, f.tcp.rst, f.tcp.fin], [true, false, false, false]);
        assert.equal(f.tcp.ackNumber, keepalive.ack);
        assert.equal(f.tcp.window, keepalive.window);
        assert.equal(f.ip.version === 4 && f.ip.ttl, 63);
      }
      onWaker = await capture(waker, `tcp port ${SERVICE_PORT}`);
    });

    test('data from the waker wakes the sleeper, and the same session goes on without a reset', async () => {
      const onSleeper = await capture(sleeper, 'ether proto 0x0842');
      client.send('send wake-up');
      const wake = await proxy.event('wake', 5000);
      assert.deepEqual(wake.reason, {
        kind: 'keepalive',
        port: SERVICE_PORT,
        from: waker.ipv4,
        segment: 'data',
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const magic = parsePcap(await onSleeper.stop()).records.flatMap((r) => {
        const f = parseFrame(r.data);
        const packet = f.ok ? parseMagicPacket(f.value.eth.payload) : undefined;
        return packet?.ok ? [packet.value.target] : [];
      });
      assert.ok(magic.includes(sleeper.mac), `magic packets on the sleeper's wire: ${JSON.stringify(magic)}`);
      await sleeper.wake();
      const reply = await client.next((l) => l.event === 'reply', 30_000);
      assert.equal(reply.text, 'wake-up', JSON.stringify(reply));
      await server.next((l) => l.event === 'echoed' && l.text === 'wake-up');
      await proxy.event('woke', 5000);
      const resets = tcpFrames(await onWaker.stop()).filter((f) => f.tcp.rst);
      assert.deepEqual(resets, []);
    });
  },
);
