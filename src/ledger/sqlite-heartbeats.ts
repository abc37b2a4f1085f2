import type Database from 'better-sqlite3';
import type { Beat, Heartbeat } from './ledger.js';
import { type HeartbeatDb, toHeartbeat } from './rows.js';

/** The heartbeats table of the SQLite ledger (migration 4): the statements behind Ledger.beat/endHeartbeat/heartbeats. */
export class SqliteHeartbeats {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    this.stmts = {
      upsert: db.prepare(
        `INSERT INTO heartbeats (id, host, pid, started_at, beat_at, interval_ms, version, http_url, stopped_at, roles)
         VALUES (@id, @host, @pid, @startedAt, @beatAt, @intervalMs, @version, @httpUrl, NULL, @roles)
         ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at, interval_ms = excluded.interval_ms,
           http_url = excluded.http_url, version = excluded.version, stopped_at = NULL, roles = excluded.roles`,
      ),
      // A process that has not beaten for three of its intervals died without stopping: a live bridge forgets it.
      forgetDead: db.prepare('DELETE FROM heartbeats WHERE id <> ? AND stopped_at IS NULL AND beat_at < ? - 3 * interval_ms'),
      forgetStopped: db.prepare('DELETE FROM heartbeats WHERE stopped_at IS NOT NULL AND id <> ?'),
      stop: db.prepare('UPDATE heartbeats SET stopped_at = ? WHERE id = ?'),
      all: db.prepare<[], HeartbeatDb>('SELECT * FROM heartbeats ORDER BY COALESCE(stopped_at, beat_at) DESC, id'),
    };
  }

  beat(h: Beat): void {
    this.db
      .transaction(() => {
        this.stmts.upsert.run({ ...h, roles: JSON.stringify(h.roles ?? []) });
        this.stmts.forgetDead.run(h.id, h.beatAt);
      })
      .immediate();
  }

  end(id: string, stoppedAt: number): void {
    this.db
      .transaction(() => {
        this.stmts.forgetStopped.run(id);
        this.stmts.stop.run(stoppedAt, id);
      })
      .immediate();
  }

  all(): Heartbeat[] {
    return this.stmts.all.all().map(toHeartbeat);
  }
}
