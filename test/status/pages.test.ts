/**
 * The status page and the call pages as pure renderings: the headline says the first thing in the way, text from
 * CDRs, reasons and the API is escaped, paths and link secrets are cut, and calls in trouble are grouped by reason.
 */
import { describe, expect, it } from '@jest/globals';
import { type RowState, rowStates } from '../../src/ledger/ledger.js';
import { callView } from '../../src/status/call-view.js';
import { callPage } from '../../src/status/pages/call-pages.js';
import { type Dashboard, groupProblems } from '../../src/status/pages/dashboard.js';
import { headline, statusMain, statusPage } from '../../src/status/pages/status-page.js';
import type { StatusReport } from '../../src/status/report.js';
import { payloadFor } from '../support/rows.js';

const now = Date.parse('2026-12-07T12:00:00Z');
const counts = Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>;
const report: StatusReport = {
  version: '1.2.3',
  mode: 'live',
  apiBaseUrl: 'https://api.example.com',
  ledger: { counts: { ...counts, confirmed: 40, failed: 2 }, oldestDue: null, lastErrors: [] },
  submitter: { state: 'running', reason: null, pausedUntil: null, queued: 0, inFlight: 0, sent: 40 },
  api: { pausedUntil: null, pauseReason: null, rate: { configuredPerSecond: 1, perSecond: 1, reason: 'configured', refusedAt: null }, rateLimited: 0, waiting: 0, running: 0 },
  quota: { used: 40, limit: 1_000, resetsAt: '2026-12-08T00:00:00.000Z' },
  sources: [{ id: 'pbx', type: 'tail', adapter: 'asterisk-csv', running: true, lastProblem: null, lastInput: { name: '<path>/Master.csv', at: '2026-12-07T11:59:30.000Z' }, lagBytes: 0 }],
};
const dashboard = (patch: Partial<Dashboard> = {}, reportPatch: Partial<StatusReport> = {}): Dashboard => ({
  now,
  report: { ...report, ...reportPatch },
  delivered: { lastHour: 12, last24h: 40 },
  hours: Array.from({ length: 24 }, (_, i) => ({ hour: now - (23 - i) * 3_600_000, accepted: i, sent: i, confirmed: i, failed: 0 })),
  problems: [],
  problemsShown: 0,
  ...patch,
});

describe('the status page', () => {
  it.each<[string, Partial<StatusReport>, Partial<Dashboard>, string, RegExp]>([
    ['flowing', {}, {}, 'ok', /^Calls are flowing: 12 delivered in the last hour\.$/],
    ['idle', {}, { delivered: { lastHour: 0, last24h: 3 } }, 'ok', /^Running\. No call was delivered in the last hour\.$/],
    ['halted', { submitter: { ...report.submitter!, state: 'halted', reason: 'Dstny answered 401' } }, {}, 'bad', /^Submission halted: Dstny answered 401\. Nothing is sent/],
    ['quota', { submitter: { ...report.submitter!, state: 'quota' }, quota: { used: 1_000, limit: 1_000, resetsAt: '2026-12-08T00:00:00.000Z' } }, {}, 'warn', /^Held by the daily quota: 1000 of 1000 used; sending again in 12 h \(2026-12-08 00:00:00 UTC\)\.$/],
    ['paused', { api: { ...report.api!, pausedUntil: '2026-12-07T12:00:30.000Z', pauseReason: '429' } }, {}, 'warn', /^Paused: Dstny asked to wait \(429\) until 2026-12-07 12:00:30 UTC \(in 30 s\)\.$/],
    ['a source down', { sources: [{ ...report.sources[0]!, running: false, lastProblem: 'cannot read <path>/Master.csv: EACCES' }] }, {}, 'bad', /^Not running: source pbx \(cannot read <path>\/Master\.csv: EACCES\)\.$/],
  ])('%s: the headline says so', (_name, reportPatch, patch, level, text) => {
    const line = headline(dashboard(patch, reportPatch));
    expect(line.level).toBe(level);
    expect(line.text).toMatch(text);
  });

  it('on replicas: lists each with what it holds, a standby submitter and a source another replica reads; nothing of it for a lone bridge', () => {
    const replica = (n: number, roles: string[], self = false) => ({
      id: `host-${n}:${100 + n}:1`,
      host: `host-${n}`,
      pid: 100 + n,
      version: '1.0.0',
      httpUrl: null,
      startedAt: '2026-12-07T11:00:00.000Z',
      lastBeatAt: '2026-12-07T11:59:58.000Z',
      roles,
      self,
    });
    const d = dashboard(
      {},
      {
        submitter: { ...report.submitter!, state: 'standby', reason: 'another replica submits and reconciles; this one takes over should it stop' },
        sources: [{ ...report.sources[0]!, standby: true }],
        replicas: [replica(1, ['deliver', 'retention']), replica(2, ['source:pbx'], true), replica(3, [])],
      },
    );
    const main = statusMain(d).text;
    expect(headline(d).level).toBe('ok');
    expect(main).toContain('<span class="state">standby</span> — another replica submits and reconciles');
    expect(main).toContain('<td class="state">standby (another replica reads it)</td>');
    const rows = [...main.matchAll(/<tr><td>(host-\d)(.*?)<\/td><td class="num">(\d+)<\/td>.*?<td>(2 s ago)<\/td><td>(.*?)<\/td><\/tr>/g)].map((m) => [m[1], m[2], m[3], m[5]]);
    expect(rows).toEqual([
      ['host-1', '', '101', 'deliver, retention'],
      ['host-2', ' <span class="muted">(this one)</span>', '102', 'source:pbx'],
      ['host-3', '', '103', '<span class="muted">no role (takes hooks)</span>'],
    ]);
    expect(statusMain(dashboard({}, { replicas: [replica(1, ['deliver', 'retention'], true)] })).text).not.toContain('Replicas');
  });

  it('escapes whatever a reason or a source name holds, and links each call in trouble to its page', () => {
    const d = dashboard({
      problems: groupProblems([
        { externalId: 'a<b>', state: 'failed', reason: 'HTTP 422: <script>alert(1)</script>' },
        { externalId: 'c&d', state: 'failed', reason: 'HTTP 422: <script>alert(1)</script>' },
      ]),
      problemsShown: 2,
    });
    const main = statusMain(d).text;
    expect(main).not.toContain('<script>');
    expect(main).toContain('HTTP 422: &#60;script&#62;alert(1)&#60;/script&#62;');
    expect(main).toContain('<a href="/calls/a%3Cb%3E">a&#60;b&#62;</a>');
    expect(main).toContain('<a href="/calls/c%26d">c&#38;d</a>');
    const whole = statusPage(d, 5);
    expect(whole).toMatch(/^<!doctype html>/);
    expect(whole).toContain('<main data-refresh="/?part=main" data-every="5000">');
    expect(whole).not.toMatch(/https?:\/\/(?!api\.example\.com)/);
  });

  it('groups calls in trouble by state and reason, the largest group first, with paths and link secrets cut', () => {
    const groups = groupProblems([
      { externalId: 'm1', state: 'missing', reason: 'not found at Dstny' },
      { externalId: 'f1', state: 'failed', reason: 'HTTP 422: https://user:pw@rec.example.com/a.wav?X-Amz-Signature=abc is not reachable' },
      { externalId: 'f2', state: 'failed', reason: 'HTTP 422: https://user:pw@rec.example.com/a.wav?X-Amz-Signature=abc is not reachable' },
      { externalId: 'r1', state: 'rejected', reason: 'recording /var/spool/asterisk/monitor/x.wav not found' },
    ]);
    expect(groups).toEqual([
      { state: 'failed', reason: 'HTTP 422: https://rec.example.com/a.wav?… is not reachable', count: 2, ids: ['f1', 'f2'] },
      { state: 'missing', reason: 'not found at Dstny', count: 1, ids: ['m1'] },
      { state: 'rejected', reason: 'recording <path>/x.wav not found', count: 1, ids: ['r1'] },
    ]);
  });
});

describe('a call page', () => {
  it('shows the call, its history and what to do, with the signed recording link and paths cut', () => {
    const token = `eyJpZCI6ImMxIiwiZXhwIjoxfQ.${'A'.repeat(43)}`;
    const row = {
      externalId: 'c1',
      sourceId: 'pbx',
      location: '/var/log/asterisk/cdr-csv/Master.csv:7',
      state: 'failed' as const,
      raw: { recording: { path: '/var/spool/asterisk/monitor/c1.wav' } },
      payload: payloadFor('c1', { call_recording_url: `https://bridge.example.com/recordings/${token}` }),
      contentHash: 'x',
      reason: 'HTTP 422: owner_email is not a user',
      attempts: 1,
      nextAttemptAt: now,
      conversationId: null,
      resubmits: 0,
      leaseOwner: null,
      leaseUntil: null,
      sendingAt: null,
      createdAt: now - 60_000,
      updatedAt: now,
      submittedAt: null,
      confirmedAt: null,
      upload: null,
      recordingFile: null,
      lane: 'live' as const,
      compactedAt: null,
    };
    const text = callPage(
      callView(row, [{ externalId: 'c1', at: now - 30_000, kind: 'attempt', outcome: '4xx', status: 422, message: 'Dstny refused the request: HTTP 422: owner_email is not a user', conversationId: null, durationMs: 87 }]),
    );
    expect(text).toContain('<h1>Call c1</h1>');
    expect(text).toContain('<td>pbx (&#60;path&#62;/Master.csv:7)</td>');
    expect(text).toContain('POST → 422 (4xx) in 87 ms: Dstny refused the request: HTTP 422: owner_email is not a user');
    expect(text).toContain('&#34;callbridge retry --state failed --id c1&#34; sends it again');
    expect(text).toContain('https://bridge.example.com/recordings/…');
    expect(text).not.toContain(token);
    expect(text).not.toContain('/var/');
  });
});
