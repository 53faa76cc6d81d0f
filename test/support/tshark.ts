// Runs tshark as an independent witness for our encoders. Tests call tsharkMissing() and skip with that
// reason when it returns one, so a machine without tshark skips instead of passing.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UdpFrameSpec, udpFrame, writePcap } from './pcap-writer';

let missing: string | false | undefined;

/** Why tshark cannot be used here, or false when it can. */
export function tsharkMissing(): string | false {
  if (missing === undefined) {
    const probe = spawnSync('tshark', ['-v'], { encoding: 'utf8' });
    missing = probe.status === 0 ? false : 'tshark is not installed (apt-get install tshark)';
  }
  return missing;
}

/**
 * Writes the datagrams into a pcap, decodes it with `tshark -T fields` and returns one row per frame,
 * each a map field -> values (tshark separates repeated values with ',').
 */
export function tsharkFields(
  datagrams: readonly UdpFrameSpec[],
  fields: readonly string[],
  decodeAs: readonly string[] = ['udp.port==5354,dns'],
): Record<string, string[]>[] {
  const dir = mkdtempSync(join(tmpdir(), 'sps-tshark-'));
  try {
    const file = join(dir, 'frames.pcap');
    writePcap(file, datagrams.map(udpFrame));
    const args = ['-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'aggregator=,'];
    for (const d of decodeAs) args.push('-d', d);
    for (const f of fields) args.push('-e', f);
    const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return out
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => {
        const cells = line.split('\t');
        return Object.fromEntries(fields.map((f, i) => [f, cells[i] ? cells[i].split(',') : []]));
      });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
