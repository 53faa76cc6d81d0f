// SIGKILL of the `sleep-proxy` command during a burst of registrations (issue 10, faults), end to end
// through the real registration socket: store-kill.test.ts proves the journal keeps every
// acknowledged append; this proves the proxy acknowledges nothing before it is durable. A client host
// holding 60 extra addresses registers each one from itself (a sleeper registers its own address),
// 8 in flight; the test SIGKILLs the proxy once 25 are answered, restarts it on the same state
// directory, and every registration that was answered, before or after the kill, is held again.
// The client host answers no ARP (an nftables rule), so the proxy's probes find the addresses silent
// as a sleeper's would be; the proxy's host knows the client's MAC statically for its replies.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason, TestLan, type NodeChild } from '../support/lan';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import type * as Burst from './agents/registration-burst-agent';
import { sleeperRegistration } from './sleeper-registration';

const AGENT = join(__dirname, 'agents', 'registration-burst-agent.js');
const PORT = 5354;
const COUNT = 60;
const KILL_AFTER = 25;
const FIRST = 100;

interface View {
  hostMac: string;
}

describe('SIGKILL during a burst of registrations', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  let proxy: SleepProxyProcess;
  let client: NodeChild<typeof Burst>;
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-kill-burst-'));
  const addresses = Array.from({ length: COUNT }, (_, i) => `10.77.0.${FIRST + i}`);
  const startProxy = () => startSleepProxy(lan.host('proxy'), { stateDir, port: PORT });

  before(async () => {
    lan = await TestLan.create({ hosts: ['proxy:2', 'client:20'] });
    const host = lan.host('client');
    const sh = (script: string) =>
      host.exec('sh', ['-c', script]).then((r) => assert.equal(r.code, 0, r.stderr));
    await sh(
      `for a in ${addresses.join(' ')}; do ip addr add $a/24 dev eth0; done; ` +
        'sysctl -q -w net.ipv4.conf.all.arp_announce=2 net.ipv4.conf.eth0.arp_announce=2; ' +
        'nft add table arp sps_burst && ' +
        "nft add chain arp sps_burst out '{ type filter hook output priority 0; }' && " +
        'nft add rule arp sps_burst out arp operation reply drop',
    );
    const neigh = [host.ipv4, ...addresses].map(
      (a) => `neigh replace ${a} lladdr ${host.mac} dev eth0 nud permanent`,
    );
    const r = await lan.host('proxy').exec('ip', ['-batch', '-'], { input: `${neigh.join('\n')}\n` });
    assert.equal(r.code, 0, r.stderr);
    client = await host.runNode<typeof Burst>(AGENT);
    proxy = await startProxy();
  });
  after(async () => {
    await client?.close();
    await proxy?.stop();
    await lan?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('every answered registration is held after the restart', async (t) => {
    const items = addresses.map((address, i) => {
      const hostMac = `02:99:00:00:00:${(FIRST + i).toString(16).padStart(2, '0')}`;
      const payload = sleeperRegistration({
        host: `burst${i}`,
        ipv4: address,
        mac: hostMac,
        id: 0x4b00 + i,
        services: [{ instance: `Burst ${i}`, type: '_ssh._tcp', port: 22 }],
      });
      return { source: address, hostMac, payload };
    });
    const answered = new Set<string>();
    let killed = false;
    const killedAt = new Promise<void>((resolve) =>
      client.on('answered', (mac) => {
        answered.add(String(mac));
        if (answered.size >= KILL_AFTER && !killed) {
          killed = true;
          proxy.child.kill('SIGKILL');
          resolve();
        }
      }),
    );
    const done = client.call('burst', items, lan.host('proxy').ipv4, PORT, 8);
    await killedAt;
    await new Promise((r) => proxy.child.once('exit', r));
    const atKill = answered.size;
    // the client keeps retrying: some registrations are answered by the restarted proxy
    proxy = await startProxy();
    const started = proxy.lines.find((l) => l.event === 'started') as { sleepers: View[] };
    const heldAtStart = new Set(started.sleepers.map((s) => s.hostMac));
    for (const mac of [...answered].slice(0, atKill))
      assert.ok(
        heldAtStart.has(mac),
        `${mac} was answered before the kill but is not held after the restart`,
      );
    await done;
    proxy.command('list');
    const list = await proxy.event('list', 3000);
    const held = new Set((list.sleepers as View[]).map((s) => s.hostMac));
    const lost = [...answered].filter((mac) => !held.has(mac));
    t.diagnostic(
      `${atKill} answered at the kill, ${heldAtStart.size} held at the restart, ${answered.size} answered in all, ${held.size} held`,
    );
    assert.deepEqual(lost, [], 'answered but not held');
    assert.ok(atKill >= KILL_AFTER && atKill < COUNT, `${atKill} answered when killed: mid-burst`);
  });
});
