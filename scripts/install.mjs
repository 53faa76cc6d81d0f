// npm "install" step: load the prebuilt link addon for this platform, or build it with node-gyp.
// Where neither works (no prebuild, no compiler), installing must still succeed (Node-RED's palette
// manager would otherwise refuse the whole package): the nodes then report "link addon unavailable"
// at run time, and everything that needs no raw frames (UDP wake, codecs) keeps working.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = createRequire(import.meta.url).resolve('node-gyp-build/bin.js');
const result = spawnSync(process.execPath, [bin], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  console.warn(
    'node-red-contrib-sleep-proxy: no prebuilt link addon for this platform and building it failed ' +
      '(needs python3, make and g++). Raw Ethernet features (sleep proxy, EtherType 0x0842 wake) are disabled.',
  );
}
