import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { validateConfig } from '../../src/config/load.js';
import { RetentionSweeper } from '../../src/ledger/retention.js';
import { openSqliteLedger, type SqliteLedger, type SqliteLedgerOptions } from '../../src/ledger/sqlite.js';
import { configProblems } from '../config/support.js';
import { waitFor } from '../sources/support.js';
import { pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';

const DAY = 86_400_000;

/** A real ledger file with `confirmed` confirmed calls (each with a long record and payload), 5 skipped and 3 failed. */
async function ledgerWithAYear(confirmed: number, options?: SqliteLedgerOptions): Promise<{ ledger: SqliteLedger; file: string; cleanup: () => void }> {
  const { dir, cleanup } = tempDir('retention-');
  const file = path.join(dir, 'callbridge.sqlite');
  const ledger = await openSqliteLedger(file, options);
  const long = 'x'.repeat(1_500);
  await ledger.put(Array.from({ length: confirmed }, (_, i) => pendingRow(`c${i}`, { raw: { externalId: `c${i}`, legs: long } })));
  const now = Date.now();
  for (let i = 0; i < confirmed; i++) await ledger.update(`c${i}`, { state: 'confirmed', conversationId: `conv-${i}`, submittedAt: now, confirmedAt: now });
  await ledger.put(Array.from({ length: 5 }, (_, i) => pendingRow(`s${i}`, { state: 'skipped', payload: null, reason: 'unanswered' })));
  await ledger.put(Array.from({ length: 3 }, (_, i) => pendingRow(`f${i}`)));
  for (let i = 0; i < 3; i++) await ledger.update(`f${i}`, { state: 'failed', reason: 'HTTP 422: owner_email is not a user' });
  return { ledger, file, cleanup };
}

describe('ledger.retention', () => {
  it('keeps detail 90 days and every id by default; keepIdsDays must be longer than keepDetailDays', () => {
    expect(validateConfig({}).ledger.retention).toEqual({ keepDetailDays: 90, keepIdsDays: null });
    expect(validateConfig({ ledger: { retention: { keepDetailDays: null } } }).ledger.retention.keepDetailDays).toBeNull();
    expect(configProblems({ ledger: { retention: { keepDetailDays: 90, keepIdsDays: 30 } } })).toEqual([
      'ledger.retention.keepIdsDays: only compacted calls are deleted, so keepIdsDays must be longer than keepDetailDays; e.g. keepDetailDays: 90, keepIdsDays: 730',
    ]);
    expect(configProblems({ ledger: { retention: { keepDetailDays: null, keepIdsDays: 30 } } })[0]).toMatch(/^ledger\.retention\.keepIdsDays: only compacted calls/);
    expect(configProblems({ ledger: { retention: { keepDetailDays: 0 } } })[0]).toMatch(/^ledger\.retention\.keepDetailDays: /);
  });

  it('compacts confirmed and skipped calls once older than keepDetailDays, deletes them after keepIdsDays, and gives the space back', async () => {
    const { ledger, file, cleanup } = await ledgerWithAYear(600);
    try {
      let now = Date.now() + 89 * DAY;
      const sweeper = new RetentionSweeper(ledger, { keepDetailDays: 90, keepIdsDays: 730 }, { now: () => now, batch: 50 });
      expect(await sweeper.sweep()).toEqual({ compacted: 0, deleted: 0, reclaimedPages: 0 });
      const sizeBefore = statSync(file).size;
      now = Date.now() + 91 * DAY;
      const swept = await sweeper.sweep();
      expect(swept).toMatchObject({ compacted: 605, deleted: 0 });
      expect(swept.reclaimedPages).toBeGreaterThan(0);
      // A checkpoint of the WAL puts the freed pages' absence into the file itself.
      await ledger.close();
      const reopened = await openSqliteLedger(file);
      expect(statSync(file).size).toBeLessThan(sizeBefore / 2);
      expect(await reopened.get('c7')).toMatchObject({ state: 'confirmed', conversationId: 'conv-7', raw: null, payload: null });
      expect((await reopened.get('f1'))?.raw).toEqual({ externalId: 'f1', note: 'raw record' });
      expect(await reopened.put([pendingRow('c7', { raw: { externalId: 'c7', legs: 'x'.repeat(1_500) } })])).toEqual([{ externalId: 'c7', outcome: 'duplicate' }]);
      const later = new RetentionSweeper(reopened, { keepDetailDays: 90, keepIdsDays: 730 }, { now: () => Date.now() + 731 * DAY, batch: 50 });
      expect(await later.sweep()).toMatchObject({ compacted: 0, deleted: 605 });
      expect((await reopened.stats()).counts).toMatchObject({ confirmed: 0, skipped: 0, failed: 3 });
      await reopened.close();
    } finally {
      cleanup();
    }
  });

  it('keeps the write-ahead log short: the checkpoint thread copies it between batches, so no commit has to', async () => {
    /** The longest the log grew, in pages (its file keeps its largest size), during one sweep of 2,005 calls. */
    const longestLog = async (checkpointInBackground: boolean) => {
      const { ledger, file, cleanup } = await ledgerWithAYear(2_000, { checkpointInBackground });
      try {
        // The log emptied before the sweep, so its size after is the sweep's own. A checkpoint thread busy at that
        // moment (a loaded machine) makes TRUNCATE give up without an error: it is tried until it is done.
        const truncate = new Database(file);
        const truncated = () => {
          try {
            return (truncate.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>)[0]!.busy === 0;
          } catch {
            return false;
          }
        };
        for (let tries = 0; !truncated() && tries < 100; tries++) await new Promise((resolve) => setTimeout(resolve, 50));
        truncate.close();
        expect(statSync(`${file}-wal`).size).toBe(0);
        const sweeper = new RetentionSweeper(ledger, { keepDetailDays: 1, keepIdsDays: null }, { now: () => Date.now() + 2 * DAY });
        expect((await sweeper.sweep()).compacted).toBe(2_005);
        return statSync(`${file}-wal`).size / 4_096;
      } finally {
        await ledger.close();
        cleanup();
      }
    };
    const [thread, sqliteOwn] = [await longestLog(true), await longestLog(false)];
    // Without the thread, the log reaches the 1,000 pages at which SQLite checkpoints inside a commit.
    expect(sqliteOwn).toBeGreaterThan(1_000);
    // With it, the sweep waits for a checkpoint every ten batches, and the log starts over after each.
    expect(thread).toBeLessThan(600);
  });

  it('lets the event loop run between batches: a hook is answered while a sweep goes on', async () => {
    const { ledger, cleanup } = await ledgerWithAYear(400);
    try {
      const sweeper = new RetentionSweeper(ledger, { keepDetailDays: 1, keepIdsDays: null }, { now: () => Date.now() + 2 * DAY, batch: 20 });
      let turns = 0;
      const sweeping = sweeper.sweep();
      // What a hook post does while the sweep runs: a put of its own, answered before the sweep ends.
      const hook = (async () => {
        while (turns < 5) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          turns++;
        }
        return ledger.put([pendingRow('hook-1')]);
      })();
      const [swept, put] = await Promise.all([sweeping, hook]);
      expect(put).toEqual([{ externalId: 'hook-1', outcome: 'inserted' }]);
      expect(swept.compacted).toBe(405);
      expect(turns).toBe(5);
    } finally {
      await ledger.close();
      cleanup();
    }
  });

  it('sweeps soon after its start and then on its interval; stop waits for the batch in progress and ends the schedule', async () => {
    const { ledger, cleanup } = await ledgerWithAYear(30);
    try {
      let now = Date.now() + 2 * DAY;
      const sweeper = new RetentionSweeper(ledger, { keepDetailDays: 1, keepIdsDays: null }, { now: () => now, firstAfterMs: 10, everyMs: 40 });
      sweeper.start();
      const compacted = async (id: string) => (await ledger.get(id))?.compactedAt !== null;
      await waitFor('the first sweep', () => compacted('c0'), 5_000, 10);
      expect((await ledger.get('c29'))?.compactedAt).not.toBeNull();
      // A call confirmed after the first sweep is compacted by a later one.
      await ledger.put([pendingRow('late')]);
      await ledger.update('late', { state: 'confirmed' });
      now += 2 * DAY;
      await waitFor('a later sweep', () => compacted('late'), 5_000, 10);
      expect((await ledger.get('late'))?.compactedAt).not.toBeNull();
      await sweeper.stop();
      await ledger.put([pendingRow('after-stop')]);
      await ledger.update('after-stop', { state: 'confirmed' });
      now += 2 * DAY;
      await new Promise((r) => setTimeout(r, 150));
      expect((await ledger.get('after-stop'))?.compactedAt).toBeNull();
    } finally {
      await ledger.close();
      cleanup();
    }
  });

  it('does nothing with keepDetailDays: null', async () => {
    const { ledger, cleanup } = await ledgerWithAYear(10);
    try {
      const sweeper = new RetentionSweeper(ledger, { keepDetailDays: null, keepIdsDays: null }, { now: () => Date.now() + 3_650 * DAY });
      expect(sweeper.enabled).toBe(false);
      expect(await sweeper.sweep()).toEqual({ compacted: 0, deleted: 0, reclaimedPages: 0 });
      expect((await ledger.get('c3'))?.compactedAt).toBeNull();
    } finally {
      await ledger.close();
      cleanup();
    }
  });
});
