// The package as Node-RED itself loads it, and as `npm start` runs it: the start script links the
// repository into a fresh user directory and starts Node-RED with the main example flow (a sleep
// proxy on the first external interface). Node-RED must find the nodes through package.json's
// "node-red" section (the built dist/nodes files), their editor HTML and icons, offer the examples,
// and run the example's proxy. The script runs inside a test LAN host, so the proxy it starts takes
// that host's eth0 and announces itself on the test LAN only, never on the machine's network; the
// editor listens on the defaults, 127.0.0.1:1880 of that namespace, reached with curl in the host.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestLan, toolUnavailableReason, type LanHost } from '../support/lan';
import { repoRoot } from '../support/paths';
import { nodeRedVersion } from '../support/node-red';

const MODULE = 'node-red-contrib-sleep-proxy';
const BASE = 'http://127.0.0.1:1880';
const MAIN_EXAMPLE = 'sleep-proxy';

describe(
  `the package in a running Node-RED ${nodeRedVersion} (npm start, in a test LAN host)`,
  { skip: toolUnavailableReason('curl', 'ss') },
  () => {
    let lan: TestLan;
    let host: LanHost;
    let child: ChildProcess;
    let output = '';
    const userDir = mkdtempSync(join(tmpdir(), 'sps-nr-'));

    /** GET inside the host: status and body. */
    async function get(path: string, accept = 'application/json') {
      const { stdout } = await host.exec('curl', [
        ...['-s', '-o', '-', '-w', '\n%{http_code}', '-H', `Accept: ${accept}`],
        `${BASE}${path}`,
      ]);
      const at = stdout.lastIndexOf('\n');
      return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
    }
    const json = async <T>(path: string): Promise<T> => JSON.parse((await get(path)).body) as T;

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2'] });
      host = lan.host('proxy');
      // PORT and HOST unset: the script's own defaults, inside the namespace.
      const { PORT: _port, HOST: _host, ...inherited } = process.env;
      const env = { ...inherited, SPS_NODE_RED_USER_DIR: userDir };
      child = host.spawn(process.execPath, [join(repoRoot, 'scripts', 'start-node-red.mjs')], { env });
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      for (let i = 0; i < 300 && !/sleep proxy running on|\[error\]/.test(output); i++) {
        if (child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.match(output, /Started flows/, `Node-RED did not start:\n${output}`);
    });

    after(async () => {
      if (child && child.exitCode === null && child.signalCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
      await lan?.destroy();
      rmSync(userDir, { recursive: true, force: true });
    });

    test('lists the module with its node types, loaded without error', async () => {
      const sets =
        await json<{ module: string; types: string[]; err?: string; enabled: boolean }[]>('/nodes');
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

    test("serves the nodes' editor HTML with their help text, and the icons", async () => {
      const html = (await get('/nodes', 'text/html')).body;
      for (const type of ['sleep proxy', 'sleep-proxy-config', 'wake on lan']) {
        assert.match(html, new RegExp(`data-template-name="${type}"`));
        assert.match(html, new RegExp(`data-help-name="${type}"`));
      }
      for (const icon of ['sleep-proxy.svg', 'wake-on-lan.svg']) {
        const served = await get(`/icons/${MODULE}/${icon}`, '*/*');
        assert.equal(served.status, 200);
        assert.match(served.body, /<svg/);
      }
    });

    test('offers the example flows under Import > Examples', async () => {
      const listed = await json<{ fn: string }[]>(`/library/examples/flows/${MODULE}`);
      const shipped = readdirSync(join(repoRoot, 'examples'))
        .filter((f) => f.endsWith('.json'))
        .map((f) => f.slice(0, -'.json'.length));
      assert.deepEqual(listed.map((e) => e.fn).sort(), shipped.sort());
      const main = await get(`/library/examples/flows/${MODULE}/${MAIN_EXAMPLE}`);
      assert.equal(main.status, 200);
      assert.match(main.body, /"type": ?"sleep proxy"/);
    });

    test('deploys the main example flow', async () => {
      const deployed = await json<{ id: string; type: string }[]>('/flows');
      const example = JSON.parse(
        readFileSync(join(repoRoot, 'examples', `${MAIN_EXAMPLE}.json`), 'utf8'),
      ) as { id: string; type: string }[];
      assert.deepEqual(
        deployed.map((n) => `${n.id} ${n.type}`).sort(),
        example.map((n) => `${n.id} ${n.type}`).sort(),
      );
    });

    test("runs the example's sleep proxy on the host's first external interface (eth0)", async () => {
      assert.match(output, /sleep proxy running on eth0/, output);
      const { proxies } = await json<{ proxies: { interface: string; state: string }[] }>(
        '/sleep-proxy/sleepers',
      );
      assert.deepEqual(
        proxies.map((p) => [p.interface, p.state]),
        [['eth0', 'running']],
      );
      // The registration port is bound in the host's namespace, not the machine's.
      const { stdout } = await host.exec('ss', ['-Hlun', 'sport = :5354']);
      assert.match(stdout, /:5354\b/);
    });
  },
);
