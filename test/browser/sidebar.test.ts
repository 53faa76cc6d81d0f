// The sleep proxy in the real editor: Node-RED (red.js, with adminAuth) runs inside the proxy host of
// a test LAN with the sleep proxy nodes and a flow using them; its admin endpoints refuse requests
// without the right permission; the sleeper host registers the captured Apple registration; headless
// Chromium (Debian's, driven over the DevTools pipe) opens the editor, opens the "sleep proxy"
// sidebar tab, sees the sleeper's row, presses Wake and sees the wake event, then a refused
// registration in the event list. The browser is Debian's
// chromium driven by playwright-core from an agent inside the proxy host (editor-browser-agent.ts).
// Screenshots of the sidebar are saved in test/.runs/artifacts/ (SPS_TEST_ARTIFACTS overrides).
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
import { fixturePath, repoRoot } from '../support/paths';
import { udpDatagrams } from '../support/udp-payloads';
import type * as Client from '../integration/agents/registration-client-agent';
import type * as Browser from './editor-browser-agent';

const BROWSER = join(__dirname, 'editor-browser-agent.js');
const CHROMIUM = '/usr/bin/chromium';
const SIDEBAR = '#red-ui-sidebar';
const CLIENT = join(__dirname, '..', 'integration', 'agents', 'registration-client-agent.js');
const SLEEPER_MAC = '02:53:50:00:00:0a';
const PORT = 5354;
const HTTP_PORT = 18_80 + 7000;
const nodeRed = require.resolve(process.env.SPS_NODE_RED ?? 'node-red');
const artifacts = process.env.SPS_TEST_ARTIFACTS ?? join(repoRoot, 'test', '.runs', 'artifacts');

/** A user directory with the compiled sleep proxy nodes as a module, a flow and adminAuth settings. */
function userDirectory(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sps-editor-'));
  const module = join(dir, 'node_modules', 'sps-nodes-under-test');
  mkdirSync(module, { recursive: true });
  // The nodes compiled beside this test (dist/ or a dist-NAME/ build), whatever package.json lists.
  symlinkSync(join(__dirname, '..', '..', 'nodes'), join(module, 'nodes'), 'dir');
  symlinkSync(join(repoRoot, 'icons'), join(module, 'icons'), 'dir');
  const nodes = {
    'sleep-proxy-config': 'nodes/sleep-proxy-config.js',
    'sleep-proxy': 'nodes/sleep-proxy.js',
  };
  writeFileSync(
    join(module, 'package.json'),
    JSON.stringify({
      name: 'sps-nodes-under-test',
      version: '0.0.0',
      keywords: ['node-red'],
      'node-red': { nodes },
    }),
  );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bcrypt = require(require.resolve('bcryptjs', { paths: [nodeRed] })) as {
    hashSync(p: string, r: number): string;
  };
  const users = [
    { username: 'admin', password: bcrypt.hashSync('admin-pw', 4), permissions: '*' },
    { username: 'viewer', password: bcrypt.hashSync('viewer-pw', 4), permissions: 'read' },
  ];
  writeFileSync(
    join(dir, 'settings.js'),
    `module.exports = ${JSON.stringify({
      uiHost: '127.0.0.1',
      flowFile: 'flows.json',
      credentialSecret: false,
      adminAuth: { type: 'credentials', users },
      // No welcome tour and no "Enable Update Notifications" dialog over the screenshot.
      editorTheme: { tours: false },
      telemetry: { enabled: false },
    })};\n`,
  );
  const flow = [
    { id: 'f1', type: 'tab', label: 'Sleep proxy' },
    {
      id: 'cfg',
      type: 'sleep-proxy-config',
      interface: 'eth0',
      port: String(PORT),
      proxyName: 'Editor Test',
    },
    { id: 'sp', z: 'f1', type: 'sleep proxy', proxy: 'cfg', x: 200, y: 100, wires: [[]] },
  ];
  writeFileSync(join(dir, 'flows.json'), JSON.stringify(flow));
  return dir;
}

describe(
  'the sleep proxy sidebar in the editor (headless Chromium)',
  {
    skip:
      lanUnavailableReason() ??
      toolUnavailableReason('curl') ??
      (existsSync(CHROMIUM) ? undefined : `${CHROMIUM} missing (apt-get install chromium)`),
  },
  () => {
    let lan: TestLan;
    let proxyHost: LanHost;
    let red: ChildProcess;
    let browser: NodeChild<typeof Browser> | undefined;
    let userDir: string;
    let log = '';
    const base = `http://127.0.0.1:${HTTP_PORT}`;

    /** HTTP inside the proxy host (the editor listens on its loopback): status and body. */
    async function http(method: string, path: string, token?: string, body?: object) {
      const args = ['-s', '-o', '-', '-w', '\n%{http_code}', '-X', method, `${base}${path}`];
      if (token) args.push('-H', `Authorization: Bearer ${token}`);
      if (body) args.push('-H', 'Content-Type: application/json', '-d', JSON.stringify(body));
      const { stdout } = await proxyHost.exec('curl', args);
      const at = stdout.lastIndexOf('\n');
      return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) };
    }
    async function token(username: string, password: string, scope: string): Promise<string> {
      const { stdout } = await proxyHost.exec('curl', [
        '-s',
        ...['-d', 'client_id=node-red-editor', '-d', 'grant_type=password', '-d', `scope=${scope}`],
        ...['-d', `username=${username}`, '-d', `password=${password}`],
        `${base}/auth/token`,
      ]);
      return (JSON.parse(stdout) as { access_token: string }).access_token;
    }

    before(async () => {
      lan = await TestLan.create({ hosts: ['proxy:2', { name: 'sleeper', n: 10, mac: SLEEPER_MAC }] });
      proxyHost = lan.host('proxy');
      userDir = userDirectory();
      red = proxyHost.spawn(process.execPath, [
        join(nodeRed, '..', '..', 'red.js'),
        ...['--userDir', userDir, '--settings', join(userDir, 'settings.js'), '--port', String(HTTP_PORT)],
      ]);
      red.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      red.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      for (let i = 0; i < 300 && !/Started flows/.test(log) && red.exitCode === null; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(log, /Started flows/, `Node-RED did not start (exit ${red.exitCode}):\n${log}`);
      for (let i = 0; i < 100 && !/sleep proxy running on eth0/.test(log); i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.match(log, /sleep proxy running on eth0/, log);
    });
    after(async () => {
      browser?.kill();
      if (red && red.exitCode === null) {
        const exited = new Promise((r) => red.once('exit', r));
        red.kill('SIGTERM');
        await exited;
      }
      await lan?.destroy();
      if (userDir) rmSync(userDir, { recursive: true, force: true });
    });

    /** The editor, loaded, as the admin, in a new browser. */
    async function openEditor(): Promise<NodeChild<typeof Browser>> {
      const admin = await token('admin', 'admin-pw', '*');
      const opened = await proxyHost.runNode<typeof Browser>(BROWSER);
      await opened.call('open', `${base}/?access_token=${admin}`);
      await opened.call(
        'waitFor',
        "typeof RED !== 'undefined' && RED.sidebar && RED.sidebar.containsTab('sleep-proxy') && RED.nodes.getType('sleep proxy') !== undefined && $('#red-ui-loading-progress').is(':hidden')",
        30_000,
      );
      return opened;
    }

    test('the admin endpoints need the read / write permission (adminAuth)', async () => {
      assert.equal((await http('GET', '/sleep-proxy/sleepers')).status, 401);
      assert.equal((await http('GET', '/sleep-proxy/interfaces')).status, 401);
      const viewer = await token('viewer', 'viewer-pw', 'read');
      const seen = await http('GET', '/sleep-proxy/sleepers', viewer);
      assert.equal(seen.status, 200);
      assert.equal((JSON.parse(seen.body) as { proxies: { state: string }[] }).proxies[0].state, 'running');
      // Node-RED answers a missing permission with 401 too.
      assert.equal((await http('POST', '/sleep-proxy/wake', viewer, { target: SLEEPER_MAC })).status, 401);
      const admin = await token('admin', 'admin-pw', '*');
      assert.equal((await http('POST', '/sleep-proxy/wake', admin, { target: 'nobody' })).status, 404);
    });

    test('the sidebar shows the registered sleeper live, and its Wake button wakes it', async () => {
      const update = udpDatagrams(fixturePath('mdnsresponder-registration.pcap')).find(
        (d) => d.dstPort === PORT,
      )!;
      const client = await lan.host('sleeper').runNode<typeof Client>(CLIENT);
      await client.call('exchange', 'udp4', proxyHost.ipv4, PORT, update.payload, 5353, 3000);
      await client.close();
      await lan.host('sleeper').sleep(); // else its own traffic tells the proxy it is awake

      browser = await openEditor();
      const row = `.sleep-proxy-sleeper[data-sleeper="${SLEEPER_MAC}"]`;
      try {
        // Shown again on every poll: the editor may still switch to its own tab while it loads.
        const text = (await browser.call(
          'waitFor',
          `(() => { RED.sidebar.show('sleep-proxy'); const r = document.querySelector('${row}');
             return r && r.offsetParent !== null ? r.innerText : ''; })()`,
          10_000,
        )) as string;
        assert.match(text, /state: (probing|proxied)/);
        assert.match(text, /interface: eth0/);
        assert.match(text, new RegExp(lan.host('sleeper').ipv4.replace(/\./g, '\\.')));
        assert.match(text, /lease: \d/);
        mkdirSync(artifacts, { recursive: true });
        writeFileSync(join(artifacts, 'sleep-proxy-sidebar.png'), await browser.call('screenshot', SIDEBAR));

        await browser.call('click', `${row} button`);
        const event = (await browser.call(
          'waitFor',
          "[...document.querySelectorAll('.sleep-proxy-event')].map((e) => e.innerText).find((t) => / wake /.test(t)) || ''",
          10_000,
        )) as string;
        assert.match(event, /wake .*: command/);
        await browser.call(
          'waitFor',
          `document.querySelector('${row}').innerText.includes('state: waking')`,
          5000,
        );
        writeFileSync(
          join(artifacts, 'sleep-proxy-sidebar-waking.png'),
          await browser.call('screenshot', SIDEBAR),
        );

        // The sleeper's registration sent by another host (here the proxy host itself): refused, and
        // the sidebar's event list says from where and why.
        const hijacker = await proxyHost.runNode<typeof Client>(CLIENT);
        const unanswered = await hijacker
          .call('exchange', 'udp4', proxyHost.ipv4, PORT, update.payload, 0, 1500)
          .then(
            () => 'answered',
            (e: Error) => e.message,
          );
        await hijacker.close();
        assert.match(unanswered, /no reply/);
        const refused = (await browser.call(
          'waitFor',
          "[...document.querySelectorAll('.sleep-proxy-event')].map((e) => e.innerText).find((t) => / refused /.test(t)) || ''",
          10_000,
        )) as string;
        assert.match(
          refused,
          new RegExp(`refused ${proxyHost.ipv4.replace(/\./g, '\\.')} \\(source-not-proxied\\)`),
        );
      } catch (error) {
        mkdirSync(artifacts, { recursive: true });
        const shot = await browser.call('screenshot').catch(() => undefined);
        if (shot) writeFileSync(join(artifacts, 'sleep-proxy-sidebar-failure.png'), shot);
        const text = await browser
          .call(
            'evaluate',
            "(document.querySelector('.sleep-proxy-sidebar') || document.body).innerText + ' keys: ' + [...document.querySelectorAll('.sleep-proxy-sleeper')].map((e) => e.getAttribute('data-sleeper') + '/' + (e.offsetParent !== null)).join()",
          )
          .catch((e: Error) => e.message);
        throw new Error(`${(error as Error).message}; sidebar: ${String(text)}; Node-RED log:\n${log}`);
      } finally {
        await browser.call('shutdown').catch(() => undefined);
        await browser.close(5000);
        browser = undefined;
      }
    });

    test('the config editor offers the interfaces as checkboxes; a flow with one `interface` opens ticked', async () => {
      browser = await openEditor();
      try {
        await browser.call('evaluate', "RED.editor.editConfig('', 'sleep-proxy-config', 'cfg')");
        const boxes = '#sleep-proxy-config-interfaces input[type=checkbox]';
        const ticked = (await browser.call(
          'waitFor',
          `$('${boxes}').length > 1 && $('${boxes}:checked').map(function () { return this.value; }).get().join()`,
          10_000,
        )) as string;
        assert.equal(ticked, 'eth0', 'the saved single interface is ticked');
        await browser.call('click', `${boxes}[value="lo"]`);
        await browser.call('click', '#node-config-dialog-ok');
        const saved = (await browser.call(
          'waitFor',
          "(() => { const n = RED.nodes.node('cfg'); return n.interfaces.length === 2 && JSON.stringify([n.interfaces, n.interface]); })()",
          5000,
        )) as string;
        const [interfaces, single] = JSON.parse(saved) as [string[], string];
        assert.deepEqual([interfaces.sort(), single], [['eth0', 'lo'], ''], 'a list; the old field emptied');
      } finally {
        await browser.call('shutdown').catch(() => undefined);
        await browser.close(5000);
        browser = undefined;
      }
    });
  },
);
