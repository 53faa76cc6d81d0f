// Every wake trigger of sps-protocol.md §5.1 on the test LAN, with the `sleep-proxy` command as a black
// box and tcpdump in each sleeper's namespace as the witness of magic packets (EtherType 0x0842 frames
// and the UDP port-9 copy). One proxy, one sleeper per trigger (registered together, all silent), so
// that every case starts from a sleeper the proxy holds; `quiet` takes every negative case and must
// never see a magic packet. The waker sends plain UDP through its kernel and crafts with scapy what a
// socket cannot send. Covered elsewhere: SYN to a registered / unregistered port (sleep-proxy.test.ts),
// an ARP conflict and lease expiry (sleep-proxy-lifecycle.test.ts), the proxy switched off
// (sleep-proxy-hand-over.test.ts).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { capture, lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { MAGIC_FILTER, magicPacketsFor } from '../support/magic-witness';
import { parsePcap } from '../support/pcap';
import { startSleepProxy, type Line, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { answerMdns, claimIpv6, scapyUnavailableReason, sendTcp, sendUdp } from '../support/traffic';
import { registerAndSleep } from './register-sleeper';
import type { SleeperService } from './sleeper-registration';

const PORT = 5354;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';
/** Long enough for round 1 to be on the wire after the wake event. */
const ROUND_ONE_MS = 600;
/** Rounds are 2 s apart (src/core/wake.ts): frames within 1 s of the first belong to round 1. */
const ROUND_GAP_MS = 1000;
/** How long a negative case waits for a wake that must not come. */
const QUIET_MS = 1000;

const ssh: SleeperService = { instance: 'ssh', type: '_ssh._tcp', port: 22 };
const game: SleeperService = { instance: 'game', type: '_game._udp', port: 5000 };
const sync: SleeperService = { instance: 'sync', type: '_sync._udp', port: 5005 };
/** Each sleeper's services: quiet registers neither 5000 nor 4500 nor 3283 nor 22 data-only ports. */
const SLEEPERS: Record<string, readonly SleeperService[]> = {
  quiet: [ssh, sync],
  udp: [game],
  ipsec: [ssh],
  ard: [ssh],
  sshdata: [ssh],
  ndp: [ssh],
  ndpns: [ssh],
  mdns: [ssh],
};

const sleeperOf = (l: Line) => (l.sleeper as { hostMac: string }).hostMac;
const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** IKEv2 over NAT-T: the 4-byte zero non-ESP marker, then a 28-byte IKE header with this exchange type. */
function ike(exchange: number): Buffer {
  const header = Buffer.alloc(28);
  Buffer.from('0102030405060708', 'hex').copy(header, 0); // initiator SPI
  header[16] = 33; // next payload: SA
  header[17] = 0x20; // version 2.0
  header[18] = exchange;
  header[19] = 0x08; // initiator
  header.writeUInt32BE(28, 24);
  return Buffer.concat([Buffer.alloc(4), header]);
}
/** ESP in UDP: a non-zero SPI, a sequence number, ciphertext. */
const ESP = Buffer.from(`0000abcd00000001${'5a'.repeat(32)}`, 'hex');
/** Apple Remote Desktop's wake packet: at least 110 bytes starting 0x13 0x88. */
const ARD_WAKE = Buffer.concat([Buffer.from([0x13, 0x88]), Buffer.alloc(118, 0x41)]);

describe(
  'wake triggers (sps-protocol.md §5.1) on the test LAN',
  {
    skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump', 'ping') ?? scapyUnavailableReason(),
  },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let waker: LanHost;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-triggers-'));
    const host = (name: string) => lan.host(name);

    async function register(sleeper: LanHost, services: readonly SleeperService[], id: number) {
      const ipv6 = sleeper.name.startsWith('ndp') ? [sleeper.ipv6] : [];
      await registerAndSleep(sleeper, { ipv4: host('proxy').ipv4, port: PORT }, { ipv6, id, services });
      for (const address of [sleeper.ipv4, ...ipv6])
        await proxy.event('takeover', 10_000, (l) => l.address === address);
    }

    /**
     * Sends `traffic`; the proxy wakes `sleeper` for `reason`; round 1 is on its wire (tcpdump): the 0x0842
     * frame to the wake MAC (plus, for a name conflict, Apple's extra immediate one: our broadcast copy)
     * and the UDP port-9 copy.
     */
    async function assertWakes(
      sleeper: LanHost,
      reason: { readonly kind: string },
      traffic: () => Promise<void>,
    ): Promise<void> {
      const witness = await capture(sleeper, MAGIC_FILTER);
      await traffic();
      const wake = await proxy.event('wake', 5000, (l) => sleeperOf(l) === sleeper.mac);
      assert.deepEqual(wake.reason, reason);
      await delay(ROUND_ONE_MS);
      const seen = magicPacketsFor(await witness.stop(), sleeper.mac);
      proxy.command(`release ${sleeper.mac}`); // no need for the other 14 rounds
      await proxy.event('released', 2000, (l) => sleeperOf(l) === sleeper.mac);
      assert.ok(seen.length > 0, "magic packets on the sleeper's wire");
      // Round 1 only: the traffic may take longer to send than a round (scapy sleeps after its last frame).
      const roundOne = seen.filter((m) => m.at - seen[0].at < ROUND_GAP_MS);
      assert.deepEqual(
        roundOne.filter((m) => m.via === 'ethertype').map((m) => m.dst),
        reason.kind === 'name-conflict' ? [sleeper.mac, BROADCAST] : [sleeper.mac],
        'round 1: the unicast 0x0842 frame (and the extra broadcast one for a name conflict)',
      );
      assert.equal(roundOne.filter((m) => m.via === 'udp').length, 1, 'round 1: one UDP port-9 copy');
    }

    /**
     * Sends `traffic` (`frames` frames) to quiet: they reach the proxy (tcpdump there), and no wake event
     * and no magic packet for quiet follow.
     */
    async function assertQuiet(frames: number, traffic: () => Promise<void>): Promise<void> {
      const quiet = host('quiet');
      const witness = await capture(quiet, MAGIC_FILTER);
      const arrived = await capture(
        host('proxy'),
        `ether dst ${host('proxy').mac} and dst host ${quiet.ipv4}`,
      );
      await traffic();
      await delay(QUIET_MS);
      assert.equal(parsePcap(await arrived.stop()).records.length, frames, 'the traffic reached the proxy');
      assert.deepEqual(magicPacketsFor(await witness.stop(), quiet.mac), [], 'no magic packet for quiet');
      assert.ok(!proxy.lines.some((l) => l.event === 'wake' && sleeperOf(l) === quiet.mac), 'no wake event');
    }

    before(async () => {
      const names = Object.keys(SLEEPERS);
      lan = await TestLan.create({
        hosts: ['proxy:2', 'waker:20', ...names.map((n, i) => `${n}:${10 + i}`)],
      });
      waker = host('waker');
      proxy = await startSleepProxy(host('proxy'), { stateDir, port: PORT });
      await Promise.all(names.map((n, i) => register(host(n), SLEEPERS[n], 0x0b00 + i)));
    });
    after(async () => {
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('UDP to a port without a matching _udp SRV of the sleeper does not wake it', async () => {
      // 5000 is another sleeper's _udp port, so the datagram passes the link filter; 5001 is nobody's.
      await assertQuiet(2, async () => {
        await sendUdp(waker, host('quiet').ipv4, game.port, Buffer.from('hello'));
        await sendUdp(waker, host('quiet').ipv4, 5001, Buffer.from('hello'));
      });
    });

    test('port 4500: the 1-byte 0xFF NAT keepalive, IKE_SA_INIT (34) and IKE Informational (5) do not wake', async () => {
      const to = host('quiet').ipv4;
      await assertQuiet(3, async () => {
        await sendUdp(waker, to, 4500, Buffer.from([0xff]));
        await sendUdp(waker, to, 4500, ike(34));
        await sendUdp(waker, to, 4500, ike(5));
      });
    });

    test('port 3283: packets other than the ARD wake packet do not wake', async () => {
      const to = host('quiet').ipv4;
      await assertQuiet(2, async () => {
        await sendUdp(waker, to, 3283, Buffer.alloc(200, 0x41)); // long, wrong start
        await sendUdp(waker, to, 3283, ARD_WAKE.subarray(0, 109)); // right start, 1 byte short
      });
    });

    test('ICMP echo to a proxied address neither wakes nor is answered', async () => {
      const replies = await capture(waker, 'icmp and not icmp[icmptype] == icmp-echo');
      let ping: { code: number | null } = { code: null };
      await assertQuiet(3, async () => {
        ping = await waker.exec('ping', ['-c', '3', '-i', '0.3', '-W', '1', host('quiet').ipv4]);
      });
      assert.notEqual(ping.code, 0, 'no echo reply');
      assert.equal(parsePcap(await replies.stop()).records.length, 0, 'no echo reply, no unreachable');
    });

    test('UDP to a port with a registered _udp SRV wakes', async () => {
      const sleeper = host('udp');
      const reason = { kind: 'udp', port: game.port, from: waker.ipv4 };
      await assertWakes(sleeper, reason, () => sendUdp(waker, sleeper.ipv4, game.port, Buffer.from('hi')));
    });

    test('port 4500: an ESP packet wakes without any SRV', async () => {
      const sleeper = host('ipsec');
      const reason = { kind: 'udp', port: 4500, from: waker.ipv4 };
      await assertWakes(sleeper, reason, () => sendUdp(waker, sleeper.ipv4, 4500, ESP));
    });

    test('port 3283: the ARD wake packet (>= 110 bytes starting 13 88) wakes without any SRV', async () => {
      const sleeper = host('ard');
      const reason = { kind: 'udp', port: 3283, from: waker.ipv4 };
      await assertWakes(sleeper, reason, () => sendUdp(waker, sleeper.ipv4, 3283, ARD_WAKE));
    });

    test('port 22: a data segment without SYN to a registered _ssh._tcp port wakes', async () => {
      const sleeper = host('sshdata');
      const reason = { kind: 'tcp', port: 22, from: waker.ipv4 };
      await assertWakes(sleeper, reason, () =>
        sendTcp(waker, host('proxy').mac, sleeper.ipv4, 22, 'PA', Buffer.from('SSH-2.0-x\r\n')),
      );
    });

    test('NDP conflict: a Neighbor Advertisement from another MAC for a proxied IPv6 address wakes the owner', async () => {
      const sleeper = host('ndp');
      const reason = { kind: 'conflict', address: sleeper.ipv6, mac: waker.mac };
      await assertWakes(sleeper, reason, () => claimIpv6(waker, sleeper.ipv6, 'na'));
    });

    test('NDP conflict: a Neighbor Solicitation from a proxied IPv6 address by another MAC wakes the owner', async () => {
      const sleeper = host('ndpns');
      const reason = { kind: 'conflict', address: sleeper.ipv6, mac: waker.mac };
      await assertWakes(sleeper, reason, () => claimIpv6(waker, sleeper.ipv6, 'ns'));
    });

    test('mDNS name conflict on a unique proxied record wakes the owner, with an extra immediate magic packet', async () => {
      const sleeper = host('mdns');
      const name = `${sleeper.name}.local`;
      const reason = { kind: 'name-conflict', name };
      // Another host insists on the sleeper's host name with another address (twice: a persistent claim).
      await assertWakes(sleeper, reason, () => answerMdns(waker, name, 'A', '10.77.0.99', 2));
    });

    test('quiet, the target of every negative case, was never woken', () => {
      assert.ok(!proxy.lines.some((l) => l.event === 'wake' && sleeperOf(l) === host('quiet').mac));
    });
  },
);
