import type pg from 'pg';
import { LedgerUnavailableError } from '../errors.js';
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
  RowEvent,
  RowFilter,
  RowGuard,
  RowPatch,
  RowSearch,
  RowState,
  StashedLeg,
} from './ledger.js';
import { rowStates } from './ledger.js';
import { describePostgresUrl, PostgresPool, type PostgresPoolOptions, unavailable } from './postgres-pool.js';
import { buildWhere, byClaimOrder, type CallRowDb, contentHash, type EventDb, type HeartbeatDb, type JsonDialect, numbered, REPLACEABLE, searchSql, toEvent, toHeartbeat, toRow, updateSql } from './rows.js';
import { DEFAULT_SEARCH_LIMIT } from './search.js';
import { TROUBLED } from './sqlite-partial-indexes.js';

const HOUR = 3_600_000;

/** The states whose oldest due row stats() reports, each found at the head of its part of calls_lane_due. */
const DUE_STATES: readonly RowState[] = ['pending', 'held', 'prepare', 'verify'];
const OLDEST_DUE = `${DUE_STATES.flatMap((state) =>
  [0, 1].map(
    (lane) => `(SELECT external_id, next_attempt_at, state FROM calls WHERE state = '${state}' AND lane = ${lane} ORDER BY next_attempt_at LIMIT 1)`,
  ),
).join(' UNION ALL ')} ORDER BY next_attempt_at LIMIT 1`;

/** Each column counted per hour, by its own index (failed calls by calls_trouble). */
const HOURLY: Record<Exclude<keyof HourCounts, 'hour'>, string> = {
  accepted: 'SELECT (created_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls WHERE created_at >= $1 AND created_at < $2 GROUP BY 1',
  sent: 'SELECT (submitted_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY 1',
  confirmed: 'SELECT (confirmed_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls WHERE confirmed_at >= $1 AND confirmed_at < $2 GROUP BY 1',
  failed: `SELECT (updated_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls WHERE ${TROUBLED} AND updated_at >= $1 AND updated_at < $2 AND state = 'failed' GROUP BY 1`,
};

/** How often a reader of the counts folds the changes appended since into them. */
const FOLD_EVERY_MS = 5_000;

/** Import-lane calls not sent yet. */
const BACKLOG: readonly RowState[] = ['held', 'prepare', 'pending', 'submitting', 'verify'];

/** A call of a put as its columns take it. */
interface PutValues {
  externalId: string;
  sourceId: string;
  location: string | null;
  state: NewRow['state'];
  raw: string;
  payload: string | null;
  hash: string;
  reason: string | null;
  nextAttemptAt: number;
  lane: number;
}

/** ILIKE: an id's beginning matches in any case, as with SQLite's LIKE. */
const POSTGRES_JSON: JsonDialect = { field: (column, path) => `(${column}::jsonb #>> '{${path.join(',')}}')`, like: 'ILIKE' };

type Unstash = Array<{ sourceId: string; groupKey: string }>;

const SET_CHECKPOINT = `INSERT INTO checkpoints (key, value, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`;

/**
 * The ledger in PostgreSQL (`ledger.url`): the same behaviour as the SQLite ledger (test/ledger/conformance.ts), for
 * several bridges sharing one database. Claims take their rows with FOR UPDATE SKIP LOCKED, so two replicas claiming
 * at once never wait for each other nor get the same row; every other state change is one guarded UPDATE.
 */
export class PostgresLedger implements Ledger {
  private closed = false;
  private foldedAt = 0;

  private constructor(
    private readonly db: PostgresPool,
    /** The URL without its password, for messages. */
    readonly where: string,
  ) {}

  static async open(url: string, opts?: PostgresPoolOptions): Promise<PostgresLedger> {
    const db = new PostgresPool(url, opts);
    const where = describePostgresUrl(url);
    try {
      await db.migrate();
    } catch (error) {
      await db.end().catch(() => undefined);
      throw new LedgerUnavailableError(`cannot open the ledger ${where}: ${(error as Error).message}`, { cause: error });
    }
    return new PostgresLedger(db, where);
  }

  /** Every driver failure becomes LedgerUnavailableError; a closed ledger says so. */
  private guard<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return async (...args: A) => {
      if (this.closed) throw new LedgerUnavailableError('ledger is closed');
      try {
        return await fn(...args);
      } catch (error) {
        throw unavailable(error);
      }
    };
  }

  private async rows(sql: string, params: unknown[] = []): Promise<LedgerRow[]> {
    return (await this.db.query<CallRowDb & pg.QueryResultRow>(sql, params)).rows.map(toRow);
  }

  put = this.guard(async (rows: NewRow[], opts?: { checkpoints?: Checkpoint[]; unstash?: Unstash }): Promise<PutResult[]> => {
    const now = Date.now();
    const values = rows.map((row): PutValues => ({
      externalId: row.externalId,
      sourceId: row.sourceId,
      location: row.location,
      state: row.state,
      raw: JSON.stringify(row.raw ?? null),
      payload: row.payload === null ? null : JSON.stringify(row.payload),
      hash: contentHash(row.raw),
      reason: row.reason ?? null,
      nextAttemptAt: row.nextAttemptAt ?? now,
      lane: row.lane === 'import' ? 1 : 0,
    }));
    // In the order of their ids (an id twice keeps its order): two replicas putting the same calls at once then lock
    // them in the same order, and never deadlock.
    const order = values.map((_, i) => i).sort((a, b) => (values[a]!.externalId < values[b]!.externalId ? -1 : values[a]!.externalId > values[b]!.externalId ? 1 : a - b));
    return this.db.transaction(async (c) => {
      // One statement inserts every new call (the first of an id given twice is the one inserted); the others are
      // judged one by one against what is there, locked.
      const sorted = order.map((i) => values[i]!);
      const inserted = new Set(
        (
          await c.query<{ external_id: string }>(
            `INSERT INTO calls (external_id, source_id, location, state, raw, payload, content_hash, reason, next_attempt_at, lane, created_at, updated_at)
             SELECT *, $11::bigint, $11::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::bigint[], $10::smallint[])
             ON CONFLICT (external_id) DO NOTHING RETURNING external_id`,
            [
              ...(['externalId', 'sourceId', 'location', 'state', 'raw', 'payload', 'hash', 'reason', 'nextAttemptAt', 'lane'] as const).map((key) => sorted.map((v) => v[key])),
              now,
            ],
          )
        ).rows.map((r) => r.external_id),
      );
      const results: PutResult[] = [];
      for (const i of order) results[i] = { externalId: values[i]!.externalId, outcome: await this.putOne(c, values[i]!, inserted, now) };
      for (const cp of opts?.checkpoints ?? []) await c.query(SET_CHECKPOINT, [cp.key, cp.value, now]);
      for (const u of opts?.unstash ?? []) await c.query('DELETE FROM stash WHERE source_id = $1 AND group_key = $2', [u.sourceId, u.groupKey]);
      return results;
    });
  });

  /** What became of one call of a put, judged in its transaction. */
  private async putOne(c: pg.PoolClient, v: PutValues, inserted: Set<string>, now: number): Promise<PutResult['outcome']> {
    if (inserted.delete(v.externalId)) return 'inserted';
    const [existing] = (await c.query<{ state: RowState; content_hash: string }>('SELECT state, content_hash FROM calls WHERE external_id = $1 FOR UPDATE', [v.externalId])).rows;
    if (!existing || existing.content_hash === v.hash) return 'duplicate';
    if (!REPLACEABLE.includes(existing.state)) return 'conflict';
    await c.query(
      `UPDATE calls SET source_id = $2, location = $3, state = $4, raw = $5, payload = $6, content_hash = $7, reason = $8, next_attempt_at = $9,
         updated_at = $10, compacted_at = NULL
       WHERE external_id = $1`,
      [v.externalId, v.sourceId, v.location, v.state, v.raw, v.payload, v.hash, v.reason, v.nextAttemptAt, now],
    );
    return 'updated';
  }

  get = this.guard(async (externalId: string): Promise<LedgerRow | null> => (await this.rows('SELECT * FROM calls WHERE external_id = $1', [externalId]))[0] ?? null);

  findByConversationId = this.guard(
    async (conversationId: string): Promise<LedgerRow | null> => (await this.rows('SELECT * FROM calls WHERE conversation_id = $1 LIMIT 1', [conversationId]))[0] ?? null,
  );

  query = this.guard(async (filter: RowFilter): Promise<LedgerRow[]> => {
    const { where, params } = buildWhere(filter);
    const limit = filter.limit === undefined || filter.limit < 0 ? 'ALL' : String(Math.trunc(filter.limit));
    return this.rows(numbered(`SELECT * FROM calls ${where} ORDER BY COALESCE(submitted_at, updated_at), external_id LIMIT ${limit}`), params);
  });

  claimDue = this.guard(async (opts: { now: number; limit: number; owner: string; leaseMs: number; lane?: Lane }): Promise<LedgerRow[]> => {
    const [low, high] = opts.lane === 'live' ? [0, 0] : opts.lane === 'import' ? [1, 1] : [0, 1];
    // Rows another replica is claiming right now are passed over, not waited for.
    const rows = await this.rows(
      `UPDATE calls SET state = 'submitting', lease_owner = $1, lease_until = $2, sending_at = NULL, updated_at = $3
       WHERE external_id IN (
         SELECT external_id FROM calls WHERE state = 'pending' AND lane BETWEEN $4 AND $5 AND next_attempt_at <= $3
         ORDER BY lane, next_attempt_at LIMIT $6 FOR UPDATE SKIP LOCKED
       )
       RETURNING *`,
      [opts.owner, opts.now + opts.leaseMs, opts.now, low, high, opts.limit],
    );
    return rows.sort(byClaimOrder);
  });

  update = this.guard(async (externalId: string, patch: RowPatch, guard?: RowGuard): Promise<boolean> => {
    const { sets, where, params } = updateSql(externalId, patch, guard, Date.now());
    return (await this.db.query(numbered(`UPDATE calls SET ${sets} WHERE ${where}`), params)).rowCount === 1;
  });

  renewLeases = this.guard(
    async (owner: string, externalIds: string[], leaseUntil: number): Promise<number> =>
      externalIds.length
        ? ((await this.db.query("UPDATE calls SET lease_until = $1 WHERE state = 'submitting' AND lease_owner = $2 AND external_id = ANY($3::text[])", [leaseUntil, owner, externalIds]))
            .rowCount ?? 0)
        : 0,
  );

  recoverExpiredLeases = this.guard(
    async (now: number): Promise<number> =>
      this.db.transaction(async (c) => {
        await c.query(
          `UPDATE calls SET state = 'pending', lease_owner = NULL, lease_until = NULL, next_attempt_at = $1, updated_at = $1
           WHERE state = 'submitting' AND lease_until < $1 AND sending_at IS NULL`,
          [now],
        );
        const sent = await c.query(
          `UPDATE calls SET state = 'verify', lease_owner = NULL, lease_until = NULL, sending_at = NULL, next_attempt_at = $1, updated_at = $1,
             reason = 'in flight when its process stopped: look it up before sending again'
           WHERE state = 'submitting' AND lease_until < $1 AND sending_at IS NOT NULL`,
          [now],
        );
        return sent.rowCount ?? 0;
      }),
  );

  requeue = this.guard(async (filter: RowFilter, now: number): Promise<string[]> => {
    const { where, params } = buildWhere(filter);
    // As in SQLite: only rows with a payload, never one in progress or done.
    const cond = `${where ? `${where} AND` : 'WHERE'} payload IS NOT NULL AND state NOT IN ('prepare', 'submitting', 'submitted', 'confirmed')`;
    const result = await this.db.query<{ external_id: string }>(
      numbered(
        `UPDATE calls SET state = 'pending', attempts = 0, next_attempt_at = ?, reason = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ? ${cond} RETURNING external_id`,
      ),
      [now, now, ...params],
    );
    return result.rows.map((r) => r.external_id);
  });

  stats = this.guard(async (): Promise<LedgerStats> => {
    const counts = Object.fromEntries(rowStates.map((s) => [s, 0])) as Record<RowState, number>;
    const [kept, due, errors] = await Promise.all([
      this.counts(),
      this.db.query<{ external_id: string; next_attempt_at: number; state: RowState }>(OLDEST_DUE),
      this.db.query<{ external_id: string; state: RowState; reason: string; updated_at: number }>(
        `SELECT external_id, state, reason, updated_at FROM calls WHERE ${TROUBLED} ORDER BY updated_at DESC LIMIT 10`,
      ),
    ]);
    for (const { state, n } of kept) counts[state] += n;
    const [oldest] = due.rows;
    return {
      counts,
      oldestDue: oldest ? { externalId: oldest.external_id, nextAttemptAt: oldest.next_attempt_at, state: oldest.state } : null,
      lastErrors: errors.rows.map((e) => ({ externalId: e.external_id, state: e.state, reason: e.reason, updatedAt: e.updated_at })),
    };
  });

  countSubmittedSince = this.guard(async (since: number, lane?: Lane): Promise<number> => {
    const lanes = lane === undefined ? '' : lane === 'import' ? ' AND lane = 1' : ' AND lane = 0';
    return (await this.db.query<{ n: number }>(`SELECT COUNT(*) AS n FROM calls WHERE submitted_at >= $1${lanes}`, [since])).rows[0]?.n ?? 0;
  });

  countBacklog = this.guard(async (): Promise<number> =>
    (await this.counts()).filter((c) => c.lane === 1 && BACKLOG.includes(c.state)).reduce((sum, c) => sum + c.n, 0),
  );

  /**
   * The rows per state and lane: what was folded plus the changes since, exact at any moment. At most every
   * FOLD_EVERY_MS a reader folds the changes in first (one reader at a time; the others do not wait), so the table of
   * changes stays short without a write on every /status, scrape and submitter pump.
   */
  private async counts(): Promise<Array<{ state: RowState; lane: number; n: number }>> {
    if (Date.now() - this.foldedAt >= FOLD_EVERY_MS) await this.foldCounts();
    const result = await this.db.query<{ state: RowState; lane: number; n: number }>(
      `SELECT state, lane, SUM(n)::bigint AS n FROM (SELECT state, lane, n FROM state_counts UNION ALL SELECT state, lane, n FROM state_count_changes) AS c
       GROUP BY state, lane`,
    );
    return result.rows;
  }

  private async foldCounts(): Promise<void> {
    this.foldedAt = Date.now();
    await this.db.query(
      `WITH folding AS (SELECT pg_try_advisory_xact_lock(hashtext('callbridge:fold-counts')) AS mine),
            moved AS (DELETE FROM state_count_changes WHERE (SELECT mine FROM folding) RETURNING state, lane, n)
       INSERT INTO state_counts (state, lane, n) SELECT state, lane, SUM(n) FROM moved GROUP BY state, lane
       ON CONFLICT (state, lane) DO UPDATE SET n = state_counts.n + excluded.n`,
    );
  }

  countConfirmedSince = this.guard(
    async (since: number): Promise<number> => (await this.db.query<{ n: number }>('SELECT COUNT(*) AS n FROM calls WHERE confirmed_at >= $1', [since])).rows[0]?.n ?? 0,
  );

  addEvents = this.guard(async (events: RowEvent[]): Promise<void> => {
    if (!events.length) return;
    const columns = ['externalId', 'at', 'kind', 'outcome', 'status', 'message', 'conversationId', 'durationMs'] as const;
    await this.db.query(
      `INSERT INTO events (external_id, at, kind, outcome, status, message, conversation_id, duration_ms)
       SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::integer[], $6::text[], $7::text[], $8::bigint[])`,
      columns.map((key) => events.map((e) => e[key])),
    );
  });

  events = this.guard(
    async (externalId: string): Promise<RowEvent[]> => (await this.db.query<EventDb>('SELECT * FROM events WHERE external_id = $1 ORDER BY seq', [externalId])).rows.map(toEvent),
  );

  search = this.guard(async (q: RowSearch): Promise<LedgerRow[]> => {
    const { clauses, params } = searchSql(q, POSTGRES_JSON);
    if (q.states?.length) {
      clauses.push('state = ANY(?::text[])');
      params.push([...new Set(q.states)]);
    }
    const limit = Math.max(1, Math.trunc(q.limit ?? DEFAULT_SEARCH_LIMIT));
    const where = clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
    return this.rows(numbered(`SELECT * FROM calls ${where} ORDER BY created_at DESC, external_id LIMIT ${limit}`), params);
  });

  hourly = this.guard(async (since: number, now: number): Promise<HourCounts[]> => {
    const first = Math.floor(since / HOUR) * HOUR;
    const end = Math.floor(now / HOUR) * HOUR + HOUR;
    const hours = new Map<number, HourCounts>();
    for (let hour = first; hour < end; hour += HOUR) hours.set(hour, { hour, accepted: 0, sent: 0, confirmed: 0, failed: 0 });
    const keys = Object.keys(HOURLY) as Array<keyof typeof HOURLY>;
    const results = await Promise.all(keys.map((key) => this.db.query<{ hour: number; n: number }>(HOURLY[key], [first, end])));
    keys.forEach((key, i) => {
      for (const { hour, n } of results[i]!.rows) {
        const counts = hours.get(hour);
        if (counts) counts[key] = n;
      }
    });
    return [...hours.values()];
  });

  compact = this.guard(
    async (opts: { before: number; limit: number; now: number }): Promise<number> =>
      this.db.transaction(async (c) => {
        // Updated in place: PostgreSQL's vacuum reuses the space the old versions leave.
        const done = await c.query<{ external_id: string }>(
          `UPDATE calls SET raw = 'null', payload = NULL, compacted_at = $3
           WHERE external_id IN (
             SELECT external_id FROM calls WHERE compacted_at IS NULL AND state IN ('confirmed', 'skipped') AND updated_at < $1
             ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
           )
           RETURNING external_id`,
          [opts.before, opts.limit, opts.now],
        );
        const ids = done.rows.map((r) => r.external_id);
        if (ids.length) await c.query('DELETE FROM events WHERE external_id = ANY($1::text[])', [ids]);
        return ids.length;
      }),
  );

  forget = this.guard(
    async (opts: { before: number; limit: number }): Promise<number> =>
      (
        await this.db.query(
          `DELETE FROM calls WHERE external_id IN (
             SELECT external_id FROM calls WHERE compacted_at IS NOT NULL AND updated_at < $1 ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
           )`,
          [opts.before, opts.limit],
        )
      ).rowCount ?? 0,
  );

  /** PostgreSQL's autovacuum makes freed space reusable; giving it back to the file system is VACUUM FULL's, an operator's choice. */
  reclaim = this.guard(async (_maxPages: number): Promise<number> => 0);

  getCheckpoint = this.guard(
    async (key: string): Promise<string | null> => (await this.db.query<{ value: string }>('SELECT value FROM checkpoints WHERE key = $1', [key])).rows[0]?.value ?? null,
  );

  setCheckpoint = this.guard(async (cp: Checkpoint): Promise<void> => {
    await this.db.query(SET_CHECKPOINT, [cp.key, cp.value, Date.now()]);
  });

  stash = this.guard(async (legs: StashedLeg[], opts?: { checkpoints?: Checkpoint[] }): Promise<void> => {
    const now = Date.now();
    await this.db.transaction(async (c) => {
      if (legs.length) {
        await c.query(
          `INSERT INTO stash (source_id, group_key, leg, leg_hash, arrived_at)
           SELECT *, $5::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT DO NOTHING`,
          [legs.map((l) => l.sourceId), legs.map((l) => l.groupKey), legs.map((l) => JSON.stringify(l.leg)), legs.map((l) => contentHash(l.leg)), now],
        );
      }
      for (const cp of opts?.checkpoints ?? []) await c.query(SET_CHECKPOINT, [cp.key, cp.value, now]);
    });
  });

  /** Groups in the order their first leg arrived, judged by their newest. */
  quietGroups = this.guard(async (sourceId: string, quietBefore: number, limit?: number): Promise<Array<{ groupKey: string; legs: unknown[] }>> => {
    const quiet = await this.db.query<{ group_key: string }>(
      'SELECT group_key FROM stash WHERE source_id = $1 GROUP BY group_key HAVING MAX(arrived_at) < $2 ORDER BY MIN(seq) LIMIT $3',
      [sourceId, quietBefore, limit ?? 1_000],
    );
    return this.legsOf(
      sourceId,
      quiet.rows.map((r) => r.group_key),
    );
  });

  stashedGroups = this.guard(async (sourceId: string, groupKeys: string[]) => this.legsOf(sourceId, [...new Set(groupKeys)]));

  /** The legs of these groups, each group's in arrival order, the groups in the order given; empty ones left out. */
  private async legsOf(sourceId: string, groupKeys: string[]): Promise<Array<{ groupKey: string; legs: unknown[] }>> {
    if (!groupKeys.length) return [];
    const result = await this.db.query<{ group_key: string; leg: string }>(
      'SELECT group_key, leg FROM stash WHERE source_id = $1 AND group_key = ANY($2::text[]) ORDER BY seq',
      [sourceId, groupKeys],
    );
    const legs = new Map<string, unknown[]>(groupKeys.map((key) => [key, []]));
    for (const r of result.rows) legs.get(r.group_key)?.push(JSON.parse(r.leg) as unknown);
    return [...legs].filter(([, l]) => l.length).map(([groupKey, l]) => ({ groupKey, legs: l }));
  }

  beat = this.guard(async (h: Beat): Promise<void> => {
    await this.db.transaction(async (c) => {
      await c.query(
        `INSERT INTO heartbeats (id, host, pid, started_at, beat_at, interval_ms, version, http_url, stopped_at, roles) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)
         ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, interval_ms = excluded.interval_ms, http_url = excluded.http_url,
           version = excluded.version, stopped_at = NULL, roles = excluded.roles`,
        [h.id, h.host, h.pid, h.startedAt, h.beatAt, h.intervalMs, h.version, h.httpUrl, JSON.stringify(h.roles ?? [])],
      );
      // A process that has not beaten for three of its intervals died without stopping.
      await c.query('DELETE FROM heartbeats WHERE id <> $1 AND stopped_at IS NULL AND beat_at < $2::bigint - 3 * interval_ms', [h.id, h.beatAt]);
    });
  });

  endHeartbeat = this.guard(async (id: string, stoppedAt: number): Promise<void> => {
    await this.db.transaction(async (c) => {
      await c.query('DELETE FROM heartbeats WHERE stopped_at IS NOT NULL AND id <> $1', [id]);
      await c.query('UPDATE heartbeats SET stopped_at = $1 WHERE id = $2', [stoppedAt, id]);
    });
  });

  heartbeats = this.guard(
    async (): Promise<Heartbeat[]> => (await this.db.query<HeartbeatDb>('SELECT * FROM heartbeats ORDER BY COALESCE(stopped_at, beat_at) DESC, id')).rows.map(toHeartbeat),
  );

  ping = this.guard(async (): Promise<void> => {
    await this.db.query("INSERT INTO meta (key, value) VALUES ('ping', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(Date.now())]);
  });

  close = async (): Promise<void> => {
    if (this.closed) return;
    this.closed = true;
    await this.db.end();
  };
}
