import { describe, expect, it } from '@jest/globals';
import { backlogFinish } from '../../src/status/backlog.js';

const now = Date.parse('2026-12-07T10:00:00Z');
const tomorrow = Date.parse('2026-12-08T00:00:00Z');
const DAY = 86_400_000;

describe('backlogFinish: when the imported calls will have gone', () => {
  it('today, at the rate, when they fit in what is left of today\'s share', () => {
    expect(backlogFinish({ waiting: 100, sentToday: 300, dailyQuota: 1_000, share: 0.5, perSecond: 1 }, now)).toEqual({ waiting: 100, perDay: 500, finishAt: now + 100_000 });
  });

  it('on a later day, at the start of which the last ones go, when they do not', () => {
    // 200 today, then 500 a day: 1,000 more take two days, the last 300 on the second.
    expect(backlogFinish({ waiting: 1_200, sentToday: 300, dailyQuota: 1_000, share: 0.5, perSecond: 1 }, now)).toEqual({ waiting: 1_200, perDay: 500, finishAt: tomorrow + DAY + 500_000 });
    expect(backlogFinish({ waiting: 50_000, sentToday: 500, dailyQuota: 1_000, share: 0.5, perSecond: 1 }, now).finishAt).toBe(tomorrow + 99 * DAY + 500_000);
  });

  it('without a daily quota, at the rate; with a share of 0, never; with nothing waiting, nothing', () => {
    expect(backlogFinish({ waiting: 3_600, sentToday: 0, dailyQuota: 0, share: 0.5, perSecond: 2 }, now)).toEqual({ waiting: 3_600, perDay: null, finishAt: now + 1_800_000 });
    expect(backlogFinish({ waiting: 10, sentToday: 0, dailyQuota: 1_000, share: 0, perSecond: 1 }, now)).toEqual({ waiting: 10, perDay: 0, finishAt: null });
    expect(backlogFinish({ waiting: 0, sentToday: 0, dailyQuota: 1_000, share: 0.5, perSecond: 1 }, now)).toEqual({ waiting: 0, perDay: 500, finishAt: null });
  });
});
