// The one error of the wire layer and the result every parser returns. Parsers never throw:
// malformed or unsupported input comes back as a WireError with a short reason the caller can count.

export type WireErrorReason =
  | 'truncated' // the buffer ends before a field or a length says it should
  | 'bad-length' // a length field is impossible (too small, too large, inconsistent)
  | 'bad-checksum'
  | 'bad-version'
  | 'unsupported' // well formed, but not something we handle (other hardware type, option...)
  | 'malformed'; // anything else that breaks the grammar (bad label, bad pointer, bad text...)

export class WireError extends Error {
  constructor(
    readonly reason: WireErrorReason,
    readonly detail = '',
  ) {
    super(detail ? `${reason}: ${detail}` : reason);
    this.name = 'WireError';
  }
}

/** A parse result: the value and how many bytes it took, or the error. */
export type Parsed<T> = { ok: true; value: T; bytes: number } | { ok: false; error: WireError };

export function ok<T>(value: T, bytes: number): Parsed<T> {
  return { ok: true, value, bytes };
}

export function fail<T = never>(reason: WireErrorReason, detail = ''): Parsed<T> {
  return { ok: false, error: new WireError(reason, detail) };
}
