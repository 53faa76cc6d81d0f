// The structured mutator: 1-4 rounds (half the time just one) of bit flips, interesting bytes, byte insert/delete, random
// windows, length-field tweaks (0, max, ±1, ±8, the bytes left) and truncation at header
// boundaries (both from the input's Shape), and splices with another corpus entry (at a shared
// boundary, so a header of one meets the payload of another, or anywhere). Deterministic for a
// given Random: a failure is replayed from its seed, or from the written case.
import { type Random, randomBytes, randomInt } from '../support/prng';
import type { LengthField, ShapeOf } from './shape';

/** Values that sit on the edges of length, type and flag fields. */
const INTERESTING = [
  0x00, 0x01, 0x02, 0x04, 0x05, 0x06, 0x08, 0x0f, 0x10, 0x11, 0x3a, 0x3f, 0x40, 0x45, 0x60, 0x7f, 0x80, 0x81,
  0x86, 0x87, 0x88, 0xc0, 0xdd, 0xfe, 0xff,
];

/** Inputs stay below a jumbo frame's size: larger ones only test the allocator. */
const MAX_INPUT = 9216;

export interface MutationContext {
  readonly random: Random;
  readonly shapeOf: ShapeOf;
  /** Entries to splice from (same kind of input). */
  readonly corpus: readonly Buffer[];
}

export function mutate(ctx: MutationContext, input: Buffer): Buffer {
  const { random } = ctx;
  let b: Buffer = Buffer.from(input);
  // Mostly one change, so a mutant often stays valid enough to reach the deeper checks.
  const rounds = random() < 0.5 ? 1 : 2 + randomInt(random, 3);
  for (let r = 0; r < rounds; r++) b = mutateOnce(ctx, b);
  return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
}

function mutateOnce(ctx: MutationContext, b: Buffer): Buffer {
  const { random } = ctx;
  const at = (extra = 0): number => randomInt(random, b.length + extra);
  switch (randomInt(random, 12)) {
    case 0: // flip a bit
      if (b.length) b[at()] ^= 1 << randomInt(random, 8);
      return b;
    case 1: // an interesting byte
      if (b.length) b[at()] = pick(random, INTERESTING);
      return b;
    case 2: // insert bytes
      return Buffer.concat([
        b.subarray(0, at(1)),
        randomBytes(random, 1 + randomInt(random, 8)),
        b.subarray(at(1)),
      ]);
    case 3: {
      // delete a run of bytes
      const from = at();
      return Buffer.concat([b.subarray(0, from), b.subarray(from + 1 + randomInt(random, 8))]);
    }
    case 4: // a random window
      if (b.length) randomBytes(random, Math.min(1 + randomInt(random, 8), b.length)).copy(b, at());
      return b;
    case 5: // extend
      return Buffer.concat([b, randomBytes(random, 1 + randomInt(random, 64))]);
    case 6: // truncate anywhere
      return b.subarray(0, at(1));
    case 7:
    case 8: {
      // a length field
      const { lengths } = ctx.shapeOf(b);
      const field = lengths.length ? pick(random, lengths) : undefined;
      if (field) tweakLength(random, b, field);
      else if (b.length >= 2)
        b.writeUInt16BE(pick(random, [0, 1, 0x7fff, 0xffff, b.length & 0xffff]), at(-1));
      return b;
    }
    case 9: {
      // truncate at a header boundary (or one byte either side)
      const { boundaries } = ctx.shapeOf(b);
      if (!boundaries.length) return b.subarray(0, at(1));
      const cut = pick(random, boundaries) + randomInt(random, 3) - 1;
      return b.subarray(0, Math.max(0, Math.min(cut, b.length)));
    }
    case 10: {
      // splice at a boundary both inputs share (a header of one, the rest of the other)
      const other = pick(random, ctx.corpus);
      const shared = ctx.shapeOf(b).boundaries.filter((x) => x <= b.length && x <= other.length);
      const cut = shared.length ? pick(random, shared) : Math.min(at(1), other.length);
      return Buffer.concat([b.subarray(0, cut), other.subarray(cut)]);
    }
    default: {
      // splice anywhere
      const other = pick(random, ctx.corpus);
      return Buffer.concat([b.subarray(0, at(1)), other.subarray(randomInt(random, other.length + 1))]);
    }
  }
}

function tweakLength(random: Random, b: Buffer, f: LengthField): void {
  if (f.offset + f.bits / 8 > b.length) return;
  const max = 2 ** f.bits - 1;
  const current =
    f.bits === 16
      ? b.readUInt16BE(f.offset)
      : f.bits === 8
        ? b[f.offset]
        : (b[f.offset] >> (f.shift ?? 0)) & 0xf;
  const remaining = b.length - f.offset;
  const candidates = [
    0,
    1,
    max,
    max - 1,
    current + 1,
    current - 1,
    current + 8,
    current - 8,
    remaining,
    current * 2,
  ];
  const value = Math.max(0, Math.min(max, pick(random, candidates)));
  if (f.bits === 16) b.writeUInt16BE(value, f.offset);
  else if (f.bits === 8) b[f.offset] = value;
  else {
    const shift = f.shift ?? 0;
    b[f.offset] = (b[f.offset] & ~(0xf << shift)) | (value << shift);
  }
}

export function pick<T>(random: Random, list: readonly T[]): T {
  return list[randomInt(random, list.length)];
}
