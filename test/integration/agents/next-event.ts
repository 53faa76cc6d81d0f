// For tests driving an agent: the next event of a name that matches, skipping the others.
import type { NodeChild } from '../../support/lan';

export async function nextMatching<T>(
  child: NodeChild<object>,
  event: string,
  pred: (e: T) => boolean,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [e] = (await child.next(event, Math.max(1, deadline - Date.now()))) as [T];
    if (pred(e)) return e;
  }
}
