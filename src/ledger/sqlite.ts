import { mkdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { LedgerDamagedError, LedgerUnavailableError } from '../errors.js';
import type {
  Beat,
  Checkpoint,
  Heartbeat,
  HourCounts,
  Lane,
  Ledger,
  LedgerRow,
  LedgerStats,
  NewRow,
  PutResult,
  RowFilter,
  RowGuard,
  RowEvent,
  RowPatch,
  RowSearch,
  RowState,
  StashedLeg,
} from './ledger.js';
import { rowStates } from './ledger.js';
import { migrations } from './migrations/index.js';
import { SqliteHeartbeats } from './sqlite-heartbeats.js';
import { SqliteHistory } from './sqlite-history.js';
import { IN_TROUBLE, TROUBLE_STATES, TROUBLED } from './sqlite-partial-indexes.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { SqliteRetention } from './sqlite-retention.js';
import { buildWhere, byClaimOrder, type CallRowDb, contentHash, hashHex, type JsonDialect, REPLACEABLE, searchSql, toRow, updateSql } from './rows.js';
import { DEFAULT_SEARCH_LIMIT } from './search.js';

/**
 * By its SQLite result code (SQLITE_BUSY, SQLITE_FULL, ...), not only by class: the addon throws the SqliteError
 * class registered by whichever copy of better-sqlite3 loaded last, and module registries that load it more than
 * once (jest gives each test file its own) then fail an `instanceof` check.
 */
function isSqliteError(error: unknown): boolean {
  if (error instanceof Database.SqliteError) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}

const isDamage = (error: unknown): boolean => ['SQLITE_CORRUPT', 'SQLITE_NOTADB'].includes(String((error as { code?: unknown } | null)?.code));

/** What a damaged ledger tells its user, at the start or later: never a fresh ledger in its place. */
function damagedText(file: string, error: unknown): string {
  return `the ledger ${file} is damaged (${(error as Error).message}): restore the last backup with "callbridge restore <backup file>", which keeps the damaged file beside it`;
}

/**
 * Every SQLite failure (disk full, locked, closed) becomes LedgerUnavailableError: callers must not acknowledge.
 * A damaged page becomes LedgerDamagedError, and is told to `onDamaged` once.
 */
function guardOf(this: void, isOpen: () => boolean, damaged: (error: unknown) => LedgerDamagedError) {
  return <A extends unknown[], R>(fn: (...args: A) => R): ((...args: A) => Promise<R>) =>
    async (...args: A) => {
      if (!isOpen()) throw new LedgerUnavailableError('ledger is closed');
      try {
        return fn(...args);
      } catch (error) {
        if (isDamage(error)) throw damaged(error);
        if (isSqliteError(error)) throw new LedgerUnavailableError(`ledger unavailable: ${(error as Error).message}`, { cause: error });
        throw error;
      }
    };
}

/** The states whose oldest due row stats() reports, each found at the head of its part of calls_lane_due. */
const DUE_STATES: readonly RowState[] = ['pending', 'held', 'prepare', 'verify'];
const oldestDueSql = DUE_STATES.flatMap((state) =>
  [0, 1].map(
    (lane) => `SELECT * FROM (SELECT external_id, next_attempt_at, state FROM calls WHERE state = '${state}' AND lane = ${lane} ORDER BY next_attempt_at LIMIT 1)`,
  ),
).join(' UNION ALL ');

/** SQLite's LIKE already ignores the case of ASCII letters. */
const SQLITE_JSON: JsonDialect = { field: (column, path) => `json_extract(${column}, '$.${path.join('.')}')`, like: 'LIKE' };

/** The states most calls end in: found soonest among the newest calls. */
const COMMON: readonly RowState[] = ['confirmed', 'skipped'];

export interface SqliteLedgerOptions {
  /** Called with every statement run (its SQL with the values bound): the test that checks each uses an index. */
  trace?: (sql: string) => void;
  /** Checkpoints in a thread of their own (the running bridge): see SqliteCheckpointer. */
  checkpointInBackground?: boolean;
  /** Told once when a statement finds the file damaged (the bridge stops). */
  onDamaged?: (error: LedgerDamagedError) => void;
}

export class SqliteLedger implements Ledger {
  private readonly db: Database.Database;
  private readonly stmts;
  private readonly heartbeatTable: SqliteHeartbeats;
  private readonly history: SqliteHistory;
  private readonly retention: SqliteRetention;
  private readonly checkpointer: SqliteCheckpointer | null;
  private told = false;
  private readonly guard = guardOf(
    () => this.db.open,
    (error) => {
      const damaged = new LedgerDamagedError(damagedText(this.file, error), { cause: error });
      if (!this.told) this.options.onDamaged?.(damaged);
      this.told = true;
      return damaged;
    },
  );

  constructor(
    readonly file: string,
    private readonly options: SqliteLedgerOptions = {},
  ) {
    if (file !== ':memory:') mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const trace = options.trace;
    this.db = new Database(file, trace ? { verbose: (sql: unknown) => trace(String(sql)) } : {});
    // Only a new file can take it (an older ledger keeps reusing its free pages, without giving them back): pages that
    // retention frees are returned to the file system by reclaim().
    if (this.db.pragma('page_count', { simple: true }) === 0) this.db.pragma('auto_vacuum = INCREMENTAL');
    this.db.pragma('journal_mode = WAL');
    // NORMAL is durable across process crashes in WAL mode (a power loss may lose the last commit only).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    migrate(this.db);
    const db = this.db;
    this.heartbeatTable = new SqliteHeartbeats(db);
    this.history = new SqliteHistory(db);
    this.retention = new SqliteRetention(db);
    this.checkpointer = options.checkpointInBackground && file !== ':memory:' ? new SqliteCheckpointer(file) : null;
    this.stmts = {
      insert: db.prepare(
        `INSERT INTO calls (external_id, source_id, location, state, raw, payload, content_hash, reason, next_attempt_at, created_at, updated_at, lane)
         VALUES (@externalId, @sourceId, @location, @state, @raw, @payload, @hash, @reason, @nextAttemptAt, @now, @now, @lane)
         ON CONFLICT (external_id) DO NOTHING`,
      ),
      existing: db.prepare<[string], { state: RowState; content_hash: string | Buffer }>('SELECT state, content_hash FROM calls WHERE external_id = ?'),
      replace: db.prepare(
        `UPDATE calls SET source_id = @sourceId, location = @location, state = @state, raw = @raw, payload = @payload,
           content_hash = @hash, reason = @reason, next_attempt_at = @nextAttemptAt, updated_at = @now, compacted_at = NULL
         WHERE external_id = @externalId`,
      ),
      get: db.prepare<[string], CallRowDb>('SELECT * FROM calls WHERE external_id = ?'),
      byConversation: db.prepare<[string], CallRowDb>('SELECT * FROM calls WHERE conversation_id = ? LIMIT 1'),
      // Live calls first (lane 0), each lane in the order its calls fell due.
      claim: db.prepare<[string, number, number, number, number, number, number], CallRowDb>(
        `UPDATE calls SET state = 'submitting', lease_owner = ?, lease_until = ?, sending_at = NULL, updated_at = ?
         WHERE external_id IN (
           SELECT external_id FROM calls WHERE state = 'pending' AND lane BETWEEN ? AND ? AND next_attempt_at <= ? ORDER BY lane, next_attempt_at LIMIT ?
         )
         RETURNING *`,
      ),
      recoverQueued: db.prepare(
        `UPDATE calls SET state = 'pending', lease_owner = NULL, lease_until = NULL, next_attempt_at = @now, updated_at = @now
         WHERE state = 'submitting' AND lease_until < @now AND sending_at IS NULL`,
      ),
      recoverSent: db.prepare(
        `UPDATE calls SET state = 'verify', lease_owner = NULL, lease_until = NULL, sending_at = NULL, next_attempt_at = @now, updated_at = @now,
           reason = 'in flight when its process stopped: look it up before sending again'
         WHERE state = 'submitting' AND lease_until < @now AND sending_at IS NOT NULL`,
      ),
      // Kept by the triggers of migration 10.
      counts: db.prepare<[], { state: RowState; n: number }>('SELECT state, SUM(n) AS n FROM state_counts GROUP BY state'),
      oldestDue: db.prepare<[], { external_id: string; next_attempt_at: number; state: RowState }>(`${oldestDueSql} ORDER BY next_attempt_at LIMIT 1`),
      lastErrors: db.prepare<[], { external_id: string; state: RowState; reason: string; updated_at: number }>(
        `SELECT external_id, state, reason, updated_at FROM calls INDEXED BY calls_trouble WHERE ${TROUBLED} ORDER BY updated_at DESC LIMIT 10`,
      ),
      submittedSince: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM calls WHERE submitted_at >= ?'),
      importSubmittedSince: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM calls WHERE lane = 1 AND submitted_at IS NOT NULL AND submitted_at >= ?'),
      backlog: db.prepare<[], { n: number }>(
        "SELECT COALESCE(SUM(n), 0) AS n FROM state_counts WHERE state IN ('held', 'prepare', 'pending', 'submitting', 'verify') AND lane = 1",
      ),
      confirmedSince: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM calls WHERE confirmed_at >= ?'),
      getCheckpoint: db.prepare<[string], { value: string }>('SELECT value FROM checkpoints WHERE key = ?'),
      setCheckpoint: db.prepare(
        `INSERT INTO checkpoints (key, value, updated_at) VALUES (@key, @value, @now)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      ),
      stash: db.prepare('INSERT INTO stash (source_id, group_key, leg, leg_hash, arrived_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING'),
      unstash: db.prepare('DELETE FROM stash WHERE source_id = ? AND group_key = ?'),
      stashOrder: db.prepare<[string], { group_key: string }>('SELECT group_key FROM stash WHERE source_id = ? ORDER BY seq'),
      groupLastArrived: db.prepare<[string, string], { last: number | null }>('SELECT MAX(arrived_at) AS last FROM stash WHERE source_id = ? AND group_key = ?'),
      groupLegs: db.prepare<[string, string], { leg: string }>('SELECT leg FROM stash WHERE source_id = ? AND group_key = ? ORDER BY seq'),
      ping: db.prepare(`INSERT INTO meta (key, value) VALUES ('ping', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    };
  }

  private readonly putTx = (rows: NewRow[], checkpoints: Checkpoint[], unstash: Array<{ sourceId: string; groupKey: string }>) => {
    const now = Date.now();
    const results: PutResult[] = [];
    const tx = this.db.transaction(() => {
      for (const row of rows) {
        const params = {
          externalId: row.externalId,
          sourceId: row.sourceId,
          location: row.location,
          state: row.state,
          raw: JSON.stringify(row.raw ?? null),
          payload: row.payload === null ? null : JSON.stringify(row.payload),
          hash: contentHash(row.raw),
          reason: row.reason ?? null,
          nextAttemptAt: row.nextAttemptAt ?? now,
          now,
          lane: row.lane === 'import' ? 1 : 0,
        };
        if (this.stmts.insert.run(params).changes === 1) {
          results.push({ externalId: row.externalId, outcome: 'inserted' });
          continue;
        }
        const existing = this.stmts.existing.get(row.externalId);
        if (!existing || hashHex(existing.content_hash) === params.hash) {
          results.push({ externalId: row.externalId, outcome: 'duplicate' });
        } else if (REPLACEABLE.includes(existing.state)) {
          this.stmts.replace.run(params);
          results.push({ externalId: row.externalId, outcome: 'updated' });
        } else {
          results.push({ externalId: row.externalId, outcome: 'conflict' });
        }
      }
      for (const c of checkpoints) this.stmts.setCheckpoint.run({ key: c.key, value: c.value, now });
      for (const u of unstash) this.stmts.unstash.run(u.sourceId, u.groupKey);
    });
    tx.immediate();
    return results;
  };

  put = this.guard((rows: NewRow[], opts?: { checkpoints?: Checkpoint[]; unstash?: Array<{ sourceId: string; groupKey: string }> }) =>
    this.putTx(rows, opts?.checkpoints ?? [], opts?.unstash ?? []),
  );

  get = this.guard((externalId: string): LedgerRow | null => {
    const r = this.stmts.get.get(externalId);
    return r ? toRow(r) : null;
  });

  findByConversationId = this.guard((conversationId: string): LedgerRow | null => {
    const r = this.stmts.byConversation.get(conversationId);
    return r ? toRow(r) : null;
  });

  query = this.guard((filter: RowFilter): LedgerRow[] => {
    const { where, params } = buildWhere(filter);
    const limit = filter.limit ?? -1;
    const rows = this.db
      .prepare<unknown[], CallRowDb>(`SELECT * FROM calls${indexFor(filter)} ${where} ORDER BY COALESCE(submitted_at, updated_at), external_id LIMIT ${Math.trunc(limit)}`)
      .all(...params);
    return rows.map(toRow);
  });

  claimDue = this.guard((opts: { now: number; limit: number; owner: string; leaseMs: number; lane?: Lane }): LedgerRow[] => {
    const [low, high] = opts.lane === 'live' ? [0, 0] : opts.lane === 'import' ? [1, 1] : [0, 1];
    const rows = this.stmts.claim.all(opts.owner, opts.now + opts.leaseMs, opts.now, low, high, opts.now, opts.limit);
    // RETURNING gives no order: put them back in the order they were chosen.
    return rows.map(toRow).sort(byClaimOrder);
  });

  update = this.guard((externalId: string, patch: RowPatch, guard?: RowGuard): boolean => {
    const { sets, where, params } = updateSql(externalId, patch, guard, Date.now());
    return this.db.prepare(`UPDATE calls SET ${sets} WHERE ${where}`).run(...params).changes === 1;
  });

  renewLeases = this.guard((owner: string, externalIds: string[], leaseUntil: number): number => {
    let renewed = 0;
    // Chunks keep the statement under SQLite's variable limit.
    for (let i = 0; i < externalIds.length; i += 500) {
      const ids = externalIds.slice(i, i + 500);
      renewed += this.db
        .prepare(`UPDATE calls SET lease_until = ? WHERE state = 'submitting' AND lease_owner = ? AND external_id IN (${ids.map(() => '?').join(', ')})`)
        .run(leaseUntil, owner, ...ids).changes;
    }
    return renewed;
  });

  recoverExpiredLeases = this.guard((now: number): number =>
    this.db.transaction(() => {
      this.stmts.recoverQueued.run({ now });
      return this.stmts.recoverSent.run({ now }).changes;
    }).immediate(),
  );

  requeue = this.guard((filter: RowFilter, now: number): string[] => {
    const { where, params } = buildWhere(filter);
    // Only rows with a payload can be sent; rows without one must be re-normalized first (callbridge retry does that).
    // A row waiting for its upload is in progress too: sent now, it would carry a link the bucket was to replace.
    const cond = `${where ? `${where} AND` : 'WHERE'} payload IS NOT NULL AND state NOT IN ('prepare', 'submitting', 'submitted', 'confirmed')`;
    const rows = this.db
      .prepare<unknown[], { external_id: string }>(
        `UPDATE calls SET state = 'pending', attempts = 0, next_attempt_at = ?, reason = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?
         ${cond} RETURNING external_id`,
      )
      .all(now, now, ...params);
    return rows.map((r) => r.external_id);
  });

  stats = this.guard((): LedgerStats => {
    const counts = Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>;
    for (const { state, n } of this.stmts.counts.all()) counts[state] = n;
    const due = this.stmts.oldestDue.get();
    return {
      counts,
      oldestDue: due ? { externalId: due.external_id, nextAttemptAt: due.next_attempt_at, state: due.state } : null,
      lastErrors: this.stmts.lastErrors.all().map((e) => ({ externalId: e.external_id, state: e.state, reason: e.reason, updatedAt: e.updated_at })),
    };
  });

  addEvents = this.guard((events: RowEvent[]): void => this.history.add(events));

  events = this.guard((externalId: string): RowEvent[] => this.history.of(externalId));

  hourly = this.guard((since: number, now: number): HourCounts[] => this.history.hourly(since, now));

  search = this.guard((q: RowSearch): LedgerRow[] => {
    const { clauses, params } = searchSql(q, SQLITE_JSON);
    const limit = Math.max(1, Math.trunc(q.limit ?? DEFAULT_SEARCH_LIMIT));
    const order = `ORDER BY created_at DESC, external_id LIMIT ${limit}`;
    if (!q.states?.length) {
      const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
      return this.db.prepare<unknown[], CallRowDb>(`SELECT * FROM calls ${where} ${order}`).all(...params).map(toRow);
    }
    // The newest of each state, then the newest of those; never a read of every call ever kept. The states in trouble
    // (kept for ever) from their own index; confirmed and skipped (most calls, so the newest come first) by walking
    // calls_created; the calls on their way (as many as wait now, whatever the ledger's age) by their state.
    const states = [...new Set(q.states)];
    const each = (state: RowState) =>
      TROUBLE_STATES.includes(state)
        ? `SELECT * FROM (SELECT * FROM calls INDEXED BY calls_state_created WHERE ${[IN_TROUBLE, 'state = ?', ...clauses].join(' AND ')} ${order})`
        : `SELECT * FROM (SELECT * FROM calls INDEXED BY ${COMMON.includes(state) ? 'calls_created' : 'calls_lane_due'} WHERE ${['state = ?', ...clauses].join(' AND ')} ${order})`;
    return this.db
      .prepare<unknown[], CallRowDb>(`${states.map(each).join(' UNION ALL ')} ${order}`)
      .all(...states.flatMap((state) => [state, ...params]))
      .map(toRow);
  });

  countSubmittedSince = this.guard((since: number, lane?: Lane): number => {
    const all = () => this.stmts.submittedSince.get(since)?.n ?? 0;
    const imported = () => this.stmts.importSubmittedSince.get(since)?.n ?? 0;
    if (lane === undefined) return all();
    return lane === 'import' ? imported() : this.db.transaction(() => all() - imported())();
  });

  countBacklog = this.guard((): number => this.stmts.backlog.get()?.n ?? 0);

  compact = this.guard((opts: { before: number; limit: number; now: number }): number => this.retention.compact(opts));

  forget = this.guard((opts: { before: number; limit: number }): number => this.retention.forget(opts));

  reclaim = this.guard((maxPages: number): number => this.retention.reclaim(maxPages));

  countConfirmedSince = this.guard((since: number): number => this.stmts.confirmedSince.get(since)?.n ?? 0);

  getCheckpoint = this.guard((key: string): string | null => this.stmts.getCheckpoint.get(key)?.value ?? null);

  setCheckpoint = this.guard((c: Checkpoint): void => {
    this.stmts.setCheckpoint.run({ key: c.key, value: c.value, now: Date.now() });
  });

  stash = this.guard((legs: StashedLeg[], opts?: { checkpoints?: Checkpoint[] }): void => {
    const now = Date.now();
    this.db
      .transaction(() => {
        for (const l of legs) {
          const json = JSON.stringify(l.leg);
          this.stmts.stash.run(l.sourceId, l.groupKey, json, contentHash(l.leg), now);
        }
        for (const c of opts?.checkpoints ?? []) this.stmts.setCheckpoint.run({ key: c.key, value: c.value, now });
      })
      .immediate();
  });

  /**
   * The legs in arrival order, each group judged once, when first met (its oldest leg: the order of MIN(seq)), by its
   * newest leg (stash_group), until `limit` quiet groups are found. A page costs the legs it passes, not the stash: a
   * GROUP BY over every stashed leg made each page of a million-leg backlog a full scan (and the flush quadratic).
   */
  quietGroups = this.guard((sourceId: string, quietBefore: number, limit?: number): Array<{ groupKey: string; legs: unknown[] }> => {
    const max = limit ?? 1_000;
    const judged = new Set<string>();
    const quiet: string[] = [];
    for (const { group_key } of this.stmts.stashOrder.iterate(sourceId)) {
      if (judged.has(group_key)) continue;
      judged.add(group_key);
      const last = this.stmts.groupLastArrived.get(sourceId, group_key)?.last;
      if (last !== null && last !== undefined && last < quietBefore) quiet.push(group_key);
      if (quiet.length >= max) break;
    }
    return quiet.map((groupKey) => ({ groupKey, legs: this.stmts.groupLegs.all(sourceId, groupKey).map((l) => JSON.parse(l.leg) as unknown) }));
  });

  // One indexed lookup per group (stash_group): an input touches a few groups, and a prepared statement beats
  // building an IN list of varying length.
  stashedGroups = this.guard((sourceId: string, groupKeys: string[]): Array<{ groupKey: string; legs: unknown[] }> => {
    const groups: Array<{ groupKey: string; legs: unknown[] }> = [];
    for (const groupKey of new Set(groupKeys)) {
      const legs = this.stmts.groupLegs.all(sourceId, groupKey).map((l) => JSON.parse(l.leg) as unknown);
      if (legs.length) groups.push({ groupKey, legs });
    }
    return groups;
  });

  beat = this.guard((heartbeat: Beat): void => this.heartbeatTable.beat(heartbeat));

  endHeartbeat = this.guard((id: string, stoppedAt: number): void => this.heartbeatTable.end(id, stoppedAt));

  heartbeats = this.guard((): Heartbeat[] => this.heartbeatTable.all());

  ping = this.guard((): void => {
    this.stmts.ping.run(String(Date.now()));
  });

  settle = async (): Promise<void> => {
    await this.checkpointer?.checkpoint();
  };

  close = async (): Promise<void> => {
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  };
}

/**
 * The sweeps' partial indexes hold only the calls they look for; SQLite would otherwise take calls_confirmed and read
 * every call ever confirmed before the cut-off.
 */
function indexFor(filter: RowFilter): string {
  if (filter.uploadKeptConfirmedBefore !== undefined) return ' INDEXED BY calls_upload_kept';
  if (filter.recordingFileConfirmedBefore !== undefined) return ' INDEXED BY calls_recording_file';
  return '';
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

export async function openSqliteLedger(file: string, options?: SqliteLedgerOptions): Promise<SqliteLedger> {
  try {
    return new SqliteLedger(file, options);
  } catch (error) {
    // Never a fresh ledger in its place: the calls it knows would be sent again.
    if (isDamage(error)) throw new LedgerDamagedError(`${damagedText(file, error)}; nothing was started`, { cause: error });
    throw new LedgerUnavailableError(`cannot open ledger ${file}: ${(error as Error).message}`, { cause: error });
  }
}
