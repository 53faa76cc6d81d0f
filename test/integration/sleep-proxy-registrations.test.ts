// The sleep proxy (`sleep-proxy` command, a black box) on the test LAN, the registration side of
// issue 3's "done when": a split registration (the 4 UPDATE fragments of the captured 33-service
// client, one message ID) is answered fragment by fragment and stored whole; nothing answers for the
// sleeper's address before the probe phase ends (arping); afterwards python3-zeroconf in the waker
// resolves the silent sleeper's services and address through the proxy; a 6-byte SecureOn password
// reaches the sleeper's wire in the magic packets (tcpdump); and two proxied sleepers survive a
// SIGKILL of the proxy: both held again (takeover, arping) within 5 s of the restart.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFrame } from '../../src/wire/frame';
import { parseRegistration, parseRegistrationReply } from '../../src/wire/sps-registration';
import { parseMagicPacket } from '../../src/wire/wol';
import { capture, lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { parsePcap } from '../support/pcap';
import { updateDatagrams } from '../support/sps-fixtures';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { startZeroconf, zeroconfUnavailableReason } from '../support/zeroconf';
import type * as Client from './agents/sps-client-agent';
import { sleeperRegistration, type SleeperSpec } from './sleeper-registration';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;
/** The client of the captures (its UPDATE bytes name this MAC and 10.77.0.10). */
const SLEEPER_MAC = '02:53:50:00:00:0a';
/** mdnsresponder-registration-multipacket.txt: 3 named services plus 30 "Extra Service Number n". */
const MULTIPACKET_SERVICES = 33;
const PASSWORD = Buffer.from('a1b2c3d4e5f6', 'hex');

interface View {
  hostMac: string;
  addresses: string[];
  services: { name: string; type: string; port: number }[];
}

const arping = (from: LanHost, address: string, seconds = 2) =>
  from.exec('arping', ['-c', String(seconds), '-w', String(seconds), '-I', 'eth0', address]);

describe(
  'sleep proxy registrations on the test LAN',
  {
    skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'arping') ?? zeroconfUnavailableReason(),
  },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let sleeper: LanHost;
    let bravo: LanHost;
    let waker: LanHost;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-registrations-'));
    const startProxy = () => startSleepProxy(lan.host('proxy'), { stateDir, port: PORT });
    const bravoSpec = (extra: Partial<SleeperSpec> = {}): SleeperSpec => ({
      host: 'bravo',
      ipv4: bravo.ipv4,
      mac: bravo.mac,
      services: [{ instance: 'Bravo Web', type: '_http._tcp', port: 80 }],
      ...extra,
    });

    /** Registers from `host` (port 5353) and returns the parsed replies. */
    async function register(host: LanHost, payloads: readonly Buffer[]) {
      const client = await host.runNode<typeof Client>(CLIENT);
      try {
        const replies = await client.call('register', lan.host('proxy').ipv4, PORT, payloads, 5353, 3000);
        return replies.map((r) => {
          const parsed = parseRegistrationReply(r.data);
          assert.ok(parsed.ok, 'reply parses');
          return parsed.value;
        });
      } finally {
        await client.close();
      }
    }

    before(async () => {
      lan = await TestLan.create({
        hosts: ['proxy:2', { name: 'sleeper', n: 10, mac: SLEEPER_MAC }, 'bravo:11', 'waker:20'],
      });
      sleeper = lan.host('sleeper');
      bravo = lan.host('bravo');
      waker = lan.host('waker');
      proxy = await startProxy();
    });
    after(async () => {
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('a registration split over 4 UPDATEs is answered fragment by fragment; nothing answers before the probes end', async (t) => {
      const fragments = updateDatagrams('mdnsresponder-registration-multipacket.pcap');
      assert.equal(fragments.length, 4);
      const id = fragments[0].payload.readUInt16BE(0);
      assert.ok(fragments.every((f) => f.payload.readUInt16BE(0) === id));
      const replies = await register(
        sleeper,
        fragments.map((f) => f.payload),
      );
      const registeredAt = Date.now();
      await sleeper.sleep(); // before the first probe (t+1 s), which the awake host would answer
      assert.deepEqual(
        replies.map((r) => [r.id, r.rcode, r.lease]),
        fragments.map(() => [id, 0, 7200]),
      );

      // Probes at t+1..3 s, first announcement at t+4 s: until then the address is not ours to answer.
      const early = await arping(waker, sleeper.ipv4);
      const silentUntil = Date.now() - registeredAt;
      assert.ok(silentUntil < 4000, `arping ran until t+${silentUntil} ms, past the probe phase`);
      t.diagnostic(`no ARP answer until t+${silentUntil} ms`);
      assert.doesNotMatch(early.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac), early.stdout);
      assert.match(early.stdout, /Received 0 response/, early.stdout);

      proxy.command('list');
      const list = await proxy.event('list', 2000);
      const [view] = list.sleepers as View[];
      assert.equal(view.hostMac, SLEEPER_MAC);
      assert.equal(view.services.length, MULTIPACKET_SERVICES);
      const expected = fragments.flatMap((f) => {
        const reg = parseRegistration(f.payload);
        assert.ok(reg.ok);
        return reg.value.records.filter((r) => r.data.kind === 'srv').map((r) => r.name.split('.')[0]);
      });
      assert.deepEqual(view.services.map((s) => s.name).sort(), expected.sort());
      assert.ok(view.services.some((s) => s.name === 'Sleeper Extra Service Number 30' && s.port === 8030));
    });

    test("then the proxy holds the address, and python3-zeroconf resolves the silent sleeper's services through it", async () => {
      await proxy.event('takeover', 10_000, (l) => l.address === sleeper.ipv4);
      const arp = await arping(waker, sleeper.ipv4);
      assert.match(arp.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac), arp.stdout);

      const browsers = ['_ssh._tcp', '_smb._tcp'].map((type) => startZeroconf(waker, ['browse', type]));
      try {
        const [ssh, smb] = await Promise.all(browsers.map((b) => b.next((l) => l.event === 'added', 10_000)));
        assert.deepEqual(
          { name: ssh.name, server: ssh.server, port: ssh.port, addresses: ssh.addresses },
          {
            name: 'Sleeper SSH._ssh._tcp.local.',
            server: 'sleeper.local.',
            port: 22,
            addresses: [sleeper.ipv4, sleeper.linkLocal],
          },
        );
        assert.equal(smb.name, 'Sleeper SMB._smb._tcp.local.');
        assert.equal(smb.port, 445);
        assert.deepEqual(smb.addresses, [sleeper.ipv4, sleeper.linkLocal]);
      } finally {
        await Promise.all(browsers.map((b) => b.stop()));
      }
    });

    test('a 6-byte SecureOn password (Owner option of length 20) is in every 0x0842 magic packet', async () => {
      const payload = sleeperRegistration(bravoSpec({ id: 0x0b01, password: PASSWORD }));
      const parsed = parseRegistration(payload);
      assert.ok(parsed.ok);
      assert.equal(parsed.value.owner.length, 20);
      const [reply] = await register(bravo, [payload]);
      assert.equal(reply.rcode, 0);
      await bravo.sleep();

      const magic = await capture(bravo, 'ether proto 0x0842 or udp port 9');
      proxy.command(`wake ${bravo.mac}`);
      await proxy.event('wake', 2000, (l) => (l.sleeper as View).hostMac === bravo.mac);
      await new Promise((r) => setTimeout(r, 1500)); // round 1: 0x0842 to the wake MAC, UDP to port 9
      proxy.command(`release ${bravo.mac}`);
      await proxy.event('released', 2000, (l) => (l.sleeper as View).hostMac === bravo.mac);
      const seen = parsePcap(await magic.stop()).records.map((r) => {
        const frame = parseFrame(r.data, { verifyTransportChecksums: false });
        assert.ok(frame.ok && (frame.value.kind === 'wol' || frame.value.kind === 'udp'));
        const body = frame.value.kind === 'wol' ? frame.value.eth.payload : frame.value.udp.payload;
        const packet = parseMagicPacket(body);
        assert.ok(packet.ok);
        assert.equal(packet.value.target, bravo.mac);
        // The UDP port-9 copy is KFIX/RCL's, without password (sps-protocol.md §5.2).
        if (frame.value.kind === 'wol')
          assert.equal(packet.value.password?.toString('hex'), PASSWORD.toString('hex'));
        return frame.value.kind;
      });
      assert.ok(seen.includes('wol') && seen.includes('udp'), `magic packets seen: ${seen.join(' ')}`);
    });

    test('two proxied sleepers are held again within 5 s of a SIGKILL and restart', async (t) => {
      await bravo.wake({ announce: false });
      const [reply] = await register(bravo, [sleeperRegistration(bravoSpec({ id: 0x0b02 }))]);
      await bravo.sleep();
      assert.equal(reply.rcode, 0);
      await proxy.event('takeover', 10_000, (l) => l.address === bravo.ipv4);

      proxy.child.kill('SIGKILL');
      await new Promise((r) => proxy.child.once('exit', r));
      const restartedAt = Date.now();
      proxy = await startProxy();
      const started = proxy.lines.find((l) => l.event === 'started') as { sleepers: View[] };
      assert.deepEqual(started.sleepers.map((s) => s.hostMac).sort(), [SLEEPER_MAC, bravo.mac].sort());
      const bravoView = started.sleepers.find((s) => s.hostMac === bravo.mac);
      assert.deepEqual(
        bravoView?.services.map((s) => s.name),
        ['Bravo Web'],
      );

      await Promise.all(
        [sleeper.ipv4, bravo.ipv4].map((a) => proxy.event('takeover', 6000, (l) => l.address === a)),
      );
      const heldAfter = Date.now() - restartedAt;
      assert.ok(heldAfter <= 5000, `both held again ${heldAfter} ms after the restart`);
      t.diagnostic(`both held again ${heldAfter} ms after the restart`);
      for (const address of [sleeper.ipv4, bravo.ipv4]) {
        const arp = await arping(waker, address, 1);
        assert.match(arp.stdout.toLowerCase(), new RegExp(lan.host('proxy').mac), arp.stdout);
      }
      assert.equal(await proxy.stop(), 0);
    });
  },
);
