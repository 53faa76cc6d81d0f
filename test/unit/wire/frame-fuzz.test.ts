// Mutated, truncated and extended capture frames into parseFrame: it must return a result (parse or
// WireError) for every input and never throw. Deterministic: the seed is fixed and printed.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame, parseFrame } from '../../../src/wire/frame';
import { WireError } from '../../../src/wire/result';
import { type Random, mulberry32, randomBytes, randomInt } from '../../support/prng';
import { loadFixtureFrames } from './fixture-frames';
import * as vectors from './vectors';

const SEED = 0x5eed_0001;
const ITERATIONS = 20_000;

const corpus = [
  ...loadFixtureFrames().map((f) => f.data),
  ...Object.values(vectors).filter((x): x is Buffer => Buffer.isBuffer(x)),
];

// Interesting values for length, type and flag fields.
const SPECIAL = [
  0x00, 0x01, 0x05, 0x06, 0x08, 0x0f, 0x3a, 0x45, 0x60, 0x7f, 0x80, 0x86, 0x87, 0x88, 0xdd, 0xfe, 0xff,
];

function mutate(random: Random, input: Buffer): Buffer {
  let b = Buffer.from(input);
  const rounds = 1 + randomInt(random, 4);
  for (let r = 0; r < rounds; r++) {
    switch (randomInt(random, 7)) {
      case 0: // flip bits
        if (b.length) b[randomInt(random, b.length)] ^= 1 << randomInt(random, 8);
        break;
      case 1: // set a byte to a special value
        if (b.length) b[randomInt(random, b.length)] = SPECIAL[randomInt(random, SPECIAL.length)];
        break;
      case 2: // truncate
        b = b.subarray(0, randomInt(random, b.length + 1));
        break;
      case 3: // extend with random bytes
        b = Buffer.concat([b, randomBytes(random, 1 + randomInt(random, 64))]);
        break;
      case 4: // overwrite a 16-bit field with an extreme
        if (b.length >= 2)
          b.writeUInt16BE(
            [0, 1, 0x7fff, 0xffff, b.length][randomInt(random, 5)] & 0xffff,
            randomInt(random, b.length - 1),
          );
        break;
      case 5: // random bytes in a window
        if (b.length) randomBytes(random, Math.min(8, b.length)).copy(b, randomInt(random, b.length));
        break;
      case 6: // splice in another frame's tail
        {
          const other = corpus[randomInt(random, corpus.length)];
          b = Buffer.concat([
            b.subarray(0, randomInt(random, b.length + 1)),
            other.subarray(randomInt(random, other.length)),
          ]);
        }
        break;
    }
  }
  return b;
}

describe('frame: fuzz', () => {
  test(`parseFrame never throws on ${ITERATIONS} mutated frames (seed ${SEED.toString(16)})`, () => {
    const random = mulberry32(SEED);
    const reasons = new Map<string, number>();
    let parsedCount = 0;
    for (let i = 0; i < ITERATIONS; i++) {
      const input = mutate(random, corpus[i % corpus.length]);
      const verify = random() < 0.8;
      let result;
      try {
        result = parseFrame(input, { verifyTransportChecksums: verify });
      } catch (err) {
        assert.fail(`iteration ${i} threw ${String(err)} on ${input.toString('hex')}`);
      }
      if (result.ok) {
        parsedCount++;
        // Whatever parses must also re-emit (its reprs are encodable) without throwing.
        encodeFrame(result.value);
      } else {
        assert.ok(result.error instanceof WireError);
        reasons.set(result.error.reason, (reasons.get(result.error.reason) ?? 0) + 1);
      }
    }
    // The mutations must reach both sides and several error kinds, or the test proves little.
    assert.ok(parsedCount > ITERATIONS / 10, `parsed ${parsedCount}`);
    assert.ok(reasons.size >= 4, JSON.stringify([...reasons]));
  });

  test('random byte strings of every short length', () => {
    const random = mulberry32(SEED + 1);
    for (let length = 0; length < 200; length++) {
      for (let k = 0; k < 5; k++) {
        const r = parseFrame(randomBytes(random, length));
        assert.ok(r.ok || r.error instanceof WireError);
      }
    }
  });
});
