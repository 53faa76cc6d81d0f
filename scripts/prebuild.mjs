// Builds the AF_PACKET addon (binding.gyp, native/*.cc) for linux x64, arm64 and armv7 into
// prebuilds/linux-<arch>/, named so that node-gyp-build finds them (Node-API, so one binary per
// architecture serves every Node version). Cross-compiles with Debian's toolchains:
//   apt-get install -y g++-aarch64-linux-gnu g++-arm-linux-gnueabihf
// Node headers come from --nodedir (default /usr, i.e. /usr/include/node; NODEDIR overrides), so
// nothing is downloaded. Each architecture builds in its own staging copy under the OS temp
// directory, in parallel, leaving the repository's build/ (the developer's local build) alone.
// Every binary is checked with file(1) for its ELF machine; the x64 one is also loaded.
//
//   node scripts/prebuild.mjs            all three
//   node scripts/prebuild.mjs arm64 x64  some
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const prebuildify = require('prebuildify');

const TARGETS = {
  x64: { toolchain: '', machine: /x86-64/, tags: {} },
  arm64: { toolchain: 'aarch64-linux-gnu-', machine: /ARM aarch64/, tags: {} },
  // armv7 tag: an armv6 Node (Pi Zero/1) then reports "no native build" instead of SIGILL.
  arm: { toolchain: 'arm-linux-gnueabihf-', machine: /ARM, EABI5/, tags: { armv: '7', tagArmv: true } },
};

const nodedir = process.env.NODEDIR ?? '/usr';
const { name } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const wanted = process.argv.slice(2).length > 0 ? process.argv.slice(2) : Object.keys(TARGETS);
for (const arch of wanted) {
  if (!TARGETS[arch]) throw new Error(`prebuild: unknown arch ${arch} (${Object.keys(TARGETS).join(', ')})`);
}

function stage(arch) {
  const dir = join(tmpdir(), 'sleep-proxy-prebuild', arch);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'native'), { recursive: true });
  cpSync(join(root, 'binding.gyp'), join(dir, 'binding.gyp'));
  for (const file of readdirSync(join(root, 'native'))) {
    if (/\.(cc|h)$/.test(file)) cpSync(join(root, 'native', file), join(dir, 'native', file));
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name, private: true }));
  return dir;
}

function build(arch) {
  const { toolchain, tags } = TARGETS[arch];
  const cwd = stage(arch);
  const out = join(root, 'prebuilds', `linux-${arch}`);
  rmSync(out, { recursive: true, force: true });
  const env = {
    ...process.env,
    npm_config_nodedir: nodedir,
    CC: `${toolchain}gcc`,
    CXX: `${toolchain}g++`,
    LINK: `${toolchain}g++`,
    AR: `${toolchain}ar`,
    // same paths on every run, so the same sources give the same bytes
    SOURCE_DATE_EPOCH: '0',
  };
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    prebuildify(
      {
        cwd,
        out: root,
        arch,
        platform: 'linux',
        napi: true,
        targets: [process.versions.node],
        strip: true,
        stripBin: `${toolchain}strip`,
        tagLibc: true,
        libc: 'glibc',
        quiet: true,
        nodeGyp: join(root, 'node_modules', '.bin', 'node-gyp'),
        ...tags,
      },
      (error) => (error ? reject(new Error(`prebuild ${arch}: ${error.message}`)) : resolve()),
    );
    // prebuildify copies process.env when it starts; restore ours for the next architecture
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  }).then(() => ({ arch, out, seconds: (performance.now() - started) / 1000 }));
}

function verify({ arch, out, seconds }) {
  const files = readdirSync(out).filter((f) => f.endsWith('.node'));
  if (files.length !== 1)
    throw new Error(`prebuild ${arch}: expected one .node in ${out}, found ${files.join(', ')}`);
  const path = join(out, files[0]);
  const description = execFileSync('file', ['-b', path], { encoding: 'utf8' }).trim();
  if (!TARGETS[arch].machine.test(description))
    throw new Error(`prebuild ${arch}: wrong machine: ${description}`);
  const sha = execFileSync('sha256sum', [path], { encoding: 'utf8' }).split(' ')[0].slice(0, 16);
  console.log(
    `${`linux-${arch}/${files[0]}`.padEnd(62)} ${String(statSync(path).size).padStart(6)} B  ${seconds.toFixed(1)} s  sha256 ${sha}…  ${description.split(',').slice(0, 2).join(',')}`,
  );
}

const started = performance.now();
// Sequential setup of each prebuildify call (it reads process.env), parallel compilers.
const results = await Promise.all(wanted.map((arch) => build(arch)));
results.forEach(verify);
if (wanted.includes('x64') && process.arch === 'x64') {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const b = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)}); if (typeof b.open !== 'function') process.exit(1)`,
    ],
    { env: { ...process.env, PREBUILDS_ONLY: '1' }, stdio: 'inherit' },
  );
  if (probe.status !== 0) throw new Error('prebuild x64: node-gyp-build could not load the prebuild');
  console.log('linux-x64 prebuild loads with node-gyp-build (PREBUILDS_ONLY=1)');
}
console.log(`prebuilds done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
