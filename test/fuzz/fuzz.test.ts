// The short fuzz run of `npm test`: every target (test/fuzz/targets.ts) for a fixed number of cases
// from a fixed seed, so the run is the same on every machine; a failure prints the target, the seed
// and the case as hex and as a JSON crash file for `npm run fuzz -- --replay FILE`. The long,
// open-ended run is run.ts.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mulberry32, randomBytes, randomInt } from '../support/prng';
import { describeFailure, runFuzz } from './fuzzer';
import { TARGETS } from './targets';

const SEED = 0x5eed_0010;
/** Cases per target: parser cases are one input, engine cases a timeline of up to 6-8. */
const CASES: Readonly<Record<string, number>> = {
  frame: 20_000,
  dns: 10_000,
  'sps-registration': 10_000,
  'sps-owner': 5000,
  edns: 5000,
  'sps-name': 3000,
  'sps-keepalive': 3000,
  'relay-mesh': 3000,
  'ipv4-reassembly': 1500,
  'sleep-proxy': 1000,
  'mdns-responder': 1200,
  'relay-core': 1500,
  restore: 400,
};

describe('fuzz (short run)', () => {
  for (const target of TARGETS) {
    const cases = CASES[target.name] ?? 1000;
    test(`${target.name}: ${cases} cases, seed ${SEED.toString(16)}`, (t) => {
      const stats = runFuzz(target, { seed: SEED, cases, stopOnFailure: true });
      const failure = stats.failures[0];
      assert.ok(!failure, failure && describeFailure(failure));
      assert.equal(stats.cases, cases);
      t.diagnostic(`${stats.steps} inputs, ${stats.signatures} distinct outcomes, corpus ${stats.corpus}`);
      // The mutants must reach more than one outcome, or the target proves little.
      assert.ok(stats.signatures > 3, `only ${stats.signatures} distinct outcomes`);
    });
  }

  test('random byte strings of every short length, into every target', () => {
    const random = mulberry32(SEED + 1);
    for (const target of TARGETS) {
      for (const op of Object.keys(target.ops)) {
        // engine cases build an engine each: shorter lengths there keep the run in seconds
        for (let length = 0; length < (target.maxSteps > 1 ? 64 : 160); length++) {
          const steps = [{ op, dt: 0, variant: randomInt(random, 256), data: randomBytes(random, length) }];
          try {
            target.execute(steps);
          } catch (err) {
            const failure = {
              target: target.name,
              seed: SEED + 1,
              iteration: length,
              error: String(err),
              steps,
            };
            assert.fail(describeFailure(failure));
          }
        }
      }
    }
  });
});
