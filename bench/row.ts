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
    const ratio = r.ratio ? `${r.ratio.median.toFixed(2)}, ${r.ratio.p99.toFixed(2)}` : '—';
    const value = `${triple(r.value)} ${r.unit} (n=${r.samples})`;
    lines.push(`| ${r.name} | ${value} | ${ref} | ${ratio} | ${r.target} | ${r.met ? 'pass' : 'FAIL'} |`);
  }
  return lines;
}
