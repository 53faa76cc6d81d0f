// Per-address takeover (sps-protocol.md §4.3 ARP, §4.4 NDP): the state machine Apple's server runs for
// every address named by a reverse-mapping PTR, as a small clock-driven object. It decides *when* to
// probe and announce and *whether* to answer; the frames themselves are built by takeoverFrame().
//
// Timeline from registration t (unique PTR, i.e. with the cache-flush bit, as macOS sends it):
//   t+1, t+2, t+3 s   probe the address (ARP probe to broadcast / DAD NS to its solicited-node group)
//   t+4, +5, +7, +11  four announcements (gratuitous ARP / unsolicited NA), interval 1 s doubling
//   from the first announcement on, requests for the address are answered.
// A shared PTR (SPC sends no cache-flush bits) skips probing: announcements at t+1, +3, +7, +15.
// Owner activity restarts probing: before the first announcement, probing starts over at +1 s; after
// it, answering stops and probing starts over after 10 s. At most 20 restarts (MAX_PROBE_RESTARTS);
// after that the owner's ARP/NDP no longer moves the state.
// Unlike Apple's server, which unicasts its probes to the owner's MAC, the probes go to every host:
// an answer from any other MAC is a conflict (sleep-proxy.ts wakes the registered owner instead of
// claiming), so a registration naming an address that another host still uses never takes it over.
import { BROADCAST_MAC } from '../wire/address';
import { arpAnnouncement, arpProbe } from '../wire/arp';
import { encodeArpFrame, encodeNdpFrame } from '../wire/frame';
import { ndpAnnouncement, ndpProbe, solicitedNodeMac } from '../wire/ndp';

export const PROBE_INTERVAL_MS = 1000;
export const PROBE_COUNT = 3;
export const ANNOUNCE_COUNT = 4;
export const UNIQUE_FIRST_ANNOUNCE_INTERVAL_MS = 1000;
export const SHARED_FIRST_ANNOUNCE_INTERVAL_MS = 2000;
export const RESTART_AFTER_ANNOUNCE_MS = 10_000;
export const MAX_PROBE_RESTARTS = 20;

export type ClaimPhase = 'probing' | 'announcing' | 'holding' | 'deferred';
export type TakeoverStep = 'probe' | 'announce';

export interface ClaimState {
  readonly phase: ClaimPhase;
  readonly probesSent: number;
  readonly announcementsSent: number;
  readonly restarts: number;
  readonly nextAt?: number;
  readonly everAnnounced: boolean;
}

export class AddressClaim {
  phase: ClaimPhase;
  probesSent = 0;
  announcementsSent = 0;
  restarts = 0;
  nextAt: number | undefined;
  everAnnounced = false;
  private interval: number;

  constructor(
    readonly address: string,
    readonly family: 4 | 6,
    readonly unique: boolean,
    now: number,
  ) {
    this.phase = unique ? 'probing' : 'announcing';
    this.interval = unique ? UNIQUE_FIRST_ANNOUNCE_INTERVAL_MS : SHARED_FIRST_ANNOUNCE_INTERVAL_MS;
    this.nextAt = now + PROBE_INTERVAL_MS;
  }

  /** Answer ARP requests / NS for the address (never while the owner is being woken: the caller checks). */
  get answering(): boolean {
    return (this.phase === 'announcing' || this.phase === 'holding') && this.announcementsSent > 0;
  }

  /** The step due at `now`, advancing the state; undefined when nothing is due. */
  fire(now: number): TakeoverStep | undefined {
    if (this.nextAt === undefined || now < this.nextAt) return undefined;
    const at = this.nextAt;
    switch (this.phase) {
      case 'deferred':
        this.phase = 'probing';
        this.probesSent = 0;
        return this.probe(at);
      case 'probing':
        return this.probe(at);
      case 'announcing':
        this.announcementsSent++;
        this.everAnnounced = true;
        if (this.announcementsSent >= ANNOUNCE_COUNT) {
          this.phase = 'holding';
          this.nextAt = undefined;
        } else {
          this.nextAt = at + this.interval;
          this.interval *= 2;
        }
        return 'announce';
      case 'holding':
        this.nextAt = undefined;
        return undefined;
    }
  }

  private probe(at: number): TakeoverStep {
    this.probesSent++;
    this.nextAt = at + PROBE_INTERVAL_MS;
    if (this.probesSent >= PROBE_COUNT) {
      this.phase = 'announcing';
      this.announcementsSent = 0;
      this.interval = UNIQUE_FIRST_ANNOUNCE_INTERVAL_MS;
    }
    return 'probe';
  }

  /** The owner spoke ARP/NDP for the address: restart probing. False once the restart cap is reached. */
  ownerSeen(now: number): boolean {
    if (this.restarts >= MAX_PROBE_RESTARTS) return false;
    this.restarts++;
    this.probesSent = 0;
    this.announcementsSent = 0;
    if (this.everAnnounced) {
      this.phase = 'deferred';
      this.nextAt = now + RESTART_AFTER_ANNOUNCE_MS;
    } else {
      this.phase = 'probing';
      this.nextAt = now + PROBE_INTERVAL_MS;
    }
    return true;
  }

  state(): ClaimState {
    const { phase, probesSent, announcementsSent, restarts, nextAt, everAnnounced } = this;
    return { phase, probesSent, announcementsSent, restarts, nextAt, everAnnounced };
  }
}

/** The probe (to every host) or announcement frame of a step (§4.3/§4.4 frame tables). */
export function takeoverFrame(step: TakeoverStep, claim: AddressClaim, ourMac: string): Buffer {
  if (step === 'probe') {
    const to = claim.family === 4 ? BROADCAST_MAC : solicitedNodeMac(claim.address);
    return probeFrame(claim.address, ourMac, to);
  }
  return claim.family === 4
    ? encodeArpFrame(arpAnnouncement(ourMac, claim.address), BROADCAST_MAC)
    : encodeNdpFrame(ndpAnnouncement(ourMac, claim.address));
}

/** "Is anyone using `address`?", to Ethernet `dstMac`: ARP probe or DAD neighbor solicitation. */
export function probeFrame(address: string, ourMac: string, dstMac: string): Buffer {
  return address.includes(':')
    ? encodeNdpFrame(ndpProbe(ourMac, dstMac, address))
    : encodeArpFrame(arpProbe(ourMac, address), dstMac);
}

/**
 * Frames that point peers' caches back at the owner (its MAC in the ARP sender / NA target link-layer
 * field). The Ethernet source stays ours so that switches keep the owner's port where it is.
 */
export function handBackFrame(claim: AddressClaim, ourMac: string, ownerMac: string): Buffer {
  if (claim.family === 4)
    return encodeArpFrame(arpAnnouncement(ownerMac, claim.address), BROADCAST_MAC, ourMac);
  return encodeNdpFrame({ ...ndpAnnouncement(ownerMac, claim.address), srcMac: ourMac });
}
