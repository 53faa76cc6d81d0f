// The fuzz loop shared by the short run in `npm test` (fuzz.test.ts) and the long one (`npm run fuzz`,
// run.ts). A case is a few steps (one for a parser target; a short timeline for an engine target):
// each step is an input kind (`op`), a clock advance, a variant byte for the target's small choices,
// and bytes mutated from the corpus of that op. A target executes a case on fresh state and throws
// when an invariant breaks; the outcome signature it returns grows the corpus when new (feedback by
// distinct outcomes: parse error reasons, frame kinds, engine counters; cheaper than code coverage
// and enough to keep mutants that got deeper). Everything derives from one seed: same seed, same run.
import { mulberry32, type Random, randomBytes, randomInt } from '../support/prng';
import { mutate, pick } from './mutate';
import type { ShapeOf } from './shape';

export interface FuzzStep {
  readonly op: string;
  /** Milliseconds the fake clock advances before the step. */
  readonly dt: number;
  /** 0-255, for the target's own choices (source address, checksum flag...). */
  readonly variant: number;
  readonly data: Buffer;
}

export interface OpSpec {
  readonly seeds: readonly Buffer[];
  readonly shapeOf: ShapeOf;
}

export interface FuzzTarget {
  readonly name: string;
  /** Input kinds with their seeds; an op with no seeds (e.g. 'timer') carries no data. */
  readonly ops: Readonly<Record<string, OpSpec>>;
  /** Steps per case (1 for a parser). */
  readonly maxSteps: number;
  /** Runs a case on fresh state; throws on a broken invariant; returns an outcome signature. */
  execute(steps: readonly FuzzStep[]): string;
}

export interface FuzzFailure {
  readonly target: string;
  readonly seed: number;
  readonly iteration: number;
  readonly error: string;
  readonly steps: readonly FuzzStep[];
}

export interface FuzzStats {
  readonly target: string;
  readonly seed: number;
  cases: number;
  steps: number;
  signatures: number;
  corpus: number;
  failures: FuzzFailure[];
}

export interface FuzzRunOptions {
  readonly seed: number;
  /** Stop after this many cases... */
  readonly cases?: number;
  /** ...or at this time (Date.now() ms), whichever comes first. */
  readonly until?: number;
  /** Stop at the first failure (the short run); the long run collects distinct ones. */
  readonly stopOnFailure?: boolean;
  readonly onFailure?: (failure: FuzzFailure) => void;
  /** Extra feedback after each passing case (coverage.ts): true keeps the case as if its outcome were new. */
  readonly interesting?: () => boolean;
}

const CORPUS_CAP = 2000;
/** Clock advances: mostly small (retransmit, probe spacing), sometimes a lease or a day. */
const DT_CHOICES = [0, 1, 10, 100, 250, 1000, 2000, 5000, 60_000, 3_600_000, 86_400_000];

export function runFuzz(target: FuzzTarget, options: FuzzRunOptions): FuzzStats {
  const random = mulberry32(options.seed);
  const ops = target.ops;
  const corpora = new Map(Object.entries(ops).map(([op, spec]) => [op, [...spec.seeds]]));
  const opNames = Object.keys(ops);
  const seen = new Set<string>();
  const failed = new Set<string>();
  const stats: FuzzStats = {
    target: target.name,
    seed: options.seed,
    cases: 0,
    steps: 0,
    signatures: 0,
    corpus: 0,
    failures: [],
  };
  const limit = options.cases ?? Infinity;
  for (let iteration = 0; iteration < limit; iteration++) {
    if (options.until !== undefined && iteration % 64 === 0 && Date.now() >= options.until) break;
    const steps = makeCase(random, target.maxSteps, ops, opNames, corpora);
    stats.cases++;
    stats.steps += steps.length;
    let signature: string;
    try {
      signature = target.execute(steps);
    } catch (err) {
      // The message and the innermost frames: enough to find the throw, short enough to print.
      const error =
        err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 5).join('\n') : String(err);
      const key = failureKey(error);
      if (failed.has(key)) continue;
      failed.add(key);
      const failure = { target: target.name, seed: options.seed, iteration, error, steps };
      stats.failures.push(failure);
      options.onFailure?.(failure);
      if (options.stopOnFailure) break;
      continue;
    }
    const newCode = options.interesting?.() ?? false;
    if (seen.has(signature) && !newCode) continue;
    seen.add(signature);
    for (const step of steps) {
      const corpus = corpora.get(step.op);
      if (corpus && ops[step.op].seeds.length && corpus.length < CORPUS_CAP) corpus.push(step.data);
    }
  }
  stats.signatures = seen.size;
  stats.corpus = [...corpora.values()].reduce((n, c) => n + c.length, 0);
  return stats;
}

/** One key per bug, not per input: the message and first frame, with hex dumps and numbers folded. */
export function failureKey(error: string): string {
  return error
    .split('\n')
    .slice(0, 2)
    .join('\n')
    .replace(/[0-9a-f]{16,}/g, '<hex>')
    .replace(/\d+/g, '#');
}

function makeCase(
  random: Random,
  maxSteps: number,
  ops: FuzzTarget['ops'],
  opNames: readonly string[],
  corpora: ReadonlyMap<string, Buffer[]>,
): FuzzStep[] {
  const count = 1 + randomInt(random, maxSteps);
  const steps: FuzzStep[] = [];
  for (let i = 0; i < count; i++) {
    const op = pick(random, opNames);
    const corpus = corpora.get(op) ?? [];
    const dt = maxSteps > 1 ? pick(random, DT_CHOICES) + randomInt(random, 100) : 0;
    const variant = randomInt(random, 256);
    let data: Buffer;
    if (!corpus.length) data = Buffer.alloc(0);
    else {
      const roll = random();
      const base = pick(random, corpus);
      // Mostly mutants; sometimes a seed as is (engine state needs valid input too) or pure noise.
      if (roll < (maxSteps > 1 ? 0.6 : 0.85))
        data = mutate({ random, shapeOf: ops[op].shapeOf, corpus }, base);
      else if (roll < 0.95) data = Buffer.from(base);
      else data = randomBytes(random, randomInt(random, 128));
    }
    steps.push({ op, dt, variant, data });
  }
  return steps;
}

// --- Cases as text: printed on failure, written as crash files, read back by --replay.

export interface CaseFile {
  readonly target: string;
  readonly seed: number;
  readonly iteration: number;
  readonly error?: string;
  readonly steps: readonly { op: string; dt: number; variant: number; hex: string }[];
}

export function caseFile(f: FuzzFailure): CaseFile {
  return {
    target: f.target,
    seed: f.seed,
    iteration: f.iteration,
    error: f.error,
    steps: f.steps.map((s) => ({ op: s.op, dt: s.dt, variant: s.variant, hex: s.data.toString('hex') })),
  };
}

export function stepsOf(file: CaseFile): FuzzStep[] {
  return file.steps.map((s) => ({ op: s.op, dt: s.dt, variant: s.variant, data: Buffer.from(s.hex, 'hex') }));
}

export function describeFailure(f: FuzzFailure): string {
  const steps = f.steps.map(
    (s, i) => `  step ${i}: ${s.op} dt=${s.dt} variant=${s.variant} hex=${s.data.toString('hex')}`,
  );
  return [
    `fuzz target ${f.target} failed (seed ${f.seed}, case ${f.iteration}):`,
    f.error,
    ...steps,
    `replay: save this line as FILE and run node dist/test/fuzz/run.js --replay FILE`,
    JSON.stringify({ ...caseFile(f), error: undefined }),
  ].join('\n');
}
