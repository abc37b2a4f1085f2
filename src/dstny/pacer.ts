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
  private spacing = 0;
  private maxDebtMs = 0;
  private next = 0;
  private perWindow = 1;
  /** How long the grid takes for `perWindow` starts: 1,000 × RATE_MARGIN ms at a whole rate. */
  private windowMs = 1000;
  /** When the last departures left (within windowMs), oldest first. */
  private readonly recent: number[] = [];

  constructor(perSecond: number, private readonly clock: () => number = Date.now) {
    this.setRate(perSecond);
  }

  get spacingMs(): number {
    return this.spacing;
  }

  /** Change the rate from the next reservation on (the adaptive rate lowers and raises it). */
  setRate(perSecond: number): void {
    this.spacing = (1000 / perSecond) * RATE_MARGIN;
    this.maxDebtMs = (this.spacing * perSecond - 1000) / 2;
    this.perWindow = Math.max(1, Math.floor(perSecond));
    this.windowMs = this.perWindow * this.spacing;
  }

  /**
   * How long a request about to leave must still wait so that no windowMs hold more than `perSecond` departures: the
   * grid's own pace, so a steady flow never waits here. Requests whose slots came while they waited elsewhere (their
   * bodies being made, a busy event loop) would otherwise leave together, and a server counts that burst in one second
   * on top of the next slots. At a whole rate the window is 30 ms longer than a second, so a server's second holds
   * no more than `perSecond` even when some requests take up to 30 ms longer than others to reach it. 0: now.
   */
  holdMs(now = this.clock()): number {
    while (this.recent.length && this.recent[0]! <= now - this.windowMs) this.recent.shift();
    return this.recent.length >= this.perWindow ? this.recent[this.recent.length - this.perWindow]! + this.windowMs - now : 0;
  }

  /** A request left now. */
  started(now = this.clock()): void {
    this.recent.push(now);
  }

  /** How long a reservation made now would wait, without making it. */
  waitMs(): number {
    return Math.max(0, this.next - this.clock());
  }

  /** Reserve the next slot; returns how long to wait for it (0 = start now). */
  reserve(): number {
    const now = this.clock();
    const slot = Math.max(this.next, now - this.maxDebtMs);
    this.next = slot + this.spacing;
    return Math.max(0, slot - now);
  }
}
