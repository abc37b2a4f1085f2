import pg from 'pg';
import type { DocumentTable } from './profiles.js';
import { type CdrTable, describeConnectionError, endpointOf, QUERY_ALIAS, type TableSpec, type TableValues } from './table.js';
import type { ReadWindow } from './window.js';

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Every value as the text PostgreSQL sends: timestamps as written (in UTC, see open), numbers as digits, JSON as text. */
const AS_TEXT = { getTypeParser: () => (value: string) => value } as unknown as pg.CustomTypesConfig;

/**
 * A CDR table in PostgreSQL (Asterisk's cdr_pgsql, FusionPBX's v_xml_cdr) through `pg`: one connection, a read-only
 * session in UTC (a timestamptz is read as the instant it is; a timestamp without zone as written, the PBX's wall
 * clock) with a statement timeout, and no transaction open between queries.
 */
export class PgCdrTable implements CdrTable {
  readonly name: string;
  readonly where: string;
  readonly user: string;
  private readonly config: pg.ClientConfig;
  private readonly from: string;
  private readonly schema: string;
  /** How messages name another table of the same database (the profile's documents table). */
  private readonly whereOf: (table: string) => string;
  private client: pg.Client | null = null;

  constructor(private readonly spec: TableSpec) {
    const { host, port, user, password, database, address } = endpointOf(spec.url, 5432);
    const [schema, table] = spec.table.includes('.') ? (spec.table.split('.', 2) as [string, string]) : ['public', spec.table];
    this.name = spec.query ? 'query' : spec.table.includes('.') ? spec.table : `${database}.${spec.table}`;
    this.where = `${this.name} on ${address}`;
    this.from = spec.query ? `(${spec.query}) AS ${QUERY_ALIAS}` : `${quote(schema)}.${quote(table)}`;
    this.schema = schema;
    this.whereOf = (other) => `${database}.${other} on ${address}`;
    this.user = user;
    this.config = {
      host,
      port,
      user,
      password,
      database,
      application_name: 'callbridge',
      statement_timeout: spec.statementTimeoutSec * 1000,
      connectionTimeoutMillis: spec.connectTimeoutMs ?? 10_000,
      types: AS_TEXT,
    };
  }

  async open(): Promise<void> {
    if (this.client) return;
    const client = new pg.Client(this.config);
    // A connection that drops emits 'error' besides failing the query under way: the query's failure is what counts.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query(`SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; SET TIME ZONE 'UTC'`);
    } catch (error) {
      await client.end().catch(() => undefined);
      throw error;
    }
    this.client = client;
  }

  async columns(): Promise<string[]> {
    const result = await this.conn().query(`SELECT * FROM ${this.from} LIMIT 0`);
    return result.fields.map((f) => f.name);
  }

  /** EXPLAIN with sequential scans made dear: a small table is scanned anyway, but an index that exists is then chosen. */
  async usesIndex(): Promise<boolean> {
    const probe = '2000-01-01 00:00:00';
    const [sql, params] = this.pageQuery(probe, { from: probe, endedFrom: this.spec.duration ? probe : null }, 1000);
    const client = this.conn();
    await client.query('SET enable_seqscan = off');
    try {
      const result = await client.query(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      // The plan as text (every value is read as text): a table without the index is read by a "Seq Scan".
      return !JSON.stringify(result.rows[0]).includes('Seq Scan');
    } finally {
      await client.query('RESET enable_seqscan');
    }
  }

  async page(from: string | null, window: ReadWindow, limit: number): Promise<TableValues[]> {
    const [sql, params] = this.pageQuery(from, window, limit);
    const result = await this.conn().query<TableValues>(sql, params);
    return result.rows;
  }

  private pageQuery(from: string | null, window: ReadWindow, limit: number): [string, unknown[]] {
    const cursor = quote(this.spec.cursor);
    const where: string[] = [];
    const params: unknown[] = [];
    if (from !== null) {
      params.push(from);
      where.push(`${cursor} >= $${params.length}`);
    }
    if (window.endedFrom !== null && this.spec.duration) {
      params.push(window.endedFrom);
      where.push(`${cursor} + ${quote(this.spec.duration)} * interval '1 second' >= $${params.length}`);
    }
    params.push(limit);
    // Rows of one second in the order they were written (their place in the table), as a file would list them: an
    // adapter may read a call's legs in that order. MySQL's index on the cursor gives that order by itself.
    // (A query's rows have no place in a table: they come in cursor order only.)
    const order = this.spec.query ? cursor : `${cursor}, ctid`;
    return [`SELECT * FROM ${this.from}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order} LIMIT $${params.length}`, params];
  }

  /** `key = ANY($1)` takes the key column's own type (uuid), so its index serves. */
  async lookup(documents: DocumentTable, keys: readonly string[]): Promise<Map<string, string> | null> {
    const from = `${quote(this.schema)}.${quote(documents.table)}`;
    try {
      const result = await this.conn().query<{ k: string; v: string | null }>(
        `SELECT ${quote(documents.key)} AS k, ${quote(documents.column)} AS v FROM ${from} WHERE ${quote(documents.key)} = ANY($1)`,
        [keys],
      );
      return new Map(result.rows.filter((r) => r.v !== null).map((r) => [r.k, r.v as string]));
    } catch (error) {
      if ((error as { code?: string }).code === '42P01') return null;
      throw error;
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }

  describe(error: unknown, table?: string): string {
    const what = table ? this.whereOf(table) : this.where;
    const connection = describeConnectionError(error, what);
    if (connection) return connection;
    const e = error as { code?: string; message?: string };
    switch (e.code) {
      case '28P01':
      case '28000':
        return `${what}: the server refused user "${this.user}" (wrong password, or no access from this host in pg_hba.conf)`;
      case '42501':
        return `${what}: user "${this.user}" may not read it; GRANT SELECT on the table to that user`;
      case '42P01':
      case '3D000':
      case '3F000':
        return `${what}: the table does not exist`;
      case '42703': {
        const column = /column "?([^" ]+)"? does not exist/.exec(e.message ?? '')?.[1];
        return `${what}: the table has no column ${column ?? '(unknown)'} (renamed by an upgrade?)`;
      }
      case '57014':
        return `${what}: a query ran longer than statementTimeoutSec`;
      case '57P01':
      case '57P03':
        return `${what}: the server is shutting down or starting`;
      default:
        return `${what}: ${e.message ?? String(error)}`;
    }
  }

  private conn(): pg.Client {
    if (!this.client) throw new Error('not connected');
    return this.client;
  }
}
