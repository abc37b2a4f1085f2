import { describe, expect, it } from '@jest/globals';
import { type RowState, rowStates } from '../../src/ledger/ledger.js';
import { formatStatus, type StatusReport } from '../../src/status/report.js';

describe('formatStatus', () => {
  it('says when the API gate is paused, at what rate it sends and why', () => {
    const now = 1_000_000;
    const report: StatusReport = {
      version: '1.0.0',
      mode: 'live',
      apiBaseUrl: 'https://api.example.com',
      ledger: { counts: Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>, oldestDue: null, lastErrors: [] },
      submitter: { state: 'paused', reason: null, pausedUntil: now + 3_000, queued: 2, inFlight: 0, sent: 9 },
      api: {
        pausedUntil: now + 3_000,
        pauseReason: 'rate limited by Dstny (429); retry after 3 s',
        rate: { configuredPerSecond: 50, perSecond: 8.2, reason: 'lowered: Dstny answered 429 at 10.25/s; climbing back to just under that', refusedAt: 10.25 },
        rateLimited: 7,
        waiting: 2,
        running: 0,
      },
      sources: [],
    };
    expect(formatStatus(report, now)).toContain(
      'api: paused for 3 s (rate limited by Dstny (429); retry after 3 s); 8.2/s of 50/s configured (lowered: Dstny answered 429 at 10.25/s; climbing back to just under that); 7 429(s) since start',
    );
    expect(formatStatus({ ...report, api: { ...report.api!, pausedUntil: null, pauseReason: null } }, now)).toMatch(/^api: 8\.2\/s of 50\/s configured/m);
  });
});
