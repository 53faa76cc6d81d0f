// One line of the issue-9 table: a figure, its reference measured in the same run (where there is
// one), the ratio, the target and whether it was met, so a program can check a run.
import type { Summary } from './stats';

export interface BenchRow {
  readonly name: string;
  readonly unit: string;
  /** What was measured (min/median/p99 for latencies; a single figure as all three otherwise). */
  readonly value: Summary;
  readonly reference?: { readonly name: string; readonly value: Summary };
  /** value / reference at median and p99. */
  readonly ratio?: { readonly median: number; readonly p99: number };
  readonly samples: number;
  readonly target: string;
  readonly met: boolean;
  readonly note?: string;
}

/** A row comparing `value` to `reference` at median and p99. */
export function ratioRow(
  base: Omit<BenchRow, 'ratio' | 'met'>,
  met: (ratio: { median: number; p99: number }) => boolean,
): BenchRow {
  if (!base.reference) throw new Error(`${base.name}: a ratio row needs a reference`);
  const ratio = {
    median: base.value.median / base.reference.value.median,
    p99: base.value.p99 / base.reference.value.p99,
  };
  return { ...base, ratio, met: met(ratio) };
}

/** A row as bench/results.json holds it: every key present, null where a row has no such figure. */
export interface ResultRow {
  readonly name: string;
  readonly unit: string;
  /** null for a row that could not be measured (its `note` says why; `met` is false). */
  readonly value: Summary | null;
  readonly reference: { readonly name: string; readonly value: Summary } | null;
  /** value / reference at median and p99, wherever there is a reference (null when that is 0). */
  readonly ratio: { readonly median: number | null; readonly p99: number | null } | null;
  readonly target: string;
  readonly met: boolean;
  readonly samples: number;
  readonly note: string | null;
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

export function resultRow(r: BenchRow): ResultRow {
  const ref = r.reference?.value;
  const ratio = r.ratio ?? (ref && { median: r.value.median / ref.median, p99: r.value.p99 / ref.p99 });
  return {
    name: r.name,
    unit: r.unit,
    value: r.value,
    reference: r.reference ?? null,
    ratio: ratio ? { median: finite(ratio.median), p99: finite(ratio.p99) } : null,
    target: r.target,
    met: r.met,
    samples: r.samples,
    note: r.note ?? null,
  };
}

/** A row that could not be measured, so that a program checking a run sees it as not met. */
export const unmeasured = (name: string, reason: string): ResultRow => ({
  name: `not measured: ${name}`,
  unit: '',
  value: null,
  reference: null,
  ratio: null,
  target: '',
  met: false,
  samples: 0,
  note: reason,
});

/** A single figure as a Summary (min = median = p99). */
export const single = (x: number) => ({ min: x, median: x, p99: x });

const num = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const triple = (s: Summary) => `${num(s.min)} / ${num(s.median)} / ${num(s.p99)}`;

/** The table as text lines. */
export function formatRows(rows: readonly BenchRow[]): string[] {
  const lines = ['| what | value (min / median / p99) | reference | ratio (p50, p99) | target | met |'];
  lines.push('|---|---|---|---|---|---|');
  for (const r of rows) {
    const ref = r.reference ? `${r.reference.name}: ${triple(r.reference.value)} ${r.unit}` : '—';
    const { ratio: both } = resultRow(r);
    const fixed = (x: number | null) => (x === null ? '—' : x.toFixed(2));
    const ratio = both ? `${fixed(both.median)}, ${fixed(both.p99)}` : '—';
    const value = `${triple(r.value)} ${r.unit} (n=${r.samples})`;
    lines.push(`| ${r.name} | ${value} | ${ref} | ${ratio} | ${r.target} | ${r.met ? 'pass' : 'FAIL'} |`);
  }
  return lines;
}
