/**
 * A token bucket: `burst` requests may arrive at once, refilled at `ratePerSecond`. A client that paces
 * itself at the same rate (p-queue interval 1000 ms / intervalCap N) never sees a 429; one that bursts does.
 * A "429 storm" refuses everything until a given time, whatever the bucket holds.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;
  private stormUntil = 0;

  constructor(
    private ratePerSecond: number,
    private burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  configure(ratePerSecond: number, burst: number, now: number): void {
    this.refill(now);
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  storm(untilMs: number): void {
    this.stormUntil = untilMs;
  }

  get stormEndsAt(): number {
    return this.stormUntil;
  }

  /** Take one token: `null` when allowed, otherwise the Retry-After in whole seconds (at least 1). */
  take(now: number): number | null {
    if (now < this.stormUntil) return Math.max(1, Math.ceil((this.stormUntil - now) / 1000));
    this.refill(now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return null;
    }
    const waitMs = ((1 - this.tokens) / this.ratePerSecond) * 1000;
    return Math.max(1, Math.ceil(waitMs / 1000));
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.last);
    this.tokens = Math.min(this.burst, this.tokens + (elapsed / 1000) * this.ratePerSecond);
    this.last = now;
  }
}
