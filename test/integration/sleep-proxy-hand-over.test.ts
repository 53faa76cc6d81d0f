// The proxy switched off (sps-protocol.md §5.1, last row), with the `sleep-proxy` command as a black box
// holding two silent sleepers and tcpdump in their namespaces as the witness:
// - with --keep-on-exit (a restart, e.g. systemd's), SIGTERM wakes nobody and the next start proxies
//   both again from the journal;
// - by default SIGTERM hands over: each sleeper gets an immediate magic packet (0x0842 to its MAC and to
//   broadcast, and the UDP port-9 copy), a `wake` event with reason `shutdown`, its address pointed
//   back at it (ARP with its MAC), and is forgotten: the next start holds nobody.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { capture, lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import type { ArpRepr } from '../../src/wire/arp';
import { parseFrame } from '../../src/wire/frame';
import { MAGIC_FILTER, magicPacketsFor, type MagicSeen } from '../support/magic-witness';
import { parsePcap } from '../support/pcap';
import { startSleepProxy, type Line, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { registerAndSleep } from './register-sleeper';

const PORT = 5354;
const BROADCAST = 'ff:ff:ff:ff:ff:ff';

const sleeperOf = (l: Line) => (l.sleeper as { hostMac: string }).hostMac;
const heldAtStart = (p: SleepProxyProcess) =>
  (p.lines.find((l) => l.event === 'started') as { sleepers: { hostMac: string }[] }).sleepers
    .map((s) => s.hostMac)
    .sort();

describe(
  'the proxy switched off hands its sleepers over (test LAN)',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('tcpdump') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let sleepers: LanHost[];
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-hand-over-'));
    const start = (keepOnExit: boolean) =>
      startSleepProxy(lan.host('proxy'), { stateDir, port: PORT, keepOnExit });
    const takenOver = () =>
      Promise.all(sleepers.map((h) => proxy.event('takeover', 10_000, (l) => l.address === h.ipv4)));

    /** SIGTERM, then what each sleeper's wire saw: magic packets for it, ARP naming its MAC. */
    async function stopWatching(): Promise<Map<string, { magic: MagicSeen[]; arp: ArpRepr[] }>> {
      const witnesses = await Promise.all(sleepers.map((h) => capture(h, `(${MAGIC_FILTER}) or arp`)));
      assert.equal(await proxy.stop(), 0, 'exit code');
      await new Promise((r) => setTimeout(r, 300));
      const seen = new Map<string, { magic: MagicSeen[]; arp: ArpRepr[] }>();
      for (const [i, h] of sleepers.entries()) {
        const pcap = await witnesses[i].stop();
        const arp = parsePcap(pcap).records.flatMap((r) => {
          const f = parseFrame(r.data);
          return f.ok && f.value.kind === 'arp' && f.value.eth.src === lan.host('proxy').mac
            ? [f.value.arp]
            : [];
        });
        seen.set(h.mac, { magic: magicPacketsFor(pcap, h.mac), arp });
      }
      return seen;
    }

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'alpha:10', 'bravo:11'] });
      sleepers = [lan.host('alpha'), lan.host('bravo')];
      proxy = await start(true);
      const at = { ipv4: lan.host('proxy').ipv4, port: PORT };
      await Promise.all(
        sleepers.map((h, i) =>
          registerAndSleep(h, at, {
            id: 0x0c00 + i,
            services: [{ instance: 'ssh', type: '_ssh._tcp', port: 22 }],
          }),
        ),
      );
      await takenOver();
    });
    after(async () => {
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('with --keep-on-exit, SIGTERM wakes nobody and the next start proxies both again', async () => {
      const seen = await stopWatching();
      for (const h of sleepers) assert.deepEqual(seen.get(h.mac)?.magic, [], `no magic packet for ${h.name}`);
      assert.ok(!proxy.lines.some((l) => l.event === 'wake'), 'no wake event');
      proxy = await start(false);
      assert.deepEqual(heldAtStart(proxy), sleepers.map((h) => h.mac).sort());
      await takenOver();
    });

    test('SIGTERM wakes both at once (0x0842 unicast and broadcast, UDP :9), hands back their addresses and forgets them', async () => {
      const seen = await stopWatching();
      for (const h of sleepers) {
        const { magic = [], arp = [] } = seen.get(h.mac) ?? {};
        assert.deepEqual(
          magic.filter((m) => m.via === 'ethertype').map((m) => m.dst),
          [h.mac, BROADCAST],
          `${h.name}: one round, both copies`,
        );
        assert.equal(magic.filter((m) => m.via === 'udp').length, 1, `${h.name}: the UDP port-9 copy`);
        assert.ok(
          arp.some((a) => a.senderMac === h.mac && a.senderIp === h.ipv4),
          `${h.name}: its address handed back (ARP with its MAC)`,
        );
        const wake = proxy.lines.find((l) => l.event === 'wake' && sleeperOf(l) === h.mac);
        assert.deepEqual(wake?.reason, { kind: 'shutdown' });
      }
      proxy = await start(false);
      assert.deepEqual(heldAtStart(proxy), [], 'the journal holds nobody');
    });
  },
);
