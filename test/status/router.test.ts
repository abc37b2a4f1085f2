/**
 * GET /status over real HTTP, from a real ledger: reasons and source problems carry no absolute path (anyone who
 * can reach the port reads them); /metrics still counts the same rows.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../src/http/app.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { type StatusReport, statusReport } from '../../src/status/report.js';
import { createStatusRouter } from '../../src/status/router.js';
import { BridgeMetrics } from '../../src/status/metrics.js';
import { quotaToday } from '../../src/status/quota.js';
import { pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';
import { RecordingLinks } from '../../src/recordings/links.js';

const RECORDING = '/var/spool/asterisk/monitor/2024/01/02/out-0701234567-201-1704189600.1.wav';
const WINDOWS = 'C:\\Program Files\\3CX Phone System\\Instance1\\Data\\Recordings\\201\\call-7.wav';
const FOLDER = '/var/spool/asterisk/cdr-csv';

describe('GET /status', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ledger: Ledger;
  let server: RunningHttpServer;

  beforeEach(async () => {
    tmp = tempDir('callbridge-status-');
    ledger = await openSqliteLedger(`${tmp.dir}/callbridge.sqlite`);
    await ledger.put([pendingRow('call-1'), pendingRow('call-2'), pendingRow('call-3')]);
    await ledger.update('call-1', { state: 'rejected', reason: `recording ${RECORDING} not found 30 min after the call ended` });
    await ledger.update('call-2', { state: 'failed', reason: `HTTP 422: call_recording_url file://${RECORDING} is not an http(s) URL` });
    await ledger.update('call-3', { state: 'rejected', reason: `recording ${WINDOWS} is outside recordings.roots (C:\\Recordings, /srv/rec)` });
    await ledger.put([pendingRow('call-4', { nextAttemptAt: Date.now() - 60_000 })]);
    // As the runtime builds it: the ledger's stats and the sources' last problems, unchanged.
    const report = async (): Promise<StatusReport> =>
      statusReport({
        version: 'test',
        mode: 'live',
        apiBaseUrl: 'https://api.example.com',
        ledger: await ledger.stats(),
        submitter: null,
        api: null,
        quota: await quotaToday(ledger, 0, Date.now()),
        sources: [{ id: 'pbx', type: 'drop', adapter: 'asterisk-csv', running: false, lastProblem: `drop folder ${FOLDER} cannot be read: EACCES` }],
      });
    const app = createHttpApp({
      sources: [],
      ingestor: { ingestLegs: () => Promise.reject(new Error('unused')) },
      ledger,
      recordings: { links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1', secret: 'recording-secret-0123456789', ttlHours: 72 }), roots: [] },
      readiness: {},
      extraRouters: [createStatusRouter(report, new BridgeMetrics('test'), ledger)],
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await server.close(100);
    await ledger.close();
    tmp.cleanup();
  });

  it('shows the last errors and source problems with their paths cut to the file name', async () => {
    // The ledger itself keeps the whole reason (callbridge status on the host shows it).
    expect((await ledger.get('call-1'))?.reason).toContain(RECORDING);

    const res = await fetch(`${server.url}/status`);
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secretish of ['/var/spool', 'asterisk/monitor', 'Program Files', 'Instance1', 'C:\\', '/srv/rec', 'cdr-csv/']) expect(text).not.toContain(secretish);

    const body = JSON.parse(text) as StatusReport;
    const reasons = Object.fromEntries(body.ledger.lastErrors.map((e) => [e.externalId, e.reason]));
    expect(reasons).toEqual({
      'call-1': 'recording <path>/out-0701234567-201-1704189600.1.wav not found 30 min after the call ended',
      'call-2': 'HTTP 422: call_recording_url <path>/out-0701234567-201-1704189600.1.wav is not an http(s) URL',
      'call-3': 'recording <path>/call-7.wav is outside recordings.roots (<path>/Recordings, <path>/rec)',
    });
    expect(body.sources).toEqual([{ id: 'pbx', type: 'drop', adapter: 'asterisk-csv', running: false, lastProblem: 'drop folder <path>/cdr-csv cannot be read: EACCES' }]);
    // Everything else is as the report had it.
    expect(body.ledger.counts).toMatchObject({ rejected: 2, failed: 1 });
    expect(body.apiBaseUrl).toBe('https://api.example.com');
  });

  it('shows every time as ISO 8601 UTC: the last errors and the oldest due row', async () => {
    const body = (await (await fetch(`${server.url}/status`)).json()) as StatusReport;
    const row = await ledger.get('call-2');
    expect(body.ledger.lastErrors.find((e) => e.externalId === 'call-2')?.updatedAt).toBe(new Date(row!.updatedAt).toISOString());
    const due = await ledger.get('call-4');
    expect(body.ledger.oldestDue).toEqual({ externalId: 'call-4', state: 'pending', nextAttemptAt: new Date(due!.nextAttemptAt).toISOString() });
  });

  it('/metrics still answers from the same report', async () => {
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/callbridge_rows\{state="rejected"\} 2/);
    // The oldest due row (call-4) has waited about a minute: the gauge reads the ISO time, not NaN.
    const waited = Number(/^callbridge_oldest_due_seconds (\S+)$/m.exec(text)?.[1]);
    expect(waited).toBeGreaterThanOrEqual(59);
    expect(waited).toBeLessThan(120);
    expect(text).not.toContain('/var/spool');
  });

  it('serves the status page to a browser at / and at /status asked for as HTML; scripts and curl still get JSON at /status', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    const text = await page.text();
    expect(text).toContain('<main data-refresh="/?part=main" data-every="10000">');
    expect(text).toContain('<link rel="stylesheet" href="/ui/app.css">');
    for (const secretish of ['/var/spool', 'Program Files', 'cdr-csv/']) expect(text).not.toContain(secretish);
    const asHtml = await fetch(`${server.url}/status`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(asHtml.headers.get('content-type')).toMatch(/^text\/html/);
    for (const accept of ['*/*', 'application/json']) {
      const json = await fetch(`${server.url}/status`, { headers: { accept } });
      expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    }
    // The part the page refreshes: the main content only, no page around it.
    const part = await (await fetch(`${server.url}/?part=main`)).text();
    expect(part).toMatch(/^<div class="headline /);
    expect(part).not.toContain('<html');
    const script = await fetch(`${server.url}/ui/app.js`);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(await script.text()).toContain("getAttribute('data-refresh')");
  });

  it("a call's page, and the search: an unknown id is 404 showing calls that match it; a time that is not one is 400 saying why", async () => {
    const call = await fetch(`${server.url}/calls/call-2`);
    expect(call.status).toBe(200);
    expect(await call.text()).toContain('<h1>Call call-2</h1>');
    const unknown = await fetch(`${server.url}/calls/call`);
    expect(unknown.status).toBe(404);
    const listed = await unknown.text();
    expect(listed).toContain('No call with external id &#34;call&#34;. Calls that match it:');
    expect(listed.match(/<a href="\/calls\/call-\d">/g)?.sort()).toEqual(['<a href="/calls/call-1">', '<a href="/calls/call-2">', '<a href="/calls/call-3">', '<a href="/calls/call-4">']);
    const failed = await (await fetch(`${server.url}/calls?state=failed`)).text();
    expect(failed.match(/<a href="\/calls\/[^"]+">/g)).toEqual(['<a href="/calls/call-2">']);
    const bad = await fetch(`${server.url}/calls?since=yesterday`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('taken since &#34;yesterday&#34; is not a time');
  });
});
