// The `sleep-proxy` command on several interfaces (issue 8), in the router of two test segments (the one
// host with a leg on each): one engine per --interface, each event naming its interface, a sleeper
// registered on each segment, `list` across both, a wake by name on the engine that holds the sleeper;
// an interface that does not exist is reported on stderr and the others run.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason, TestSegments } from '../support/lan';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { registerHost } from './sleeper-registration';

const PORT = 5354;

describe('the sleep-proxy command on two segments', { skip: lanUnavailableReason() }, () => {
  let net: TestSegments;
  let proxy: SleepProxyProcess;
  const stateDir = mkdtempSync(join(tmpdir(), 'sps-cli-ifaces-'));
  const sleepers = () => [
    { host: net.host('alpha'), ifname: 'eth-a', address: '10.78.1.1' },
    { host: net.host('bravo'), ifname: 'eth-b', address: '10.78.2.1' },
  ];

  before(async () => {
    net = await TestSegments.create({
      segments: [
        { name: 'a', hosts: ['alpha:10'] },
        { name: 'b', hosts: ['bravo:10'] },
      ],
    });
    proxy = await startSleepProxy(net.router!, {
      stateDir,
      port: PORT,
      ifname: ['eth-a', 'nosuch0', 'eth-b'],
    });
  });
  after(async () => {
    await proxy?.stop();
    await net?.destroy();
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('one engine per interface; the missing one is waited for, and says why', async () => {
    for (const ifname of ['eth-a', 'eth-b'])
      await proxy.event('started', 5000, (l) => l.interface === ifname);
    // A missing interface may still come (hotplug, a late USB NIC): it is supervised, not fatal.
    const waiting = await proxy.event('waiting', 5000, (l) => l.interface === 'nosuch0');
    assert.match(String(waiting.why), /nosuch0/);
  });

  test('a sleeper registers on each segment; each event names its interface; list has both', async () => {
    for (const { host, ifname, address } of sleepers()) {
      await registerHost(host, address, PORT);
      const registered = await proxy.event('registered', 5000, (l) => l.interface === ifname);
      assert.equal((registered.sleeper as { hostMac: string }).hostMac, host.mac);
    }
    proxy.command('list');
    const listed = await proxy.event('list', 5000);
    assert.deepEqual(
      (listed.sleepers as { name: string; interface: string }[]).map((s) => [s.name, s.interface]).sort(),
      sleepers().map((s) => [`${s.host.name}.local`, s.ifname]),
    );
  });

  test('a wake by name starts on the engine that holds the sleeper', async () => {
    proxy.command('wake bravo.local');
    const wake = await proxy.event('wake', 5000);
    assert.equal(wake.interface, 'eth-b');
    assert.equal((wake.sleeper as { name: string }).name, 'bravo.local');
    assert.equal(await proxy.stop(), 0);
  });
});
