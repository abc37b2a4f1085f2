import type { Migration } from './migrations/index.js';

/**
 * The PostgreSQL ledger's own numbered migrations (the SQLite ledger's history is its own), applied in order, each in
 * one transaction under an advisory lock, so replicas started together migrate once. `migrations` records them.
 * Never edit a released migration: add the next number.
 *
 * The tables are those of the SQLite ledger at its migration 10, in the schema `callbridge` (every connection's
 * search_path), times as epoch ms in BIGINT. Differences, each for several writers at once:
 * - external_id sorts and compares bytewise (COLLATE "C"), as in SQLite, whatever the database's collation;
 * - the counts per state and lane are kept as changes appended by a trigger and folded in by whoever reads them
 *   (PostgresLedger.counts): a counter row updated in place would be locked by every transaction that adds a call
 *   until it commits, so concurrent puts would queue on it, and two that change two states deadlock;
 * - no restore marker: a PostgreSQL database is backed up and restored with its own tools (README).
 */
export const postgresMigrations: Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE calls (
        external_id       TEXT COLLATE "C" PRIMARY KEY,
        source_id         TEXT NOT NULL,
        location          TEXT,
        state             TEXT NOT NULL,
        raw               TEXT NOT NULL,
        payload           TEXT,
        content_hash      TEXT NOT NULL,
        reason            TEXT,
        attempts          INTEGER NOT NULL DEFAULT 0,
        next_attempt_at   BIGINT NOT NULL,
        conversation_id   TEXT,
        resubmits         INTEGER NOT NULL DEFAULT 0,
        lease_owner       TEXT,
        lease_until       BIGINT,
        sending_at        BIGINT,
        created_at        BIGINT NOT NULL,
        updated_at        BIGINT NOT NULL,
        submitted_at      BIGINT,
        confirmed_at      BIGINT,
        upload_key        TEXT,
        upload_etag       TEXT,
        upload_size       BIGINT,
        upload_sha256     TEXT,
        uploaded_at       BIGINT,
        upload_deleted_at BIGINT,
        recording_file    TEXT,
        lane              SMALLINT NOT NULL DEFAULT 0,
        compacted_at      BIGINT
      );
      CREATE INDEX calls_lane_due ON calls (state, lane, next_attempt_at);
      CREATE INDEX calls_conversation ON calls (conversation_id) WHERE conversation_id IS NOT NULL;
      CREATE INDEX calls_created ON calls (created_at);
      CREATE INDEX calls_state_created ON calls (state, created_at);
      CREATE INDEX calls_submitted ON calls (submitted_at) WHERE submitted_at IS NOT NULL;
      CREATE INDEX calls_import_submitted ON calls (submitted_at) WHERE lane = 1 AND submitted_at IS NOT NULL;
      CREATE INDEX calls_confirmed ON calls (confirmed_at) WHERE confirmed_at IS NOT NULL;
      CREATE INDEX calls_upload_kept ON calls (confirmed_at) WHERE upload_key IS NOT NULL AND upload_deleted_at IS NULL;
      CREATE INDEX calls_recording_file ON calls (confirmed_at) WHERE recording_file IS NOT NULL;
      CREATE INDEX calls_trouble ON calls (updated_at)
        WHERE reason IS NOT NULL AND state IN ('failed', 'rejected', 'missing', 'pending', 'held', 'prepare', 'verify');
      CREATE INDEX calls_compactable ON calls (updated_at) WHERE compacted_at IS NULL AND state IN ('confirmed', 'skipped');
      CREATE INDEX calls_compacted ON calls (updated_at) WHERE compacted_at IS NOT NULL;

      -- Counts per state and lane: what was folded into state_counts, plus the changes since, which the trigger only
      -- appends (no row is locked: every put would otherwise queue on the row of its state until it commits).
      CREATE TABLE state_counts (
        state TEXT NOT NULL,
        lane  SMALLINT NOT NULL,
        n     BIGINT NOT NULL,
        PRIMARY KEY (state, lane)
      );
      CREATE TABLE state_count_changes (
        state TEXT NOT NULL,
        lane  SMALLINT NOT NULL,
        n     INTEGER NOT NULL
      );
      CREATE FUNCTION calls_counted() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') THEN
          INSERT INTO state_count_changes (state, lane, n) VALUES (OLD.state, OLD.lane, -1);
        END IF;
        IF TG_OP IN ('UPDATE', 'INSERT') THEN
          INSERT INTO state_count_changes (state, lane, n) VALUES (NEW.state, NEW.lane, 1);
        END IF;
        RETURN NULL;
      END $$;
      CREATE TRIGGER calls_counted_insert_delete AFTER INSERT OR DELETE ON calls FOR EACH ROW EXECUTE FUNCTION calls_counted();
      CREATE TRIGGER calls_counted_update AFTER UPDATE OF state, lane ON calls FOR EACH ROW
        WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.lane IS DISTINCT FROM NEW.lane) EXECUTE FUNCTION calls_counted();

      CREATE TABLE checkpoints (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      );

      CREATE TABLE stash (
        seq        BIGSERIAL PRIMARY KEY,
        source_id  TEXT NOT NULL,
        group_key  TEXT NOT NULL,
        leg        TEXT NOT NULL,
        leg_hash   TEXT NOT NULL,
        arrived_at BIGINT NOT NULL,
        UNIQUE (source_id, group_key, leg_hash)
      );
      CREATE INDEX stash_source ON stash (source_id, seq);

      CREATE TABLE events (
        seq             BIGSERIAL PRIMARY KEY,
        external_id     TEXT COLLATE "C" NOT NULL,
        at              BIGINT NOT NULL,
        kind            TEXT NOT NULL,
        outcome         TEXT NOT NULL,
        status          INTEGER,
        message         TEXT,
        conversation_id TEXT,
        duration_ms     BIGINT
      );
      CREATE INDEX events_call ON events (external_id, seq);

      CREATE TABLE heartbeats (
        id          TEXT PRIMARY KEY,
        host        TEXT NOT NULL,
        pid         INTEGER NOT NULL,
        started_at  BIGINT NOT NULL,
        beat_at     BIGINT NOT NULL,
        interval_ms INTEGER NOT NULL,
        version     TEXT NOT NULL,
        http_url    TEXT,
        stopped_at  BIGINT,
        roles       TEXT NOT NULL DEFAULT '[]'
      );

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
];
