// Two small time-keyed structures of the relay (pure; `now` in ms is always an input):
// ExpiringSet remembers keys for a while (fingerprints of broadcasts seen or sent), TokenBuckets
// rate-limits per key (source address). Both are bounded: past `maxKeys` the oldest entries go,
// so a flood of distinct keys costs memory once, not forever.

export class ExpiringSet {
  private readonly expiries = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxKeys = 10_000,
  ) {}

  has(key: string, now: number): boolean {
    const expiry = this.expiries.get(key);
    if (expiry === undefined) return false;
    if (expiry > now) return true;
    this.expiries.delete(key);
    return false;
  }

  add(key: string, now: number): void {
    this.expiries.delete(key); // re-insert: Map order is then expiry order
    this.expiries.set(key, now + this.ttlMs);
    this.prune(now);
  }

  get size(): number {
    return this.expiries.size;
  }

  private prune(now: number): void {
    for (const [key, expiry] of this.expiries) {
      if (expiry > now && this.expiries.size <= this.maxKeys) break;
      this.expiries.delete(key);
    }
  }
}

export interface RateLimit {
  /** Sustained rate per key; 0 disables the limit. */
  readonly perSecond: number;
  readonly burst: number;
}

export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxKeys = 4096,
  ) {}

  /** Takes one token for `key`; false when its bucket is empty. */
  take(key: string, now: number): boolean {
    if (this.limit.perSecond <= 0) return true;
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    const refilled = Math.min(
      this.limit.burst,
      bucket.tokens + (Math.max(0, now - bucket.at) * this.limit.perSecond) / 1000,
    );
    const allowed = refilled >= 1;
    this.buckets.delete(key);
    this.buckets.set(key, { tokens: allowed ? refilled - 1 : refilled, at: now });
    if (this.buckets.size > this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    return allowed;
  }
}
