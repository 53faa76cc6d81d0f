// The package as Node-RED itself loads it: `npm start`'s script links the repository into a fresh
// user directory and starts Node-RED, which must find the nodes through package.json's "node-red"
// section (the built dist/nodes files), their editor HTML and icons, and open the example flow.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { repoRoot } from '../support/paths';
import { nodeRedVersion } from '../support/node-red';

const MODULE = 'node-red-contrib-sleep-proxy';

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  return port;
}

describe(`the package in a running Node-RED ${nodeRedVersion}`, () => {
  let child: ChildProcess;
  let base: string;
  let output = '';
  const userDir = mkdtempSync(join(tmpdir(), 'sps-nr-'));

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [join(repoRoot, 'scripts', 'start-node-red.mjs')], {
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SPS_NODE_RED_USER_DIR: userDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    for (let i = 0; i < 300 && !/Started flows/.test(output); i++) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(output, /Started flows/, `Node-RED did not start:\n${output}`);
  });

  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(userDir, { recursive: true, force: true });
  });

  const get = (path: string, accept = 'application/json') => fetch(`${base}${path}`, { headers: { accept } });

  test('lists the module with its node types, loaded without error', async () => {
    const sets = (await (await get('/nodes')).json()) as {
      module: string;
      types: string[];
      err?: string;
      enabled: boolean;
    }[];
    const ours = sets.filter((s) => s.module === MODULE);
    assert.ok(ours.length > 0, `module not loaded; log:\n${output}`);
    assert.deepEqual(ours.flatMap((s) => s.types).sort(), [
      'broadcast in',
      'broadcast out',
      'broadcast relay',
      'mdns advertise',
      'mdns browse',
      'sleep proxy',
      'sleep-proxy-config',
      'wake on lan',
    ]);
    for (const set of ours) {
      assert.equal(set.err, undefined);
      assert.equal(set.enabled, true);
    }
  });

  test("serves the node's editor HTML with its help text, and the icon", async () => {
    const html = await (await get('/nodes', 'text/html')).text();
    assert.match(html, /data-template-name="wake on lan"/);
    for (const type of ['sleep proxy', 'sleep-proxy-config']) {
      assert.match(html, new RegExp(`data-template-name="${type}"`));
      assert.match(html, new RegExp(`data-help-name="${type}"`));
    }
    assert.equal((await get(`/icons/${MODULE}/sleep-proxy.svg`, '*/*')).status, 200);
    assert.match(html, /data-help-name="wake on lan"/);
    const icon = await get(`/icons/${MODULE}/wake-on-lan.svg`, '*/*');
    assert.equal(icon.status, 200);
    assert.match(await icon.text(), /<svg/);
  });

  test('opens the example flow and offers it under Import > Examples', async () => {
    const flows = (await (await get('/flows')).json()) as { type: string }[];
    assert.ok(flows.some((n) => n.type === 'wake on lan'));
    const examples = await get(`/library/examples/flows/${MODULE}/wake-a-host`);
    assert.equal(examples.status, 200);
    assert.match(await examples.text(), /"type": ?"wake on lan"/);
  });
});
