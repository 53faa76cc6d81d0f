// Every frame of every capture in test/fixtures, and the fields tshark decoded for it in the .txt
// beside the capture, so the frame parser can be checked against an independent dissector.
import { readFileSync, readdirSync } from 'node:fs';
import { fixturePath, repoRoot } from '../../support/paths';
import { LINKTYPE_ETHERNET, readPcap } from '../../support/pcap';
import { join } from 'node:path';

export interface FixtureFrame {
  readonly file: string;
  readonly frame: number;
  readonly data: Buffer;
}

export const FIXTURE_FILES = readdirSync(join(repoRoot, 'test', 'fixtures'))
  .filter((name) => name.endsWith('.pcap'))
  .sort();

export function loadFixtureFrames(): FixtureFrame[] {
  return FIXTURE_FILES.flatMap((file) => {
    const pcap = readPcap(fixturePath(file));
    if (pcap.linkType !== LINKTYPE_ETHERNET) throw new Error(`${file}: link type ${pcap.linkType}`);
    return pcap.records.map((r) => ({ file, frame: r.frame, data: r.data }));
  });
}

/** The tshark -V text of each frame of a capture, by frame number. */
export function tsharkDecodes(pcapFile: string): Map<number, string> {
  const text = readFileSync(fixturePath(pcapFile.replace(/\.pcap$/, '.txt')), 'utf8');
  const out = new Map<number, string>();
  const parts = text.split(/^Frame (\d+): /m);
  for (let i = 1; i + 1 < parts.length; i += 2) out.set(Number(parts[i]), parts[i + 1]);
  return out;
}

/** The first capture group of `re` in `text`, or undefined. */
export function field(text: string, re: RegExp): string | undefined {
  return re.exec(text)?.[1];
}
