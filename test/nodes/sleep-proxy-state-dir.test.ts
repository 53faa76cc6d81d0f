// The sleep proxy nodes with a state directory that cannot be written (issue 10, faults): Node-RED
// (the node agent) runs in the proxy host of the test LAN, in the mount namespace of a StateMount
// whose tmpfs is read-only when the flow starts. The config node does not fail: the flow node shows a
// red "state directory read-only" and the config node logs why registrations go unanswered; once the
// directory is remounted writable, the status turns green by itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lanUnavailableReason, TestLan, toolUnavailableReason, type NodeChild } from '../support/lan';
import { startNodeChild } from '../support/lan/node-child';
import { StateMount } from '../support/state-mount';
import type * as NodeRed from './agents/sleep-proxy-node-agent';
import { nextStatus, proxyFlow } from './proxy-lan-fixture';

const AGENT = join(__dirname, 'agents', 'sleep-proxy-node-agent.js');

describe(
  'sleep proxy nodes with a read-only state directory',
  { skip: lanUnavailableReason() ?? toolUnavailableReason('nsenter') },
  () => {
    let lan: TestLan;
    let mount: StateMount;
    let red: NodeChild<typeof NodeRed>;
    const stateDir = mkdtempSync(join(tmpdir(), 'sps-node-state-'));

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', 'waker:20'] });
      mount = await StateMount.create(lan.host('proxy'), stateDir, 'size=256k');
      red = await startNodeChild<typeof NodeRed>(
        (cmd, argv, opts) =>
          spawn(
            'nsenter',
            ['-t', String(mount.pid), '-m', '-n', `--wd=${process.cwd()}`, '--', cmd, ...argv],
            opts,
          ),
        AGENT,
        [],
      );
    });
    after(async () => {
      await red?.call('unload').catch(() => undefined);
      await red?.close();
      mount?.close();
      await lan?.destroy();
      rmSync(stateDir, { recursive: true, force: true });
    });

    test('red status and a log line while read-only; green again once writable', async () => {
      mount.run('mount', ['-o', 'remount,ro', stateDir]);
      const logs: string[] = [];
      red.on('log', (_id: unknown, _level: unknown, text: unknown) => logs.push(String(text)));
      await red.call('load', proxyFlow({ interface: 'eth0', stateDir }));
      const status = await nextStatus(red, (s) => s.fill === 'red');
      assert.deepEqual(status, { fill: 'red', shape: 'dot', text: 'state directory read-only' });
      const logged = (re: RegExp) => logs.some((l) => re.test(l));
      for (let i = 0; i < 50 && !logged(/read-only/); i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(logged(/read-only file system.*registrations are not answered/i), logs.join('\n'));

      mount.run('mount', ['-o', 'remount,rw', stateDir]);
      const green = await nextStatus(red, (s) => s.fill === 'green');
      assert.equal(green.text, '0 sleeping');
      assert.match(mount.run('ls', [stateDir]), /registry-eth0\.journal/);
    });
  },
);
