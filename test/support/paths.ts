// Where the repository is, from compiled tests in dist/ (or any dist-*/ build folder).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

function findRoot(start: string): string {
  for (let dir = start; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'tsconfig.json'))) return dir;
  }
  return process.cwd();
}

export const repoRoot = findRoot(__dirname);
export const fixturePath = (name: string): string => join(repoRoot, 'test', 'fixtures', name);
