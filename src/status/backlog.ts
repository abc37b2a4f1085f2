import { startOfUtcDay } from '../backoff.js';
import type { Ledger } from '../ledger/ledger.js';

const DAY = 86_400_000;

/** The imported calls still to send, and when they will be sent at the pace the quota and the rate allow. */
export interface BacklogFacts {
  /** Imported calls not sent yet. */
  waiting: number;
  /** At most this many a day (import.maxShareOfDailyQuota of submit.dailyQuota); null without a daily quota. */
  perDay: number | null;
  /** When the last of them should have gone (epoch ms); null with nothing waiting, or a share of 0. */
  finishAt: number | null;
}

export interface BacklogPace {
  waiting: number;
  /** Imported calls sent since 00:00 UTC. */
  sentToday: number;
  /** submit.dailyQuota (0: none). */
  dailyQuota: number;
  /** import.maxShareOfDailyQuota. */
  share: number;
  /** submit.rateLimit.perSecond: the backlog goes no faster, and only while no live call is due. */
  perSecond: number;
}

/**
 * Pure: when the backlog should be done, at full speed within each day's share (live calls take their slots
 * first, so this is the earliest it can be).
 */
export function backlogFinish(p: BacklogPace, now: number): BacklogFacts {
  const perDay = p.dailyQuota ? Math.floor(p.share * p.dailyQuota) : null;
  if (p.waiting === 0) return { waiting: 0, perDay, finishAt: null };
  const sendMs = (n: number) => Math.ceil((n / p.perSecond) * 1000);
  if (perDay === null) return { waiting: p.waiting, perDay, finishAt: now + sendMs(p.waiting) };
  if (perDay === 0) return { waiting: p.waiting, perDay, finishAt: null };
  const leftToday = Math.max(0, perDay - p.sentToday);
  if (p.waiting <= leftToday) return { waiting: p.waiting, perDay, finishAt: now + sendMs(p.waiting) };
  const rest = p.waiting - leftToday;
  const days = Math.ceil(rest / perDay);
  const onLastDay = rest - (days - 1) * perDay;
  return { waiting: p.waiting, perDay, finishAt: startOfUtcDay(now) + days * DAY + sendMs(onLastDay) };
}

/** The backlog as the ledger has it now. */
export async function readBacklog(
  ledger: Pick<Ledger, 'countBacklog' | 'countSubmittedSince'>,
  pace: Omit<BacklogPace, 'waiting' | 'sentToday'>,
  now: number,
): Promise<BacklogFacts> {
  const waiting = await ledger.countBacklog();
  const sentToday = waiting ? await ledger.countSubmittedSince(startOfUtcDay(now), 'import') : 0;
  return backlogFinish({ ...pace, waiting, sentToday }, now);
}

/** The pace settings of a configuration. */
export function backlogPace(config: { submit: { dailyQuota: number; rateLimit: { perSecond: number } }; import: { maxShareOfDailyQuota: number } }): Omit<BacklogPace, 'waiting' | 'sentToday'> {
  return { dailyQuota: config.submit.dailyQuota, share: config.import.maxShareOfDailyQuota, perSecond: config.submit.rateLimit.perSecond };
}
