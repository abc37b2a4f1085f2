import { MysqlCdrTable } from './mysql.js';
import { PgCdrTable } from './postgres.js';
import { type DocumentTable, type ReadingOverrides, readingOf, type SqlProfile, type SqlProfileId } from './profiles.js';
import { SqliteCdrTable } from './sqlite.js';
import type { CdrTable, TableSpec, TableValues } from './table.js';

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
  /** The profile's documents table, when it has one this driver reads: whether the database has it. */
  documents?: boolean;
}

/** Opens the table and looks (columns, EXPLAIN, the documents table); a driver error is thrown as the driver gives it. */
export async function fitOf(table: CdrTable, profile: SqlProfile): Promise<TableFit> {
  await table.open();
  const columns = new Set(await table.columns());
  const fit: TableFit = { missing: profile.columns.filter((c) => !columns.has(c)), indexed: await table.usesIndex() };
  if (profile.documents && table.lookup) fit.documents = (await documentsOf(table, profile.documents, [])) !== null;
  return fit;
}

/**
 * The rows with their documents: each row's document from the profile's documents table, under `<table>.<column>`
 * (rows without one are left as they are). Errors name the documents table.
 */
export async function withDocuments(table: CdrTable, documents: DocumentTable, rows: readonly TableValues[]): Promise<TableValues[]> {
  const keys = [...new Set(rows.map((r) => r[documents.key]).filter((k): k is string => !!k))];
  const found = keys.length ? await documentsOf(table, documents, keys) : null;
  if (!found?.size) return [...rows];
  const name = `${documents.table}.${documents.column}`;
  return rows.map((r) => {
    const document = found.get(r[documents.key] ?? '');
    return document === undefined ? r : { ...r, [name]: document };
  });
}

/** A lookup in a profile's documents table: null when the database has none. Its errors name that table. */
async function documentsOf(table: CdrTable, documents: DocumentTable, keys: readonly string[]): Promise<Map<string, string> | null> {
  try {
    return (await table.lookup?.(documents, keys)) ?? null;
  } catch (error) {
    throw new DocumentsUnavailable(table.describe(error, documents.table));
  }
}

/** The documents table could not be read: its message names that table, not the one the source walks. */
export class DocumentsUnavailable extends Error {}

/** A driver error of the table or of its documents table, in plain words. */
export function describeTableError(table: CdrTable, error: unknown): string {
  return error instanceof DocumentsUnavailable ? error.message : table.describe(error);
}

export function documentsAbsentText(table: CdrTable, documents: DocumentTable): string {
  return `${table.where}: the database has no ${documents.table} (where newer PBX versions keep each row's whole CDR); rows without their CDR are read from their columns`;
}

export function missingColumnsText(table: CdrTable, missing: readonly string[]): string {
  return `${table.where}: the table has no column ${missing.join(', ')} (renamed by an upgrade?)`;
}

export function scanWarningText(table: CdrTable, profile: SqlProfile): string {
  return `${table.where}: every poll reads the whole table, as no index starts with ${profile.cursor}; ask the PBX's administrator to add one (ALTER TABLE … ADD INDEX (${profile.cursor}))`;
}
