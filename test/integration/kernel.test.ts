// Kernel settings on the test LAN. The proxy host has IP forwarding on (as every Docker host) and
// "proxies" the sleeper's addresses: the waker's neighbour table maps them to the proxy's MAC
// (static entries, as our ARP/NDP answers would). A TCP connect from the waker to the sleeper then
// reaches the proxy's kernel, which forwards it and answers with ICMP redirects and "unreachable"
// (tcpdump on the waker is the witness, and connect() fails with EHOSTUNREACH); with a blackhole
// route per address it stays silent while the SYNs still arrive on the proxy's NIC (where the
// proxy's packet socket sees them). Then: routes gone after close(), and a typed 'permission'
// error with the fix when CAP_NET_ADMIN is missing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ipv4ToString, ipv6ToString } from '../../src/wire/address';
import { NET_ADMIN_FIX, SPS_ROUTE_PROTOCOL } from '../../src/io/kernel';
import { capture, lanUnavailableReason, TestLan, type LanHost, type NodeChild } from '../support/lan';
import { startNodeChild } from '../support/lan/node-child';
import { parsePcap } from '../support/pcap';
import type * as KernelAgent from './agents/kernel-agent';

const AGENT = join(__dirname, 'agents', 'kernel-agent.js');
const ICMP_FILTER =
  '(icmp and (icmp[0] == 5 or icmp[0] == 3)) or (icmp6 and (ip6[40] == 137 or ip6[40] == 1))';

/** "v4 5/1" style summaries (family, ICMP type/code) of the frames `host` sent, in a capture. */
function icmpFrom(pcap: Buffer, host: LanHost): string[] {
  return parsePcap(pcap).records.flatMap(({ data: b }) => {
    const ethertype = b.readUInt16BE(12);
    if (ethertype === 0x0800 && ipv4ToString(b.subarray(26, 30)) === host.ipv4) {
      const ihl = ((b[14] ?? 0) & 0x0f) * 4;
      return [`v4 ${b[14 + ihl]}/${b[15 + ihl]}`];
    }
    if (ethertype === 0x86dd && [host.ipv6, host.linkLocal].includes(ipv6ToString(b.subarray(22, 38)))) {
      return [`v6 ${b[54]}/${b[55]}`];
    }
    return [];
  });
}

describe('kernel settings and blackhole routes on the test LAN', { skip: lanUnavailableReason() }, () => {
  let lan: TestLan;
  let proxyHost: LanHost;
  let sleeper: LanHost;
  let wakerHost: LanHost;
  let proxy: NodeChild<typeof KernelAgent>;
  let waker: NodeChild<typeof KernelAgent>;

  before(async () => {
    lan = await TestLan.create();
    [proxyHost, sleeper, wakerHost] = ['proxy', 'sleeper', 'waker'].map((n) => lan.host(n)) as [
      LanHost,
      LanHost,
      LanHost,
    ];
    const sysctl = async (host: LanHost, settings: string[]) => {
      const r = await host.exec('sysctl', ['-q', '-w', ...settings]);
      assert.equal(r.code, 0, r.stderr);
    };
    await sysctl(proxyHost, [
      'net.ipv4.ip_forward=1',
      'net.ipv6.conf.all.forwarding=1',
      'net.ipv4.icmp_ratelimit=0',
      'net.ipv6.icmp.ratelimit=0',
      // give up on the sleeping host quickly, so "unreachable" comes within the test's patience
      'net.ipv4.neigh.eth0.mcast_solicit=1',
      'net.ipv4.neigh.eth0.retrans_time_ms=200',
      'net.ipv6.neigh.eth0.mcast_solicit=1',
      'net.ipv6.neigh.eth0.retrans_time_ms=200',
    ]);
    for (const [flag, address] of [
      ['-4', sleeper.ipv4],
      ['-6', sleeper.ipv6],
    ] as const) {
      const r = await wakerHost.exec('ip', [
        flag,
        'neigh',
        'replace',
        address,
        'lladdr',
        proxyHost.mac,
        'dev',
        'eth0',
        'nud',
        'permanent',
      ]);
      assert.equal(r.code, 0, r.stderr);
    }
    await sleeper.sleep();
    [proxy, waker] = await Promise.all([
      proxyHost.runNode<typeof KernelAgent>(AGENT),
      wakerHost.runNode<typeof KernelAgent>(AGENT),
    ]);
  });
  after(() => lan?.destroy());

  async function connectBoth(timeoutMs: number) {
    const icmp = await capture(wakerHost, ICMP_FILTER);
    const syns = await capture(proxyHost, 'dst port 22', { direction: 'in' });
    const [v4, v6] = await Promise.all([
      waker.call('connect', sleeper.ipv4, 22, timeoutMs),
      waker.call('connect', sleeper.ipv6, 22, timeoutMs),
    ]);
    await new Promise((r) => setTimeout(r, 100));
    const icmpFrames = await icmp.stop();
    return {
      v4,
      v6,
      icmp: icmpFrom(icmpFrames, proxyHost),
      // (pcap-filter's tcp[] does not reach into IPv6; the waker sends nothing but SYNs to port 22)
      synsAtProxy: parsePcap(await syns.stop()).records.map((f) =>
        f.data.readUInt16BE(12) === 0x0800 ? 'v4' : 'v6',
      ),
    };
  }

  test('settings: forwarding and redirects are seen', async () => {
    const r = await proxy.call('settings', 'eth0');
    assert.deepEqual(r, {
      ok: true,
      value: {
        ifname: 'eth0',
        ipv4Forwarding: true,
        ipv6Forwarding: true,
        ipv4SendRedirects: true,
        blackholesNeeded: { ipv4: true, ipv6: true },
      },
    });
    assert.equal((await waker.call('settings', 'eth0')).value?.ipv4Forwarding, false);
    assert.equal((await proxy.call('settings', 'nosuch0')).code, 'no-interface');
  });

  test('without blackhole routes the proxy kernel answers with ICMP and kills the connect', async (t) => {
    const r = await connectBoth(2500);
    t.diagnostic(JSON.stringify(r));
    assert.ok(r.icmp.includes('v4 5/1'), `ICMP redirect (host) to the waker: ${r.icmp.join(', ')}`);
    assert.ok(r.icmp.includes('v4 3/1'), `ICMP host unreachable to the waker: ${r.icmp.join(', ')}`);
    assert.ok(r.icmp.includes('v6 137/0'), `ICMPv6 redirect to the waker: ${r.icmp.join(', ')}`);
    assert.ok(r.icmp.includes('v6 1/3'), `ICMPv6 address unreachable to the waker: ${r.icmp.join(', ')}`);
    assert.equal(r.v4.outcome, 'EHOSTUNREACH');
    assert.equal(r.v6.outcome, 'EHOSTUNREACH');
  });

  test('with a blackhole route per address the kernel stays silent and the SYNs still reach the NIC', async (t) => {
    assert.deepEqual(await proxy.call('add', sleeper.ipv4), { ok: true, value: 'added' });
    assert.deepEqual(await proxy.call('add', sleeper.ipv6), { ok: true, value: 'added' });
    assert.deepEqual(await proxy.call('add', sleeper.linkLocal), { ok: true, value: 'not-needed' });
    assert.deepEqual(await proxy.call('add', sleeper.ipv4), { ok: true, value: 'present' });
    const r = await connectBoth(2500);
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.icmp, []);
    assert.equal(r.v4.outcome, 'timeout');
    assert.equal(r.v6.outcome, 'timeout');
    assert.ok(
      r.synsAtProxy.includes('v4') && r.synsAtProxy.includes('v6'),
      `SYNs seen on the proxy's NIC: ${r.synsAtProxy.join()}`,
    );
  });

  test('close removes the routes it added; a leftover of a killed run is adopted or flushed', async () => {
    const show = async () =>
      (
        await Promise.all(
          ['-4', '-6'].map((f) =>
            proxyHost.exec('ip', [f, 'route', 'show', 'proto', String(SPS_ROUTE_PROTOCOL)]),
          ),
        )
      )
        .map((x) => x.stdout.trim())
        .filter((x) => x);
    assert.equal((await show()).length, 2);
    assert.deepEqual(await proxy.call('close'), { ok: true });
    assert.deepEqual(await show(), []);

    const addLeftover = async () => {
      const r = await proxyHost.exec('ip', [
        'route',
        'add',
        'blackhole',
        `${sleeper.ipv4}/32`,
        'proto',
        String(SPS_ROUTE_PROTOCOL),
      ]);
      assert.equal(r.code, 0, r.stderr);
    };
    await addLeftover();
    assert.deepEqual(await proxy.call('add', sleeper.ipv4), { ok: true, value: 'present' }, 'adopted');
    assert.deepEqual(await proxy.call('close'), { ok: true });
    assert.deepEqual(await show(), [], 'an adopted route is removed like our own');
    await addLeftover();
    assert.deepEqual(await proxy.call('flushStale'), { ok: true });
    assert.deepEqual(await show(), []);

    const users = await proxyHost.exec('ip', ['route', 'add', `${sleeper.ipv4}/32`, 'dev', 'eth0']);
    assert.equal(users.code, 0, users.stderr);
    assert.equal(
      (await proxy.call('add', sleeper.ipv4)).code,
      'exists',
      'a route we did not make is not touched',
    );
    assert.match((await proxyHost.exec('ip', ['route', 'show', `${sleeper.ipv4}/32`])).stdout, /dev eth0/);
    await proxyHost.exec('ip', ['route', 'del', `${sleeper.ipv4}/32`]);
    assert.deepEqual(await proxy.call('close'), { ok: true });
  });

  test('without CAP_NET_ADMIN: a typed "permission" error carrying the fix', async () => {
    const weak = await startNodeChild<typeof KernelAgent>(
      (cmd, argv, opts) =>
        proxyHost.spawn(
          'setpriv',
          ['--inh-caps=-net_admin', '--bounding-set=-net_admin', cmd, ...argv],
          opts,
        ),
      AGENT,
      [],
    );
    try {
      const r = await weak.call('add', sleeper.ipv4);
      assert.equal(r.ok, false);
      assert.equal(r.code, 'permission');
      assert.equal(r.fix, NET_ADMIN_FIX);
      assert.match(r.message ?? '', /CAP_NET_ADMIN/);
      assert.equal((await weak.call('settings', 'eth0')).ok, true, 'reading settings needs no privilege');
    } finally {
      await weak.close();
    }
  });
});
