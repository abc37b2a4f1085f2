import { registerSecret } from '../../log/redact.js';
import type { DocumentTable } from './profiles.js';
import type { ReadWindow } from './window.js';

/** A row as the reader hands it on: every value as text (numbers as digits, DATETIME as written), NULL as null. */
export type TableValues = Record<string, string | null>;

/** What the `sql` source needs of a CDR table; one connection, opened and closed by the source. */
export interface CdrTable {
  /** `db.table`: what row locations name. */
  readonly name: string;
  /** `db.table on host:port`: how logs and /status name it (never the user's password). */
  readonly where: string;
  open(): Promise<void>;
  /** The table's columns; throws when the table is not there or cannot be read. */
  columns(): Promise<string[]>;
  /** Whether the poll's query reads the cursor's index rather than the whole table (EXPLAIN). */
  usesIndex(): Promise<boolean>;
  /** Up to `limit` rows in cursor order: cursor ≥ `from` (all when null), ended at or after `window.endedFrom`. */
  page(from: string | null, window: ReadWindow, limit: number): Promise<TableValues[]>;
  /**
   * The `column` of `table`'s rows whose `key` is one of `keys`, by key (a profile's documents table); null when
   * the database has no such table. Only where a profile reads one (PostgreSQL: FusionPBX).
   */
  lookup?(table: DocumentTable, keys: readonly string[]): Promise<Map<string, string> | null>;
  close(): Promise<void>;
  /** The login name, for messages. */
  readonly user: string;
  /** A driver error in plain words, naming host and table (`table`, when another than the one read), never the password. */
  describe(error: unknown, table?: string): string;
}

/** A table as the source names it: where, which columns the reader walks. */
export interface TableSpec {
  url: string;
  /** `cdr` or `asteriskcdrdb.cdr`. */
  table: string;
  /** A SELECT read instead of the table (its rows, with the cursor among its columns). */
  query?: string | undefined;
  cursor: string;
  /** Column of a leg's length in seconds, when the cursor is its start. */
  duration?: string | undefined;
  statementTimeoutSec: number;
  connectTimeoutMs?: number;
}

/** Connection problems every driver words the same. */
export function describeConnectionError(error: unknown, where: string): string | undefined {
  const code = (error as { code?: string }).code;
  if (code === 'ECONNREFUSED') return `${where}: nothing answers there (is the database running, and is that its address?)`;
  if (code && ['ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'PROTOCOL_CONNECTION_LOST'].includes(code)) return `${where}: the connection failed (${code})`;
  return undefined;
}

/** What a query is read as: its rows as a table of their own, which the poll's WHERE and ORDER BY apply to. */
export const QUERY_ALIAS = 'callbridge_rows';

/** A database server's url as a driver takes it; its password is registered with the log redactor on the way. */
export interface Endpoint {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** `host:port`, as messages name the server. */
  address: string;
}

export function endpointOf(text: string, defaultPort: number): Endpoint {
  const url = new URL(text);
  const password = decodeURIComponent(url.password);
  registerSecret(password);
  const port = Number(url.port || defaultPort);
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port,
    user: decodeURIComponent(url.username),
    password,
    database: decodeURIComponent(url.pathname.slice(1)),
    address: `${url.hostname}:${port}`,
  };
}
