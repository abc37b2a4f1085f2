/**
 * Delay before retry number `attempt` (1 = the first retry): `ceiling = min(maxMs, baseMs * 2^(attempt-1))`, then
 * "Equal Jitter" of the AWS Architecture Blog's "Exponential Backoff And Jitter": a delay drawn uniformly from
 * [ceiling/2, ceiling]. Why not "Full Jitter" ([0, ceiling]), which that article finds spreads competing clients best:
 * our retries do not compete for the API at once (every request passes the API gate, which spaces them at the
 * configured rate), so spreading buys little; what a retry of a 5xx or a dropped connection needs is time for Dstny to
 * recover, and Full Jitter could send the eighth attempt after a few milliseconds. Equal Jitter keeps at least half of
 * the exponential wait and still de-synchronises rows that failed together over the other half.
 */
export function backoffDelay(attempt: number, cfg: { baseMs: number; maxMs: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(cfg.maxMs, cfg.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Start of the UTC day containing `now` (the daily quota resets then). */
export function startOfUtcDay(now: number): number {
  const d = new Date(now);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}
