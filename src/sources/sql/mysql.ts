import mysql from 'mysql2/promise';
import { type CdrTable, describeConnectionError, endpointOf, QUERY_ALIAS, type TableSpec, type TableValues } from './table.js';
import type { ReadWindow } from './window.js';

const quote = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * A FreePBX-style table in MariaDB or MySQL, through mysql2: DATETIME read as the text written (`dateStrings`: the
 * PBX's wall clock, placed in its zone by normalization, never in this process's), a read-only session with a
 * statement timeout, and no transaction left open between queries (autocommit).
 */
export class MysqlCdrTable implements CdrTable {
  readonly name: string;
  readonly where: string;
  private readonly options: mysql.ConnectionOptions;
  private readonly from: string;
  private connection: mysql.Connection | null = null;

  constructor(private readonly spec: TableSpec) {
    const { host, port, user, password, database, address } = endpointOf(spec.url, 3306);
    const [db, table] = spec.table.includes('.') ? (spec.table.split('.', 2) as [string, string]) : [database, spec.table];
    this.name = spec.query ? 'query' : `${db}.${table}`;
    this.where = `${this.name} on ${address}`;
    this.from = spec.query ? `(${spec.query}) AS ${QUERY_ALIAS}` : `${quote(db)}.${quote(table)}`;
    this.options = {
      host,
      port,
      user,
      password,
      database,
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      charset: 'UTF8MB4_GENERAL_CI',
      connectTimeout: spec.connectTimeoutMs ?? 10_000,
    };
  }

  get user(): string {
    return this.options.user ?? '';
  }

  describe(error: unknown): string {
    return describeMysqlError(error, this);
  }

  async open(): Promise<void> {
    if (this.connection) return;
    const connection = await mysql.createConnection(this.options);
    // A dropped connection emits 'error' besides failing the query under way: the query's failure is what counts.
    connection.on('error', () => undefined);
    try {
      await connection.query('SET SESSION TRANSACTION READ ONLY');
      await this.limitStatements(connection);
    } catch (error) {
      connection.destroy();
      throw error;
    }
    this.connection = connection;
  }

  /** MariaDB's max_statement_time (s), else MySQL's max_execution_time (ms, SELECTs only). */
  private async limitStatements(connection: mysql.Connection): Promise<void> {
    try {
      await connection.query('SET SESSION max_statement_time = ?', [this.spec.statementTimeoutSec]);
    } catch (error) {
      if ((error as { code?: string }).code !== 'ER_UNKNOWN_SYSTEM_VARIABLE') throw error;
      await connection.query('SET SESSION max_execution_time = ?', [this.spec.statementTimeoutSec * 1000]);
    }
  }

  async columns(): Promise<string[]> {
    const [, fields] = await this.conn().query(`SELECT * FROM ${this.from} LIMIT 0`);
    return (fields as mysql.FieldPacket[]).map((f) => f.name);
  }

  /** By the keys EXPLAIN could use: on a small table the optimizer may scan it all even where the index is there. */
  async usesIndex(): Promise<boolean> {
    const probe = '9999-12-31 00:00:00';
    const [sql, params] = this.pageQuery(probe, { from: probe, endedFrom: this.spec.duration ? probe : null }, 1000);
    const [plan] = await this.conn().query(`EXPLAIN ${sql}`, params);
    const first = (plan as Array<{ key?: string | null; possible_keys?: string | null }>)[0];
    return !!(first?.key || first?.possible_keys);
  }

  async page(from: string | null, window: ReadWindow, limit: number): Promise<TableValues[]> {
    const [sql, params] = this.pageQuery(from, window, limit);
    const [rows] = await this.conn().query({ sql, values: params, rowsAsArray: false });
    return (rows as Array<Record<string, unknown>>).map(asText);
  }

  private pageQuery(from: string | null, window: ReadWindow, limit: number): [string, unknown[]] {
    const cursor = quote(this.spec.cursor);
    const where: string[] = [];
    const params: unknown[] = [];
    if (from !== null) {
      where.push(`${cursor} >= ?`);
      params.push(from);
    }
    if (window.endedFrom !== null && this.spec.duration) {
      where.push(`${cursor} + INTERVAL ${quote(this.spec.duration)} SECOND >= ?`);
      params.push(window.endedFrom);
    }
    params.push(limit);
    return [`SELECT * FROM ${this.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${cursor} LIMIT ?`, params];
  }

  async close(): Promise<void> {
    const connection = this.connection;
    this.connection = null;
    await connection?.end().catch(() => connection.destroy());
  }

  private conn(): mysql.Connection {
    if (!this.connection) throw new Error('not connected');
    return this.connection;
  }
}

/** Column values as text: a binary column (or a name stored as bytes) as UTF-8 when it is, else as Latin-1. */
function asText(row: Record<string, unknown>): TableValues {
  const out: TableValues = {};
  for (const [name, value] of Object.entries(row)) {
    if (value === null || value === undefined) out[name] = null;
    else if (Buffer.isBuffer(value)) out[name] = decodeBytes(value);
    else out[name] = String(value);
  }
  return out;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeBytes(bytes: Buffer): string {
  try {
    return utf8.decode(bytes);
  } catch {
    return bytes.toString('latin1');
  }
}

/** A MariaDB/MySQL error in plain words, naming what was read (never the password). */
function describeMysqlError(error: unknown, table: { where: string; user: string }): string {
  const e = error as { code?: string; errno?: number; message?: string; sqlMessage?: string };
  const what = table.where;
  const connection = describeConnectionError(error, what);
  if (connection) return connection;
  switch (e.code) {
    case 'ER_ACCESS_DENIED_ERROR':
      return `${what}: the server refused user "${table.user}" (wrong password, or no access from this host)`;
    case 'ER_DBACCESS_DENIED_ERROR':
    case 'ER_TABLEACCESS_DENIED_ERROR':
      return `${what}: user "${table.user}" may not read it; GRANT SELECT on the table to that user`;
    case 'ER_NO_SUCH_TABLE':
    case 'ER_BAD_DB_ERROR':
      return `${what}: the table does not exist`;
    case 'ER_BAD_FIELD_ERROR': {
      const column = /Unknown column '([^']+)'/.exec(e.sqlMessage ?? e.message ?? '')?.[1];
      return `${what}: the table has no column ${column ?? '(unknown)'} (renamed by an upgrade?)`;
    }
    case 'ER_STATEMENT_TIMEOUT':
    case 'ER_QUERY_TIMEOUT':
      return `${what}: a query ran longer than statementTimeoutSec`;
    default:
      return `${what}: ${e.sqlMessage ?? e.message ?? String(error)}`;
  }
}
