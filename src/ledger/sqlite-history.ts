import type Database from 'better-sqlite3';
import type { HourCounts, RowEvent } from './ledger.js';
import { type EventDb, toEvent } from './rows.js';
import { TROUBLED } from './sqlite-partial-indexes.js';

const HOUR = 3_600_000;

/** Each column counted per hour, by its own index (migration 7; failed rows by calls_trouble). */
const HOURLY: Record<Exclude<keyof HourCounts, 'hour'>, string> = {
  accepted: 'SELECT (created_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls WHERE created_at >= ? AND created_at < ? GROUP BY hour',
  sent: 'SELECT (submitted_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls WHERE submitted_at >= ? AND submitted_at < ? GROUP BY hour',
  confirmed: 'SELECT (confirmed_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls WHERE confirmed_at >= ? AND confirmed_at < ? GROUP BY hour',
  // By the hours asked for, not by every call that ever failed (calls_state_created would read them all): a failed
  // call always has its reason, so it is in calls_trouble.
  failed: `SELECT (updated_at / 3600000) * 3600000 AS hour, COUNT(*) AS n FROM calls INDEXED BY calls_trouble
    WHERE ${TROUBLED} AND updated_at >= ? AND updated_at < ? AND state = 'failed' GROUP BY hour`,
};

/** The events table of the SQLite ledger (migration 7) and the per-hour counts: Ledger.addEvents/events/hourly. */
export class SqliteHistory {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      add: db.prepare(
        `INSERT INTO events (external_id, at, kind, outcome, status, message, conversation_id, duration_ms)
         VALUES (@externalId, @at, @kind, @outcome, @status, @message, @conversationId, @durationMs)`,
      ),
      of: db.prepare<[string], EventDb>('SELECT * FROM events WHERE external_id = ? ORDER BY seq'),
      hourly: Object.fromEntries(Object.entries(HOURLY).map(([key, sql]) => [key, db.prepare<[number, number], { hour: number; n: number }>(sql)])) as Record<
        keyof typeof HOURLY,
        Database.Statement<[number, number], { hour: number; n: number }>
      >,
    };
  }

  add(events: RowEvent[]): void {
    this.db.transaction(() => {
      for (const e of events) this.stmts.add.run(e);
    })();
  }

  of(externalId: string): RowEvent[] {
    return this.stmts.of.all(externalId).map(toEvent);
  }

  hourly(since: number, now: number): HourCounts[] {
    const first = Math.floor(since / HOUR) * HOUR;
    const end = Math.floor(now / HOUR) * HOUR + HOUR;
    const hours = new Map<number, HourCounts>();
    for (let hour = first; hour < end; hour += HOUR) hours.set(hour, { hour, accepted: 0, sent: 0, confirmed: 0, failed: 0 });
    for (const key of Object.keys(HOURLY) as Array<keyof typeof HOURLY>) {
      for (const { hour, n } of this.stmts.hourly[key].all(first, end)) {
        const counts = hours.get(hour);
        if (counts) counts[key] = n;
      }
    }
    return [...hours.values()];
  }
}
