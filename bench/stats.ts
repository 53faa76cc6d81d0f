// Summary statistics for benchmark trials.
export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly p99: number;
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { min: sorted[0], median: at(0.5), p99: at(0.99) };
}
