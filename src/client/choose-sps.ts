// Which sleep proxy a client registers with, as Apple's client picks it (sps-protocol.md §1.3;
// mDNS.c FindSPSInCache, ReorderSPSByFeature): names that are invalid or prototypes are never chosen;
// of the rest, the three lowest metrics in ascending order (ties keep browse order), then a stable
// re-sort that puts every SPS with a non-zero feature digit ahead of every SPS without one, whatever
// their metrics. The client tries them in that order. Pure.
import { rankSpsName, SPS_METRIC_INVALID, type SpsNameRank } from '../wire/sps-name';

/** Apple resolves and tries at most three candidates. */
export const SPS_CANDIDATES = 3;

export interface RankedSps<T> {
  readonly candidate: T;
  readonly rank: SpsNameRank;
}

/** The candidates to try, best first; `label` gives each one's instance label (unescaped). */
export function chooseSps<T>(candidates: readonly T[], label: (c: T) => string): RankedSps<T>[] {
  const usable = candidates
    .map((candidate) => ({ candidate, rank: rankSpsName(label(candidate)) }))
    .filter((r) => r.rank.metric < SPS_METRIC_INVALID);
  // Array.prototype.sort is stable: equal metrics keep the order they were found in.
  const top = usable.sort((a, b) => a.rank.metric - b.rank.metric).slice(0, SPS_CANDIDATES);
  return top.sort((a, b) => Number(b.rank.features !== 0) - Number(a.rank.features !== 0));
}
