// The shared round-trip checks of the wire codec tests (STYLE-ANCHORS convention 8): computed
// length = written = read, emit into a buffer pre-filled with garbage at an offset touching nothing
// outside its range, and a byte-identical re-encode of real bytes.
import assert from 'node:assert/strict';
import type { Parsed } from '../../src/wire/result';

/** One codec with its context (if any) already bound. */
export interface WireCodec<R> {
  parse(buf: Buffer, offset: number): Parsed<R>;
  emit(repr: R, buf: Buffer, offset: number): number;
  encodingLength(repr: R): number;
}

/** Binds a codec whose parse and emit take a context (the checksum pseudo-header) to one context. */
export function withContext<R, C>(
  parse: (buf: Buffer, offset: number, ctx: C) => Parsed<R>,
  emit: (repr: R, buf: Buffer, offset: number, ctx: C) => number,
  encodingLength: (repr: R) => number,
  ctx: C,
): WireCodec<R> {
  return {
    parse: (buf, offset) => parse(buf, offset, ctx),
    emit: (repr, buf, offset) => emit(repr, buf, offset, ctx),
    encodingLength,
  };
}

export const GARBAGE = 0xa5;

export function expectParsed<R>(result: Parsed<R>): { value: R; bytes: number } {
  if (!result.ok) assert.fail(`expected a parse, got ${result.error.message}`);
  return result;
}

export function expectError<R>(result: Parsed<R>, reason: string): void {
  if (result.ok) assert.fail(`expected a '${reason}' error, got a parse of ${result.bytes} bytes`);
  assert.equal(result.error.reason, reason, result.error.message);
}

/**
 * Emits `repr` at an odd offset into a 0xa5-filled buffer and checks the length agreement, that
 * the bytes around are untouched, and that parsing the written bytes at that offset gives `repr`
 * back. Returns the written bytes.
 */
export function emitIntoGarbage<R>(codec: WireCodec<R>, repr: R): Buffer {
  const length = codec.encodingLength(repr);
  const offset = 7;
  const buf = Buffer.alloc(offset + length + 9, GARBAGE);
  const written = codec.emit(repr, buf, offset);
  assert.equal(written, length, 'written = computed length');
  assert.ok(
    buf.subarray(0, offset).every((b) => b === GARBAGE),
    'bytes before untouched',
  );
  assert.ok(
    buf.subarray(offset + length).every((b) => b === GARBAGE),
    'bytes after untouched',
  );
  const reparsed = expectParsed(codec.parse(buf.subarray(0, offset + length), offset));
  assert.equal(reparsed.bytes, length, 'read = written');
  assert.deepEqual(reparsed.value, repr);
  return Buffer.from(buf.subarray(offset, offset + length));
}

/** Parses real bytes, re-emits the repr and checks both agree byte for byte. Returns the repr. */
export function roundTrip<R>(codec: WireCodec<R>, wire: Buffer): R {
  const parsed = expectParsed(codec.parse(wire, 0));
  assert.equal(parsed.bytes, wire.length, 'read = whole input');
  assert.equal(codec.encodingLength(parsed.value), wire.length, 'computed length = input length');
  assert.deepEqual(emitIntoGarbage(codec, parsed.value), wire, 're-encode is byte-identical');
  return parsed.value;
}
