/**
 * Numbered migrations, applied in order inside one transaction each; `PRAGMA user_version` records the last.
 * Never edit a released migration: add the next number.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      CREATE TABLE calls (
        external_id     TEXT PRIMARY KEY,
        source_id       TEXT NOT NULL,
        location        TEXT,
        state           TEXT NOT NULL,
        raw             TEXT NOT NULL,
        payload         TEXT,
        content_hash    TEXT NOT NULL,
        reason          TEXT,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        conversation_id TEXT,
        resubmits       INTEGER NOT NULL DEFAULT 0,
        lease_owner     TEXT,
        lease_until     INTEGER,
        created_at      INTEGER NOT NULL,
        updated_at      INTEGER NOT NULL,
        submitted_at    INTEGER,
        confirmed_at    INTEGER
      );
      CREATE INDEX calls_state_due ON calls (state, next_attempt_at);
      CREATE INDEX calls_conversation ON calls (conversation_id) WHERE conversation_id IS NOT NULL;
      CREATE INDEX calls_updated ON calls (updated_at);

      CREATE TABLE checkpoints (
        key        TEXT PRIMARY KEY,
        value      TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE stash (
        seq        INTEGER PRIMARY KEY AUTOINCREMENT,
        source_id  TEXT NOT NULL,
        group_key  TEXT NOT NULL,
        leg        TEXT NOT NULL,
        arrived_at INTEGER NOT NULL
      );
      CREATE INDEX stash_group ON stash (source_id, group_key);

      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'sending-at',
    // When the request of a leased row really started: a dead process's row that was only queued is safe to
    // send again; one whose request had started may already exist in Dstny and must be looked up first.
    sql: `ALTER TABLE calls ADD COLUMN sending_at INTEGER;`,
  },
  {
    version: 3,
    name: 'stash-leg-hash',
    // A PBX that retries a hook post within the quiet period sends the same leg twice: keep it once.
    sql: `
      ALTER TABLE stash ADD COLUMN leg_hash TEXT;
      CREATE UNIQUE INDEX stash_leg_once ON stash (source_id, group_key, leg_hash);
    `,
  },
  {
    version: 4,
    name: 'heartbeats',
    // A running bridge says so in its ledger: `callbridge status` and `sandbox --reset` run apart from it.
    sql: `
      CREATE TABLE heartbeats (
        id          TEXT PRIMARY KEY,
        host        TEXT NOT NULL,
        pid         INTEGER NOT NULL,
        started_at  INTEGER NOT NULL,
        beat_at     INTEGER NOT NULL,
        interval_ms INTEGER NOT NULL,
        version     TEXT NOT NULL,
        http_url    TEXT,
        stopped_at  INTEGER
      );
    `,
  },
  {
    version: 5,
    name: 'recording-upload',
    // recordings.delivery: upload. Where a call's recording went in the bucket, so that a restart never uploads it
    // twice and deleteAfterDays finds what to remove.
    sql: `
      ALTER TABLE calls ADD COLUMN upload_key TEXT;
      ALTER TABLE calls ADD COLUMN upload_etag TEXT;
      ALTER TABLE calls ADD COLUMN upload_size INTEGER;
      ALTER TABLE calls ADD COLUMN upload_sha256 TEXT;
      ALTER TABLE calls ADD COLUMN uploaded_at INTEGER;
      ALTER TABLE calls ADD COLUMN upload_deleted_at INTEGER;
      CREATE INDEX calls_upload_kept ON calls (confirmed_at) WHERE upload_key IS NOT NULL AND upload_deleted_at IS NULL;
    `,
  },
  {
    version: 6,
    name: 'recording-file',
    // recordings.split / convert: the file the bridge made for a call (a stereo merge, a conversion), served or
    // uploaded instead of the PBX's, until it is cleaned after the call was confirmed.
    sql: `
      ALTER TABLE calls ADD COLUMN recording_file TEXT;
      CREATE INDEX calls_recording_file ON calls (confirmed_at) WHERE recording_file IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'events',
    // Each call's history for `callbridge inspect` (attempts with their answers, look-ups, webhooks), and the times
    // the status page counts per hour (taken, sent, confirmed) and the daily quota counts, indexed.
    sql: `
      CREATE TABLE events (
        seq             INTEGER PRIMARY KEY AUTOINCREMENT,
        external_id     TEXT NOT NULL,
        at              INTEGER NOT NULL,
        kind            TEXT NOT NULL,
        outcome         TEXT NOT NULL,
        status          INTEGER,
        message         TEXT,
        conversation_id TEXT,
        duration_ms     INTEGER
      );
      CREATE INDEX events_call ON events (external_id, seq);
      CREATE INDEX calls_created ON calls (created_at);
      CREATE INDEX calls_submitted ON calls (submitted_at) WHERE submitted_at IS NOT NULL;
      CREATE INDEX calls_confirmed ON calls (confirmed_at) WHERE confirmed_at IS NOT NULL;
    `,
  },
  {
    version: 8,
    name: 'lanes',
    // A backlog loaded with `callbridge import` waits in its own lane (1), behind every live call (0).
    sql: `
      ALTER TABLE calls ADD COLUMN lane INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX calls_lane_due ON calls (state, lane, next_attempt_at);
      CREATE INDEX calls_lane_submitted ON calls (lane, submitted_at) WHERE submitted_at IS NOT NULL;
    `,
  },
  {
    version: 9,
    name: 'reasoned',
    // The last errors (/status, every /metrics scrape, the status page) are the newest rows with a reason: a few
    // among many. Without this they were found by reading every waiting row (111 ms with 100,000 in the backlog).
    sql: `CREATE INDEX calls_reasoned ON calls (updated_at) WHERE reason IS NOT NULL;`,
  },
  {
    version: 10,
    name: 'flat-cost',
    // Cost that stays flat with age (issue 13). The rows per state and lane are counted as they change, by triggers in
    // the transaction of the change (they cannot drift), so stats() and the backlog no longer count the table. The
    // last errors get an index of the troubled rows only: calls_reasoned also held every skipped row (they have a
    // reason), and a ledger with no error walked all of them. calls_state_due is a prefix of calls_lane_due;
    // calls_state_created gives the newest failed, missing and rejected calls (the status page) without reading every
    // call that ever failed. Each index costs bytes on every row kept for years: calls_updated served only the failed
    // per hour (now calls_trouble) and retention (calls_compactable, calls_compacted, which hold only their rows), and
    // the sent per lane need only the import lane's (the live lane's are the rest).
    // compacted_at marks a row whose record and payload retention removed (src/ledger/retention.ts), and
    // calls_compactable finds the rows to compact next without passing over those already done.
    sql: `
      CREATE TABLE state_counts (
        state TEXT NOT NULL,
        lane  INTEGER NOT NULL,
        n     INTEGER NOT NULL,
        PRIMARY KEY (state, lane)
      ) WITHOUT ROWID;
      INSERT INTO state_counts (state, lane, n) SELECT state, lane, COUNT(*) FROM calls GROUP BY state, lane;
      CREATE TRIGGER calls_counted_insert AFTER INSERT ON calls BEGIN
        INSERT INTO state_counts (state, lane, n) VALUES (NEW.state, NEW.lane, 1) ON CONFLICT (state, lane) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER calls_counted_delete AFTER DELETE ON calls BEGIN
        UPDATE state_counts SET n = n - 1 WHERE state = OLD.state AND lane = OLD.lane;
      END;
      CREATE TRIGGER calls_counted_update AFTER UPDATE OF state, lane ON calls
        WHEN OLD.state IS NOT NEW.state OR OLD.lane IS NOT NEW.lane BEGIN
        UPDATE state_counts SET n = n - 1 WHERE state = OLD.state AND lane = OLD.lane;
        INSERT INTO state_counts (state, lane, n) VALUES (NEW.state, NEW.lane, 1) ON CONFLICT (state, lane) DO UPDATE SET n = n + 1;
      END;
      DROP INDEX calls_reasoned;
      -- Queries repeat these WHEREs (src/ledger/sqlite-partial-indexes.ts) for SQLite to use them.
      CREATE INDEX calls_trouble ON calls (updated_at)
        WHERE reason IS NOT NULL AND state IN ('failed', 'rejected', 'missing', 'pending', 'held', 'prepare', 'verify');
      DROP INDEX calls_state_due;
      CREATE INDEX calls_state_created ON calls (state, created_at) WHERE state IN ('failed', 'missing', 'rejected');
      DROP INDEX calls_updated;
      DROP INDEX calls_lane_submitted;
      CREATE INDEX calls_import_submitted ON calls (submitted_at) WHERE lane = 1 AND submitted_at IS NOT NULL;
      ALTER TABLE calls ADD COLUMN compacted_at INTEGER;
      CREATE INDEX calls_compactable ON calls (updated_at) WHERE compacted_at IS NULL AND state IN ('confirmed', 'skipped');
      CREATE INDEX calls_compacted ON calls (updated_at) WHERE compacted_at IS NOT NULL;

      -- After \`callbridge restore\` (meta restored_at, epoch ms): a call that ended before the restore may have been sent
      -- after the backup was made, so whenever it is about to wait for its turn (put as pending, or moved to pending
      -- from anywhere but a look-up or a lease never used) it is looked up at Dstny first (verify). One place for every
      -- path a call takes to the submitter: a put, a renormalization, a prepared recording, an operator's retry.
      CREATE TRIGGER calls_restored_insert AFTER INSERT ON calls
        WHEN NEW.state = 'pending' AND EXISTS (SELECT 1 FROM meta WHERE key = 'restored_at') BEGIN
        UPDATE calls SET state = 'verify', reason = 'the ledger was restored from a backup: looked up at Dstny before it is sent'
        WHERE external_id = NEW.external_id
          AND 1000 * COALESCE(unixepoch(json_extract(NEW.payload, '$.call_end_time')), unixepoch(json_extract(NEW.payload, '$.call_start_time')), 0)
            < (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'restored_at');
      END;
      CREATE TRIGGER calls_restored_update AFTER UPDATE OF state ON calls
        WHEN NEW.state = 'pending' AND OLD.state NOT IN ('verify', 'submitting') AND EXISTS (SELECT 1 FROM meta WHERE key = 'restored_at') BEGIN
        UPDATE calls SET state = 'verify', reason = 'the ledger was restored from a backup: looked up at Dstny before it is sent'
        WHERE external_id = NEW.external_id
          AND 1000 * COALESCE(unixepoch(json_extract(NEW.payload, '$.call_end_time')), unixepoch(json_extract(NEW.payload, '$.call_start_time')), 0)
            < (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'restored_at');
      END;
    `,
  },
  {
    version: 11,
    name: 'heartbeat-roles',
    // Replicas on a shared ledger show which of them holds which role and source; a lone bridge holds them all.
    sql: `ALTER TABLE heartbeats ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';`,
  },
];
