// The `sleep-proxy` command when its state directory says no (issue 10, faults). The state directory
// is a tmpfs only the test's processes see (StateMount): remounted read-only between two runs (a
// mounted file system with the journal open for writing cannot be remounted read-only, short of a
// kernel error), and filled up under a running proxy. Witnesses: the registering client (answered or
// not), the proxy's `list`, its `store` events and warnings, and the files themselves (digest while
// read-only; at the end copied out and replayed: every answered registration is there, no damage).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RegistryStore } from '../../src/service/registry-store';
import { parseRegistrationReply } from '../../src/wire/sps-registration';
import { lanUnavailableReason, TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { startSleepProxy, type SleepProxyProcess } from '../support/sleep-proxy-process';
import { StateMount } from '../support/state-mount';
import type * as Client from './agents/sps-client-agent';
import { sleeperRegistration } from './sleeper-registration';

const CLIENT = join(__dirname, 'agents', 'sps-client-agent.js');
const PORT = 5354;
const SLEEPERS = ['alpha:10', 'bravo:11', 'charlie:12'];

interface View {
  hostMac: string;
}

describe(
  'sleep proxy with a read-only or full state directory',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('nsenter') },
  () => {
    let lan: TestLan;
    let proxy: SleepProxyProcess;
    let mount: StateMount;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-state-dir-'));
    const journal = join(stateDir, 'registry-eth0.journal');
    const startProxy = () =>
      startSleepProxy(lan.host('proxy'), { stateDir, port: PORT, mountsOf: mount.pid, keepOnExit: true });
    let id = 0x7000;

    /**
     * Registers `host` (a fresh message ID each time) with `services` services; true when the proxy
     * answered NOERROR. An answered host goes to sleep, so the proxy's probes find it silent.
     */
    async function register(host: LanHost, services = 1): Promise<boolean> {
      const payload = sleeperRegistration({
        host: host.name,
        ipv4: host.ipv4,
        mac: host.mac,
        id: id++,
        services: Array.from({ length: services }, (_, i) => ({
          instance: `${host.name} service ${i}`,
          type: '_ssh._tcp',
          port: 22 + i,
        })),
      });
      const client = await host.runNode<typeof Client>(CLIENT);
      try {
        const replies = await client.call('register', lan.host('proxy').ipv4, PORT, [payload], 5353, 2500);
        const answered = replies.some((r) => {
          const reply = parseRegistrationReply(r.data);
          return reply.ok && reply.value.rcode === 0;
        });
        if (answered) await host.sleep();
        return answered;
      } finally {
        await client.close();
      }
    }

    async function held(): Promise<string[]> {
      const mark = proxy.lines.length;
      proxy.command('list');
      const line = await proxy.next(
        (l) => l.event === 'list' && proxy.lines.indexOf(l) >= mark,
        2000,
        'list',
      );
      return (line.sleepers as View[]).map((s) => s.hostMac).sort();
    }

    const storeEvent = (problem: string | null) =>
      proxy.next(
        (l) => l.event === 'store' && l.problem === problem && proxy.lines.indexOf(l) >= mark,
        12_000,
        `store ${problem}`,
      );
    let mark = 0;
    /** stderr is another pipe than the JSON lines: its warning may come a moment after the event. */
    async function logged(re: RegExp): Promise<void> {
      for (let i = 0; i < 50 && !re.test(proxy.stderr); i++) await new Promise((r) => setTimeout(r, 100));
      assert.match(proxy.stderr, re);
    }
    const sleeper = (name: string) => lan.host(name);

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', ...SLEEPERS, 'waker:20'] });
      mount = await StateMount.create(lan.host('proxy'), stateDir, 'size=256k');
      proxy = await startProxy();
    });
    after(async () => {
      await proxy?.stop();
      mount?.close();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('read-only: the stored sleeper is served, registrations go unanswered, the files untouched; writable again: answered', async () => {
      assert.equal(await register(sleeper('alpha')), true, 'answered while writable');
      assert.equal(await proxy.stop(), 0);
      mount.run('mount', ['-o', 'remount,ro', stateDir]);
      const before = mount.run('sha256sum', [journal]);
      mark = 0;
      proxy = await startProxy();
      const started = proxy.lines.find((l) => l.event === 'started') as { sleepers: View[] };
      assert.deepEqual(
        started.sleepers.map((s) => s.hostMac),
        [sleeper('alpha').mac],
      );
      await storeEvent('read-only');
      await logged(/read-only file system.*registrations are not answered/i);

      assert.equal(await register(sleeper('bravo')), false, 'silence while read-only');
      assert.deepEqual(await held(), [sleeper('alpha').mac], 'the unanswered sleeper is not proxied');
      assert.equal(mount.run('sha256sum', [journal]), before);

      mark = proxy.lines.length;
      mount.run('mount', ['-o', 'remount,rw', stateDir]);
      await storeEvent(null);
      assert.equal(await register(sleeper('bravo')), true, 'answered again');
      assert.deepEqual(await held(), [sleeper('alpha').mac, sleeper('bravo').mac].sort());
    });

    test('full: registrations go unanswered; space back: answered; the files replay every answered one', async () => {
      mark = proxy.lines.length;
      // Fill the tmpfs (dd stops at ENOSPC). The journal's last page may have room left: the
      // registration is big enough (40 services) to need a new one.
      mount.run('sh', ['-c', `dd if=/dev/zero of=${stateDir}/filler bs=4k 2>/dev/null; true`]);
      assert.equal(await register(sleeper('charlie'), 40), false, 'silence while full');
      await storeEvent('full');
      await logged(/no space left on device.*registrations are not answered/i);
      assert.equal(await register(sleeper('charlie')), false, 'still silence');
      assert.deepEqual(await held(), [sleeper('alpha').mac, sleeper('bravo').mac].sort());

      mark = proxy.lines.length;
      mount.run('rm', [join(stateDir, 'filler')]);
      await storeEvent(null);
      assert.equal(await register(sleeper('charlie'), 40), true, 'answered again');
      assert.equal(await proxy.stop(), 0);

      // The files, copied out of the proxy's mount namespace and replayed as a restart would.
      const copy = mkdtempSync(join(tmpdir(), 'sps-state-copy-'));
      try {
        for (const file of mount.run('ls', [stateDir]).split('\n').filter(Boolean))
          writeFileSync(join(copy, file), mount.read(join(stateDir, file)));
        const opened = await RegistryStore.open(copy, 'eth0');
        assert.ok(opened.ok);
        await opened.store.close();
        assert.deepEqual(opened.damage, []);
        assert.equal(opened.dropped, 0);
        assert.deepEqual(
          opened.snapshot.sleepers.map((s) => s.hostMac).sort(),
          SLEEPERS.map((h) => sleeper(h.split(':')[0]).mac).sort(),
        );
      } finally {
        rmSync(copy, { recursive: true, force: true });
      }
    });
  },
);
