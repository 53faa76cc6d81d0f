// The Sleep Proxy instance name `AA-BB-CC-DD.F pretty name` (sps-protocol.md §1.2, §1.3):
// AA intent, BB portability, CC marginal power, DD total power (two decimal digits each), F feature bits
// (one digit; 1 = TCP keepalive offload), then one space and a human-readable name.
//
// Two readings, because clients and people read it differently:
// - rankSpsName: exactly what Apple's client computes on the label bytes (mDNSEmbeddedAPI.h ValidSPSName,
//   PrototypeSPSName, SPSMetric, SPSFeatures): only the digits at byte offsets 1,2,4,5 (offset 0 = the DNS
//   length byte) are checked; the metric also uses the bytes at offsets 7,8 whatever they are, and the
//   features value is the byte at 13 minus '0' whenever byte 12 is '.'. Invalid or prototype (xx-99-99-99)
//   names rank 1 000 000 and are never chosen.
// - parseSpsName: the strict grammar, for display and configuration; fails on anything else.
// formatSpsName writes the strict grammar, cutting the pretty name so the label stays within 63 bytes.
import { DNS_MAX_LABEL } from './dns-name';
import { fail, ok, Parsed } from './result';

export const SPS_METRIC_INVALID = 1_000_000;

/** Byte offsets in the label counted as Apple does (offset 0 is the DNS length byte). */
const AA = 1;
const BB = 4;
const CC = 7;
const DOT_OFFSET = 12;
const FEATURE_OFFSET = 13;
const MIN_VALID_LEN = 5;
const MIN_PROTOTYPE_LEN = 11;
const PROTOTYPE_TAIL = '-99-99-99';

export interface SpsNameRank {
  /** ValidSPSName: label length >= 5 and digits at offsets 1, 2, 4, 5. */
  readonly valid: boolean;
  /** PrototypeSPSName: `-99-99-99` at offsets 3..11 (unrecognised hardware). */
  readonly prototype: boolean;
  /** AA*10000 + BB*100 + CC; SPS_METRIC_INVALID if invalid or prototype. Lower is better. */
  readonly metric: number;
  /** SPSFeatures: non-zero puts the SPS ahead of every SPS without features. */
  readonly features: number;
}

const isDigit = (b: number | undefined): boolean => b !== undefined && b >= 0x30 && b <= 0x39;

/** Apple's reading of an instance label (the first label of the PTR target, unescaped). */
export function rankSpsName(label: string): SpsNameRank {
  // X[i] in Apple's macros is the byte at offset i of the length-prefixed label.
  const bytes = Buffer.from(label, 'utf8');
  // Apple reads past a short label into the rest of the name; we read zeros there.
  const at = (i: number): number => bytes[i - 1] ?? 0;
  const len = bytes.length;
  const valid = len >= MIN_VALID_LEN && [AA, AA + 1, BB, BB + 1].every((i) => isDigit(at(i)));
  const prototype = len >= MIN_PROTOTYPE_LEN && bytes.subarray(2, 11).toString('latin1') === PROTOTYPE_TAIL;
  const digit = (i: number): number => at(i) - 0x30;
  const metric =
    !valid || prototype
      ? SPS_METRIC_INVALID
      : (digit(AA) * 10 + digit(AA + 1)) * 10000 +
        (digit(BB) * 10 + digit(BB + 1)) * 100 +
        digit(CC) * 10 +
        digit(CC + 1);
  const features = len >= FEATURE_OFFSET && at(DOT_OFFSET) === 0x2e ? digit(FEATURE_OFFSET) : 0;
  return { valid, prototype, metric, features };
}

export interface SpsNameRepr {
  /** 20 dedicated SPS ... 80 incidental software; lower = more deliberate. */
  readonly intent: number;
  /** 100 - 10*log10(mass in mg). */
  readonly portability: number;
  /** 10*log10(µW) of extra power to stay awake as SPS. */
  readonly marginalPower: number;
  /** 10*log10(µW) in total while acting as SPS. */
  readonly totalPower: number;
  /** The feature digit, or undefined for names without the `.F` suffix (e.g. `10-34-10-70 SleepProxyServer`). */
  readonly features?: number;
  readonly prettyName: string;
}

const GRAMMAR = /^(\d\d)-(\d\d)-(\d\d)-(\d\d)(?:\.(\d))? (.*)$/su;

export function parseSpsName(label: string): Parsed<SpsNameRepr> {
  const m = GRAMMAR.exec(label);
  if (!m) return fail('malformed', 'not an `AA-BB-CC-DD.F name` label');
  const [intent, portability, marginalPower, totalPower] = m.slice(1, 5).map(Number);
  const features = m[5] === undefined ? undefined : Number(m[5]);
  return ok(
    { intent, portability, marginalPower, totalPower, features, prettyName: m[6] },
    Buffer.byteLength(label),
  );
}

function rangeProblem(repr: SpsNameRepr): string | undefined {
  const fields = {
    intent: repr.intent,
    portability: repr.portability,
    marginalPower: repr.marginalPower,
    totalPower: repr.totalPower,
  };
  for (const [key, value] of Object.entries(fields)) {
    if (!Number.isInteger(value) || value < 0 || value > 99) return `${key} must be an integer 0..99`;
  }
  const f = repr.features;
  if (f !== undefined && (!Number.isInteger(f) || f < 0 || f > 9)) return 'features must be a digit 0..9';
  return undefined;
}

/** Why these fields make a name clients will not use, or undefined (for validating configuration). */
export function spsNameProblem(repr: SpsNameRepr): string | undefined {
  const prototype = repr.portability === 99 && repr.marginalPower === 99 && repr.totalPower === 99;
  return (
    rangeProblem(repr) ?? (prototype ? 'a xx-99-99-99 (prototype) name is ignored by clients' : undefined)
  );
}

/** Cuts text to at most `max` UTF-8 bytes without splitting a character. */
function cutUtf8(text: string, max: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (used + n > max) break;
    out += ch;
    used += n;
  }
  return out;
}

/** Throws RangeError on fields out of range (caller misuse); prototype names are written as asked. */
export function formatSpsName(repr: SpsNameRepr): string {
  const problem = rangeProblem(repr);
  if (problem) throw new RangeError(problem);
  const two = (n: number): string => String(n).padStart(2, '0');
  const head = `${two(repr.intent)}-${two(repr.portability)}-${two(repr.marginalPower)}-${two(repr.totalPower)}`;
  const prefix = `${head}${repr.features === undefined ? '' : `.${repr.features}`} `;
  return prefix + cutUtf8(repr.prettyName, DNS_MAX_LABEL - prefix.length);
}
