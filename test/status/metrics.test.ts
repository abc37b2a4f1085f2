/**
 * /metrics follows Prometheus' conventions (what a dashboard or an alert rule written by someone else expects):
 * counters end in _total and only counters do, durations are histograms in seconds, every name of ours has the
 * callbridge_ prefix, the process metrics are there, and counters exist at 0 before the first event.
 */
import { describe, expect, it } from '@jest/globals';
import { type RowState, rowStates } from '../../src/ledger/ledger.js';
import { BridgeMetrics } from '../../src/status/metrics.js';
import type { StatusReport } from '../../src/status/report.js';
import { parseExposition, sample } from '../support/prometheus.js';

const report: StatusReport = {
  version: '9.9.9',
  mode: 'live',
  apiBaseUrl: 'https://api.example.com',
  ledger: { counts: { ...(Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>), pending: 4, failed: 1 }, oldestDue: null, lastErrors: [] },
  submitter: { state: 'quota', reason: 'daily quota', pausedUntil: null, queued: 0, inFlight: 0, sent: 7 },
  api: { pausedUntil: null, pauseReason: null, rate: { configuredPerSecond: 1, perSecond: 1, reason: 'configured', refusedAt: null }, rateLimited: 3, waiting: 0, running: 0 },
  quota: { used: 1_000, limit: 1_000, resetsAt: '2026-12-08T00:00:00.000Z' },
  recordings: { state: 'running', reason: null, retryAt: null, merged: 2, converted: 1, uploaded: 5, alreadyThere: 0, bytes: 4096, inFlight: 0, deleted: 0 },
  sources: [
    { id: 'pbx', type: 'tail', adapter: 'asterisk-csv', running: true, lastProblem: null },
    { id: 'hooks', type: 'hook', adapter: 'twilio', running: false, lastProblem: 'x' },
  ],
};

function metricsFor(sources = report.sources): BridgeMetrics {
  const metrics = new BridgeMetrics('9.9.9');
  metrics.knowSources(sources);
  return metrics;
}

describe('BridgeMetrics', () => {
  it('names and types every metric as Prometheus expects', async () => {
    const scrape = parseExposition(await metricsFor().text(report));
    const ours = [...scrape.types].filter(([name]) => !/^(process|nodejs)_/.test(name));
    expect(ours.length).toBeGreaterThan(20);
    for (const [name, type] of ours) {
      expect(name).toMatch(/^callbridge_[a-z_]+$/);
      expect({ name, counter: type === 'counter' }).toEqual({ name, counter: name.endsWith('_total') });
      if (type === 'histogram') expect(name).toMatch(/_seconds$/);
    }
    // prom-client's process and Node.js metrics, under their usual names.
    expect(scrape.types.get('process_cpu_seconds_total')).toBe('counter');
    expect(scrape.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(scrape.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });

  it('has every counter at 0 before anything happened, for each source and each outcome class', async () => {
    const scrape = parseExposition(await metricsFor().text(report));
    expect(sample(scrape, 'callbridge_calls_accepted_total', { source: 'pbx', adapter: 'asterisk-csv' })).toBe(0);
    expect(sample(scrape, 'callbridge_calls_accepted_total', { source: 'hooks', adapter: 'twilio' })).toBe(0);
    expect(sample(scrape, 'callbridge_calls_skipped_total', { source: 'pbx', reason: 'internal' })).toBe(0);
    expect(sample(scrape, 'callbridge_parse_errors_total', { source: 'hooks' })).toBe(0);
    for (const outcome of ['2xx', '429', '4xx', '5xx', 'network']) expect(sample(scrape, 'callbridge_submissions_total', { outcome })).toBe(0);
    for (const path of ['reconciler', 'webhook']) {
      expect(sample(scrape, 'callbridge_confirmations_total', { path })).toBe(0);
      expect(sample(scrape, 'callbridge_submitted_to_confirmed_seconds_count', { path })).toBe(0);
    }
    expect(sample(scrape, 'callbridge_recordings_served_total')).toBe(0);
    expect(sample(scrape, 'callbridge_hangup_to_submitted_seconds_count')).toBe(0);
  });

  it('counts what the parts report, in base units, and reads the gauges from the report', async () => {
    const metrics = metricsFor();
    metrics.callAccepted('pbx');
    metrics.callAccepted('pbx');
    metrics.callSkipped('pbx', 'unanswered');
    metrics.callRejected('hooks');
    metrics.parseError('pbx');
    metrics.apiAnswered('create', '2xx', 0.2);
    metrics.apiAnswered('create', '429', 0.01);
    metrics.apiAnswered('list', '5xx', 1.5);
    metrics.callSubmitted(1_000, 43_000);
    metrics.callSubmitted(null, 43_000);
    metrics.callConfirmed('webhook', 43_000, 50_000);
    metrics.callConfirmed('reconciler', null, 50_000);
    metrics.recordingServed();
    const scrape = parseExposition(await metrics.text(report));
    expect(sample(scrape, 'callbridge_calls_accepted_total', { source: 'pbx', adapter: 'asterisk-csv' })).toBe(2);
    expect(sample(scrape, 'callbridge_calls_skipped_total', { source: 'pbx', reason: 'unanswered' })).toBe(1);
    expect(sample(scrape, 'callbridge_calls_rejected_total', { source: 'hooks' })).toBe(1);
    expect(sample(scrape, 'callbridge_parse_errors_total', { source: 'pbx' })).toBe(1);
    // Only creations are submissions; every request is in callbridge_api_requests_total.
    expect(sample(scrape, 'callbridge_submissions_total', { outcome: '2xx' })).toBe(1);
    expect(sample(scrape, 'callbridge_submissions_total', { outcome: '429' })).toBe(1);
    expect(sample(scrape, 'callbridge_submissions_total', { outcome: '5xx' })).toBe(0);
    expect(sample(scrape, 'callbridge_api_requests_total', { request: 'list', outcome: '5xx' })).toBe(1);
    expect(sample(scrape, 'callbridge_submit_request_duration_seconds_count')).toBe(2);
    expect(sample(scrape, 'callbridge_submit_request_duration_seconds_sum')).toBeCloseTo(0.21, 5);
    expect(sample(scrape, 'callbridge_hangup_to_submitted_seconds_count')).toBe(1);
    expect(sample(scrape, 'callbridge_hangup_to_submitted_seconds_bucket', { le: '30' })).toBe(0);
    expect(sample(scrape, 'callbridge_hangup_to_submitted_seconds_bucket', { le: '60' })).toBe(1);
    expect(sample(scrape, 'callbridge_confirmations_total', { path: 'webhook' })).toBe(1);
    expect(sample(scrape, 'callbridge_confirmations_total', { path: 'reconciler' })).toBe(1);
    expect(sample(scrape, 'callbridge_submitted_to_confirmed_seconds_count', { path: 'webhook' })).toBe(1);
    expect(sample(scrape, 'callbridge_submitted_to_confirmed_seconds_count', { path: 'reconciler' })).toBe(0);
    expect(sample(scrape, 'callbridge_recordings_served_total')).toBe(1);

    expect(sample(scrape, 'callbridge_rows', { state: 'pending' })).toBe(4);
    expect(sample(scrape, 'callbridge_quota_used')).toBe(1_000);
    expect(sample(scrape, 'callbridge_quota_limit')).toBe(1_000);
    expect(sample(scrape, 'callbridge_submitter_state', { state: 'quota' })).toBe(1);
    expect(sample(scrape, 'callbridge_submitter_state', { state: 'running' })).toBe(0);
    expect(sample(scrape, 'callbridge_source_up', { source: 'pbx' })).toBe(1);
    expect(sample(scrape, 'callbridge_source_up', { source: 'hooks' })).toBe(0);
    expect(sample(scrape, 'callbridge_build_info', { version: '9.9.9' })).toBe(1);
    expect(sample(scrape, 'callbridge_api_rate_limited_total')).toBe(3);
    expect(sample(scrape, 'callbridge_recordings_uploaded_total')).toBe(5);
    expect(sample(scrape, 'callbridge_recording_upload_bytes_total')).toBe(4096);
  });

  it('keeps counting across scrapes: a counter read from a part never goes back while the process runs', async () => {
    const metrics = metricsFor();
    metrics.callAccepted('pbx');
    const first = parseExposition(await metrics.text(report));
    const second = parseExposition(await metrics.text({ ...report, api: { ...report.api!, rateLimited: 5 } }));
    expect(sample(second, 'callbridge_calls_accepted_total', { source: 'pbx', adapter: 'asterisk-csv' })).toBe(1);
    expect(sample(first, 'callbridge_api_rate_limited_total')).toBe(3);
    expect(sample(second, 'callbridge_api_rate_limited_total')).toBe(5);
  });
});
