import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from '@jest/globals';
import { LedgerUnavailableError } from '../../src/errors.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';
import { runLedgerConformance } from './conformance.js';

// As the running bridge opens it: checkpoints in their own thread, beside every statement of the suite.
runLedgerConformance('sqlite (real file)', async () => {
  const { dir, cleanup } = tempDir('ledger-');
  const file = path.join(dir, 'data', 'callbridge.sqlite');
  return { open: () => openSqliteLedger(file, { checkpointInBackground: true }), destroy: async () => cleanup() };
});

describe('SQLite ledger specifics', () => {
  it('uses WAL on a file under the data directory', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const file = path.join(dir, 'nested', 'callbridge.sqlite');
    const ledger = await openSqliteLedger(file);
    try {
      await ledger.put([pendingRow('w1')]);
      const mode = execFileSync(process.execPath, [
        '-e',
        `const D=require('better-sqlite3');const d=new D(${JSON.stringify(file)},{readonly:true});process.stdout.write(d.pragma('journal_mode',{simple:true}))`,
      ]).toString();
      expect(mode).toBe('wal');
    } finally {
      await ledger.close();
      cleanup();
    }
  });

  it('two ledgers on one file (two processes or replicas) never claim the same row', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const file = path.join(dir, 'callbridge.sqlite');
    const a = await openSqliteLedger(file);
    const b = await openSqliteLedger(file);
    try {
      await a.put(Array.from({ length: 200 }, (_, i) => pendingRow(`r${i}`)));
      const now = Date.now();
      const claimed: string[] = [];
      for (let round = 0; round < 20; round++) {
        const [x, y] = await Promise.all([
          a.claimDue({ now, limit: 7, owner: 'A', leaseMs: 60_000 }),
          b.claimDue({ now, limit: 7, owner: 'B', leaseMs: 60_000 }),
        ]);
        claimed.push(...x.map((r) => r.externalId), ...y.map((r) => r.externalId));
      }
      expect(claimed).toHaveLength(200);
      expect(new Set(claimed).size).toBe(200);
    } finally {
      await a.close();
      await b.close();
      cleanup();
    }
  });

  it('refuses to open a ledger where no file can be created, with the path in the error', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    try {
      const blocker = path.join(dir, 'not-a-dir');
      writeFileSync(blocker, 'a file where a folder should be');
      const file = path.join(blocker, 'data', 'ledger.sqlite');
      const error = await openSqliteLedger(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerUnavailableError);
      expect((error as Error).message).toContain(`cannot open ledger ${file}`);
    } finally {
      cleanup();
    }
  });

  it('runs every statement of a path taken on a schedule or per request through an index, never a scan of the calls or their history', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const file = path.join(dir, 'callbridge.sqlite');
    const statements = new Set<string>();
    const ledger = await openSqliteLedger(file, { trace: (sql) => statements.add(sql) });
    try {
      const now = Date.now();
      await ledger.put([pendingRow('a'), pendingRow('b', { lane: 'import' }), pendingRow('c', { state: 'held', payload: null })]);
      await ledger.put([pendingRow('c', { state: 'held', payload: null, raw: { externalId: 'c', note: 'newer' } })]);
      await ledger.update('a', { state: 'submitted', submittedAt: now, conversationId: 'conv-a', sendingAt: now }, { states: ['pending'], leaseOwner: 'w' });
      for (const lane of [undefined, 'live', 'import'] as const) await ledger.claimDue({ now, limit: 5, owner: 'w', leaseMs: 60_000, lane });
      await ledger.renewLeases('w', ['b'], now + 60_000);
      await ledger.recoverExpiredLeases(now);
      await ledger.get('a');
      await ledger.findByConversationId('conv-a');
      await ledger.stats();
      await ledger.countSubmittedSince(now - 86_400_000);
      await ledger.countSubmittedSince(now - 86_400_000, 'import');
      await ledger.countBacklog();
      await ledger.countConfirmedSince(now - 3_600_000);
      await ledger.hourly(now - 23 * 3_600_000, now);
      await ledger.addEvents([{ externalId: 'a', at: now, kind: 'attempt', outcome: '2xx', status: 201, message: null, conversationId: 'conv-a', durationMs: 5 }]);
      await ledger.events('a');
      await ledger.search({ limit: 50 });
      await ledger.search({ states: ['failed', 'rejected', 'missing', 'verify', 'held'], limit: 10 });
      await ledger.search({ since: now - 3_600_000, until: now, limit: 50 });
      await ledger.search({ states: ['confirmed', 'skipped'], since: now - 3_600_000, until: now, limit: 50 });
      await ledger.search({ states: ['held', 'pending'], limit: 50 });
      // What the reconciler, the renormalizer, the preparer and its sweeps, and the webhook receiver ask for.
      await ledger.query({ states: ['submitted'], before: now, limit: 100 });
      await ledger.query({ states: ['verify'], limit: 100 });
      await ledger.query({ states: ['held'], dueBy: now, limit: 100 });
      await ledger.query({ states: ['prepare'], dueBy: now, limit: 100 });
      await ledger.query({ uploadKeptConfirmedBefore: now, limit: 100 });
      await ledger.query({ recordingFileConfirmedBefore: now, limit: 100 });
      await ledger.query({ conversationIds: ['conv-a'] });
      await ledger.compact({ before: now, limit: 200, now });
      await ledger.forget({ before: now, limit: 200 });
      await ledger.reclaim(64);
      await ledger.stash([{ sourceId: 's', groupKey: 'g', leg: { n: 1 } }], { checkpoints: [{ key: 'k', value: '1' }] });
      await ledger.quietGroups('s', now + 1_000);
      await ledger.stashedGroups('s', ['g']);
      await ledger.getCheckpoint('k');
      await ledger.beat({ id: 'me', host: 'h', pid: 1, startedAt: now, beatAt: now, intervalMs: 1_000, version: 't', httpUrl: null });
      await ledger.heartbeats();
      await ledger.ping();
      const plans = new Map<string, string[]>();
      const db = new Database(file, { readonly: true });
      try {
        for (const sql of statements) {
          if (!/^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i.test(sql)) continue;
          plans.set(sql.replace(/\s+/g, ' ').trim(), db.prepare<[], { detail: string }>(`EXPLAIN QUERY PLAN ${sql}`).all().map((r) => r.detail));
        }
      } finally {
        db.close();
      }
      if (process.env.SHOW_PLANS) for (const [sql, plan] of plans) console.log(`${sql.slice(0, 160)}\n  ${plan.join("\n  ")}`);
      expect(plans.size).toBeGreaterThan(30);
      const scans = [...plans].filter(([, plan]) => plan.some((step) => /^SCAN (calls|events)\b(?! USING)/.test(step)));
      expect(scans).toEqual([]);
      // Where another index would also serve but read every call of a kind ever kept (every confirmed, every failed).
      const indexOf = (fragment: RegExp) => [...plans].filter(([sql]) => fragment.test(sql)).map(([, plan]) => plan.find((step) => / calls USING (COVERING )?INDEX /.test(step)));
      expect(indexOf(/upload_key IS NOT NULL/)).toEqual([expect.stringContaining('USING INDEX calls_upload_kept ')]);
      expect(indexOf(/recording_file IS NOT NULL/)).toEqual([expect.stringContaining('USING INDEX calls_recording_file ')]);
      expect(indexOf(/state = 'failed' GROUP BY hour/)).toEqual([expect.stringContaining('USING INDEX calls_trouble ')]);
      expect(indexOf(/UNION ALL SELECT \* FROM \(SELECT \* FROM calls/)).toEqual([
        expect.stringContaining('USING INDEX calls_state_created (state=?)'),
        expect.stringContaining('USING INDEX calls_created (created_at>? AND created_at<?)'),
        expect.stringContaining('USING INDEX calls_lane_due (state=?)'),
      ]);
      expect(indexOf(/compacted_at IS NOT NULL AND updated_at </)).toEqual([expect.stringContaining('USING INDEX calls_compacted ')]);
    } finally {
      await ledger.close();
      cleanup();
    }
  });

  it('keeps its counts per state true across a crash in the middle of writing (SIGKILL), as the triggers commit with each change', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const file = path.join(dir, 'callbridge.sqlite');
    try {
      for (const afterRounds of [3, 17, 40]) {
        const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/support/ledger-churn-child.ts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        let rounds = 0;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('the churning child did not get going within 20 s')), 20_000);
          child.stdout.on('data', (chunk: Buffer) => {
            rounds += chunk.toString().split('\n').filter(Boolean).length;
            if (rounds >= afterRounds) {
              clearTimeout(timer);
              resolve();
            }
          });
        }).finally(() => child.kill('SIGKILL'));
        await exited;
        const ledger = await openSqliteLedger(file);
        try {
          const counts = (await ledger.stats()).counts;
          const db = new Database(file, { readonly: true });
          const counted = Object.fromEntries(Object.keys(counts).map((state) => [state, 0]));
          for (const { state, n } of db.prepare<[], { state: string; n: number }>('SELECT state, COUNT(*) AS n FROM calls GROUP BY state').all()) counted[state] = n;
          db.close();
          expect({ afterRounds, counts }).toEqual({ afterRounds, counts: counted });
          expect(counts.confirmed + counts.skipped + counts.pending).toBeGreaterThan(0);
        } finally {
          await ledger.close();
        }
      }
    } finally {
      cleanup();
    }
  }, 60_000);
});
