// Opt-in code-coverage feedback for the long run (`--coverage`): V8's precise block coverage through
// the in-process inspector. After every case, the blocks of src/ it executed are compared with those
// seen so far; a case that reached a new block joins the corpus. Not for the short run: one coverage
// take costs about a millisecond, fifty times a parser case (an engine case, a little under one).
import { Session } from 'node:inspector';

interface Range {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly count: number;
}
interface ScriptCoverage {
  readonly url: string;
  readonly functions: readonly { readonly ranges: readonly Range[] }[];
}

/** Starts block coverage; the returned function reports whether the code run since its last call reached a new block. */
export function startCoverageFeedback(): {
  newBlocks: () => boolean;
  blocks: () => number;
  stop: () => void;
} {
  const session = new Session();
  session.connect();
  // The in-process session answers synchronously, so the callbacks have run when post returns.
  const post = (method: string, params?: object): unknown => {
    let result: unknown;
    let error: Error | null = null;
    session.post(method, params, (err, res) => {
      error = err;
      result = res;
    });
    if (error) throw error;
    return result;
  };
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: false, detailed: true });
  const seen = new Set<string>();
  const newBlocks = (): boolean => {
    const { result } = post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    let found = false;
    for (const script of result) {
      if (!script.url.includes('/src/')) continue;
      for (const fn of script.functions)
        for (const r of fn.ranges) {
          if (r.count === 0) continue;
          const key = `${script.url}:${r.startOffset}:${r.endOffset}`;
          if (!seen.has(key)) {
            seen.add(key);
            found = true;
          }
        }
    }
    return found;
  };
  return {
    newBlocks,
    blocks: () => seen.size,
    stop: () => {
      post('Profiler.stopPreciseCoverage');
      session.disconnect();
    },
  };
}
