import { startOfUtcDay } from '../backoff.js';
import type { Ledger } from '../ledger/ledger.js';

/** Today's share of the daily quota (submit.dailyQuota, counted per UTC day as the submitter counts it). */
export interface QuotaFacts {
  /** Conversations created since 00:00 UTC. */
  used: number;
  /** submit.dailyQuota; 0 = no quota. */
  limit: number;
  /** When the count starts again (epoch ms). */
  resetsAt: number;
}

export async function quotaToday(ledger: Pick<Ledger, 'countSubmittedSince'>, limit: number, now: number): Promise<QuotaFacts> {
  const dayStart = startOfUtcDay(now);
  return { used: await ledger.countSubmittedSince(dayStart), limit, resetsAt: dayStart + 86_400_000 };
}
