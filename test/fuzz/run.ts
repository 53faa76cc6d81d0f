// `npm run fuzz`: the long fuzz run, on demand. Round-robin over the chosen targets in slices of a
// few seconds (each slice a fresh seed derived from --seed, so a long run keeps exploring and any
// slice can be re-run alone), until --minutes/--seconds are up. Each distinct failure is printed and
// written as a JSON case under fuzz-crashes/ (or --out); --replay FILE runs one such case again.
// --coverage adds V8 block-coverage feedback (coverage.ts): slower per case, but it keeps the mutants
// that reach new code.
//
//   node dist/test/fuzz/run.js [--target frame,dns] [--seed N] [--minutes M | --seconds S]
//                              [--slice-seconds S] [--out DIR] [--coverage]
//   node dist/test/fuzz/run.js --replay fuzz-crashes/<file>.json
//
// Exit status: 0 when nothing failed (or the replayed case passes), 1 otherwise, 2 on bad usage.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../support/paths';
import {
  type CaseFile,
  caseFile,
  describeFailure,
  failureKey,
  type FuzzFailure,
  type FuzzTarget,
  runFuzz,
  stepsOf,
} from './fuzzer';
import { startCoverageFeedback } from './coverage';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string' },
      seed: { type: 'string' },
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      'slice-seconds': { type: 'string', default: '5' },
      out: { type: 'string', default: join(repoRoot, 'fuzz-crashes') },
      replay: { type: 'string' },
      coverage: { type: 'boolean', default: false },
    },
  });
  // Coverage starts before the code under test is loaded: V8 counts blocks only in code compiled after.
  const coverage = values.coverage ? startCoverageFeedback() : undefined;
  const { TARGETS, targetNamed } = await import('./targets');
  if (values.replay) return replay(values.replay, targetNamed);

  const targets = values.target ? values.target.split(',').map((name) => targetNamed(name.trim())) : TARGETS;
  const seed =
    values.seed !== undefined ? Number(values.seed) >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
  const seconds = values.seconds !== undefined ? Number(values.seconds) : Number(values.minutes ?? 1) * 60;
  const slice = Number(values['slice-seconds']) * 1000;
  if (![seed, seconds, slice].every(Number.isFinite) || seconds <= 0 || slice <= 0) {
    console.error('fuzz: bad --seed, --minutes/--seconds or --slice-seconds');
    return 2;
  }
  const outDir = resolve(values.out);
  console.log(`fuzz: ${targets.map((t) => t.name).join(', ')} for ${seconds} s, seed ${seed}`);

  const end = Date.now() + seconds * 1000;
  const totals = new Map(targets.map((t) => [t.name, { cases: 0, steps: 0, signatures: 0 }]));
  const failures: FuzzFailure[] = [];
  const known = new Set<string>();
  for (let round = 0; Date.now() < end; round++) {
    for (const target of targets) {
      if (Date.now() >= end) break;
      const sliceSeed = (seed + round * 0x9e3779b1) >>> 0;
      const stats = runFuzz(target, {
        seed: sliceSeed,
        until: Math.min(end, Date.now() + slice),
        ...(coverage ? { interesting: coverage.newBlocks } : {}),
        onFailure: (f) => {
          const key = `${f.target}\n${failureKey(f.error)}`;
          if (known.has(key)) return;
          known.add(key);
          failures.push(f);
          mkdirSync(outDir, { recursive: true });
          const file = join(outDir, `${f.target}-${f.seed}-${f.iteration}.json`);
          writeFileSync(file, `${JSON.stringify(caseFile(f), null, 2)}\n`);
          console.log(`${describeFailure(f)}\nwritten ${file}`);
        },
      });
      const total = totals.get(target.name);
      if (total) {
        total.cases += stats.cases;
        total.steps += stats.steps;
        total.signatures = Math.max(total.signatures, stats.signatures);
      }
    }
  }
  if (coverage) {
    console.log(`  ${coverage.blocks()} blocks of src/ reached`);
    coverage.stop();
  }
  for (const [name, t] of totals)
    console.log(
      `  ${name.padEnd(18)} ${String(t.cases).padStart(9)} cases ${String(t.steps).padStart(9)} inputs`,
    );
  console.log(
    failures.length ? `fuzz: ${failures.length} distinct failure(s) in ${outDir}` : 'fuzz: no failures',
  );
  return failures.length ? 1 : 0;
}

function replay(path: string, targetNamed: (name: string) => FuzzTarget): number {
  const file = JSON.parse(readFileSync(path, 'utf8')) as CaseFile;
  const target = targetNamed(file.target);
  try {
    const signature = target.execute(stepsOf(file));
    console.log(`replay ${path}: ${file.target} passes (outcome ${signature})`);
    return 0;
  } catch (err) {
    console.log(`replay ${path}: ${file.target} fails`);
    console.log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    return 1;
  }
}

main().then(
  (status) => {
    process.exitCode = status;
  },
  (err: unknown) => {
    console.error(`fuzz: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 2;
  },
);
