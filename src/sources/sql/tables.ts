import { MysqlCdrTable } from './mysql.js';
import { PgCdrTable } from './postgres.js';
import { type ReadingOverrides, readingOf, type SqlProfile, type SqlProfileId } from './profiles.js';
import { SqliteCdrTable } from './sqlite.js';
import type { CdrTable, TableSpec } from './table.js';

/** The driver a source's url names: mysql:// or mariadb:// (mysql2), postgres:// or postgresql:// (pg), sqlite: (better-sqlite3). */
export function openCdrTable(spec: TableSpec): CdrTable {
  const scheme = /^([a-z]+):/.exec(spec.url)?.[1];
  if (scheme === 'postgres' || scheme === 'postgresql') return new PgCdrTable(spec);
  if (scheme === 'sqlite') return new SqliteCdrTable(spec);
  return new MysqlCdrTable(spec);
}

/** What of an sql source's settings names its table and how it is walked. */
export interface TableSource extends ReadingOverrides {
  url: string;
  profile: SqlProfileId;
  statementTimeoutSec: number;
}

/** The table a source reads, as its profile (and its own settings over it) walks it. */
export function cdrTableOf(source: TableSource, connectTimeoutMs?: number): { table: CdrTable; profile: SqlProfile } {
  const profile = readingOf(source.profile, source);
  const spec: TableSpec = { url: source.url, table: profile.table, query: source.query?.trim().replace(/;$/, ''), cursor: profile.cursor, duration: profile.duration, statementTimeoutSec: source.statementTimeoutSec };
  if (connectTimeoutMs !== undefined) spec.connectTimeoutMs = connectTimeoutMs;
  return { table: openCdrTable(spec), profile };
}

/** What a source needs of its table besides a connection: the columns its profile reads, and an index for its polls. */
export interface TableFit {
  missing: string[];
  indexed: boolean;
}

/** Opens the table and looks (columns, EXPLAIN); a driver error is thrown as the driver gives it. */
export async function fitOf(table: CdrTable, profile: SqlProfile): Promise<TableFit> {
  await table.open();
  const columns = new Set(await table.columns());
  const indexed = await table.usesIndex();
  return { missing: profile.columns.filter((c) => !columns.has(c)), indexed };
}

export function missingColumnsText(table: CdrTable, missing: readonly string[]): string {
  return `${table.where}: the table has no column ${missing.join(', ')} (renamed by an upgrade?)`;
}

export function scanWarningText(table: CdrTable, profile: SqlProfile): string {
  return `${table.where}: every poll reads the whole table, as no index starts with ${profile.cursor}; ask the PBX's administrator to add one (ALTER TABLE … ADD INDEX (${profile.cursor}))`;
}
