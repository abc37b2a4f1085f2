/**
 * What an operator sees of the real bridge (`callbridge start`, a separate process) against the emulator process,
 * while calls flow, some failing on purpose:
 * - /metrics, scraped before and after: its counters move by exactly what happened (calls accepted, skipped and
 *   unreadable, creations answered 2xx, 4xx and 429, confirmations, the waits from hangup and from submission), and
 *   the deploy/ alert rules and Grafana dashboard only name metrics a real scrape has;
 * - `callbridge inspect` and `callbridge search`, run as the operator runs them, beside the running bridge;
 * - the status page in a real headless Chromium: what a person sees, the refused call's page, the search, and the
 *   paused state appearing without the page reloading.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium } from 'playwright-core';
import { parse as parseYaml } from 'yaml';
import { moved, parseExposition, type Scrape, sample } from '../support/prometheus.js';
import type { CallView } from '../../src/status/call-view.js';
import { asteriskCalls, BridgeScene, CliProcess, dropFile, REPO, waitUntil } from './support.js';

const SOURCE = { source: 'asterisk', adapter: 'asterisk-csv' };

async function scrape(scene: BridgeScene): Promise<Scrape> {
  const res = await fetch(`${scene.bridge.url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(await res.text());
}

/** Both paths together: which one confirms a call first (webhook or look-up) is a race. */
function confirmedBy(s: Scrape, name: string): number {
  return (sample(s, name, { path: 'webhook' }) ?? 0) + (sample(s, name, { path: 'reconciler' }) ?? 0);
}

async function cli(scene: BridgeScene, ...args: string[]): Promise<{ code: number | null; out: string }> {
  const run = new CliProcess(args[0]!, [...args, '--config', scene.configFile]);
  const { code } = await run.exited;
  return { code, out: run.stdout };
}

describe('operating a running bridge', () => {
  let scene: BridgeScene;
  let failedNumber: string;
  let before: Scrape;
  let afterCalls: Scrape;
  let afterStorm: Scrape;

  beforeAll(async () => {
    scene = await new BridgeScene('callbridge-metrics-').start({ faults: { appearDelayMs: 200 } });
    before = await scrape(scene);

    // Five calls Dstny takes; one whose recording link answers 404 (refused: 422); one call between two
    // extensions (skipped as internal); one line with three columns (the adapter cannot read it).
    const calls = asteriskCalls({ count: 7, prefix: 'metrics', recordingBase: scene.recordings.url });
    const lines = calls.csv.trimEnd().split('\n');
    lines[5] = lines[5]!.replace(/\.wav"$/, '.gone"');
    failedNumber = /"(070\d{7})"/.exec(lines[5])![1]!;
    lines[6] = lines[6]!.replace(/"070\d{7}"/, '"202"').replace(/PJSIP\/telia-/, 'PJSIP/202-');
    lines.push('"only","three","columns"');
    dropFile(scene.spool, 'Master-1.csv', `${lines.join('\n')}\n`);
    await waitUntil(
      async () => {
        const { counts } = (await scene.bridge.status()).ledger;
        return counts.confirmed === 5 && counts.failed === 1 && counts.skipped === 1;
      },
      { timeoutMs: 60_000, what: '5 calls confirmed, 1 failed, 1 skipped', describe: async () => JSON.stringify((await scene.bridge.status()).ledger.counts) },
    );
    afterCalls = await scrape(scene);

    // Dstny answers 429 to everything for 1.5 s while two more calls arrive: they still go, once each.
    await scene.emulator.faults({ storm429Ms: 1_500 });
    const more = asteriskCalls({ count: 2, prefix: 'metrics', from: 7, recordingBase: scene.recordings.url });
    dropFile(scene.spool, 'Master-2.csv', more.csv);
    await waitUntil(async () => (await scene.bridge.status()).ledger.counts.confirmed === 7, { timeoutMs: 60_000, what: '7 calls confirmed' });
    afterStorm = await scrape(scene);
  }, 150_000);

  afterAll(async () => {
    await scene?.stop();
  });

  it('counts the calls taken, skipped and unreadable per source', () => {
    expect(moved(before, afterCalls, 'callbridge_calls_accepted_total', SOURCE)).toBe(6);
    expect(moved(before, afterCalls, 'callbridge_calls_skipped_total', { source: 'asterisk', reason: 'internal' })).toBe(1);
    expect(moved(before, afterCalls, 'callbridge_parse_errors_total', { source: 'asterisk' })).toBe(1);
    expect(moved(before, afterCalls, 'callbridge_calls_rejected_total', { source: 'asterisk' })).toBe(0);
    expect(moved(afterCalls, afterStorm, 'callbridge_calls_accepted_total', SOURCE)).toBe(2);
  });

  it('counts each creation by its answer: five 2xx and one 4xx, then 429s while Dstny refused everything', () => {
    expect(moved(before, afterCalls, 'callbridge_submissions_total', { outcome: '2xx' })).toBe(5);
    expect(moved(before, afterCalls, 'callbridge_submissions_total', { outcome: '4xx' })).toBe(1);
    expect(moved(before, afterCalls, 'callbridge_submissions_total', { outcome: '5xx' })).toBe(0);
    // Every creation request is timed, also those the emulator's own rate limit (5/s) answered 429.
    const requests = ['2xx', '429', '4xx', '5xx', 'network'].reduce((n, outcome) => n + moved(before, afterCalls, 'callbridge_submissions_total', { outcome }), 0);
    expect(moved(before, afterCalls, 'callbridge_submit_request_duration_seconds_count')).toBe(requests);
    expect(moved(afterCalls, afterStorm, 'callbridge_submissions_total', { outcome: '2xx' })).toBe(2);
    expect(moved(afterCalls, afterStorm, 'callbridge_submissions_total', { outcome: '429' })).toBeGreaterThanOrEqual(1);
    expect(moved(afterCalls, afterStorm, 'callbridge_api_rate_limited_total')).toBeGreaterThanOrEqual(moved(afterCalls, afterStorm, 'callbridge_submissions_total', { outcome: '429' }));
  });

  it('counts confirmations and observes the waits, once per call', () => {
    expect(confirmedBy(afterCalls, 'callbridge_confirmations_total') - confirmedBy(before, 'callbridge_confirmations_total')).toBe(5);
    expect(confirmedBy(afterCalls, 'callbridge_submitted_to_confirmed_seconds_count') - confirmedBy(before, 'callbridge_submitted_to_confirmed_seconds_count')).toBe(5);
    expect(confirmedBy(afterStorm, 'callbridge_confirmations_total') - confirmedBy(before, 'callbridge_confirmations_total')).toBe(7);
    expect(moved(before, afterCalls, 'callbridge_hangup_to_submitted_seconds_count')).toBe(5);
    // The generated calls ended on 2026-11-20: each waited far longer than a day since its hangup.
    expect(moved(before, afterCalls, 'callbridge_hangup_to_submitted_seconds_bucket', { le: '86400' })).toBe(0);
    expect(moved(before, afterCalls, 'callbridge_hangup_to_submitted_seconds_sum')).toBeGreaterThan(5 * 86_400);
  });

  it('shows the ledger, the quota and the parts as gauges', () => {
    expect(sample(afterStorm, 'callbridge_rows', { state: 'confirmed' })).toBe(7);
    expect(sample(afterStorm, 'callbridge_rows', { state: 'failed' })).toBe(1);
    expect(sample(afterStorm, 'callbridge_quota_used')).toBe(7);
    expect(sample(afterStorm, 'callbridge_submitter_state', { state: 'running' })).toBe(1);
    expect(sample(afterStorm, 'callbridge_source_up', { source: 'asterisk' })).toBe(1);
    expect(sample(afterStorm, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('the deploy/ alert rules and Grafana dashboard name only metrics the bridge exposes', () => {
    const families = new Set(afterStorm.types.keys());
    const exposed = (name: string) => families.has(name) || families.has(name.replace(/_(bucket|count|sum)$/, ''));
    const alerts = readFileSync(path.join(REPO, 'deploy/prometheus-alerts.yml'), 'utf8');
    const dashboard = readFileSync(path.join(REPO, 'deploy/grafana-dashboard.json'), 'utf8');
    const named = (text: string) => [...new Set(text.match(/\bcallbridge_[a-z_]+/g) ?? [])];
    expect(named(alerts).length).toBeGreaterThanOrEqual(3);
    expect(named(dashboard).length).toBeGreaterThanOrEqual(8);
    expect(named(alerts).filter((n) => !exposed(n))).toEqual([]);
    expect(named(dashboard).filter((n) => !exposed(n))).toEqual([]);

    const rules = (parseYaml(alerts) as { groups: Array<{ rules: Array<Record<string, unknown>> }> }).groups.flatMap((g) => g.rules);
    expect(rules.map((r) => r.alert)).toEqual(['CallbridgeNothingConfirmed', 'CallbridgeFailedOrMissingRising', 'CallbridgeSubmissionHalted']);
    for (const rule of rules) expect(rule).toMatchObject({ expr: expect.any(String), for: expect.any(String), labels: { severity: expect.any(String) }, annotations: { summary: expect.any(String) } });
    const panels = (JSON.parse(dashboard) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> }).panels;
    expect(panels.filter((p) => p.targets?.length).length).toBeGreaterThanOrEqual(8);
  });

  it('callbridge inspect follows the refused call: its source line, what Dstny answered to each attempt, and the command that sends it again', async () => {
    const { code, out } = await cli(scene, 'inspect', 'metrics.5');
    expect(code).toBe(0);
    expect(out).toMatch(/^call metrics\.5: failed \(not delivered: Dstny refused it/m);
    expect(out).toMatch(/^ {2}source {7}asterisk \(.*Master-1\.csv:6\)$/m);
    expect(out).toMatch(/^ {2}reason {7}HTTP 422: .*call_recording_url/m);
    // The refusal, with its status and the API's message, is the last attempt of its history.
    const attempts = out.split('\n').filter((l) => / {2}POST → /.test(l));
    expect(attempts.at(-1)).toMatch(/^ {2}\d{4}-\d{2}-\d{2}T[\d:.]+Z {2}POST → 422 \(4xx\) in \d+ ms: Dstny refused the request: HTTP 422: .*call_recording_url/);
    expect(attempts.slice(0, -1).every((l) => /POST → 429 \(429\)/.test(l))).toBe(true);
    expect(out).toContain('next: see the API\'s message; "callbridge retry --state failed --id metrics.5" sends it again');
    expect(out).toContain(`"participant_phone_number": "+46${failedNumber.slice(1)}"`);
    expect(out).toMatch(/^record:\n {2}\{\n {4}"externalId": "metrics\.5"/m);
  });

  it('callbridge inspect --json shows a delivered call: its creation answered 2xx with the conversation, then its confirmation', async () => {
    const { code, out } = await cli(scene, 'inspect', 'metrics.0', '--json');
    expect(code).toBe(0);
    const view = JSON.parse(out) as CallView;
    expect(view).toMatchObject({ externalId: 'metrics.0', state: 'confirmed', sourceId: 'asterisk', conversationId: expect.any(String), next: expect.stringMatching(/^nothing: Dstny has it as conversation /) });
    const created = view.history.filter((e) => e.kind === 'attempt' && e.outcome === '2xx');
    expect(created).toEqual([expect.objectContaining({ status: expect.any(Number), conversationId: view.conversationId })]);
    expect(created[0]!.status).toBeGreaterThanOrEqual(200);
    expect(created[0]!.status).toBeLessThan(300);
    const confirmation = view.history.find((e) => e.kind === 'webhook' || (e.kind === 'lookup' && e.outcome === 'found'));
    expect(confirmation).toMatchObject({ conversationId: view.conversationId });
    expect(Date.parse(confirmation!.at)).toBeGreaterThanOrEqual(Date.parse(created[0]!.at));
  });

  it('callbridge search finds calls by phone number, state and time, and says so when none matches', async () => {
    const byNumber = await cli(scene, 'search', failedNumber.replace(/^(\d{3})(\d{3})/, '$1-$2 '));
    expect(byNumber.code).toBe(0);
    expect(byNumber.out).toMatch(/^\S+Z {2}failed {3} {2}metrics\.5 /m);
    expect(byNumber.out).toContain('1 call(s)');
    const failed = await cli(scene, 'search', '--state', 'failed,skipped', '--json');
    expect((JSON.parse(failed.out) as Array<{ externalId: string }>).map((r) => r.externalId).sort()).toEqual(['metrics.5', 'metrics.6']);
    const recent = await cli(scene, 'search', 'metrics.', '--since', '1h', '--limit', '3');
    expect(recent.out).toContain('3 call(s) (the newest 3; --limit shows more)');
    expect((await cli(scene, 'search', '--until', '2000-01-01')).out).toBe('no call matches\n');
    const wrong = await cli(scene, 'search', '--since', 'yesterday');
    expect(wrong).toEqual({ code: 2, out: expect.stringContaining('--since "yesterday" is not a time: give how long ago (90m, 24h, 7d)') });
    const unknown = await cli(scene, 'inspect', 'metrics.99');
    expect(unknown).toEqual({ code: 1, out: 'no call with external id "metrics.99" in the ledger; `callbridge search TEXT` finds calls by number, email or time\n' });
  });

  it('the status page, in a real browser: calls delivered, the refused call and its reason, the sources; its call page; the pause appears by itself', async () => {
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const fromElsewhere: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(scene.bridge.url)) fromElsewhere.push(r.url());
      });
      await page.goto(`${scene.bridge.url}/?refresh=1`);
      expect(await page.locator('#headline').innerText()).toBe('Calls are flowing: 7 delivered in the last hour.');
      expect(await page.locator('#delivered-day').innerText()).toBe('7');
      expect(await page.locator('#trouble').innerText()).toBe('1');
      const refused = page.locator('#problems tbody tr');
      expect(await refused.count()).toBe(1);
      expect(await refused.innerText()).toMatch(/^failed\s+1\s+HTTP 422: call_recording_url: the recording URL answered HTTP 404.*\s+metrics\.5$/);
      expect(await page.locator('#sources').innerText()).toMatch(/^asterisk drop, asterisk-csv\s+running\s+<path>\/Master-2\.csv \d+ s ago\s*$/m);
      expect(await page.locator('#chart svg').getAttribute('aria-label')).toMatch(/^Calls per hour: 9 accepted, 7 sent, 7 confirmed, 1 failed in 24 h$/);
      // Readable on a phone: nothing wider than the screen but the tables' own scroll boxes.
      expect(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth')).toBe(true);
      const html = await page.content();
      for (const secret of [scene.emulator.token, scene.webhookSecret]) expect(html).not.toContain(secret);
      const folder = path.dirname(scene.dataDir);
      await page.screenshot({ path: path.join(folder, 'status-page.png'), fullPage: true });
      // A page with text in it (no fonts: invisible text, a screenshot of a few KB).
      expect(statSync(path.join(folder, 'status-page.png')).size).toBeGreaterThan(20_000);

      // Dstny answers 429 to everything for 8 s while a call waits: the page shows the pause at its next refresh.
      await page.evaluate("window.stayed = 'same page'");
      await scene.emulator.faults({ storm429Ms: 8_000 });
      dropFile(scene.spool, 'Master-3.csv', asteriskCalls({ count: 1, prefix: 'metrics', from: 9, recordingBase: scene.recordings.url }).csv);
      await page.locator('#headline', { hasText: /^Paused: Dstny asked to wait \(429\) until / }).waitFor({ timeout: 15_000 });
      expect(await page.locator('#submitter-state').innerText()).toMatch(/^paused/);
      expect(await page.evaluate('window.stayed')).toBe('same page');

      await page.getByRole('link', { name: 'metrics.5' }).first().click();
      await page.waitForURL(`${scene.bridge.url}/calls/metrics.5`);
      expect(await page.locator('h1').innerText()).toBe('Call metrics.5');
      expect(await page.locator('#call-state').innerText()).toBe('failed — not delivered: Dstny refused it, or every retry failed');
      expect(await page.locator('#history tbody tr').last().innerText()).toMatch(/POST → 422 \(4xx\) in \d+ ms: Dstny refused the request: HTTP 422/);
      expect(await page.locator('#next').innerText()).toBe('see the API\'s message; "callbridge retry --state failed --id metrics.5" sends it again');
      expect(await page.locator('#payload').innerText()).toContain('"call_external_id": "metrics.5"');
      await page.screenshot({ path: path.join(folder, 'call-page.png'), fullPage: true });

      await page.getByRole('searchbox', { name: 'Search calls' }).fill(failedNumber);
      await page.getByRole('button', { name: 'Search' }).first().click();
      await page.waitForURL(/\/calls\?q=/);
      expect(await page.locator('#results tbody tr').count()).toBe(1);
      expect(await page.locator('#results tbody tr').innerText()).toMatch(/metrics\.5\s+failed/);
      expect(fromElsewhere).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
