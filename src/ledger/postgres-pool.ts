import pg from 'pg';
import { CallbridgeError, LedgerUnavailableError } from '../errors.js';
import { registerSecret } from '../log/redact.js';
import { postgresMigrations } from './postgres-schema.js';

/** Where the PostgreSQL ledger's tables live: its own schema, so it can share a database with anything else. */
export const LEDGER_SCHEMA = 'callbridge';

/** BIGINT (epoch ms, counts) as a number: every value the ledger keeps is far below 2^53. */
const TYPES = {
  getTypeParser: (oid: number, format?: string) => (oid === pg.types.builtins.INT8 ? Number : pg.types.getTypeParser(oid, format as 'text')),
} as unknown as pg.CustomTypesConfig;

/** A PostgreSQL URL as messages and logs name it: without its password. */
export function describePostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'postgres://(an URL that does not parse)';
  }
}

/** SQLSTATE 40001 and 40P01: the transaction lost a race with another one and may simply be run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Anything from the driver (a refused or dropped connection, a timeout, the server's own errors) means the ledger
 * cannot take the write now: LedgerUnavailableError, so nothing is acknowledged (a hook answers 503).
 */
export function unavailable(error: unknown): unknown {
  if (error instanceof CallbridgeError || typeof error !== 'object' || error === null) return error;
  // By shape, not class: a socket's errors come from Node's own realm, which a test runner's modules do not share.
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = String(message);
  // Node's own ERR_ codes are a bug here, not an outage.
  const fromDriver = error instanceof pg.DatabaseError || (typeof code === 'string' && !code.startsWith('ERR_')) || /connect|terminat|timeout|Client has/i.test(text);
  return fromDriver ? new LedgerUnavailableError(`ledger unavailable: ${text}`, { cause: error }) : error;
}

export interface PostgresPoolOptions {
  /** Connections at most (default 10). */
  max?: number;
  /** How long a connection may take to open (default 5 s). */
  connectTimeoutMs?: number;
}

/**
 * The connection pool of one ledger. A connection that drops is replaced by the next query; a query while the server
 * is unreachable fails at once (connect timeout at most) rather than waiting for it.
 */
export class PostgresPool {
  readonly pool: pg.Pool;

  constructor(url: string, opts: PostgresPoolOptions = {}) {
    const password = (() => {
      try {
        return decodeURIComponent(new URL(url).password);
      } catch {
        return '';
      }
    })();
    if (password) registerSecret(password);
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
      application_name: 'callbridge',
      statement_timeout: 30_000,
      query_timeout: 35_000,
      options: `-c search_path=${LEDGER_SCHEMA}`,
      types: TYPES,
    });
    // An idle connection that drops (the server restarted) emits 'error' on the pool; the next query opens another.
    this.pool.on('error', () => undefined);
  }

  query<R extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(sql, params);
  }

  /** `work` in one transaction, run again (up to 5 times) when it lost a deadlock or serialization race. */
  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.pool.connect();
      let broken = false;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        if (attempt < 5 && RETRYABLE.has(String((error as { code?: unknown }).code))) continue;
        throw error;
      } finally {
        client.release(broken);
      }
    }
  }

  /** Creates the schema if needed and applies the migrations not applied yet, once across replicas. */
  async migrate(): Promise<void> {
    await this.transaction(async (c) => {
      await c.query("SELECT pg_advisory_xact_lock(hashtext('callbridge:migrate'))");
      // Created only where missing: a user that owns the schema but may not create one in the database still starts.
      const has = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [LEDGER_SCHEMA]);
      if (!has.rowCount) await c.query(`CREATE SCHEMA ${LEDGER_SCHEMA}`);
      await c.query('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)');
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM migrations')).rows.map((r) => r.version));
      for (const m of postgresMigrations) {
        if (done.has(m.version)) continue;
        await c.query(m.sql);
        await c.query('INSERT INTO migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()]);
      }
    });
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}
