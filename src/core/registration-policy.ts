// Who may register with the proxy, and how much (issue 10). A sleep proxy answers ARP and NDP for
// other hosts: without a policy, anyone on the LAN could ask it to claim a stranger's address. The
// rules, cheapest first, each with its own refusal reason (counted, and an event; the datagram gets
// silence so a legitimate client moves on to another proxy):
//   rate-limited        more than `rateLimit` datagrams from one source (token bucket per address);
//   too-large           a datagram over limits.maxDatagramBytes (before it is parsed);
//   off-subnet          the source is neither in one of the interface's own subnets nor IPv6
//                       link-local (a registration must come from the link whose addresses it claims);
//   not-allowed         allow-lists set and neither the source's subnet nor the owner's host MAC listed;
//   source-not-proxied  the source is not one of the addresses the registration asks us to proxy (nor
//                       one already proxied for the same host, for the later fragments of a split
//                       registration): a host registers itself, never someone else. Apple's clients
//                       list every address of the interface, IPv6 link-local included, and send from
//                       one of them (test/fixtures/mdnsresponder-*registration*.pcap);
//   address-held        an address is proxied for another sleeper: it is not moved to a newcomer;
//   caps                host-records-cap, hosts-cap, records-cap, addresses-cap (registration.ts).
// An address a different host still answers for is never taken over: that is the takeover's broadcast
// probe (takeover.ts), which turns the answer into a conflict and a wake instead.
// Time is an input (`now`); the gate has no clock.
import { normalizeMac } from '../wire/address';
import type { ProxyLimits } from './registration';
import { KeyedRateLimiter, type RateLimit, TokenBucket } from './rate-limit';
import { addressBytes, addressKey, inAnySubnet, isLinkLocalIpv6, parseSubnet, type Subnet } from './subnet';

export const REFUSAL_REASONS = [
  'rate-limited',
  'too-large',
  'off-subnet',
  'not-allowed',
  'source-not-proxied',
  'address-held',
  'host-records-cap',
  'hosts-cap',
  'records-cap',
  'addresses-cap',
] as const;

export type RegistrationRefusal = (typeof REFUSAL_REASONS)[number];

export interface RegistrationPolicy {
  /** Only sources in the interface's own subnets or IPv6 link-local may register. */
  readonly onLinkOnly: boolean;
  /** The source must be one of the addresses the registration proxies. */
  readonly sourceMustBeProxied: boolean;
  /** Subnets (CIDR or bare addresses) allowed to register; with allowMacs empty too, everyone. */
  readonly allowSubnets: readonly string[];
  /** Host MACs (Owner option HMAC) allowed to register. */
  readonly allowMacs: readonly string[];
  /** Per source address. Apple's client sends a split registration's 4+ UPDATEs back to back and
   * retransmits each up to 3 times, 1 s apart: the default burst holds that twice over. */
  readonly rateLimit: RateLimit;
}

export const DEFAULT_REGISTRATION_POLICY: RegistrationPolicy = {
  onLinkOnly: true,
  sourceMustBeProxied: true,
  allowSubnets: [],
  allowMacs: [],
  rateLimit: { burst: 30, perSecond: 2 },
};

/** Refusal events per second at most, over all sources (counters count every refusal). */
const EVENT_LIMIT: RateLimit = { burst: 20, perSecond: 2 };

/** A refusal, and whether it deserves an event (a source that stays rate-limited gets one, not one per datagram). */
export interface GateVerdict {
  readonly refusal: RegistrationRefusal;
  readonly quiet?: boolean;
}

export class RegistrationGate {
  private readonly own: readonly Subnet[];
  private readonly allowSubnets: readonly Subnet[];
  private readonly allowMacs: ReadonlySet<string>;
  private readonly rate: KeyedRateLimiter;
  private readonly events = new TokenBucket(EVENT_LIMIT);

  /** `subnets`: the interface's own (CIDR, "10.77.0.2/24"); entries that do not parse are ignored. */
  constructor(
    private readonly policy: RegistrationPolicy,
    subnets: readonly string[],
  ) {
    const parsed = (list: readonly string[]) =>
      list.map(parseSubnet).filter((s): s is Subnet => s !== undefined);
    this.own = parsed(subnets);
    this.allowSubnets = parsed(policy.allowSubnets);
    this.allowMacs = new Set(policy.allowMacs.map(normalizeMac).filter((m): m is string => m !== undefined));
    this.rate = new KeyedRateLimiter(policy.rateLimit);
  }

  /** Before parsing: rate, size, and whether the source is on the link. */
  datagram(source: string, size: number, maxBytes: number, now: number): GateVerdict | undefined {
    const rate = this.rate.take(addressKey(source) ?? source, now);
    if (rate !== 'admitted') return { refusal: 'rate-limited', quiet: rate === 'refused' };
    if (size > maxBytes) return { refusal: 'too-large' };
    const bytes = addressBytes(source);
    if (this.policy.onLinkOnly && !(bytes && (isLinkLocalIpv6(bytes) || inAnySubnet(bytes, this.own))))
      return { refusal: 'off-subnet' };
    return undefined;
  }

  /**
   * After parsing: the allow-lists, then the source among the proxied addresses (`proxied`: this
   * registration's, `held`: those already proxied for the same host).
   */
  sender(
    source: string,
    hostMac: string,
    proxied: readonly string[],
    held: readonly string[],
  ): GateVerdict | undefined {
    if (!this.allowed(source, hostMac)) return { refusal: 'not-allowed' };
    if (!this.policy.sourceMustBeProxied) return undefined;
    const key = addressKey(source);
    const among = (list: readonly string[]) => list.some((a) => addressKey(a) === key);
    return key !== undefined && (among(proxied) || among(held))
      ? undefined
      : { refusal: 'source-not-proxied' };
  }

  /** Whether a refusal at `now` gets an event (bounded over all sources). */
  announce(now: number): boolean {
    return this.events.take(now);
  }

  private allowed(source: string, hostMac: string): boolean {
    if (this.allowSubnets.length === 0 && this.allowMacs.size === 0) return true;
    const bytes = addressBytes(source);
    return (bytes !== undefined && inAnySubnet(bytes, this.allowSubnets)) || this.allowMacs.has(hostMac);
  }
}

/** What the caps are checked against: the registry as it would be with the registration merged. */
export interface CapCheck {
  /** The registration would add a sleeper. */
  readonly newHost: boolean;
  readonly hosts: number;
  /** The host's records after the merge. */
  readonly hostRecords: number;
  /** Every sleeper's records after the merge. */
  readonly totalRecords: number;
  /** Addresses proxied for nobody yet. */
  readonly newAddresses: number;
  readonly totalAddresses: number;
}

export function capRefusal(c: CapCheck, limits: ProxyLimits): RegistrationRefusal | undefined {
  if (c.hostRecords > limits.maxRecordsPerHost) return 'host-records-cap';
  if (c.newHost && c.hosts >= limits.maxHosts) return 'hosts-cap';
  if (c.totalRecords > limits.maxRecords) return 'records-cap';
  if (c.totalAddresses + c.newAddresses > limits.maxAddresses) return 'addresses-cap';
  return undefined;
}
