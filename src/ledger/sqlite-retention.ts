import type Database from 'better-sqlite3';
import { hashHex } from './rows.js';


/**
 * Retention in the SQLite ledger (migration 10): Ledger.compact/forget/reclaim. Each finds its rows by a partial
 * index holding only them (calls_compactable, calls_compacted), so a batch costs its rows, not the ledger's age.
 */
export class SqliteRetention {
  private readonly stmts;

  constructor(private readonly db: Database.Database) {
    const columns = (db.pragma('table_info(calls)') as Array<{ name: string }>).map((c) => c.name);
    this.stmts = {
      compactable: db.prepare<[number, number], Record<string, unknown> & { external_id: string; content_hash: string | Buffer }>(
        `SELECT * FROM calls INDEXED BY calls_compactable
         WHERE compacted_at IS NULL AND state IN ('confirmed', 'skipped') AND updated_at < ? ORDER BY updated_at LIMIT ?`,
      ),
      remove: db.prepare<[string]>('DELETE FROM calls WHERE external_id = ?'),
      reinsert: db.prepare<[Record<string, unknown>]>(`INSERT INTO calls (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`),
      forgetEvents: db.prepare<[string]>('DELETE FROM events WHERE external_id = ?'),
      forget: db.prepare<[number, number]>(
        `DELETE FROM calls WHERE rowid IN (
           SELECT rowid FROM calls INDEXED BY calls_compacted WHERE compacted_at IS NOT NULL AND updated_at < ? ORDER BY updated_at LIMIT ?
         )`,
      ),
    };
  }

  compact(opts: { before: number; limit: number; now: number }): number {
    return this.db
      .transaction(() => {
        // Deleted and put back small, not updated in place: SQLite merges the pages a delete leaves nearly empty, but
        // not those a shrinking update does, so the space would never come free. The copy lands on the newest pages.
        const rows = this.stmts.compactable.all(opts.before, opts.limit);
        for (const row of rows) {
          this.stmts.remove.run(row.external_id);
          this.stmts.reinsert.run({ ...row, raw: 'null', payload: null, content_hash: Buffer.from(hashHex(row.content_hash), 'hex'), compacted_at: opts.now });
          this.stmts.forgetEvents.run(row.external_id);
        }
        return rows.length;
      })
      .immediate();
  }

  forget(opts: { before: number; limit: number }): number {
    return this.stmts.forget.run(opts.before, opts.limit).changes;
  }

  /** Only a ledger created with incremental auto_vacuum can give pages back; an older one reuses them. */
  reclaim(maxPages: number): number {
    if (this.db.pragma('auto_vacuum', { simple: true }) !== 2) return 0;
    const free = () => this.db.pragma('freelist_count', { simple: true }) as number;
    const before = free();
    this.db.pragma(`incremental_vacuum(${Math.max(0, Math.trunc(maxPages))})`);
    return before - free();
  }
}
