// python3-zeroconf as a third-party witness in a LAN host (test/support/zeroconf-tool.py, run with
// Debian's /usr/bin/python3, not a pyenv python first on PATH). Lines of JSON from the tool are
// collected; next(pred) waits for the first one (seen before or after the call) that matches.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NsEndpoint } from './lan';
import { JsonLinesProcess, type JsonLine } from './json-lines-process';
import { repoRoot } from './paths';

export const PYTHON = '/usr/bin/python3';
export const ZEROCONF_TOOL = join(repoRoot, 'test', 'support', 'zeroconf-tool.py');

/** Why zeroconf tests cannot run here (Debian: apt-get install python3-zeroconf), or undefined. */
export function zeroconfUnavailableReason(): string | undefined {
  if (!existsSync(PYTHON)) return `${PYTHON} missing`;
  try {
    execFileSync(PYTHON, ['-c', 'import zeroconf'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'python3-zeroconf not installed (apt-get install python3-zeroconf)';
  }
}

export type ZeroconfLine = JsonLine;

/** The zeroconf tool's lines. */
export class ZeroconfProcess extends JsonLinesProcess {}

export function startZeroconf(host: NsEndpoint, args: readonly string[]): ZeroconfProcess {
  return new ZeroconfProcess(
    host.spawn(PYTHON, ['-u', ZEROCONF_TOOL, ...args], { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
}
