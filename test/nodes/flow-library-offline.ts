// Preloaded (`node --require`) into `node-red-dev validate` by flow-library.test.ts so the Flow
// Library's own checks run without the network: node-red-dev's modules get answers from this machine
// instead of catalogue.nodered.org and registry.npmjs.org. SPS_FLOW_LIBRARY_OFFLINE (JSON, see
// OfflineData) carries them:
// - the catalogue is empty: the "similar package name" (P08) and "unique node names" (N01) checks
//   pass vacuously, they need the real catalogue;
// - the registry's node-red document lists the Node-RED installations at hand (the devDependency and
//   SPS_NODE_RED), the newest as "latest": P06 (node-red.version) and P07 (engines.node) check
//   against them;
// - npm-remote-ls answers with the installed dependency tree from package-lock.json (D02, known bad
//   packages); npm-check reports nothing (D03, "latest versions", needs the registry).
// Any other request fails, so a new network check shows up as an error, not as a hang.
import Module from 'node:module';

export interface OfflineData {
  readonly nodeRed: readonly { readonly version: string; readonly engines: { readonly node: string } }[];
  /** name -> every name@version in that dependency's installed tree (itself included). */
  readonly trees: Readonly<Record<string, readonly string[]>>;
}

const data = JSON.parse(process.env.SPS_FLOW_LIBRARY_OFFLINE ?? '{"nodeRed":[],"trees":{}}') as OfflineData;

function registryDocument(): object {
  const [latest, ...older] = [...data.nodeRed].sort((a, b) =>
    b.version.localeCompare(a.version, 'en', { numeric: true }),
  );
  const tags: Record<string, string> = latest ? { latest: latest.version } : {};
  for (const v of older) tags[`maintenance-v${v.version.split('.')[0]}`] = v.version;
  return {
    'dist-tags': tags,
    versions: Object.fromEntries(data.nodeRed.map((v) => [v.version, { engines: v.engines }])),
  };
}

const axios = {
  get(url: string): Promise<{ data: unknown }> {
    if (url === 'https://catalogue.nodered.org/catalogue.json')
      return Promise.resolve({ data: { modules: [] } });
    if (url === 'https://registry.npmjs.org/node-red') return Promise.resolve({ data: registryDocument() });
    return Promise.reject(new Error(`offline: no answer for ${url}`));
  },
};

const npmRemoteLs = {
  config(): void {},
  ls(name: string, version: string, _flatten: boolean, done: (list: string[]) => void): void {
    done([...(data.trees[name] ?? [`${name}@${version}`])]);
  },
};

const npmCheck = (): Promise<{ get(key: string): unknown[] }> => Promise.resolve({ get: () => [] });

const stubs: Record<string, unknown> = { axios, 'npm-remote-ls': npmRemoteLs, 'npm-check': npmCheck };
const loader = Module as unknown as { _load(request: string, parent: unknown, isMain: boolean): unknown };
const load = loader._load.bind(loader);
loader._load = (request, parent, isMain) =>
  Object.hasOwn(stubs, request) ? stubs[request] : load(request, parent, isMain);
