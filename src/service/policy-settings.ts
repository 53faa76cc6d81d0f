// The registration policy and caps as a user writes them (command-line flags, config node fields:
// text, empty meaning "the default"), turned into the engine's limits and policy
// (src/core/registration.ts, src/core/registration-policy.ts). A value that does not parse or is out
// of range keeps the default and is reported, so the caller can log it instead of running wide open.
import type { ProxyPolicy } from '../core/options';
import { DEFAULT_LIMITS, type ProxyLimits } from '../core/registration';
import { DEFAULT_REGISTRATION_POLICY } from '../core/registration-policy';

export interface PolicyText {
  /** Off: registrations from any source address, not only the interface's subnets and link-local. */
  readonly onLinkOnly?: boolean;
  /** Off: the source need not be one of the addresses the registration proxies. */
  readonly sourceMustBeProxied?: boolean;
  /** "BURST/PER-SECOND" per source address, e.g. "30/2"; "0" turns the limit off. */
  readonly rateLimit?: string;
  readonly maxHosts?: string;
  readonly maxRecords?: string;
  readonly maxRecordsPerHost?: string;
  readonly maxDatagramBytes?: string;
  readonly maxLeaseSeconds?: string;
}

export interface PolicySettings {
  readonly limits: Partial<ProxyLimits>;
  readonly policy: Partial<ProxyPolicy>;
  /** "maxHosts: x is not a whole number in 1..100000", one per rejected value. */
  readonly invalid: readonly string[];
}

/** Whole-number caps and their ranges. */
const CAPS = {
  maxHosts: [1, 100_000],
  maxRecords: [1, 1_000_000],
  maxRecordsPerHost: [1, 100_000],
  maxDatagramBytes: [512, 65_535],
  maxLeaseSeconds: [60, 86_400],
} as const satisfies Partial<Record<keyof ProxyLimits, readonly [number, number]>>;

export function policySettings(text: PolicyText): PolicySettings {
  const limits: Partial<Record<keyof typeof CAPS, number>> = {};
  const invalid: string[] = [];
  for (const [key, [min, max]] of Object.entries(CAPS) as [keyof typeof CAPS, readonly [number, number]][]) {
    const value = text[key]?.trim();
    if (!value) continue;
    const n = Number(value);
    if (Number.isInteger(n) && n >= min && n <= max) limits[key] = n;
    else
      invalid.push(
        `${key}: ${value} is not a whole number in ${min}..${max} (default ${DEFAULT_LIMITS[key]})`,
      );
  }
  const policy: { -readonly [K in keyof ProxyPolicy]?: ProxyPolicy[K] } = {};
  if (text.onLinkOnly === false) policy.onLinkOnly = false;
  if (text.sourceMustBeProxied === false) policy.sourceMustBeProxied = false;
  const rate = text.rateLimit?.trim();
  if (rate) {
    const m = /^(\d+)\s*\/\s*(\d+(?:\.\d+)?)$/.exec(rate);
    if (rate === '0') policy.rateLimit = { burst: 0, perSecond: 0 };
    else if (m && Number(m[1]) >= 1 && Number(m[2]) > 0)
      policy.rateLimit = { burst: Number(m[1]), perSecond: Number(m[2]) };
    else {
      const { burst, perSecond } = DEFAULT_REGISTRATION_POLICY.rateLimit;
      invalid.push(`rateLimit: ${rate} is not BURST/PER-SECOND or 0 (default ${burst}/${perSecond})`);
    }
  }
  return { limits, policy, invalid };
}
