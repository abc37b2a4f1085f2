/**
 * The request rate the gate uses, adapted to what the server really allows (AIMD, like TCP's congestion window,
 * but tuned so that a steady server limit costs fewer than one 429 a minute):
 *
 * - a 429 that follows real traffic (at least `evidence` good answers since the last pause) says the rate is
 *   too high: remember the rate that was refused as the ceiling and cut to `decrease` × ceiling;
 * - a 429 with no good answer since the last pause (a 429 storm, a request already in flight) is not evidence
 *   about the rate: it pauses, it does not cut again;
 * - after a cut the rate climbs back linearly over `approachMs` to just under the ceiling (`approach` ×), then
 *   probes above it additively, `probe` × ceiling per minute, up to the configured rate; a server whose limit was
 *   raised is found again, slowly, without a burst of 429s;
 * - a cut that follows the previous one within `quickMs` says "just under" was still too high: each such cut in a
 *   row aims 3 % lower (at most three times), so the rate settles in a few cycles rather than shaving 3 % per cycle.
 *
 * Pure over the `now` it is given: the gate feeds it answers, the simulation test feeds it a virtual clock.
 */
export interface AdaptiveRateOptions {
  /** The configured rate, requests/s: never exceeded. */
  max: number;
  /** Never below this, requests/s (default: a tenth of a request per second, or `max` if lower). */
  min?: number;
  decrease?: number;
  approach?: number;
  approachMs?: number;
  probe?: number;
  quickMs?: number;
  evidence?: number;
  /** false: the rate stays `max` whatever the server answers (429s still pause the gate). */
  adaptive?: boolean;
}

export interface RateState {
  configuredPerSecond: number;
  perSecond: number;
  /** Why the rate is what it is, in words an administrator can act on. */
  reason: string;
  /** The rate a 429 last refused, requests/s; null before the first one. */
  refusedAt: number | null;
}

const MINUTE = 60_000;

export class AdaptiveRate {
  private readonly max: number;
  private readonly min: number;
  private readonly decrease: number;
  private readonly approach: number;
  private readonly approachMs: number;
  private readonly probe: number;
  private readonly quickMs: number;
  private readonly evidence: number;
  private readonly adaptive: boolean;
  private ceiling: number | null = null;
  private cutTo = 0;
  private cutAt = 0;
  /** Cuts in a row that came within quickMs of the one before. */
  private quick = 0;
  private okSincePause = 0;
  private cuts = 0;

  constructor(opts: AdaptiveRateOptions) {
    this.max = opts.max;
    this.min = Math.min(opts.max, opts.min ?? 0.1);
    this.decrease = opts.decrease ?? 0.8;
    this.approach = opts.approach ?? 0.97;
    this.approachMs = opts.approachMs ?? 10_000;
    this.probe = opts.probe ?? 0.01;
    this.quickMs = opts.quickMs ?? 60_000;
    this.evidence = opts.evidence ?? 1;
    this.adaptive = opts.adaptive ?? true;
  }

  /** Requests per second to use at `now`. */
  rate(now: number): number {
    if (this.ceiling === null) return this.max;
    const target = Math.max(this.cutTo, this.ceiling * (this.approach - 0.03 * this.quick));
    const since = now - this.cutAt;
    const r =
      since < this.approachMs
        ? this.cutTo + (target - this.cutTo) * (since / this.approachMs)
        : target + this.ceiling * this.probe * ((since - this.approachMs) / MINUTE);
    return Math.min(this.max, Math.max(this.min, r));
  }

  /** Any answer that was not a 429. */
  onAnswer(): void {
    this.okSincePause++;
  }

  /** A 429 arrived at `now`; returns true when it lowered the rate. */
  onRateLimited(now: number): boolean {
    const evidence = this.okSincePause >= this.evidence;
    this.okSincePause = 0;
    if (!evidence || !this.adaptive) return false;
    const refused = this.rate(now);
    this.quick = this.ceiling !== null && now - this.cutAt < this.quickMs ? Math.min(3, this.quick + 1) : 0;
    this.ceiling = refused;
    this.cutTo = Math.max(this.min, refused * this.decrease);
    this.cutAt = now;
    this.cuts++;
    return true;
  }

  state(now: number): RateState {
    const perSecond = round(this.rate(now));
    const configuredPerSecond = this.max;
    if (!this.adaptive) return { configuredPerSecond, perSecond, reason: 'the configured rate (submit.rateLimit.adaptive is off)', refusedAt: null };
    if (this.ceiling === null) return { configuredPerSecond, perSecond, reason: 'the configured rate (no 429 seen)', refusedAt: null };
    const refusedAt = round(this.ceiling);
    if (perSecond >= this.max) return { configuredPerSecond, perSecond, reason: `back at the configured rate after ${this.cuts} 429(s)`, refusedAt };
    const climbing = now - this.cutAt < this.approachMs;
    const reason = climbing
      ? `lowered: Dstny answered 429 at ${refusedAt}/s; climbing back to just under that`
      : `lowered: Dstny answered 429 at ${refusedAt}/s; probing upwards by ${round(this.ceiling * this.probe)}/s per minute towards the configured ${configuredPerSecond}/s`;
    return { configuredPerSecond, perSecond, reason, refusedAt };
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
