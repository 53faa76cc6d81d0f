// The live fuzz (issue 10): the `sleep-proxy` command on the test LAN proxies two silent sleepers while
// the waker sends it mutants of real inputs for 60 s (agents/live-fuzz-agent.ts: registrations, mDNS
// to the group and to the proxy, raw frames through the link addon). Every 10 s, and once more at the
// end, a witness host checks that both sleepers are still answered for: ARP (arping), NDP (ndisc6)
// and mDNS (a query for each host name). Throughout: the process is alive; at the end its resident
// memory has not run away and its file descriptors (/proc/<pid>/fd) are back to where they started.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  lanUnavailableReason,
  TestLan,
  toolUnavailableReason,
  type LanHost,
  type NodeChild,
} from '../support/lan';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import type * as Fuzz from './agents/live-fuzz-agent';
import type * as Client from './agents/sps-client-agent';
import { sleeperRegistration } from './sleeper-registration';

const FUZZ = join(__dirname, 'agents', 'live-fuzz-agent.js');
const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;
const SECONDS = 60;
const SEED = 0x11fe_f022;
/** Resident memory may grow by this much (the fuzz's accepted registrations, V8's heap): no more. */
const RSS_GROWTH_MAX_KB = 128 * 1024;

const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;
const rssKb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN);

describe(
  'live fuzz: a running proxy under 60 s of mutated registrations, mDNS and frames',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('arping', 'ndisc6') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let witness: NodeChild<typeof Fuzz>;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-live-fuzz-'));
    const names = ['alpha', 'bravo'];
    const sleepers = () => names.map((n, i) => ({ host: lan.host(n), port: 54_321 + i }));

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'alpha:31', 'bravo:32', 'waker:20', 'witness:21'] });
      proxy = await startSleepProxy(lan.host('proxy'), { stateDir, port: PORT });
      for (const { host, port } of sleepers()) {
        const client = await host.runNode<typeof Client>(CLIENT);
        const payload = sleeperRegistration({
          host: host.name,
          ipv4: host.ipv4,
          ipv6: [host.ipv6],
          mac: host.mac,
          services: [{ instance: `${host.name} service`, type: '_fuzzsvc._tcp', port }],
        });
        const replies = await client.call('register', lan.host('proxy').ipv4, PORT, [payload], 5353, 3000);
        await client.close();
        assert.equal(replies.length, 1, `${host.name} registered`);
        await host.sleep();
      }
      for (const { host } of sleepers())
        for (const address of [host.ipv4, host.ipv6])
          await proxy.event('takeover', 15_000, (l) => l.address === address);
      witness = await lan.host('witness').runNode<typeof Fuzz>(FUZZ);
    });
    after(async () => {
      await witness?.close();
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    /** What the witness sees for each sleeper: which MAC answers ARP and NDP, what mDNS says. */
    async function witnessed(): Promise<string[]> {
      const proxyMac = lan.host('proxy').mac;
      const w: LanHost = lan.host('witness');
      const problems: string[] = [];
      for (const { host } of sleepers()) {
        const arp = await w.exec('arping', ['-c', '2', '-w', '3', '-I', 'eth0', host.ipv4]);
        if (!arp.stdout.toLowerCase().includes(proxyMac)) problems.push(`ARP ${host.name}: ${arp.stdout}`);
        const ndp = await w.exec('ndisc6', ['-1', '-r', '3', host.ipv6, 'eth0']);
        if (!ndp.stdout.toLowerCase().includes(proxyMac)) problems.push(`NDP ${host.name}: ${ndp.stdout}`);
        const a = await witness.call('queryA', `${host.name}.local`, w.ipv4, 3000);
        if (!a.includes(host.ipv4)) problems.push(`mDNS ${host.name}.local: ${JSON.stringify(a)}`);
      }
      return problems;
    }

    test('the process lives, both sleepers stay answered, memory is bounded, fds come back', async (t) => {
      const pid = proxy.child.pid ?? 0;
      assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /cli\.js/, 'the pid is the proxy itself');
      assert.deepEqual(await witnessed(), [], 'answered before the fuzz');
      const fds = fdCount(pid);
      const rss = rssKb(pid);

      const waker = lan.host('waker');
      const fuzzer = await waker.runNode<typeof Fuzz>(FUZZ);
      const plan: Fuzz.Plan = {
        seconds: SECONDS,
        seed: SEED,
        proxyMac: lan.host('proxy').mac,
        proxyIpv4: lan.host('proxy').ipv4,
        registrationPort: PORT,
        ownMac: waker.mac,
        ownIpv4: waker.ipv4,
        ownLinkLocal: waker.linkLocal,
        sleepers: sleepers().map(({ host, port }) => ({
          name: host.name,
          mac: host.mac,
          ipv4: host.ipv4,
          ipv6: host.ipv6,
          port,
        })),
      };
      let fuzzing = true;
      const fuzz = fuzzer.call('run', plan).finally(() => (fuzzing = false));
      const during: string[] = [];
      let rounds = 0;
      let peakRss = rss;
      while (fuzzing) {
        await new Promise((r) => setTimeout(r, 10_000));
        assert.equal(proxy.child.exitCode, null, `the proxy died: ${proxy.stderr.slice(-2000)}`);
        peakRss = Math.max(peakRss, rssKb(pid));
        if (!fuzzing) break;
        during.push(...(await witnessed()));
        rounds++;
      }
      const sent = await fuzz;
      await fuzzer.close();
      t.diagnostic(`sent ${JSON.stringify(sent)}; ${rounds} witness rounds during the fuzz`);
      assert.equal(proxy.child.exitCode, null, `the proxy died: ${proxy.stderr.slice(-2000)}`);
      assert.ok(sent.frames > 10_000 && sent.registrations > 1000 && sent.mdns > 2000, JSON.stringify(sent));
      assert.ok(rounds >= 3, `${rounds} witness rounds`);
      assert.deepEqual(during, [], 'answered during the fuzz');
      assert.deepEqual(await witnessed(), [], 'answered after the fuzz');

      // compactions and the like may hold a file for a moment: the count must come back, not stay up
      let after = fdCount(pid);
      for (let i = 0; i < 50 && after !== fds; i++) {
        await new Promise((r) => setTimeout(r, 100));
        after = fdCount(pid);
      }
      const finalRss = rssKb(pid);
      t.diagnostic(`fds ${fds} -> ${after}; RSS ${rss} kB -> peak ${peakRss} kB -> ${finalRss} kB`);
      assert.equal(after, fds, 'file descriptors back to their start');
      assert.ok(peakRss - rss < RSS_GROWTH_MAX_KB, `RSS grew from ${rss} kB to ${peakRss} kB`);
      assert.equal(proxy.stderr.match(/uncaught|TypeError|RangeError/gi), null, proxy.stderr.slice(-2000));
      assert.equal(await proxy.stop(), 0, 'and it still stops cleanly');
    });
  },
);
