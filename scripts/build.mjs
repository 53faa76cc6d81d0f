// Build: compile TypeScript to dist/, then put each node's editor .html and the icons beside the
// compiled .js, where Node-RED's loader looks for them.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist');
rmSync(out, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', root], {
  stdio: 'inherit',
});

for (const file of readdirSync(join(root, 'nodes'))) {
  if (file.endsWith('.html')) cpSync(join(root, 'nodes', file), join(out, 'nodes', file));
}
if (existsSync(join(root, 'nodes/locales'))) {
  cpSync(join(root, 'nodes/locales'), join(out, 'nodes/locales'), { recursive: true });
}
cpSync(join(root, 'icons'), join(out, 'nodes/icons'), { recursive: true });
