// `npm start`: a local Node-RED with this package installed (linked) into a user directory inside
// the repository (.node-red-user, ignored by git), with the main example flow (examples/sleep-proxy.json:
// a sleep proxy on the first external interface, its events in the debug sidebar) deployed the first
// time. Listens on 127.0.0.1:1880; HOST, PORT, SPS_NODE_RED_USER_DIR and SPS_NODE_RED (another
// Node-RED installation) override that.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const userDir = process.env.SPS_NODE_RED_USER_DIR ?? join(root, '.node-red-user');
const link = join(userDir, 'node_modules', 'node-red-contrib-sleep-proxy');
mkdirSync(dirname(link), { recursive: true });
if (!existsSync(link)) symlinkSync(root, link, 'dir');
if (!existsSync(join(userDir, 'package.json'))) {
  writeFileSync(
    join(userDir, 'package.json'),
    JSON.stringify(
      {
        name: 'node-red-project',
        private: true,
        dependencies: { 'node-red-contrib-sleep-proxy': 'file:..' },
      },
      null,
      2,
    ),
  );
}
const flows = join(userDir, 'flows.json');
if (!existsSync(flows)) copyFileSync(join(root, 'examples', 'sleep-proxy.json'), flows);

const settings = join(userDir, 'settings.js');
if (!existsSync(settings)) {
  writeFileSync(
    settings,
    "module.exports = { uiHost: process.env.HOST || '127.0.0.1', flowFile: 'flows.json', credentialSecret: false };\n",
  );
}

const port = process.env.PORT ?? '1880';
const redJs = createRequire(import.meta.url).resolve(join(process.env.SPS_NODE_RED ?? 'node-red', 'red.js'));
console.log(
  `Node-RED with node-red-contrib-sleep-proxy: http://${process.env.HOST ?? '127.0.0.1'}:${port}/ (user dir ${userDir})`,
);
const child = spawn(
  process.execPath,
  [redJs, '--userDir', userDir, '--settings', settings, '--port', port, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    env: { ...process.env, NODE_RED_ENABLE_PROJECTS: 'false' },
  },
);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code) => process.exit(code ?? 0));
