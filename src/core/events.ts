// What the SleepProxy engine tells its owner happened (ARCHITECTURE.md "Events and commands"): one
// discriminated union, each event carrying the sleeper as a plain, JSON-serialisable object, so the
// service and the Node-RED node can pass them on unchanged (msg.topic = type, msg.payload = event).
// The one event without a sleeper is `refused`: a registration the policy turned away.
import type { RegistrationRefusal } from './registration-policy';

/** Where a sleeper is in its life: claiming its addresses, holding them, or being woken. */
export type SleeperPhase = 'probing' | 'proxied' | 'waking' | 'awake';

export interface ServiceView {
  /** Instance label, e.g. "Sleeper SSH". */
  readonly name: string;
  /** Service type, e.g. "_ssh._tcp". */
  readonly type: string;
  readonly port: number;
}

/** A sleeper as events, list() and flows see it. */
export interface SleeperView {
  /** Registry key: the owner's host MAC (HMAC), one proxy per interface. */
  readonly key: string;
  readonly interface: string;
  /** Host name from the A/AAAA owner name (e.g. "sleeper.local"); the host MAC when there is none. */
  readonly name: string;
  readonly hostMac: string;
  readonly wakeMac: string;
  /** Proxied addresses (from the reverse-mapping PTRs). */
  readonly addresses: readonly string[];
  readonly services: readonly ServiceView[];
  /** Lease end, in the engine's clock (ms). */
  readonly leaseEnd: number;
  readonly state: SleeperPhase;
}

/** Why a wake sequence started (sps-protocol.md §5.1). */
export type WakeReason =
  | { readonly kind: 'syn'; readonly port: number; readonly from: string }
  /** Data (not a SYN) to port 22, which Apple's server also wakes for. */
  | { readonly kind: 'tcp'; readonly port: number; readonly from: string }
  | { readonly kind: 'udp'; readonly port: number; readonly from: string }
  /** RST, FIN or new data on a connection the proxy keeps alive (§5.4); `port` is the sleeper's. */
  | {
      readonly kind: 'keepalive';
      readonly port: number;
      readonly from: string;
      readonly segment: 'rst' | 'fin' | 'data';
    }
  /** Another MAC claimed a proxied address (ARP/NDP). */
  | { readonly kind: 'conflict'; readonly address: string; readonly mac: string }
  /** Another host answered for a unique proxied mDNS record with different data. */
  | { readonly kind: 'name-conflict'; readonly name: string }
  | { readonly kind: 'lease-end' }
  | { readonly kind: 'command' }
  /** The proxy was switched off and woke everyone it held, so they register elsewhere (handOver). */
  | { readonly kind: 'shutdown' };

/** How the owner was seen awake. */
export type WokeVia = 'owner-option' | 'arp' | 'ndp' | 'mdns' | 'registration' | 'traffic';

export type ProxyEvent =
  | { readonly type: 'registered'; readonly sleeper: SleeperView }
  /** A watched host went silent and is being registered (watch.ts). */
  | { readonly type: 'asleep'; readonly sleeper: SleeperView }
  | { readonly type: 'renewed'; readonly sleeper: SleeperView }
  | { readonly type: 'takeover'; readonly sleeper: SleeperView; readonly address: string }
  | { readonly type: 'wake'; readonly sleeper: SleeperView; readonly reason: WakeReason }
  | { readonly type: 'woke'; readonly sleeper: SleeperView; readonly via: WokeVia }
  | { readonly type: 'expired'; readonly sleeper: SleeperView }
  | { readonly type: 'released'; readonly sleeper: SleeperView }
  | { readonly type: 'wake-failed'; readonly sleeper: SleeperView; readonly reason: WakeReason }
  | RefusedEvent;

/**
 * A registration datagram refused (registration-policy.ts) and left unanswered. `hostMac` and
 * `addresses` (the addresses it asked us to proxy) are there when it parsed. Bounded: a source that
 * stays rate-limited gets one, and all refusals together a few per second; the counters count all.
 */
export interface RefusedEvent {
  readonly type: 'refused';
  readonly reason: RegistrationRefusal;
  /** The datagram's source address. */
  readonly source: string;
  readonly hostMac?: string;
  readonly addresses?: readonly string[];
}

export type ProxyEventType = ProxyEvent['type'];
