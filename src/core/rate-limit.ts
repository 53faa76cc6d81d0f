// Token buckets with time as an input (the core has no clock): a bucket holds up to `burst` tokens,
// refills `perSecond` of them per second, and each admitted datagram takes one. KeyedRateLimiter keeps
// one bucket per key (a source address) and forgets the least recently used key beyond `maxKeys`, so a
// flood of spoofed sources costs bounded memory (a forgotten source starts again with a full bucket,
// which is no more than a fresh source gets).

export interface RateLimit {
  /** Tokens a bucket starts with and holds at most; 0 turns the limit off. */
  readonly burst: number;
  /** Refill per second; 0 turns the limit off. */
  readonly perSecond: number;
}

export class TokenBucket {
  private tokens: number;
  private at: number | undefined;

  constructor(private readonly limit: RateLimit) {
    this.tokens = limit.burst;
  }

  /** Takes a token at `now` (ms); false when the bucket is empty. Always true when the limit is off. */
  take(now: number): boolean {
    const { burst, perSecond } = this.limit;
    if (!(burst > 0 && perSecond > 0)) return true;
    // A clock that went backwards refills nothing rather than minting tokens.
    const elapsed = this.at === undefined ? 0 : Math.max(0, now - this.at);
    this.tokens = Math.min(burst, this.tokens + (elapsed * perSecond) / 1000);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** What a keyed take says: admitted, refused, or refused for the first time since the last admission. */
export type RateVerdict = 'admitted' | 'refused' | 'refused-first';

export class KeyedRateLimiter {
  private readonly buckets = new Map<string, { bucket: TokenBucket; limited: boolean }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly maxKeys = 1024,
  ) {}

  take(key: string, now: number): RateVerdict {
    let entry = this.buckets.get(key);
    if (entry)
      this.buckets.delete(key); // re-inserted below: the Map's order is recency
    else {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      entry = { bucket: new TokenBucket(this.limit), limited: false };
    }
    this.buckets.set(key, entry);
    if (entry.bucket.take(now)) {
      entry.limited = false;
      return 'admitted';
    }
    const first = !entry.limited;
    entry.limited = true;
    return first ? 'refused-first' : 'refused';
  }

  /** Keys held (bounded by maxKeys). */
  get size(): number {
    return this.buckets.size;
  }
}
