// The engine's configuration and its I/O-facing shapes: limits and policy with their defaults, the
// endpoint of a datagram, the outcome of a registration, and the drop counters.
import type { SleeperView } from './events';
import type { ProxyLimits } from './registration';
import {
  DEFAULT_REGISTRATION_POLICY,
  type RegistrationPolicy,
  type RegistrationRefusal,
} from './registration-policy';
import { DEFAULT_WOKE_GRACE_MS, type HeuristicPolicy } from './owner';
import type { WakePolicy } from './wake';

export interface ProxyPolicy extends WakePolicy, HeuristicPolicy, RegistrationPolicy {
  /** Also send the magic packet as a UDP broadcast to port 9 (non-Apple NICs). */
  readonly udpMagicCopy: boolean;
  /** Refused (policy or cap): stay silent (default, see registration.ts) or answer Refused. */
  readonly refusedReply: 'silent' | 'refused';
  /** A second mDNS conflict within this window wakes the owner (Apple: seen again while re-probing). */
  readonly conflictWindowMs: number;
  /** SYNs younger than this are replayed to the owner when it wakes. */
  readonly replayWindowMs: number;
  /** At most this many SYNs kept per sleeper (the latest). */
  readonly maxReplaySyns: number;
}

export const DEFAULT_POLICY: ProxyPolicy = {
  ...DEFAULT_REGISTRATION_POLICY,
  sshDataWakes: true,
  wokeHeuristic: true,
  wokeGraceMs: DEFAULT_WOKE_GRACE_MS,
  udpMagicCopy: true,
  refusedReply: 'silent',
  conflictWindowMs: 10_000,
  replayWindowMs: 30_000,
  maxReplaySyns: 8,
};

export interface SleepProxyOptions {
  readonly ifname: string;
  /** Our own MAC: the source of every frame we send, and what proxied addresses resolve to. */
  readonly mac: string;
  readonly ipv4?: string;
  readonly ipv6LinkLocal?: string;
  /**
   * The interface's own subnets (CIDR, e.g. "10.77.0.2/24"): registrations come from these or from
   * IPv6 link-local (policy onLinkOnly). None given: only link-local sources are on the link.
   */
  readonly subnets?: readonly string[];
  readonly limits?: Partial<ProxyLimits>;
  readonly policy?: Partial<ProxyPolicy>;
  /**
   * A native answerer replies to ARP requests and Neighbour Solicitations for answering claims: the
   * engine sends none itself (nor counts them) and queues an 'answer' action whenever the set changes.
   */
  readonly nativeAnswers?: boolean;
}

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

export interface RegistrationOutcome {
  /** Send this back from the registration socket to `from`; absent means stay silent. */
  readonly reply?: Buffer;
  readonly accepted: boolean;
  readonly reason?: string;
  /** Accepted: the owner's host MAC, and whether the engine held nothing for it before. */
  readonly hostMac?: string;
  readonly newHost?: boolean;
}

/** The outcome of SleepProxy.registerHost. */
export interface HostRegistrationOutcome {
  readonly accepted: boolean;
  /** Why not: 'own-mac' or a RegistrationRefusal (a cap, 'address-held'). */
  readonly reason?: string;
  /** The sleeper as held now (absent when the description held nothing to proxy). */
  readonly sleeper?: SleeperView;
}

export interface FrameInfo {
  /** The frame's transport checksum is unfinished (offloaded, never left the host): don't verify it. */
  readonly checksumPartial?: boolean;
}

export interface ProxyCounters {
  registrations: number;
  formErr: number;
  /** Registrations refused, in total and per reason (registration-policy.ts). */
  refused: number;
  readonly refusedBy: Record<RegistrationRefusal, number>;
  ignoredDatagrams: number;
  malformedFrames: number;
  malformedMdns: number;
  arpReplies: number;
  ndpReplies: number;
  /** Keepalive segments sent for sleepers' TCP connections, periodic and in answer to the peer. */
  keepalivesSent: number;
}
