// The `sleep-proxy` command when its interface misbehaves (issue 10, faults): taken down and up, given
// another address, deleted (the veth pair) and created again. Each time the process lives, says so
// ({"event":"waiting"} while the interface is unusable, "started" when it runs on it again) and
// resumes proxying the sleeper it held: a new link socket, its capture filter and multicast groups,
// and the takeover of the sleeper's addresses again (a "takeover" event, and arping and ndisc6 from
// the waker answered with the proxy's MAC).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BRIDGE_IFNAME, HOST_IFNAME, IPV4_PREFIX, IPV6_PREFIX } from '../support/lan/addressing';
import { lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { startSleepProxy, type SleepProxyProcess, type Line } from '../support/sleep-proxy-process';
import type * as Client from './agents/sps-client-agent';
import { sleeperRegistration } from './sleeper-registration';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;

describe(
  'sleep proxy when its interface goes down, changes or vanishes',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('arping', 'ndisc6') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let host: LanHost;
    let sleeper: LanHost;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-interface-'));

    const ip = async (on: { exec: LanHost['exec'] }, lines: string[]) => {
      const r = await on.exec('ip', ['-batch', '-'], { input: `${lines.join('\n')}\n` });
      assert.equal(r.code, 0, r.stderr);
    };

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'sleeper:10', 'waker:20'] });
      host = lan.host('proxy');
      sleeper = lan.host('sleeper');
      proxy = await startSleepProxy(host, { stateDir, port: PORT });
      const client = await sleeper.runNode<typeof Client>(CLIENT);
      const payload = sleeperRegistration({
        host: 'sleeper',
        ipv4: sleeper.ipv4,
        ipv6: [sleeper.ipv6],
        mac: sleeper.mac,
        services: [{ instance: 'Sleeper SSH', type: '_ssh._tcp', port: 22 }],
      });
      const replies = await client.call('register', host.ipv4, PORT, [payload], 5353, 3000);
      await client.close();
      assert.equal(replies.length, 1);
      await sleeper.sleep();
      await heldAgain(0);
    });
    after(async () => {
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    /** Lines printed from index `from` on that match. */
    const since = (from: number, match: (l: Line) => boolean) =>
      proxy.next((l) => proxy.lines.indexOf(l) >= from && match(l), 15_000, 'a line');

    /** The sleeper's addresses taken over (again) after line `from`, and the waker's tools agree. */
    async function heldAgain(from: number): Promise<void> {
      for (const address of [sleeper.ipv4, sleeper.ipv6])
        await since(from, (l) => l.event === 'takeover' && l.address === address);
      const waker = lan.host('waker');
      const arp = await waker.exec('arping', ['-c', '2', '-w', '3', '-I', 'eth0', sleeper.ipv4]);
      assert.match(arp.stdout.toLowerCase(), new RegExp(host.mac), arp.stdout);
      const ndp = await waker.exec('ndisc6', ['-1', '-r', '3', sleeper.ipv6, 'eth0']);
      assert.match(ndp.stdout.toLowerCase(), new RegExp(host.mac), ndp.stdout);
    }

    async function waitingThenBack(from: number, why: string, restore: () => Promise<void>): Promise<void> {
      await since(from, (l) => l.event === 'waiting' && l.why === why);
      assert.equal(proxy.child.exitCode, null, 'still running');
      const back = proxy.lines.length;
      await restore();
      const started = await since(back, (l) => l.event === 'started');
      assert.deepEqual(
        (started.sleepers as { hostMac: string }[]).map((s) => s.hostMac),
        [sleeper.mac],
      );
      await heldAgain(back);
    }

    test('down and up: waiting, then proxying again', async () => {
      const from = proxy.lines.length;
      await ip(host, [`link set ${HOST_IFNAME} down`]);
      await waitingThenBack(from, `${HOST_IFNAME} is down`, () => ip(host, [`link set ${HOST_IFNAME} up`]));
    });

    test('another address: restarted on it, proxying again', async () => {
      const from = proxy.lines.length;
      await ip(host, [`addr add 10.77.0.3/${IPV4_PREFIX} dev ${HOST_IFNAME}`]);
      await since(from, (l) => l.event === 'started');
      await heldAgain(from);
      const back = proxy.lines.length;
      await ip(host, [`addr del 10.77.0.3/${IPV4_PREFIX} dev ${HOST_IFNAME}`]);
      await since(back, (l) => l.event === 'started');
      await heldAgain(back);
    });

    test('the veth deleted and created again: waiting, then proxying again', async () => {
      const from = proxy.lines.length;
      await ip(host, [`link del ${HOST_IFNAME}`]);
      await waitingThenBack(from, `no interface ${HOST_IFNAME}`, async () => {
        await ip(lan.bridge, [
          `link add ${host.port} address ${host.portMac} type veth peer name ${HOST_IFNAME} netns ${host.ns} address ${host.mac}`,
          `link set ${host.port} master ${BRIDGE_IFNAME}`,
          `link set ${host.port} up`,
        ]);
        await ip(host, [
          `link set ${HOST_IFNAME} up`,
          `addr add ${host.ipv4}/${IPV4_PREFIX} broadcast + dev ${HOST_IFNAME}`,
          `addr add ${host.ipv6}/${IPV6_PREFIX} dev ${HOST_IFNAME} nodad`,
          `route add 224.0.0.0/4 dev ${HOST_IFNAME}`,
        ]);
      });
      assert.equal(await proxy.stop(), 0, 'and it still stops cleanly');
    });
  },
);
