import type { TableRow } from '../../adapters/types.js';
import { backoffDelay } from '../backoff.js';
import { LedgerUnavailableError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { describeError } from './files.js';
import { type Loop, PollingRunner } from './polling-runner.js';
import type { SourceRunner } from './runner.js';
import { cdrTableOf, describeTableError, documentsAbsentText, fitOf, missingColumnsText, scanWarningText, type TableFit, withDocuments } from './sql/tables.js';
import type { CdrTable, TableValues } from './sql/table.js';
import type { SqlProfile } from './sql/profiles.js';
import {
  advanceWindow,
  cursorMs,
  cursorOrder,
  type CursorKind,
  encodeSqlCheckpoint,
  parseSqlCheckpoint,
  readWindow,
  rowKey,
  type SqlCheckpoint,
  sqlCheckpointKey,
  type WindowRow,
} from './sql/window.js';

export type SqlSource = Extract<SourceConfig, { type: 'sql' }>;

export interface SqlDeps {
  ingestor: Pick<Ingestor, 'ingestLegs' | 'flushQuiet'>;
  ledger: Pick<Ledger, 'getCheckpoint' | 'setCheckpoint'>;
  logger?: Logger;
  now?: () => number;
  /** The PBX clock's zone when the source names none (normalize.timezone). */
  zone?: string;
}

/** The database failed (not the ledger): the connection is dropped and the next poll waits with backoff. */
class TableUnavailable extends Error {}

const RETRY = { baseMs: 1_000, maxMs: 15_000 };

/**
 * Reads a PBX's CDR table (FreePBX's asteriskcdrdb.cdr, FusionPBX's v_xml_cdr, …) as a source, a guest in a database that is not ours: one
 * connection, read-only, a statement timeout, short queries of `batchRows` rows in cursor order and no transaction
 * between them. Each batch's legs are stashed with the checkpoint in one ledger commit, as a tail's lines are, and
 * calls are assembled as their last leg arrives (or quiet). What is read again and why: sql/window.ts.
 *
 * A failing database (stopped, wrong password, table or column gone) is retried with a doubling wait up to
 * 15 s, named in the log and /status by host and table; the rest of the bridge keeps running and the reading
 * resumes from the committed checkpoint.
 */
export class SqlRunner extends PollingRunner implements SourceRunner {
  readonly sourceId: string;
  readonly kind = 'sql' as const;
  private readonly key: string;
  private readonly profile: SqlProfile;
  private readonly table: CdrTable;
  private readonly polls: Loop;
  private readonly kindOfCursor: CursorKind;
  /** The PBX clock's zone: its wall-clock cursor values go back an hour once a year. */
  private readonly zone: string | undefined;
  private connected = false;
  /** The profile's documents table, when this database has it (looked at on each connect). */
  private documents: SqlProfile['documents'];
  private failures = 0;
  private retryAt = 0;

  constructor(
    readonly source: SqlSource,
    private readonly deps: SqlDeps,
  ) {
    super({ log: (deps.logger ?? silentLogger()).child({ component: 'sql', source: source.id }), now: deps.now });
    this.sourceId = source.id;
    this.key = sqlCheckpointKey(source.id);
    const { table, profile } = cdrTableOf(source);
    this.profile = profile;
    this.kindOfCursor = profile.cursorKind ?? 'time';
    this.zone = source.timezone ?? deps.zone;
    this.table = table;
    this.polls = this.loop({
      firstMs: 0,
      everyMs: source.pollMs,
      pass: () => this.poll(),
      failed: (error) =>
        error instanceof LedgerUnavailableError ? `the ledger cannot take the rows, will retry: ${error.message}` : `reading failed, will retry: ${describeError(error)}`,
    });
    this.quietCallsLoop(source, deps.ingestor);
  }

  /** One poll now (even while waiting to retry); resolves when every row there is committed. */
  pollNow(): Promise<void> {
    this.retryAt = 0;
    return this.polls.runNow();
  }

  protected override async afterStop(): Promise<void> {
    await this.closeTable();
  }

  private async poll(): Promise<void> {
    if (this.now() < this.retryAt) return;
    try {
      if (!this.connected) await this.connect();
      await this.readNew();
    } catch (error) {
      if (!(error instanceof LedgerUnavailableError)) await this.closeTable();
      this.failures += 1;
      this.retryAt = this.now() + backoffDelay(this.failures, RETRY);
      throw error;
    }
    if (this.failures) this.log.info(`${this.table.where} can be read again`);
    this.failures = 0;
    this.clearProblem();
  }

  /** Connect, and check that the table has what the profile reads and that the poll's query uses an index. */
  private async connect(): Promise<void> {
    let fit: TableFit;
    try {
      fit = await fitOf(this.table, this.profile);
    } catch (error) {
      throw new TableUnavailable(describeTableError(this.table, error));
    }
    if (fit.missing.length) throw new TableUnavailable(missingColumnsText(this.table, fit.missing));
    if (!fit.indexed) this.log.warn(scanWarningText(this.table, this.profile));
    this.documents = fit.documents ? this.profile.documents : undefined;
    if (this.profile.documents && fit.documents === false) this.log.info(documentsAbsentText(this.table, this.profile.documents));
    this.connected = true;
    this.log.info(`reading ${this.table.where}`);
  }

  private async closeTable(): Promise<void> {
    this.connected = false;
    await this.table.close().catch(() => undefined);
  }

  /** Pages of rows in cursor order from the read window on; each page's new rows are committed with the checkpoint. */
  private async readNew(): Promise<void> {
    let checkpoint = parseSqlCheckpoint(await this.deps.ledger.getCheckpoint(this.key));
    const window = readWindow(checkpoint, { ...this.source, hasDuration: this.profile.duration !== undefined, kind: this.kindOfCursor, zone: this.zone });
    let from = window.from;
    let limit = this.source.batchRows;
    for (;;) {
      if (this.stopping) return;
      const rows = await this.page(from, window, limit);
      const fresh = this.freshRows(rows, checkpoint);
      if (fresh.length) checkpoint = await this.commit(checkpoint, await this.withDocuments(fresh));
      if (rows.length < limit) return;
      const last = (rows.at(-1) as TableValues)[this.profile.cursor] ?? null;
      // A page of one cursor value only (more rows at one second than a page holds): the next one takes more.
      limit = last === from ? limit * 2 : this.source.batchRows;
      from = last;
    }
  }

  private async page(from: string | null, window: ReturnType<typeof readWindow>, limit: number): Promise<TableValues[]> {
    try {
      return await this.table.page(from, window, limit);
    } catch (error) {
      throw new TableUnavailable(this.table.describe(error));
    }
  }

  /** Only rows not taken before are looked up: the overlap re-reads many. */
  private async withDocuments<R extends { values: TableValues }>(fresh: R[]): Promise<R[]> {
    if (!this.documents) return fresh;
    try {
      const values = await withDocuments(this.table, this.documents, fresh.map((r) => r.values));
      return fresh.map((r, i) => ({ ...r, values: values[i] as TableValues }));
    } catch (error) {
      throw new TableUnavailable(describeTableError(this.table, error));
    }
  }

  /** The rows not taken before, each with what the window needs of it. */
  private freshRows(rows: TableValues[], checkpoint: SqlCheckpoint): Array<WindowRow & { values: TableValues }> {
    const fresh: Array<WindowRow & { values: TableValues }> = [];
    const keys = new Set<string>();
    const { cursor, duration } = this.profile;
    for (const values of rows) {
      const key = rowKey(values, this.profile.identity);
      if (key in checkpoint.seen || keys.has(key)) continue;
      keys.add(key);
      const at = values[cursor] ?? '';
      const seconds = duration ? Number(values[duration]) : 0;
      const endMs = this.kindOfCursor === 'serial' ? cursorOrder(at, 'serial') : cursorMs(at) + (Number.isFinite(seconds) ? seconds * 1000 : 0);
      fresh.push({ key, cursor: at, endMs, values });
    }
    return fresh;
  }

  private async commit(checkpoint: SqlCheckpoint, fresh: Array<WindowRow & { values: TableValues }>): Promise<SqlCheckpoint> {
    const next = advanceWindow(checkpoint, fresh, this.source.overlapSec, this.kindOfCursor, this.zone);
    const name = this.table.name;
    const rows: TableRow[] = fresh.map((r) => ({ location: `${name}:${r.cursor}`, values: r.values }));
    const summary = await this.deps.ingestor.ingestLegs(this.source, { name, rows }, { checkpoints: [{ key: this.key, value: encodeSqlCheckpoint(next) }] });
    for (const e of summary.errors) this.log.warn(`${e.location}: ${e.message}`);
    if (summary.errorCount > summary.errors.length) this.log.warn(`... and ${summary.errorCount - summary.errors.length} more bad row(s) in ${name}`);
    return next;
  }
}
