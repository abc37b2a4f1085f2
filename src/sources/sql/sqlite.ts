import Database from 'better-sqlite3';
import { type CdrTable, QUERY_ALIAS, type TableSpec, type TableValues } from './table.js';
import type { ReadWindow } from './window.js';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** `sqlite:/var/log/asterisk/master.db` or `sqlite:///var/log/asterisk/master.db` → the file. */
export function sqliteFile(url: string): string {
  return decodeURIComponent(url.replace(/^sqlite:(\/\/)?/, ''));
}

/**
 * Asterisk's cdr_sqlite3_custom master.db, opened read-only (the PBX is its only writer): every column TEXT, rows
 * walked by their rowid AcctId, which Asterisk hands out in commit order. A write under way is waited for
 * (busy timeout), never interrupted.
 */
export class SqliteCdrTable implements CdrTable {
  readonly name: string;
  readonly where: string;
  readonly user = '';
  private readonly file: string;
  private readonly from: string;
  private db: Database.Database | null = null;

  constructor(private readonly spec: TableSpec) {
    this.file = sqliteFile(spec.url);
    this.name = spec.query ? 'query' : spec.table;
    this.where = `${this.name} in ${this.file}`;
    this.from = spec.query ? `(${spec.query}) AS ${QUERY_ALIAS}` : quote(spec.table);
  }

  async open(): Promise<void> {
    if (this.db) return;
    this.db = new Database(this.file, { readonly: true, fileMustExist: true, timeout: this.spec.statementTimeoutSec * 1000 });
  }

  async columns(): Promise<string[]> {
    return this.conn().prepare(`SELECT * FROM ${this.from} LIMIT 0`).columns().map((c) => c.name);
  }

  async usesIndex(): Promise<boolean> {
    const [sql, params] = this.pageQuery('0', 1000);
    const plan = this.conn().prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>;
    return plan.some((step) => /\bSEARCH\b/.test(step.detail));
  }

  async page(from: string | null, _window: ReadWindow, limit: number): Promise<TableValues[]> {
    const [sql, params] = this.pageQuery(from, limit);
    const rows = this.conn().prepare(sql).all(...params) as Array<Record<string, unknown>>;
    return rows.map((row) => {
      const out: TableValues = {};
      for (const [name, value] of Object.entries(row)) out[name] = value === null || value === undefined ? null : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
      return out;
    });
  }

  private pageQuery(from: string | null, limit: number): [string, unknown[]] {
    const cursor = quote(this.spec.cursor);
    // The cursor compared as a number: a rowid, or a column of digits stored as TEXT.
    return from === null
      ? [`SELECT * FROM ${this.from} ORDER BY ${cursor} LIMIT ?`, [limit]]
      : [`SELECT * FROM ${this.from} WHERE ${cursor} >= ? ORDER BY ${cursor} LIMIT ?`, [Number(from), limit]];
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = null;
  }

  describe(error: unknown): string {
    const e = error as { code?: string; message?: string };
    const message = e.message ?? String(error);
    if (e.code === 'SQLITE_CANTOPEN' || /unable to open|does not exist/.test(message)) return `${this.where}: the file cannot be opened (is the path right, and may this user read it?)`;
    if (/no such table/.test(message)) return `${this.where}: the table does not exist`;
    const column = /no such column: (\S+)/.exec(message)?.[1];
    if (column) return `${this.where}: the table has no column ${column} (renamed by an upgrade?)`;
    if (e.code === 'SQLITE_BUSY') return `${this.where}: the file stayed locked longer than statementTimeoutSec`;
    if (e.code === 'SQLITE_CORRUPT' || e.code === 'SQLITE_NOTADB') return `${this.where}: the file is not a readable SQLite database`;
    return `${this.where}: ${message}`;
  }

  private conn(): Database.Database {
    if (!this.db) throw new Error('not open');
    return this.db;
  }
}
