// The Flow Library's own checks: node-red-dev's `validate` (the scorecard flows.nodered.org shows)
// runs on the package with its network look-ups answered from this machine (flow-library-offline.ts
// says which ones and how), on a copy of the package whose dist/nodes is the build beside this test.
// Then what the scorecard does not cover but a user meets in the palette: help text and an existing
// icon for every node type, an example for every node type, the declared Node-RED and Node versions.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { OfflineData } from './flow-library-offline';
import { repoRoot } from '../support/paths';

interface PackageJson {
  name: string;
  license?: string;
  repository?: unknown;
  bugs?: unknown;
  keywords?: string[];
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  'node-red': { version?: string; nodes: Record<string, string> };
}

interface Check {
  test: boolean;
  nodes?: string[];
  versions?: string[];
  total?: number;
}

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as PackageJson;
const compiledNodes = join(__dirname, '..', '..', 'nodes');

/**
 * What registry.npmjs.org/node-red said on 2026-11-21 (dist-tags: latest 5.0.7, no maintenance tag;
 * engines.node >=22.9). P07 compares engines.node with the latest release's; a newer Node-RED at hand
 * (SPS_NODE_RED) takes its place as the latest.
 */
const NODE_RED_LATEST = { version: '5.0.7', engines: { node: '>=22.9' } };

/** The releases node-red.version must fit: the registry's latest and the Node-RED installations we test on. */
function nodeRedReleases(): OfflineData['nodeRed'] {
  const dirs = [dirname(require.resolve('node-red/package.json'))];
  if (process.env.SPS_NODE_RED) dirs.push(process.env.SPS_NODE_RED);
  const releases = [
    NODE_RED_LATEST,
    ...dirs.map(
      (d) => JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as OfflineData['nodeRed'][number],
    ),
  ].map(({ version, engines }) => ({ version, engines: { node: engines.node } }));
  return releases.filter((r, i) => releases.findIndex((o) => o.version === r.version) === i);
}

/** Each production dependency's installed tree (name@version), from package-lock.json. */
function dependencyTrees(): OfflineData['trees'] {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
  };
  const tree = (name: string): string[] => {
    const seen = new Set<string>();
    const walk = (n: string) => {
      const entry = lock.packages[`node_modules/${n}`];
      const id = `${n}@${entry?.version ?? '0.0.0'}`;
      if (seen.has(id)) return;
      seen.add(id);
      for (const dep of Object.keys(entry?.dependencies ?? {})) walk(dep);
    };
    walk(name);
    return [...seen];
  };
  return Object.fromEntries(Object.keys(pkg.dependencies ?? {}).map((name) => [name, tree(name)]));
}

/** The editor definitions of every node file: type -> { category, icon } and the help names. */
function editorDefinitions() {
  const types = new Map<string, { category?: string; icon?: string }>();
  const help = new Set<string>();
  for (const file of Object.values(pkg['node-red'].nodes)) {
    const html = readFileSync(
      join(compiledNodes, file.replace(/^dist\/nodes\//, '').replace(/\.js$/, '.html')),
      'utf8',
    );
    for (const m of html.matchAll(/data-help-name="([^"]+)"/g)) help.add(m[1]);
    // registerType('type', { ... category: '...', ... icon: '...' ... }) up to the next registerType
    const parts = html.split(/RED\.nodes\.registerType\(\s*/).slice(1);
    for (const part of parts) {
      const type = /^['"]([^'"]+)['"]/.exec(part)?.[1];
      if (!type) continue;
      types.set(type, {
        category: /\bcategory:\s*['"]([^'"]+)['"]/.exec(part)?.[1],
        icon: /\bicon:\s*['"]([^'"]+)['"]/.exec(part)?.[1],
      });
    }
  }
  return { types, help };
}

describe('the Flow Library checks (node-red-dev validate, offline)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sps-flow-library-'));
  let output = '';
  let scorecard: Record<string, Check>;

  before(() => {
    const pkgDir = join(dir, 'package');
    mkdirSync(join(pkgDir, 'dist'), { recursive: true });
    symlinkSync(join(repoRoot, 'package.json'), join(pkgDir, 'package.json'));
    symlinkSync(compiledNodes, join(pkgDir, 'dist', 'nodes'), 'dir');
    symlinkSync(join(repoRoot, 'examples'), join(pkgDir, 'examples'), 'dir');
    symlinkSync(join(repoRoot, 'icons'), join(pkgDir, 'icons'), 'dir');
    const card = join(dir, 'scorecard.json');
    const offline: OfflineData = { nodeRed: nodeRedReleases(), trees: dependencyTrees() };
    const cli = join(dirname(require.resolve('node-red-dev/package.json')), 'bin', 'run');
    const run = spawnSync(
      process.execPath,
      [
        '--require',
        join(__dirname, 'flow-library-offline.js'),
        cli,
        'validate',
        '--path',
        pkgDir,
        '--output',
        card,
      ],
      {
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, SPS_FLOW_LIBRARY_OFFLINE: JSON.stringify(offline) },
      },
    );
    output = `${run.stdout}${run.stderr}`;
    assert.equal(run.status, 0, output);
    assert.ok(existsSync(card), `no scorecard written:\n${output}`);
    scorecard = JSON.parse(readFileSync(card, 'utf8')) as Record<string, Check>;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('runs every check that needs no catalogue, and parses every node file', () => {
    for (const id of ['P01', 'P03', 'P04', 'P05', 'P06', 'P07', 'N02', 'D01', 'D02'])
      assert.ok(scorecard[id], `${id} missing from the scorecard:\n${output}`);
    assert.doesNotMatch(output, /Unable to parse|Error:/);
  });

  test('package: license, a valid name, the node-red keyword', () => {
    assert.equal(scorecard.P01.test, true, output);
    assert.equal(scorecard.P04.test, true, output);
    // node-red-dev records P05 as passed either way; its log line says which.
    assert.match(output, /Node-RED Keyword Found/);
    assert.ok(pkg.keywords?.includes('node-red'));
  });

  test(
    'package: a repository or bugs link',
    { skip: pkg.repository || pkg.bugs ? false : 'P03: package.json has neither "repository" nor "bugs"' },
    () => assert.equal(scorecard.P03.test, true, output),
  );

  test('node-red.version and engines.node fit the Node-RED releases at hand', () => {
    assert.equal(scorecard.P06.test, true, output);
    assert.deepEqual(
      [...(scorecard.P06.versions ?? [])].sort(),
      nodeRedReleases()
        .map((r) => r.version)
        .sort(),
    );
    assert.equal(scorecard.P07.test, true, output);
  });

  test('an example for every node type, few dependencies, none known to be bad', () => {
    const { types } = editorDefinitions();
    const flowTypes = [...types].filter(([, d]) => d.category !== 'config').map(([t]) => t);
    assert.equal(scorecard.N02.test, true, output);
    assert.deepEqual([...(scorecard.N02.nodes ?? [])].sort(), flowTypes.sort());
    assert.equal(scorecard.D01.test, true, output);
    assert.equal(scorecard.D02.test, true, output);
  });

  test('every node type registered has help text and an icon that exists in icons/', () => {
    const { types, help } = editorDefinitions();
    assert.ok(types.size >= Object.keys(pkg['node-red'].nodes).length);
    const icons = new Set(readdirSync(join(repoRoot, 'icons')));
    for (const [type, def] of types) {
      assert.ok(help.has(type), `no data-help-name="${type}"`);
      if (def.category === 'config') continue;
      assert.ok(def.icon, `${type}: no icon`);
      assert.ok(icons.has(def.icon), `${type}: icon ${def.icon} not in icons/`);
    }
  });
});
