import PQueue from 'p-queue';
import { RateLimitedError } from '../dstny/errors.js';

/**
 * Requests start evenly spaced, `1000 / perSecond` ms apart plus a 3 % margin, rather than in bursts of
 * `perSecond`: a server counts ARRIVALS, requests reach it with varying latency, and bursts at window edges
 * then land in one server-side window (seen in the rate test: 11 in 1 s at 8/s with bursts, 9 with exact spacing).
 */
export const RATE_MARGIN = 1.03;

/**
 * Hands out start times on a fixed grid of slots. A start that comes late (a busy event loop, a slow timer)
 * does not push the later slots back, as pacing from the previous actual start would (that lost 6-20 % of the
 * rate inside the bridge); the debt it may catch up is bounded by half the margin, so no window of one second
 * ever holds more than `perSecond` starts.
 */
export class Pacer {
  readonly spacingMs: number;
  private readonly maxDebtMs: number;
  private next = 0;

  constructor(perSecond: number, private readonly clock: () => number = Date.now) {
    this.spacingMs = (1000 / perSecond) * RATE_MARGIN;
    this.maxDebtMs = (this.spacingMs * perSecond - 1000) / 2;
  }

  /** Reserve the next slot; returns how long to wait for it (0 = start now). */
  reserve(): number {
    const now = this.clock();
    const slot = Math.max(this.next, now - this.maxDebtMs);
    this.next = slot + this.spacingMs;
    return Math.max(0, slot - now);
  }
}

/**
 * The one rate limiter in front of the Dstny API: submissions and reconciler look-ups share it, so together
 * they never exceed the configured rate. p-queue bounds the concurrency and pauses everything on a 429; the
 * pacer spaces the starts.
 */
export class ApiScheduler {
  readonly queue: PQueue;
  private readonly pacer: Pacer;
  private pausedUntil = 0;
  private resumeTimer: NodeJS.Timeout | null = null;

  constructor(opts: { perSecond: number; concurrency: number }) {
    this.queue = new PQueue({ concurrency: opts.concurrency });
    this.pacer = new Pacer(opts.perSecond);
  }

  /** Run `fn` when the rate allows. A RateLimitedError it throws pauses the whole queue, then is rethrown. */
  schedule<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.add(async () => {
      const wait = this.pacer.reserve();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      try {
        return await fn();
      } catch (error) {
        if (error instanceof RateLimitedError) this.pauseFor(error.retryAfterMs);
        throw error;
      }
    }) as Promise<T>;
  }

  /** Start nothing new for `ms` (extends, never shortens, a pause already running). */
  pauseFor(ms: number, now = Date.now()): void {
    const until = now + ms;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    this.queue.pause();
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = setTimeout(() => {
      this.resumeTimer = null;
      this.queue.start();
    }, ms);
  }

  /** Epoch ms the pause ends, or null when not paused. */
  pausedUntilMs(now = Date.now()): number | null {
    return this.pausedUntil > now ? this.pausedUntil : null;
  }

  /** Tasks waiting to start. */
  get waiting(): number {
    return this.queue.size;
  }

  /** Tasks running now. */
  get running(): number {
    return this.queue.pending;
  }

  /**
   * Start nothing more. Queued tasks are not dropped (their callers would wait forever); callers that queued
   * work they must hand back (the submitter's leased rows) release it themselves before closing.
   */
  close(): void {
    if (this.resumeTimer) clearTimeout(this.resumeTimer);
    this.resumeTimer = null;
    this.pausedUntil = Number.POSITIVE_INFINITY;
    this.queue.pause();
  }
}
