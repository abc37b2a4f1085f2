import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import type { LedgerConfig, LedgerPlace } from './config.js';
import type { Ledger } from './ledger.js';
import { LocalLocks, type Locks } from './locks.js';
import { PostgresLocks } from './postgres-locks.js';
import { describePostgresUrl, LEDGER_SCHEMA, PostgresPool } from './postgres-pool.js';
import { PostgresLedger } from './postgres.js';
import { openSqliteLedger, type SqliteLedgerOptions } from './sqlite.js';
import { ThreadedSqliteLedger } from './sqlite-threaded.js';

/** Where a configuration's ledger is: PostgreSQL when it has a url, else its SQLite file. */
export function ledgerPlace(config: LedgerOf): LedgerPlace {
  return config.ledger.url ? { kind: 'postgres', url: config.ledger.url } : { kind: 'sqlite', file: ledgerFile(config) };
}

type LedgerOf = { ledger: Pick<LedgerConfig, 'path' | 'url'>; dataDir: string };

/** The SQLite ledger's file (`ledger.path`, or `<dataDir>/callbridge.sqlite`), for the commands that work on the file itself. */
export function ledgerFile(config: LedgerOf): string {
  return path.resolve(config.ledger.path ?? path.join(config.dataDir, 'callbridge.sqlite'));
}

/** The ledger as messages and logs name it: its file, or its database without the password. */
export function describeLedger(place: LedgerPlace): string {
  return place.kind === 'sqlite' ? place.file : describePostgresUrl(place.url);
}

/**
 * Whether there is a ledger to read yet. A command that only reads (status, search) says so instead of creating an
 * empty SQLite file; a PostgreSQL database is there once configured (its tables are made by whoever opens it first).
 */
export function ledgerMayExist(place: LedgerPlace): boolean {
  return place.kind === 'postgres' || existsSync(place.file);
}

/** The locks replicas of this ledger share: PostgreSQL's advisory locks; a SQLite ledger has one process. */
export function openLocks(place: LedgerPlace): Locks {
  return place.kind === 'postgres' ? new PostgresLocks(place.url) : new LocalLocks();
}

/** How to open a SQLite ledger; `thread`: on a thread of its own (the running bridge: see ThreadedSqliteLedger). */
export type SqliteOpenOptions = SqliteLedgerOptions & { thread?: boolean };

export function openLedger(place: LedgerPlace, sqlite: SqliteOpenOptions = {}): Promise<Ledger> {
  if (place.kind === 'postgres') return PostgresLedger.open(place.url);
  const { thread, ...options } = sqlite;
  return thread ? ThreadedSqliteLedger.open(place.file, options) : openSqliteLedger(place.file, options);
}

/**
 * How many of these calls the ledger already has, read without opening it as a ledger (which would create or migrate
 * it): `callbridge import --dry-run` writes nothing. No ledger yet: none.
 */
export async function countKnownCalls(place: LedgerPlace, ids: string[]): Promise<number> {
  if (!ids.length || !ledgerMayExist(place)) return 0;
  if (place.kind === 'sqlite') {
    const real = new Database(place.file, { readonly: true, fileMustExist: true });
    try {
      const has = real.prepare<[string], { one: number }>('SELECT 1 AS one FROM calls WHERE external_id = ?');
      return ids.filter((id) => has.get(id)).length;
    } finally {
      real.close();
    }
  }
  const db = new PostgresPool(place.url, { max: 1 });
  try {
    const result = await db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM ${LEDGER_SCHEMA}.calls WHERE external_id = ANY($1::text[])`, [ids]);
    return result.rows[0]?.n ?? 0;
  } catch (error) {
    // 42P01: no calls table yet, so no call known.
    if ((error as { code?: unknown }).code === '42P01') return 0;
    throw error;
  } finally {
    await db.end();
  }
}
