/**
 * `callbridge import` run as an operator runs it, beside a running bridge (`callbridge start`) and the emulator
 * (separate processes): a dry run writes nothing; the backlog waits behind live calls and takes only its share of
 * the daily quota; running it again sends nothing twice; Ctrl-C keeps what was committed and the same command
 * finishes the job.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import type { StatusReport } from '../../src/status/report.js';
import { parseExposition, sample } from '../support/prometheus.js';
import { asteriskCalls, BridgeScene, CliProcess, waitUntil } from './support.js';

const DAY = 86_400_000;

describe('callbridge import beside a running bridge', () => {
  let scene: BridgeScene;
  let backlogFile: string;

  const run = async (...args: string[]) => {
    const cli = new CliProcess('import', ['import', ...args, '--config', scene.configFile]);
    const { code } = await cli.exited;
    return { code, out: cli.stdout, all: cli.tail(40) };
  };
  /** The ledger as the test reads it beside the bridge: read-only, never in the bridge's way. */
  const countRows = (prefix: string): number => {
    const db = new Database(scene.ledgerFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare<[string], { n: number }>("SELECT COUNT(*) AS n FROM calls WHERE external_id LIKE ? || '%'").get(prefix)!.n;
    } finally {
      db.close();
    }
  };
  const status = (): Promise<StatusReport> => scene.bridge.status();

  beforeAll(async () => {
    scene = await new BridgeScene('callbridge-import-').start({
      faults: { appearDelayMs: 200, ratePerSecond: 50 },
      // 2 requests a second; 24 conversations a day, of which the backlog may use half.
      overrides: { submit: { rateLimit: { perSecond: 2 }, dailyQuota: 24 }, import: { maxShareOfDailyQuota: 0.5 } },
    });
    const old = asteriskCalls({ count: 30, prefix: 'old', startWall: Date.UTC(2026, 9, 1, 8, 0, 0), recordingBase: scene.recordings.url });
    const lines = old.csv.trimEnd().split('\n');
    // One call between two extensions (skipped as internal) and one line the adapter cannot read.
    const internal = asteriskCalls({ count: 1, prefix: 'old-internal', startWall: Date.UTC(2026, 9, 1, 9, 0, 0), recordingBase: scene.recordings.url }).csv.trimEnd();
    lines.push(internal.replace(/"070\d{7}"/, '"202"').replace(/PJSIP\/telia-/, 'PJSIP/202-'), '"only","three","columns"');
    backlogFile = path.join(path.dirname(scene.dataDir), 'backlog-Master.csv');
    writeFileSync(backlogFile, `${lines.join('\n')}\n`);
  }, 60_000);

  afterAll(async () => {
    await scene?.stop();
  });

  it('--dry-run reads and counts everything and writes nothing', async () => {
    const dry = await run('--dry-run', backlogFile);
    expect(dry.code).toBe(0);
    expect(dry.out).toMatch(/^import \(dry run: nothing was written\): 1 file\(s\), [\d.]+ MB, 31 calls in [\d.]+ s$/m);
    expect(dry.out).toContain('  accepted    30 would be queued behind the live calls');
    expect(dry.out).toContain('  duplicates  0 (already in the ledger: not sent again)');
    expect(dry.out).toContain('  skipped     1: 1 internal');
    expect(dry.out).toMatch(/^ {2}unreadable {2}1 record\(s\): .*backlog-Master\.csv:32: expected 16 to 21 \(cdr_csv layout\) columns, got 3$/m);
    expect(countRows('')).toBe(0);
  });

  // Its waits alone may take 90 s on a loaded machine (30 s for the backlog to start, 60 s for the calls): the
  // default 30 s timeout could end it while they still ran (CI, beside the replicas e2e).
  it('puts the backlog behind the live calls and within its share of the daily quota, and says when it will be done', async () => {
    const imported = await run(backlogFile);
    expect(imported.code).toBe(0);
    expect(imported.out).toContain('  accepted    30 queued behind the live calls');
    expect(imported.out).toMatch(/^backlog: 30 imported call\(s\) to send, at most 12 a day after the live calls; done by \d{4}-\d{2}-\d{2}T/m);

    // Live calls arrive while the backlog is being sent.
    await waitUntil(async () => (await scene.emulator.conversations()).filter((c) => c.external_id.startsWith('old.')).length >= 3, { timeoutMs: 30_000, what: 'the backlog to start' });
    const live = scene.dropCalls('Master-live.csv', { count: 3, prefix: 'live' });
    const s = await waitUntil(async () => {
      const now = await status();
      return now.ledger.counts.confirmed === 15 ? now : null;
    }, { timeoutMs: 60_000, what: '12 imported and 3 live calls confirmed', describe: async () => JSON.stringify((await status()).ledger.counts) });

    // The backlog took its 12 (half of 24) and waits for tomorrow; the live calls were not held by it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const created = (await scene.emulator.conversations()).sort((a, b) => a.created_at - b.created_at);
    expect(created.filter((c) => c.external_id.startsWith('old.'))).toHaveLength(12);
    expect(created.filter((c) => c.external_id.startsWith('live.')).map((c) => c.external_id).sort()).toEqual([...live.ids].sort());
    // Each live call went out with at most the one imported request that was already on its way ahead of it.
    const db = new Database(scene.ledgerFile, { readonly: true, fileMustExist: true });
    try {
      for (const id of live.ids) {
        const taken = db.prepare<[string], { created_at: number }>('SELECT created_at FROM calls WHERE external_id = ?').get(id)!.created_at;
        const sentAt = created.find((c) => c.external_id === id)!.created_at;
        const overtaken = created.filter((c) => c.external_id.startsWith('old.') && c.created_at > taken && c.created_at < sentAt);
        expect(overtaken.length).toBeLessThanOrEqual(1);
      }
    } finally {
      db.close();
    }
    expect(s.quota).toMatchObject({ used: 15, limit: 24 });
    // The wait from hangup counts live calls only: an imported call ended weeks ago.
    const metrics = parseExposition(await (await fetch(`${scene.bridge.url}/metrics`)).text());
    expect(sample(metrics, 'callbridge_submissions_total', { outcome: '2xx' })).toBe(15);
    expect(sample(metrics, 'callbridge_hangup_to_submitted_seconds_count')).toBe(3);
    const backlog = (await status()).backlog!;
    expect(backlog).toMatchObject({ waiting: 18, perDay: 12 });
    // 18 left at 12 a day: the last go out the day after tomorrow (UTC).
    const dayStart = Math.floor(Date.now() / DAY) * DAY;
    expect(backlog.finishAt?.slice(0, 10)).toBe(new Date(dayStart + 2 * DAY).toISOString().slice(0, 10));
  }, 120_000);

  it('run again: every call is recognised, nothing is sent twice', async () => {
    const again = await run(backlogFile);
    expect(again.code).toBe(0);
    expect(again.out).toContain('  accepted    0 queued behind the live calls');
    expect(again.out).toContain('  duplicates  31 (already in the ledger: not sent again)');
    const stats = await scene.emulator.stats();
    expect(Object.values(stats.creationsByExternalId ?? {}).filter((n) => n !== 1)).toEqual([]);
  });

  it('Ctrl-C stops cleanly, keeps what was committed and says how to go on; the same command then finishes the job', async () => {
    const bulk = path.join(path.dirname(scene.dataDir), 'bulk-Master.csv');
    writeFileSync(bulk, asteriskCalls({ count: 40_000, prefix: 'bulk', startWall: Date.UTC(2026, 8, 1, 8, 0, 0), spacingMs: 1_000, recordingBase: scene.recordings.url }).csv);
    const cli = new CliProcess('import', ['import', bulk, '--config', scene.configFile]);
    await waitUntil(() => countRows('bulk.') > 0, { timeoutMs: 30_000, pollMs: 20, what: 'the first calls of the bulk file committed' });
    cli.proc.kill('SIGINT');
    const { code } = await cli.exited;
    expect(code).toBe(130);
    expect(cli.tail(5)).toContain('stopped by Ctrl-C: what was committed stays in the ledger and will be sent. To go on, run the same command again');
    const committed = countRows('bulk.');
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThan(40_000);

    const rest = await run(bulk);
    expect(rest.code).toBe(0);
    expect(rest.out).toContain(`  accepted    ${40_000 - committed} queued behind the live calls`);
    expect(rest.out).toContain(`  duplicates  ${committed} (already in the ledger: not sent again)`);
    expect(countRows('bulk.')).toBe(40_000);
  }, 120_000);
});
