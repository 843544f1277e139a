/** Token bucket per key, in memory: bounded, refilled continuously, O(1) per request. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly burstSeconds: number, private readonly maxKeys = 100_000) {}

  /** Takes `n` tokens; returns 0 when allowed, else the seconds to wait before retrying. */
  take(key: string, ratePerSecond: number, n = 1, now = Date.now()): number {
    const capacity = Math.max(n, ratePerSecond * this.burstSeconds);
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.buckets.clear();
      b = { tokens: capacity, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(capacity, b.tokens + ((now - b.at) / 1000) * ratePerSecond);
    b.at = now;
    if (b.tokens >= n) {
      b.tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil((n - b.tokens) / ratePerSecond));
  }
}
