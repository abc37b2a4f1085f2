import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { describeLedger, ledgerFile, ledgerPlace } from '../ledger/open.js';
import { bridgePresence, processGoneLocally } from '../ledger/heartbeat.js';
import { LedgerBackupError, backupSqliteLedger, restoreSqliteLedger, vacuumSqliteLedger } from '../ledger/sqlite-backup.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { load, type Out } from './config-file.js';

const mb = (bytes: number) => `${(bytes / 1_048_576).toFixed(1)} MB`;

/** `callbridge backup FILE`: a consistent copy of the ledger, also while the bridge runs. */
export async function runBackup(configFile: string, out: Out, dest: string): Promise<number> {
  const loaded = load(configFile, out);
  if (typeof loaded === 'number') return loaded;
  if (inPostgres(loaded.config, out, 'backup')) return 2;
  const started = Date.now();
  try {
    const result = await backupSqliteLedger(ledgerFile(loaded.config), path.resolve(dest));
    out.write(`backed up ${result.calls} call(s) (ledger schema ${result.schema}) to ${result.file}: ${mb(result.bytes)} in ${((Date.now() - started) / 1_000).toFixed(1)} s\n`);
    return 0;
  } catch (error) {
    if (!(error instanceof LedgerBackupError)) throw error;
    out.write(`${error.message}\n`);
    return 1;
  }
}

/**
 * `callbridge restore FILE`: the backup replaces the ledger (kept beside it, never deleted), with the bridge stopped.
 * Calls that may have been sent after the backup was made are looked up at Dstny before they are sent again.
 */
export async function runRestore(configFile: string, out: Out, backup: string, now = Date.now()): Promise<number> {
  const loaded = load(configFile, out);
  if (typeof loaded === 'number') return loaded;
  if (inPostgres(loaded.config, out, 'restore')) return 2;
  const target = ledgerFile(loaded.config);
  const from = path.resolve(backup);
  if (!existsSync(from)) {
    out.write(`no backup at ${from}\n`);
    return 1;
  }
  if (await refusedWhileRunning(target, now, out, 'nothing was restored')) return 1;
  try {
    const result = await restoreSqliteLedger(from, target, now);
    if (result.replacedKeptAs) out.write(`the ledger it replaces is kept as ${result.replacedKeptAs}\n`);
    out.write(
      `restored ${result.calls} call(s) from ${from} to ${target}; ${result.inDoubt} on their way to Dstny are looked up there before they are sent, ` +
        'and so is every call that ended before now and is sent later (one the PBX input after the backup holds again): none is sent twice\n',
    );
    return 0;
  } catch (error) {
    if (!(error instanceof LedgerBackupError)) throw error;
    out.write(`${error.message}; nothing was restored\n`);
    return 1;
  }
}

/**
 * `callbridge vacuum`: the ledger rewritten without free pages, with the bridge stopped; from then on the space
 * retention frees goes back to the disk (a ledger created before retention only reuses it).
 */
export async function runVacuum(configFile: string, out: Out, now = Date.now()): Promise<number> {
  const loaded = load(configFile, out);
  if (typeof loaded === 'number') return loaded;
  if (inPostgres(loaded.config, out, 'vacuum')) return 2;
  const file = ledgerFile(loaded.config);
  if (!existsSync(file)) {
    out.write(`no ledger at ${file}: nothing to vacuum\n`);
    return 1;
  }
  if (await refusedWhileRunning(file, now, out, 'nothing was changed')) return 1;
  const started = Date.now();
  try {
    const result = vacuumSqliteLedger(file);
    out.write(
      `vacuumed the ledger ${file} (${result.calls} call(s)): ${mb(result.bytesBefore)} → ${mb(result.bytesAfter)} in ${((Date.now() - started) / 1_000).toFixed(1)} s; ` +
        'the space retention frees now goes back to the disk\n',
    );
    return 0;
  } catch (error) {
    if (!(error instanceof LedgerBackupError)) throw error;
    out.write(`${error.message}; the ledger is as it was\n`);
    return 1;
  }
}

/** backup, restore and vacuum work on the SQLite file: a ledger in PostgreSQL is kept safe by the database's own tools. */
function inPostgres(config: Config, out: Out, command: string): boolean {
  if (!config.ledger.url) return false;
  out.write(
    `the ledger is in PostgreSQL (${describeLedger(ledgerPlace(config))}): callbridge ${command} works on a SQLite ledger; back up and restore the database with pg_dump and pg_restore (or your server's backups), and leave vacuuming to its autovacuum\n`,
  );
  return true;
}

/** Says so, and is true, when a bridge runs on the ledger `file`: the command must leave it alone. */
async function refusedWhileRunning(file: string, now: number, out: Out, nothingDone: string): Promise<boolean> {
  const running = existsSync(file) ? await runningBridge(file, now) : null;
  if (running) out.write(`a bridge is running on the ledger ${file} (${running}): stop it first; ${nothingDone}\n`);
  return running !== null;
}

/** Who runs on the ledger, in words; null when no one (or when the ledger cannot be read: a damaged one has no bridge). */
async function runningBridge(file: string, now: number): Promise<string | null> {
  let ledger;
  try {
    ledger = await openSqliteLedger(file);
  } catch {
    return null;
  }
  try {
    const presence = bridgePresence(await ledger.heartbeats(), now, processGoneLocally);
    if (!presence.running) return null;
    const h = presence.heartbeat;
    return `pid ${h.pid} on ${h.host} since ${new Date(h.startedAt).toISOString()}`;
  } catch {
    return null;
  } finally {
    await ledger.close();
  }
}
