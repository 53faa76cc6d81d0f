// `npm run bench`: runs the benchmarks, prints a table and writes the figures as JSON to
// bench/results/<time>.json so runs can be compared. Each figure comes with a reference measured in
// the same run where one exists; compare ratios, not absolute times, across machines.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/support/paths';
import { benchCodecs } from './codecs';

const trials = Number(process.env.BENCH_TRIALS ?? 50);
const codecs = benchCodecs(trials);

const fmt = (ns: number) => ns.toFixed(0).padStart(7);
console.log(`codecs (ns per input over ${trials} trials: min / median / p99)`);
for (const r of codecs) {
  const ref = r.reference
    ? `  vs ${r.reference.name} ${fmt(r.reference.ns.median)}  ratio ${r.reference.ratioMedian.toFixed(2)}`
    : '';
  console.log(
    `  ${r.name.padEnd(36)} n=${String(r.inputs).padStart(3)} ${fmt(r.ours.min)} ${fmt(r.ours.median)} ${fmt(r.ours.p99)}${ref}`,
  );
}

const dir = join(repoRoot, 'bench', 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ node: process.version, trials, codecs }, null, 2));
console.log(`written ${file}`);
