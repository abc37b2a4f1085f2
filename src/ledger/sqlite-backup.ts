import { existsSync, renameSync, rmSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CallbridgeError } from '../errors.js';
import { migrations } from './migrations/index.js';
import { openSqliteLedger } from './sqlite.js';

/** A backup or restore that cannot be made; the message names the file and what to do. */
export class LedgerBackupError extends CallbridgeError {}

export interface BackupResult {
  file: string;
  bytes: number;
  calls: number;
  schema: number;
}

/** Why a call waits for a look-up after a restore; migration 10's triggers give the calls they move the same. */
export const RESTORED_REASON = 'the ledger was restored from a backup: looked up at Dstny before it is sent';

const LATEST_SCHEMA = migrations[migrations.length - 1]!.version;

/**
 * A consistent copy of a ledger while a bridge may be writing it: SQLite's online backup, all pages in one step (one
 * read transaction: the copy is the ledger at one moment, and the bridge's writes go on beside it through the WAL).
 * Written next to `dest` first and renamed when whole and checked, so a failed backup never leaves a file that looks
 * like one. Never overwrites.
 */
export async function backupSqliteLedger(source: string, dest: string): Promise<BackupResult> {
  if (!existsSync(source)) throw new LedgerBackupError(`no ledger at ${source}: nothing to back up`);
  if (existsSync(dest)) throw new LedgerBackupError(`${dest} exists: name a new file (a backup never overwrites one)`);
  const partial = `${dest}.partial`;
  rmSync(partial, { force: true });
  const db = new Database(source, { readonly: true, fileMustExist: true });
  try {
    await db.backup(partial, { progress: () => 0x7fffffff });
  } catch (error) {
    rmSync(partial, { force: true });
    throw new LedgerBackupError(`cannot write the backup ${dest}: ${(error as Error).message}`, { cause: error });
  } finally {
    db.close();
  }
  try {
    const facts = checkLedgerFile(partial, dest);
    renameSync(partial, dest);
    return { file: dest, bytes: statSync(dest).size, ...facts };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/**
 * Is `file` a whole callbridge ledger this version can open? Its calls and schema version, or a LedgerBackupError
 * naming `shownAs`.
 */
export function checkLedgerFile(file: string, shownAs = file): { calls: number; schema: number } {
  let db: Database.Database;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw new LedgerBackupError(`cannot open ${shownAs}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const integrity = db.pragma('quick_check(1)', { simple: true });
    if (integrity !== 'ok') throw new LedgerBackupError(`${shownAs} is damaged (SQLite quick_check: ${String(integrity)})`);
    const schema = db.pragma('user_version', { simple: true }) as number;
    const hasCalls = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'calls'").get();
    if (!hasCalls || schema < 1) throw new LedgerBackupError(`${shownAs} is not a callbridge ledger (it has no calls table)`);
    if (schema > LATEST_SCHEMA) {
      throw new LedgerBackupError(`${shownAs} was written by a newer callbridge (ledger schema ${schema}; this one knows up to ${LATEST_SCHEMA}): restore it with that version`);
    }
    const calls = (db.prepare('SELECT COUNT(*) AS n FROM calls').get() as { n: number }).n;
    return { calls, schema };
  } catch (error) {
    if (error instanceof LedgerBackupError) throw error;
    throw new LedgerBackupError(`${shownAs} is not a readable ledger: ${(error as Error).message}`, { cause: error });
  } finally {
    db.close();
  }
}

export interface VacuumResult {
  bytesBefore: number;
  bytesAfter: number;
  calls: number;
}

const bytesOf = (file: string) => ['', '-wal'].reduce((sum, suffix) => sum + (existsSync(file + suffix) ? statSync(file + suffix).size : 0), 0);

/**
 * Rewrite the ledger `file` (no bridge may be running on it: the caller checks) into a new file without free pages,
 * created with incremental auto-vacuum: a ledger made before retention existed reuses the pages it frees but never
 * gives them back to the disk; after this, reclaim() does. The copy is written beside it, checked, and renamed over
 * it, so a failure (a full disk) leaves the ledger as it was. Needs free space for the copy.
 */
export function vacuumSqliteLedger(file: string): VacuumResult {
  const bytesBefore = bytesOf(file);
  const partial = `${file}.vacuum-partial`;
  rmSync(partial, { force: true });
  const db = new Database(file, { fileMustExist: true });
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    // Takes effect in the copy VACUUM INTO writes (the file itself keeps its setting).
    db.pragma('auto_vacuum = INCREMENTAL');
    db.exec(`VACUUM INTO '${partial.replace(/'/g, "''")}'`);
  } catch (error) {
    rmSync(partial, { force: true });
    throw new LedgerBackupError(`cannot write the new ledger ${partial}: ${(error as Error).message}`, { cause: error });
  } finally {
    db.close();
  }
  try {
    const { calls } = checkLedgerFile(partial);
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    renameSync(partial, file);
    return { bytesBefore, bytesAfter: bytesOf(file), calls };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

export interface RestoreResult {
  /** Where the ledger that was replaced went (nothing is deleted); null when there was none. */
  replacedKeptAs: string | null;
  calls: number;
  /** Calls that were on their way (pending, submitting): now verify, looked up at Dstny before they are sent. */
  inDoubt: number;
}

/**
 * Put a backup in place of the ledger `target` (no bridge may be running on it: the caller checks). The replaced
 * ledger is checkpointed and kept beside it as `<target>.replaced-<time>`. The restored copy is migrated to this
 * version's schema and marked restored at `now`: every call it holds on its way to Dstny (pending, submitting) goes
 * to verify, and any call that ended before `now` and is about to be sent later (put again by a source re-reading
 * what came after the backup, prepared, retried) is looked up first (migration 10's triggers). Nothing is sent twice.
 */
export async function restoreSqliteLedger(backup: string, target: string, now: number): Promise<RestoreResult> {
  const { calls } = checkLedgerFile(backup);
  let replacedKeptAs: string | null = null;
  if (existsSync(target)) {
    const old = new Database(target);
    try {
      old.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      old.close();
    }
    replacedKeptAs = `${target}.replaced-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(target, replacedKeptAs);
    for (const suffix of ['-wal', '-shm']) rmSync(`${target}${suffix}`, { force: true });
  }
  const source = new Database(backup, { readonly: true, fileMustExist: true });
  try {
    // Synchronous copy of a file no one writes: one step.
    source.exec(`VACUUM INTO '${target.replace(/'/g, "''")}'`);
  } finally {
    source.close();
  }
  // Opened once as the bridge opens it: an older backup's schema is migrated now.
  await (await openSqliteLedger(target)).close();
  const db = new Database(target);
  try {
    const inDoubt = db.transaction(() => {
      db.prepare("INSERT INTO meta (key, value) VALUES ('restored_at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(String(now));
      return db
        .prepare(
          `UPDATE calls SET state = 'verify', lease_owner = NULL, lease_until = NULL, sending_at = NULL, next_attempt_at = ?, updated_at = ?,
             reason = ?
           WHERE state IN ('pending', 'submitting') AND payload IS NOT NULL`,
        )
        .run(now, now, RESTORED_REASON).changes;
    })();
    return { replacedKeptAs, calls, inDoubt };
  } finally {
    db.close();
  }
}
