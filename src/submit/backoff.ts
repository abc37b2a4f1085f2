/**
 * Delay before retry number `attempt` (1 = the first retry): exponential, capped, with jitter so that
 * many rows failing together do not come back together. "Equal jitter": half fixed, half random.
 */
export function backoffDelay(attempt: number, cfg: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const cap = Math.min(cfg.maxMs, cfg.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Start of the UTC day containing `now` (the daily quota resets then). */
export function startOfUtcDay(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
