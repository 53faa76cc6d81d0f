// "Host woke" detection (sps-protocol.md §4.5).
//
// Apple's rule: an mDNS message (query or response, multicast or unicast to 5353) carrying a usable
// Owner option (version 0, non-zero HMAC) for a sleeper makes the proxy drop that sleeper silently
// (no goodbyes, no wake) when the option's seq differs from the registered one, or the registration is
// older than 60 s (the client re-announcing with the seq it just registered, or IPConfiguration's
// stored record). Apple applies it per record; we apply it per sleeper, using the latest registration
// message, since every record of one owner is refreshed by each registration.
//
// Our heuristic for clients that never send Owner options (SPC on Linux): once a grace period has
// passed since the latest registration (the host is asleep by then), ARP/NDP sent from the owner's MAC
// or an mDNS packet from one of its proxied addresses means it woke. While a wake sequence runs, any of
// these counts at once. Before the grace period ends, owner ARP/NDP only restarts probing (Apple).
import type { OwnerRepr } from '../wire/edns';

export const OWNER_RECORD_MAX_AGE_MS = 60_000;
export const DEFAULT_WOKE_GRACE_MS = 5000;

export interface OwnerCheck {
  readonly seq: number;
  readonly registeredAt: number;
  readonly waking: boolean;
}

/** True when `owner` seen at `now` means the sleeper is awake and its records must go. */
export function ownerOptionClears(owner: OwnerRepr, s: OwnerCheck, now: number): boolean {
  return s.waking || owner.seq !== s.seq || now - s.registeredAt > OWNER_RECORD_MAX_AGE_MS;
}

export interface HeuristicPolicy {
  readonly wokeHeuristic: boolean;
  readonly wokeGraceMs: number;
}

/** True when owner traffic (ARP/NDP from its MAC, mDNS from its address) counts as "woke". */
export function ownerTrafficMeansAwake(s: OwnerCheck, now: number, policy: HeuristicPolicy): boolean {
  if (s.waking) return true;
  return policy.wokeHeuristic && now - s.registeredAt >= policy.wokeGraceMs;
}
