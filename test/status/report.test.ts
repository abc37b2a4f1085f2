import { describe, expect, it } from '@jest/globals';
import { type RowState, rowStates } from '../../src/ledger/ledger.js';
import { formatStatus, type StatusFacts, type StatusReport, statusReport } from '../../src/status/report.js';

describe('formatStatus', () => {
  it('says when the API gate is paused, at what rate it sends and why', () => {
    const now = 1_000_000;
    const report: StatusReport = {
      version: '1.0.0',
      mode: 'live',
      apiBaseUrl: 'https://api.example.com',
      ledger: { counts: Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>, oldestDue: null, lastErrors: [] },
      submitter: { state: 'paused', reason: null, pausedUntil: new Date(now + 3_000).toISOString(), queued: 2, inFlight: 0, sent: 9 },
      api: {
        pausedUntil: new Date(now + 3_000).toISOString(),
        pauseReason: 'rate limited by Dstny (429); retry after 3 s',
        rate: { configuredPerSecond: 50, perSecond: 8.2, reason: 'lowered: Dstny answered 429 at 10.25/s; climbing back to just under that', refusedAt: 10.25 },
        rateLimited: 7,
        waiting: 2,
        running: 0,
      },
      quota: { used: 400, limit: 1_000, resetsAt: '1970-01-02T00:00:00.000Z' },
      sources: [],
    };
    expect(formatStatus(report, now)).toContain(
      'api: paused for 3 s (rate limited by Dstny (429); retry after 3 s); 8.2/s of 50/s configured (lowered: Dstny answered 429 at 10.25/s; climbing back to just under that); 7 429(s) since start',
    );
    expect(formatStatus(report, now)).toContain('daily quota: 400 created today of 1000 (40 %); counts again at 1970-01-02T00:00:00.000Z');
    expect(formatStatus({ ...report, quota: { ...report.quota, limit: 0 } }, now)).toContain('daily quota: 400 created today (no quota set)');
    expect(formatStatus({ ...report, api: { ...report.api!, pausedUntil: null, pauseReason: null } }, now)).toMatch(/^api: 8\.2\/s of 50\/s configured/m);
  });
});

describe('statusReport', () => {
  const counts = Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>;
  const at = Date.parse('2024-05-02T07:14:03.250Z');
  const facts: StatusFacts = {
    version: '1.0.0',
    mode: 'live',
    apiBaseUrl: null,
    ledger: {
      counts: { ...counts, pending: 1, failed: 1 },
      oldestDue: { externalId: 'c1', state: 'pending', nextAttemptAt: at },
      lastErrors: [{ externalId: 'c2', state: 'failed', reason: 'HTTP 422', updatedAt: at + 1_000 }],
    },
    submitter: { state: 'paused', reason: null, pausedUntil: at + 2_000, queued: 0, inFlight: 0, sent: 0 },
    api: { pausedUntil: at + 3_000, pauseReason: '429', rate: { configuredPerSecond: 1, perSecond: 1, reason: 'configured', refusedAt: null }, rateLimited: 1, waiting: 0, running: 0 },
    quota: { used: 3, limit: 1_000, resetsAt: Date.parse('2024-05-03T00:00:00Z') },
    sources: [],
  };

  it('shows every time as ISO 8601 UTC, not epoch milliseconds', () => {
    const report = statusReport(facts);
    expect(report.ledger.oldestDue).toEqual({ externalId: 'c1', state: 'pending', nextAttemptAt: '2024-05-02T07:14:03.250Z' });
    expect(report.ledger.lastErrors).toEqual([{ externalId: 'c2', state: 'failed', reason: 'HTTP 422', updatedAt: '2024-05-02T07:14:04.250Z' }]);
    expect(report.submitter?.pausedUntil).toBe('2024-05-02T07:14:05.250Z');
    expect(report.api?.pausedUntil).toBe('2024-05-02T07:14:06.250Z');
    // No number that could be an epoch time is left anywhere in the JSON.
    expect(JSON.stringify(report)).not.toMatch(/\d{12,}/);
    expect(formatStatus(report, at + 60_000)).toContain('oldest due: c1 (pending) due for 60 s (2024-05-02T07:14:03.250Z)');
    expect(formatStatus(report, at + 60_000)).toContain('  2024-05-02T07:14:04.250Z  c2  failed: HTTP 422');
  });

  it('says whether a bridge runs on the ledger, from its heartbeat', () => {
    const heartbeat = { id: 'x', host: 'pbx1', pid: 4242, startedAt: at, beatAt: at + 50_000, intervalMs: 5_000, version: '1.0.0', httpUrl: 'http://127.0.0.1:8080', stoppedAt: null, roles: [] };
    const running = statusReport({ ...facts, mode: 'running', bridge: { running: true, heartbeat } });
    expect(running.bridge).toEqual({
      running: true,
      host: 'pbx1',
      pid: 4242,
      version: '1.0.0',
      httpUrl: 'http://127.0.0.1:8080',
      startedAt: '2024-05-02T07:14:03.250Z',
      lastBeatAt: '2024-05-02T07:14:53.250Z',
      stoppedAt: null,
    });
    expect(formatStatus(running, at + 53_000)).toContain('bridge running (pid 4242 on pbx1 since 2024-05-02T07:14:03.250Z, last seen 3 s ago, http http://127.0.0.1:8080)');
    const crashed = statusReport({ ...facts, mode: 'not running', bridge: { running: false, heartbeat } });
    expect(formatStatus(crashed, at + 600_000)).toContain('no bridge running on this ledger (last seen 2024-05-02T07:14:53.250Z: pid 4242 on pbx1, it did not stop cleanly)');
    const stopped = statusReport({ ...facts, mode: 'not running', bridge: { running: false, heartbeat: { ...heartbeat, stoppedAt: at + 51_000 } } });
    expect(formatStatus(stopped, at + 600_000)).toContain('no bridge running on this ledger (last seen 2024-05-02T07:14:54.250Z: pid 4242 on pbx1, stopped cleanly)');
    expect(formatStatus(statusReport({ ...facts, mode: 'not running', bridge: { running: false, heartbeat: null } }))).toContain('no bridge running on this ledger (none has run on it yet)');
    // The bridge's own /status has no such line: it is the bridge.
    expect(formatStatus(statusReport(facts))).not.toMatch(/bridge running|no bridge/);
  });
});

describe('formatStatus on replicas', () => {
  it('lists the bridges on the ledger with what each holds, and says which sources another replica reads', () => {
    const now = Date.parse('2026-12-07T12:00:00.000Z');
    const beat = (n: number, roles: string[]) => ({
      id: `h${n}`,
      host: `host-${n}`,
      pid: 100 + n,
      startedAt: now - 3_600_000,
      beatAt: now - 2_000,
      intervalMs: 5_000,
      version: '1.0.0',
      httpUrl: null,
      stoppedAt: null,
      roles,
    });
    const facts: StatusFacts = {
      version: '1.0.0',
      mode: 'live',
      apiBaseUrl: null,
      ledger: { counts: Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>, oldestDue: null, lastErrors: [] },
      submitter: null,
      api: null,
      quota: { used: 0, limit: 0, resetsAt: now },
      sources: [{ id: 'asterisk', type: 'drop', adapter: 'asterisk-csv', running: true, lastProblem: null, standby: true }],
      replicas: [
        { ...beat(1, ['deliver', 'retention', 'source:asterisk']), self: false },
        { ...beat(2, []), self: true },
      ],
    };
    const text = formatStatus(statusReport(facts), now);
    expect(text).toContain('source asterisk (drop, asterisk-csv): standby (another replica reads it)');
    expect(text).toContain('replicas: 2\n  pid 101 on host-1 since 2026-12-07T11:00:00.000Z, last beat 2 s ago, holds deliver, retention, source:asterisk\n');
    expect(text).toContain('  pid 102 on host-2 since 2026-12-07T11:00:00.000Z, last beat 2 s ago, holds no role (takes hooks) (this one)');
    expect(formatStatus(statusReport({ ...facts, replicas: [facts.replicas![0]!] }), now)).not.toContain('replicas:');
  });
});
