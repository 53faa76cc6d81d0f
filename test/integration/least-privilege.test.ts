// Least privilege (issue 10, README "Least privilege"): the `sleep-proxy` command run as an
// unprivileged user (nobody) holding CAP_NET_RAW and nothing else — setpriv sets it up exactly as
// systemd's AmbientCapabilities=CAP_NET_RAW would — does the whole job on the test LAN: takes the
// captured sleeper's registration, answers ARP and NDP for its IPv4 and link-local addresses (the
// latter needs the solicited-node multicast membership of the packet socket), and wakes it on a SYN.
// With IP forwarding on in its namespace it cannot install blackhole routes (CAP_NET_ADMIN): it says
// so in one warning line carrying the fix, and keeps proxying.
import assert from 'node:assert/strict';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { updateDatagrams } from '../support/sps-fixtures';
import type * as Client from './agents/sps-client-agent';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;
const SLEEPER_MAC = '02:53:50:00:00:0a';
const SLEEPER_LINK_LOCAL = 'fe80::53:50ff:fe00:a';
const NOBODY = 65534;
/** CAP_NET_RAW is capability 13. */
const NET_RAW_ONLY = (1n << 13n).toString(16).padStart(16, '0');
const ONLY_NET_RAW = [
  'setpriv',
  `--reuid=${NOBODY}`,
  `--regid=${NOBODY}`,
  '--clear-groups',
  '--inh-caps=-all,+net_raw',
  '--ambient-caps=-all,+net_raw',
  '--bounding-set=-all,+net_raw',
];

describe(
  'least privilege: an unprivileged user with only CAP_NET_RAW runs the proxy',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('setpriv', 'arping', 'ndisc6') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let sleeper: LanHost;
    let waker: LanHost;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-least-privilege-'));

    before(async () => {
      lan = await TestLan.create({
        hosts: ['proxy:2', { name: 'sleeper', n: 10, mac: SLEEPER_MAC }, 'waker:20'],
      });
      [sleeper, waker] = ['sleeper', 'waker'].map((name) => lan.host(name));
      const forwarding = await lan.host('proxy').exec('sysctl', ['-w', 'net.ipv4.ip_forward=1']);
      assert.equal(forwarding.code, 0, forwarding.stderr);
      chownSync(stateDir, NOBODY, NOBODY);
      proxy = await startSleepProxy(lan.host('proxy'), { stateDir, port: PORT, prefix: ONLY_NET_RAW });
    });
    after(async () => {
      await proxy?.stop();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('it runs as nobody with CAP_NET_RAW alone', async () => {
      const status = await lan.host('proxy').exec('cat', [`/proc/${proxy.child.pid}/status`]);
      assert.match(status.stdout, new RegExp(`^Uid:\\s+${NOBODY}\\s`, 'm'));
      assert.match(status.stdout, new RegExp(`^CapEff:\\s+${NET_RAW_ONLY}$`, 'm'));
    });

    test('registration, ARP and NDP answers, and a wake on a SYN all work', async () => {
      const client = await sleeper.runNode<typeof Client>(CLIENT);
      const fragments = updateDatagrams('mdnsresponder-registration.pcap').map((u) => u.payload);
      const replies = await client.call('register', lan.host('proxy').ipv4, PORT, fragments, 5353, 3000);
      await client.close();
      assert.equal(replies.length, fragments.length);
      await sleeper.sleep();
      const proxyMac = new RegExp(lan.host('proxy').mac);
      await proxy.event('takeover', 15_000, (l) => l.address === sleeper.ipv4);
      const arp = await waker.exec('arping', ['-c', '2', '-w', '3', '-I', 'eth0', sleeper.ipv4]);
      assert.match(arp.stdout.toLowerCase(), proxyMac, arp.stdout);
      await proxy.event('takeover', 15_000, (l) => l.address === SLEEPER_LINK_LOCAL);
      const ndp = await waker.exec('ndisc6', ['-1', '-r', '3', SLEEPER_LINK_LOCAL, 'eth0']);
      assert.match(ndp.stdout.toLowerCase(), proxyMac, ndp.stdout);
      await waker.exec('timeout', ['1.5', 'bash', '-c', `exec 3<>/dev/tcp/${sleeper.ipv4}/22`]);
      const wake = await proxy.event('wake', 3000);
      assert.equal((wake.reason as { kind: string }).kind, 'syn');
    });

    test('without CAP_NET_ADMIN, forwarding on: one warning with the fix, no crash', () => {
      const warnings = proxy.stderr.split('\n').filter((l) => /blackhole route/.test(l));
      assert.equal(warnings.length, 1, proxy.stderr);
      assert.match(warnings[0], /IP forwarding is on/);
      assert.match(warnings[0], /CAP_NET_ADMIN/);
      assert.equal(proxy.child.exitCode, null, 'still running');
    });
  },
);
