import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { runBackup, runRestore, runVacuum } from '../../src/cli/backup.js';
import { LedgerDamagedError, LedgerUnavailableError } from '../../src/errors.js';
import { migrations } from '../../src/ledger/migrations/index.js';
import { RESTORED_REASON, backupSqliteLedger, restoreSqliteLedger } from '../../src/ledger/sqlite-backup.js';
import { openSqliteLedger, type SqliteLedgerOptions } from '../../src/ledger/sqlite.js';
import { ThreadedSqliteLedger } from '../../src/ledger/sqlite-threaded.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { CliProcess } from '../e2e/support.js';
import { capture } from '../support/capture.js';
import { payloadFor, pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';

const LATEST = migrations[migrations.length - 1]!.version;

/** A ledger file as an older callbridge left it: the migrations up to `version`, and rows in that schema. */
function olderLedger(file: string, version: number): void {
  const db = new Database(file);
  for (const m of migrations.filter((m) => m.version <= version)) db.exec(m.sql);
  db.pragma(`user_version = ${version}`);
  const insert = db.prepare(
    `INSERT INTO calls (external_id, source_id, location, state, raw, payload, content_hash, reason, next_attempt_at, created_at, updated_at, submitted_at, confirmed_at, conversation_id)
     VALUES (?, 'pbx', ?, ?, '{}', ?, 'h', NULL, 1, 1, 1, ?, ?, ?)`,
  );
  insert.run('sent', 'Master.csv:1', 'confirmed', JSON.stringify(payloadFor('sent')), 1, 2, 'conv-1');
  insert.run('queued', 'Master.csv:2', 'pending', JSON.stringify(payloadFor('queued')), null, null, null);
  insert.run('skip', 'Master.csv:3', 'skipped', null, null, null, null);
  db.close();
}

/**
 * A ledger of `calls` pending calls whose calls table's root page is overwritten (what a bad disk sector leaves),
 * the schema intact so it still opens. Returns the file's bytes and the damaged page's.
 */
async function damagedCalls(file: string, calls: number): Promise<{ bytes: Buffer; page: Buffer }> {
  const ledger = await openSqliteLedger(file);
  await ledger.put(Array.from({ length: calls }, (_, i) => pendingRow(`c${i}`)));
  await ledger.close();
  const db = new Database(file, { readonly: true });
  const { rootpage } = db.prepare<[], { rootpage: number }>("SELECT rootpage FROM sqlite_master WHERE name = 'calls'").get()!;
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  db.close();
  const bytes = readFileSync(file);
  bytes.fill(0x5a, (rootpage - 1) * pageSize, rootpage * pageSize);
  writeFileSync(file, bytes);
  return { bytes, page: bytes.subarray((rootpage - 1) * pageSize, rootpage * pageSize) };
}

/** The two ways the ledger is opened: on the caller's thread (the commands), on its own (the running bridge). */
const OPENERS: Array<[string, (file: string, options?: Omit<SqliteLedgerOptions, 'trace'>) => Promise<Ledger>]> = [
  ["on the caller's thread", openSqliteLedger],
  ['on its own thread', (file, options) => ThreadedSqliteLedger.open(file, options)],
];

describe('backup and restore of the SQLite ledger', () => {
  it('backs up a ledger being written, whole and checked; never over an existing file', async () => {
    const { dir, cleanup } = tempDir('backup-');
    const file = path.join(dir, 'callbridge.sqlite');
    const ledger = await openSqliteLedger(file);
    try {
      await ledger.put(Array.from({ length: 500 }, (_, i) => pendingRow(`c${i}`)));
      // Writes go on while the copy is made: it holds the ledger at one moment.
      let writing = true;
      let written = 0;
      const writer = (async () => {
        while (writing) {
          await ledger.put([pendingRow(`w${written++}`)]);
          await new Promise((r) => setImmediate(r));
        }
      })();
      const result = await backupSqliteLedger(file, path.join(dir, 'copy.sqlite'));
      writing = false;
      await writer;
      expect(result).toMatchObject({ file: path.join(dir, 'copy.sqlite'), schema: LATEST });
      expect(result.calls).toBeGreaterThanOrEqual(500);
      const copy = new Database(path.join(dir, 'copy.sqlite'), { readonly: true });
      expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
      // Its counts per state agree with its rows: one consistent moment.
      const counted = copy.prepare("SELECT COUNT(*) AS n FROM calls WHERE state = 'pending'").get() as { n: number };
      const kept = copy.prepare("SELECT SUM(n) AS n FROM state_counts WHERE state = 'pending'").get() as { n: number };
      copy.close();
      expect(kept.n).toBe(counted.n);
      await expect(backupSqliteLedger(file, path.join(dir, 'copy.sqlite'))).rejects.toThrow(`${path.join(dir, 'copy.sqlite')} exists: name a new file (a backup never overwrites one)`);
      await expect(backupSqliteLedger(path.join(dir, 'none.sqlite'), path.join(dir, 'x.sqlite'))).rejects.toThrow(`no ledger at ${path.join(dir, 'none.sqlite')}: nothing to back up`);
      expect(readdirSync(dir).filter((f) => f.endsWith('.partial'))).toEqual([]);
    } finally {
      await ledger.close();
      cleanup();
    }
  });

  it('restores an older backup: migrated to this schema, calls on their way to verify, the replaced ledger kept', async () => {
    const { dir, cleanup } = tempDir('backup-');
    const backup = path.join(dir, 'old.sqlite');
    const target = path.join(dir, 'data', 'callbridge.sqlite');
    olderLedger(backup, 9);
    const current = await openSqliteLedger(target);
    await current.put([pendingRow('newer')]);
    await current.close();
    try {
      const now = Date.now();
      expect(await restoreSqliteLedger(backup, target, now)).toEqual({
        replacedKeptAs: `${target}.replaced-${new Date(now).toISOString().replace(/[:.]/g, '-')}`,
        calls: 3,
        inDoubt: 1,
      });
      const restored = await openSqliteLedger(target);
      try {
        expect(await restored.get('queued')).toMatchObject({ state: 'verify', reason: RESTORED_REASON });
        expect(await restored.get('sent')).toMatchObject({ state: 'confirmed', conversationId: 'conv-1' });
        expect((await restored.stats()).counts).toMatchObject({ verify: 1, confirmed: 1, skipped: 1 });
        expect(await restored.get('newer')).toBeNull();
        // A call that ended before the restore, put again (its PBX line read again), is looked up first; one that
        // ended after it cannot have been sent and waits for its turn.
        await restored.put([
          pendingRow('again', { payload: payloadFor('again', { call_start_time: '2026-11-20T06:00:00Z', call_end_time: '2026-11-20T06:05:00Z' }) }),
          pendingRow('fresh', { payload: payloadFor('fresh', { call_start_time: new Date(now + 60_000).toISOString(), call_end_time: new Date(now + 120_000).toISOString() }) }),
          pendingRow('wait', { state: 'held', payload: null }),
        ]);
        // In the triggers' words, the same as the restore's.
        expect(await restored.get('again')).toMatchObject({ state: 'verify', reason: RESTORED_REASON });
        expect((await restored.get('fresh'))?.state).toBe('pending');
        // Also when it gets to pending later (its recording appeared), but not from a look-up that found it absent.
        expect(await restored.update('wait', { state: 'pending', payload: payloadFor('wait') })).toBe(true);
        expect((await restored.get('wait'))?.state).toBe('verify');
        expect(await restored.update('wait', { state: 'pending' }, { states: ['verify'] })).toBe(true);
        expect((await restored.get('wait'))?.state).toBe('pending');
        const rows = await restored.query({});
        const counts = (await restored.stats()).counts;
        for (const state of ['verify', 'pending', 'confirmed', 'skipped', 'held'] as const) expect([state, counts[state]]).toEqual([state, rows.filter((r) => r.state === state).length]);
      } finally {
        await restored.close();
      }
      const replaced = await openSqliteLedger(`${target}.replaced-${new Date(now).toISOString().replace(/[:.]/g, '-')}`);
      expect((await replaced.get('newer'))?.state).toBe('pending');
      await replaced.close();
    } finally {
      cleanup();
    }
  });

  it('refuses a file that is not a whole ledger of this version, naming it, and changes nothing', async () => {
    const { dir, cleanup } = tempDir('backup-');
    const target = path.join(dir, 'callbridge.sqlite');
    try {
      const text = path.join(dir, 'notes.txt');
      writeFileSync(text, 'not a database at all, just some text that is long enough to fill a header of a hundred bytes or so.');
      await expect(restoreSqliteLedger(text, target, Date.now())).rejects.toThrow(`${text} is not a readable ledger: file is not a database`);
      const other = path.join(dir, 'other.sqlite');
      new Database(other).exec('CREATE TABLE t (x)');
      await expect(restoreSqliteLedger(other, target, Date.now())).rejects.toThrow(`${other} is not a callbridge ledger (it has no calls table)`);
      const future = path.join(dir, 'future.sqlite');
      olderLedger(future, LATEST);
      const db = new Database(future);
      db.pragma(`user_version = ${LATEST + 1}`);
      db.close();
      await expect(restoreSqliteLedger(future, target, Date.now())).rejects.toThrow(
        `${future} was written by a newer callbridge (ledger schema ${LATEST + 1}; this one knows up to ${LATEST}): restore it with that version`,
      );
      expect(existsSync(target)).toBe(false);
    } finally {
      cleanup();
    }
  });

  it.each(OPENERS)('a damaged ledger stops the bridge with the file and the restore command, and is never replaced by a fresh one (%s)', async (_, open) => {
    const { dir, cleanup } = tempDir('backup-');
    const file = path.join(dir, 'callbridge.sqlite');
    try {
      const ledger = await openSqliteLedger(file);
      await ledger.put(Array.from({ length: 200 }, (_, i) => pendingRow(`c${i}`)));
      await ledger.close();
      const bytes = readFileSync(file);
      // The schema page overwritten: what a torn write or a bad disk leaves.
      bytes.fill(0x5a, 100, 4_096);
      writeFileSync(file, bytes);
      const error = await open(file).catch((e: unknown) => e as Error);
      expect(error).toBeInstanceOf(LedgerDamagedError);
      expect(String((error as Error).message)).toMatch(
        new RegExp(`^the ledger ${file.replace(/[.\\/]/g, '\\$&')} is damaged \\(.+\\): restore the last backup with "callbridge restore <backup file>", which keeps the damaged file beside it; nothing was started$`),
      );
      expect(readFileSync(file).equals(bytes)).toBe(true);
    } finally {
      cleanup();
    }
  });

  it.each(OPENERS)('a page found damaged after the start: every read of it fails as damaged, naming the file and the restore command, told once (%s)', async (_, open) => {
    const { dir, cleanup } = tempDir('backup-');
    const file = path.join(dir, 'callbridge.sqlite');
    try {
      const { bytes } = await damagedCalls(file, 200);
      const told: Error[] = [];
      // The start reads only the schema: the damage is met later, by the first statement that reads a call.
      const ledger = await open(file, { onDamaged: (e) => told.push(e) });
      try {
        const first = await ledger.get('c1').catch((e: unknown) => e as Error);
        expect(first).toBeInstanceOf(LedgerDamagedError);
        // Still a LedgerUnavailableError: nothing is acknowledged, a hook answers 503 until the bridge is stopped.
        expect(first).toBeInstanceOf(LedgerUnavailableError);
        expect((first as Error).message).toMatch(
          new RegExp(`^the ledger ${file.replace(/[.\\/]/g, '\\$&')} is damaged \\(.+\\): restore the last backup with "callbridge restore <backup file>", which keeps the damaged file beside it$`),
        );
        await expect(ledger.put([pendingRow('new')])).rejects.toBeInstanceOf(LedgerDamagedError);
        expect(told).toEqual([first]);
      } finally {
        await ledger.close();
      }
      expect(readFileSync(file).equals(bytes)).toBe(true);
    } finally {
      cleanup();
    }
  });

  it('callbridge start on a ledger found damaged while running stops, says which file and how to restore it, and exits 2', async () => {
    const { dir, cleanup } = tempDir('backup-');
    const file = path.join(dir, 'data', 'callbridge.sqlite');
    mkdirSync(path.dirname(file));
    const config = path.join(dir, 'callbridge.yaml');
    writeFileSync(config, stringify({ dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sources: [] }));
    try {
      const { bytes, page } = await damagedCalls(file, 200);
      const bridge = new CliProcess('bridge', ['start', '--config', config]);
      try {
        // Its submitter's first look for due calls reads the damaged page.
        await bridge.waitForLine(/is damaged .*callbridge restore <backup file>.*; the bridge stops/, 30_000);
        expect(await bridge.exited).toEqual({ code: 2, signal: null });
        expect(bridge.tail(50)).toContain(`the ledger ${file} is damaged`);
      } finally {
        await bridge.kill();
      }
      // Its own writes (a heartbeat) are in the file; the damaged page is as it was, not replaced by an empty one.
      const after = readFileSync(file);
      expect(after.length).toBeGreaterThanOrEqual(bytes.length);
      expect(after.includes(page)).toBe(true);
    } finally {
      cleanup();
    }
  });

  it('callbridge vacuum makes a ledger from before retention give freed space back to the disk, every call kept', async () => {
    const { dir, cleanup } = tempDir('backup-');
    const config = path.join(dir, 'callbridge.yaml');
    writeFileSync(config, `dataDir: ${path.join(dir, 'data')}\n`);
    const file = path.join(dir, 'data', 'callbridge.sqlite');
    mkdirSync(path.dirname(file));
    try {
      // Made by a version before retention: auto_vacuum NONE.
      olderLedger(file, 9);
      let ledger = await openSqliteLedger(file);
      const long = 'x'.repeat(1_500);
      await ledger.put(Array.from({ length: 600 }, (_, i) => pendingRow(`c${i}`, { state: 'skipped', payload: null, reason: 'internal call', raw: { externalId: `c${i}`, legs: long } })));
      expect(await ledger.compact({ before: Date.now() + 1, limit: 1_000, now: Date.now() })).toBe(602);
      expect(await ledger.reclaim(10_000)).toBe(0);
      await ledger.close();
      const before = statSync(file).size;

      ledger = await openSqliteLedger(file);
      await ledger.beat({ id: 'me', host: hostname(), pid: process.pid, startedAt: Date.now(), beatAt: Date.now(), intervalMs: 5_000, version: 't', httpUrl: null });
      const refused = await capture((out) => runVacuum(config, out));
      expect(refused.code).toBe(1);
      expect(refused.text).toMatch(new RegExp(`^a bridge is running on the ledger ${file.replace(/[.\\/]/g, '\\$&')} \\(pid ${process.pid} on .+\\): stop it first; nothing was changed\n$`));
      await ledger.endHeartbeat('me', Date.now());
      await ledger.close();

      const elsewhere = path.join(dir, 'elsewhere.yaml');
      writeFileSync(elsewhere, `dataDir: ${path.join(dir, 'empty')}\n`);
      expect(await capture((out) => runVacuum(elsewhere, out))).toEqual({ code: 1, text: `no ledger at ${path.join(dir, 'empty', 'callbridge.sqlite')}: nothing to vacuum\n` });
      const vacuumed = await capture((out) => runVacuum(config, out));
      expect(vacuumed.code).toBe(0);
      expect(vacuumed.text).toMatch(new RegExp(`^vacuumed the ledger ${file.replace(/[.\\/]/g, '\\$&')} \\(603 call\\(s\\)\\): [\\d.]+ MB → [\\d.]+ MB in [\\d.]+ s; the space retention frees now goes back to the disk\n$`));
      expect(statSync(file).size).toBeLessThan(before / 2);
      expect(readdirSync(path.dirname(file)).filter((f) => f.includes('partial'))).toEqual([]);
      const db = new Database(file, { readonly: true });
      expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
      db.close();

      ledger = await openSqliteLedger(file);
      try {
        expect(await ledger.get('sent')).toMatchObject({ state: 'confirmed', conversationId: 'conv-1' });
        expect(await ledger.get('c7')).toMatchObject({ state: 'skipped', raw: null });
        expect(await ledger.put([pendingRow('c7', { state: 'skipped', payload: null, reason: 'internal call', raw: { externalId: 'c7', legs: long } })])).toEqual([{ externalId: 'c7', outcome: 'duplicate' }]);
        // Now what retention frees is given back.
        await ledger.put(Array.from({ length: 300 }, (_, i) => pendingRow(`n${i}`, { state: 'skipped', payload: null, reason: 'internal call', raw: { externalId: `n${i}`, legs: long } })));
        expect(await ledger.compact({ before: Date.now() + 1, limit: 1_000, now: Date.now() })).toBe(300);
        expect(await ledger.reclaim(10_000)).toBeGreaterThan(0);
      } finally {
        await ledger.close();
      }
    } finally {
      cleanup();
    }
  });

  it('callbridge restore refuses while a bridge runs on the ledger; backup and restore say what they did', async () => {
    const { dir, cleanup } = tempDir('backup-');
    const config = path.join(dir, 'callbridge.yaml');
    writeFileSync(config, `dataDir: ${path.join(dir, 'data')}\n`);
    const file = path.join(dir, 'data', 'callbridge.sqlite');
    const ledger = await openSqliteLedger(file);
    try {
      await ledger.put([pendingRow('a')]);
      await ledger.beat({ id: 'me', host: hostname(), pid: process.pid, startedAt: Date.now(), beatAt: Date.now(), intervalMs: 5_000, version: 't', httpUrl: null });
      const backedUp = await capture((out) => runBackup(config, out, path.join(dir, 'b.sqlite')));
      expect(backedUp.code).toBe(0);
      expect(backedUp.text).toMatch(/^backed up 1 call\(s\) \(ledger schema \d+\) to .*b\.sqlite: [\d.]+ MB in [\d.]+ s\n$/);
      const refused = await capture((out) => runRestore(config, out, path.join(dir, 'b.sqlite')));
      expect(refused.code).toBe(1);
      expect(refused.text).toMatch(new RegExp(`^a bridge is running on the ledger ${file.replace(/[.\\/]/g, '\\$&')} \\(pid ${process.pid} on .+\\): stop it first; nothing was restored\\n$`));
      await ledger.endHeartbeat('me', Date.now());
      const restored = await capture((out) => runRestore(config, out, path.join(dir, 'b.sqlite')));
      expect(restored.code).toBe(0);
      expect(restored.text).toContain(`restored 1 call(s) from ${path.join(dir, 'b.sqlite')} to ${file}; 1 on their way to Dstny are looked up there before they are sent`);
      const missing = await capture((out) => runRestore(config, out, path.join(dir, 'none.sqlite')));
      expect(missing).toEqual({ code: 1, text: `no backup at ${path.join(dir, 'none.sqlite')}\n` });
    } finally {
      await ledger.close();
      cleanup();
    }
  });
});
