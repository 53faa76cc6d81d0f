// Watched hosts (issue 7): hosts without a Bonjour client that the config names, which the proxy
// takes over by itself once they go silent. Per host: every `probeIntervalMs` a gentle probe per
// address (the RFC 5227 ARP probe / DAD neighbor solicitation the takeover sends, unicast to the host's
// MAC, so no neighbour cache learns anything from it); any frame from its MAC means it is awake. Silent
// for `silenceMs` (no answer to several probes): it is asleep, and the engine registers it like a
// flow-registered host (takeover probes follow, so an address still in use is never taken). While it
// is held, the engine's "woke" rules hand it back as soon as it speaks; then watching starts over.
//
// Pure: the engine feeds frames' source MACs and time, and asks which probes are due.
import type { HostDescription } from './manual-registration';

export interface WatchPolicy {
  /** How often an awake host is probed, ms. */
  readonly probeIntervalMs: number;
  /** Silent this long (ms): asleep. Several probe intervals, so one lost answer is no reason. */
  readonly silenceMs: number;
}

export const DEFAULT_WATCH_POLICY: WatchPolicy = { probeIntervalMs: 10_000, silenceMs: 60_000 };

export type WatchState = 'awake' | 'asleep';

export class HostWatch {
  state: WatchState = 'awake';
  lastHeard: number;
  nextProbeAt: number;

  constructor(
    readonly host: HostDescription,
    readonly policy: WatchPolicy,
    now: number,
  ) {
    // Unknown until it answers: silence is measured from the start of watching.
    this.lastHeard = now;
    this.nextProbeAt = now;
  }

  heard(now: number): void {
    this.lastHeard = now;
  }

  /** The engine no longer holds it (woke, released, wake failed): watch it again from now. */
  restart(now: number): void {
    this.state = 'awake';
    this.lastHeard = now;
    this.nextProbeAt = now;
  }

  /** True when a probe round is due at `now` (and schedules the next). */
  probeDue(now: number): boolean {
    if (this.state !== 'awake' || now < this.nextProbeAt) return false;
    this.nextProbeAt = now + this.policy.probeIntervalMs;
    return true;
  }

  /** True once the host has been silent long enough (only while awake). */
  silent(now: number): boolean {
    return this.state === 'awake' && now - this.lastHeard >= this.policy.silenceMs;
  }

  nextDeadline(): number | undefined {
    if (this.state !== 'awake') return undefined;
    return Math.min(this.nextProbeAt, this.lastHeard + this.policy.silenceMs);
  }
}
