// The answer set (actions.ts AnswerSet) derived from the registry: what a native answerer replies to
// without asking the engine, mirroring the reply branches of SleepProxy.handleArp / handleNdp.
// Recomputed when a claim may have changed state (timers, owner activity, wake, sleeper set), never
// per frame; an unchanged set queues no action.
import type { AnswerSet } from './actions';
import type { Registry } from './registry';

export function answerSet(registry: Registry): AnswerSet {
  const ipv4: string[] = [];
  const ipv6: string[] = [];
  const claimed: string[] = [];
  const owners = new Set<string>();
  for (const s of registry.sleepers.values()) {
    owners.add(s.hostMac);
    owners.add(s.wakeMac);
    for (const claim of s.claims.values()) {
      claimed.push(claim.address);
      if (!s.wake && claim.answering) (claim.family === 4 ? ipv4 : ipv6).push(claim.address);
    }
  }
  return { ipv4: ipv4.sort(), ipv6: ipv6.sort(), claimed: claimed.sort(), owners: [...owners].sort() };
}

export function sameAnswerSet(a: AnswerSet | undefined, b: AnswerSet): boolean {
  return (
    a !== undefined &&
    a.ipv4.join() === b.ipv4.join() &&
    a.ipv6.join() === b.ipv6.join() &&
    a.claimed.join() === b.claimed.join() &&
    a.owners.join() === b.owners.join()
  );
}
