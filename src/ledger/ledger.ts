import type { ConversationPayload } from '../dstny/payload.js';

/**
 * Row states (README.md "Row states").
 *
 *   held ─┐
 *         ▼
 *   (prepare →) pending → submitting → submitted → confirmed
 *               │    ▲         └────→ missing (→ pending once, if configured)
 *               ▼    │
 *             verify ┘   (a crash left it in flight: look it up before sending again)
 *
 * Side exits: skipped (a filter, with reason), rejected (invalid payload / no owner, re-runnable),
 * failed (refused by the API or retries exhausted).
 * `held`: waiting for something outside (the recording file is not there yet), re-normalized when due.
 * `prepare`: sent once its local recording is made ready (merged, converted, uploaded: src/prepare/preparer.ts).
 */
export const rowStates = [
  'held',
  'prepare',
  'pending',
  'submitting',
  'verify',
  'submitted',
  'confirmed',
  'missing',
  'skipped',
  'rejected',
  'failed',
] as const;
export type RowState = (typeof rowStates)[number];

/**
 * Which queue a call waits in: `live` calls (from the sources, as they happen) are always sent before any `import`
 * call (a backlog loaded with `callbridge import`), and the backlog may use only its share of the daily quota.
 */
export type Lane = 'live' | 'import';

export interface LedgerRow {
  externalId: string;
  sourceId: string;
  /** "FILE:LINE" or "hook:<source>", for messages. */
  location: string | null;
  state: RowState;
  /** The CallRecord (JSON) the payload was built from; kept so a rejected row can be re-normalized. */
  raw: unknown;
  payload: ConversationPayload | null;
  /** sha256 of the raw record: equal content = true duplicate. */
  contentHash: string;
  /** Why it is skipped/rejected/failed/missing, or the last retryable error. */
  reason: string | null;
  attempts: number;
  /** Epoch ms when the row is due (pending/held/verify). */
  nextAttemptAt: number;
  conversationId: string | null;
  resubmits: number;
  leaseOwner: string | null;
  leaseUntil: number | null;
  /** When the current lease holder started the HTTP request (null: claimed but not sent yet). */
  sendingAt: number | null;
  createdAt: number;
  updatedAt: number;
  submittedAt: number | null;
  confirmedAt: number | null;
  /** Its local recording's copy in the upload bucket, once uploaded (recordings.delivery: upload). */
  upload: RecordingObject | null;
  /** The recording the bridge made for it (a stereo merge, a conversion), delivered instead of the PBX's. */
  recordingFile: string | null;
  lane: Lane;
  /**
   * When retention compacted it (ledger.retention.keepDetailDays): its record (`raw`, then null), payload and history
   * are gone; what dedupe and audit need stays (external id, content hash, state, conversation id, times, location).
   */
  compactedAt: number | null;
}

/** A call's recording as stored in the upload bucket. */
export interface RecordingObject {
  key: string;
  /** As the bucket answered; not a checksum to compare (a multipart ETag is not the file's MD5). */
  etag: string | null;
  size: number;
  /** Of the file uploaded: a restart compares it with the object's, so it never uploads the same file twice. */
  sha256: string;
  uploadedAt: number;
  /** When recordings.upload.deleteAfterDays removed it from the bucket; null while it is there. */
  deletedAt: number | null;
}

/** What a source puts: a normalized call, or one that normalization skipped/rejected/held. */
export interface NewRow {
  externalId: string;
  sourceId: string;
  location: string | null;
  state: 'pending' | 'skipped' | 'rejected' | 'held' | 'prepare';
  raw: unknown;
  payload: ConversationPayload | null;
  reason?: string | null;
  /** For held rows: when to look again (epoch ms). Default now. */
  nextAttemptAt?: number;
  /** Default live; `callbridge import` puts its rows in the import lane. Kept by a row for its life. */
  lane?: Lane;
}

/**
 * Result per row of `put`:
 * - `inserted`: new row.
 * - `duplicate`: a row with this external id and the same content exists; nothing changed.
 * - `updated`: same id, different content, and the old row was never sent (held/pending/skipped/rejected):
 *   the newer content replaces it (a PBX re-sent a corrected CDR).
 * - `conflict`: same id, different content, but the old row was already sent: kept as is, the new
 *   content is dropped and reported (Dstny already has that call; it is never sent twice).
 */
export type PutOutcome = 'inserted' | 'duplicate' | 'updated' | 'conflict';
export interface PutResult {
  externalId: string;
  outcome: PutOutcome;
}

/** A source's position (tail offset, imported file hash), committed atomically with its rows. */
export interface Checkpoint {
  key: string;
  value: string;
}

export interface RowFilter {
  states?: RowState[];
  externalIds?: string[];
  /** Rows that own one of these Dstny conversation ids. */
  conversationIds?: string[];
  sourceId?: string;
  /** Rows whose `submittedAt` (or `updatedAt` for other states) is before this (epoch ms). */
  before?: number;
  /** Rows due at or before this (epoch ms): `nextAttemptAt <= dueBy`. */
  dueBy?: number;
  /** Rows whose recording is still in the upload bucket (uploaded, not deleted), confirmed before this (epoch ms). */
  uploadKeptConfirmedBefore?: number;
  /** Rows that still have a recording the bridge made, confirmed before this (epoch ms). */
  recordingFileConfirmedBefore?: number;
  /** Only rows that still have their record and payload (not compacted). */
  detailKept?: boolean;
  limit?: number;
}

/**
 * One thing that happened to a call after the bridge took it, for `callbridge inspect` and the call's page: a
 * request to create it, a look-up of it, a webhook about it. History only: the row's state is what counts.
 */
export interface RowEvent {
  externalId: string;
  /** Epoch ms: when the request started, the look-up ran, the webhook came. */
  at: number;
  kind: 'attempt' | 'lookup' | 'webhook';
  /** attempt: the answer's class (2xx, 429, 4xx, 5xx, network); lookup: found, not-found, ambiguous; webhook: confirmed. */
  outcome: string;
  /** The HTTP status of an attempt's answer; null when none came (or for look-ups and webhooks). */
  status: number | null;
  /** What the API said, or why nothing was answered. */
  message: string | null;
  conversationId: string | null;
  durationMs: number | null;
}

/** What an operator searches calls by (`callbridge search`, the status page). Every given condition must hold. */
export interface RowSearch {
  /**
   * An external id (or its beginning), a Dstny conversation id, an email (owner or participant, any case), or a phone
   * number (matched on its digits without leading zeros, so 070 123 45 67 finds +46701234567).
   */
  text?: string;
  /** Taken by the bridge at or after this (epoch ms). */
  since?: number;
  /** Taken by the bridge before this (epoch ms). */
  until?: number;
  states?: RowState[];
  /** Default 50. */
  limit?: number;
}

/** Per hour (the epoch ms it starts), what happened to calls in it: for the status page's chart. */
export interface HourCounts {
  hour: number;
  /** Calls taken (rows created). */
  accepted: number;
  /** Calls created at Dstny. */
  sent: number;
  confirmed: number;
  /** Calls that became failed (by the time they last changed). */
  failed: number;
}

export interface LedgerStats {
  counts: Record<RowState, number>;
  oldestDue: { externalId: string; nextAttemptAt: number; state: RowState } | null;
  lastErrors: Array<{ externalId: string; state: RowState; reason: string; updatedAt: number }>;
}

/**
 * A running bridge's sign of life, written into its ledger every `intervalMs` (src/bridge/ledger.ts), so that
 * `callbridge status` and `callbridge sandbox --reset`, run apart from it, can tell whether a bridge uses the ledger.
 * Epoch ms, like every time the ledger keeps.
 */
export interface Heartbeat {
  /** Unique per process: host, pid and start time. */
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  beatAt: number;
  intervalMs: number;
  version: string;
  /** The bridge's own HTTP address (hooks, /status), when known. */
  httpUrl: string | null;
  /** Set when the bridge stopped cleanly; a crashed bridge's beat just grows old. */
  stoppedAt: number | null;
  /** The locks it held at its last beat: its roles (deliver, retention) and sources (source:ID) among the replicas. */
  roles: string[];
}

/** What a beat records: a heartbeat without its stop, its roles none when not given. */
export type Beat = Omit<Heartbeat, 'stoppedAt' | 'roles'> & { roles?: string[] };

/** A partly assembled call (legs waiting for their siblings), persisted so a restart loses none. */
export interface StashedLeg {
  sourceId: string;
  groupKey: string;
  leg: unknown;
}

/** Fields a state change may set; `attempts: 'increment'` adds one. */
export interface RowPatch {
  state?: RowState;
  payload?: ConversationPayload | null;
  raw?: unknown;
  reason?: string | null;
  attempts?: number | 'increment';
  nextAttemptAt?: number;
  conversationId?: string | null;
  resubmits?: number | 'increment';
  leaseOwner?: string | null;
  leaseUntil?: number | null;
  sendingAt?: number | null;
  submittedAt?: number | null;
  confirmedAt?: number | null;
  upload?: RecordingObject | null;
  recordingFile?: string | null;
}

/** Optimistic guard: the update applies only if the row is still in one of these states / leased by this owner. */
export interface RowGuard {
  states?: RowState[];
  leaseOwner?: string;
}

/**
 * The durable outbox. Async so that a server database can implement it for several replicas.
 * Every implementation must pass test/ledger/conformance.ts.
 */
export interface Ledger {
  /** Insert rows (and optionally advance checkpoints and drop stashed legs) in ONE transaction. */
  put(rows: NewRow[], opts?: { checkpoints?: Checkpoint[]; unstash?: Array<{ sourceId: string; groupKey: string }> }): Promise<PutResult[]>;
  get(externalId: string): Promise<LedgerRow | null>;
  /** Rows matching the filter, oldest first. */
  query(filter: RowFilter): Promise<LedgerRow[]>;
  /**
   * Atomically move up to `limit` due `pending` rows to `submitting` under a lease.
   * A row whose lease has not expired is never handed to a second claimer.
   */
  claimDue(opts: { now: number; limit: number; owner: string; leaseMs: number; lane?: Lane }): Promise<LedgerRow[]>;
  /** Apply a patch if the guard holds; returns false when the row moved on meanwhile. */
  update(externalId: string, patch: RowPatch, guard?: RowGuard): Promise<boolean>;
  /** Extend the leases `owner` holds on these rows (a heartbeat while they wait in the queue). Returns how many. */
  renewLeases(owner: string, externalIds: string[], leaseUntil: number): Promise<number>;
  /**
   * `submitting` rows whose lease expired (their process died): those whose request had started become `verify`
   * (they may exist in Dstny), those only queued go back to `pending`. Returns how many became `verify`.
   */
  recoverExpiredLeases(now: number): Promise<number>;
  /** Move rows matching the filter back to `pending` (attempts reset). Returns the ids moved. */
  requeue(filter: RowFilter, now: number): Promise<string[]>;
  stats(): Promise<LedgerStats>;
  /** How many rows (of one lane, or all) were submitted (created in Dstny) since `since` (epoch ms): the daily quota. */
  countSubmittedSince(since: number, lane?: Lane): Promise<number>;
  /** Import-lane calls not sent yet (held, prepare, pending, submitting, verify): the backlog. */
  countBacklog(): Promise<number>;
  /** Append to calls' histories (src/ledger RowEvent). */
  addEvents(events: RowEvent[]): Promise<void>;
  /** A call's history, oldest first. */
  events(externalId: string): Promise<RowEvent[]>;
  /** Rows matching an operator's search, the most recently taken first. */
  search(q: RowSearch): Promise<LedgerRow[]>;
  /** Calls accepted, sent, confirmed and failed per hour, from the hour holding `since` to the one holding `now`, oldest first; hours with nothing are there with zeros. */
  hourly(since: number, now: number): Promise<HourCounts[]>;
  /** How many calls were confirmed since `since` (epoch ms): "delivered in the last hour" on the status page. */
  countConfirmedSince(since: number): Promise<number>;
  /**
   * Retention, one small batch at a time: at most `limit` confirmed and skipped rows last changed before `before` lose
   * their record, payload and history (LedgerRow.compactedAt). They still refuse a duplicate. Returns how many.
   */
  compact(opts: { before: number; limit: number; now: number }): Promise<number>;
  /** Retention: delete at most `limit` compacted rows last changed before `before`. Returns how many. */
  forget(opts: { before: number; limit: number }): Promise<number>;
  /** Give back at most `maxPages` pages freed by compaction and forgetting, where the storage can. Returns how many. */
  reclaim(maxPages: number): Promise<number>;
  /** Conversation id → external id, for the webhook receiver. */
  findByConversationId(conversationId: string): Promise<LedgerRow | null>;

  getCheckpoint(key: string): Promise<string | null>;
  setCheckpoint(checkpoint: Checkpoint): Promise<void>;

  /**
   * Persist legs waiting for siblings (and optionally a checkpoint) in one transaction. A leg identical to one
   * already stashed for its group (a retried hook post) is kept once.
   */
  stash(legs: StashedLeg[], opts?: { checkpoints?: Checkpoint[] }): Promise<void>;
  /**
   * Stashed groups of a source whose newest leg is older than `quietBefore` (epoch ms), oldest first, at most
   * `limit` (default 1,000) so that a tail started on a large file never loads every stashed leg at once.
   */
  quietGroups(sourceId: string, quietBefore: number, limit?: number): Promise<Array<{ groupKey: string; legs: unknown[] }>>;
  /**
   * The stashed legs of these groups of a source, quiet or not, each group's in arrival order: what the ingestor
   * shows an adapter to learn whether a call is already complete. Groups in the order asked, a key asked twice
   * once; a group with no stashed leg (none came, or it was assembled) is left out.
   */
  stashedGroups(sourceId: string, groupKeys: string[]): Promise<Array<{ groupKey: string; legs: unknown[] }>>;

  /**
   * Record a beat of a running bridge (insert or refresh its heartbeat). Beats of other processes that have not
   * beaten for three of their intervals (they died without stopping) are forgotten at the same time.
   */
  beat(heartbeat: Beat): Promise<void>;
  /**
   * A bridge stopped cleanly: its heartbeat no longer counts as running; only when it stopped is kept (the last
   * clean stop only, so `callbridge status` can say when the bridge was last seen).
   */
  endHeartbeat(id: string, stoppedAt: number): Promise<void>;
  /** Every heartbeat kept, the most recent beat first. */
  heartbeats(): Promise<Heartbeat[]>;

  /**
   * Waits until the storage's own upkeep has caught up with the writes so far (SQLite: the write-ahead log copied
   * into the file by its checkpoint thread). A long run of writes, as retention's, calls it between batches, so
   * the upkeep never falls to a commit on the event loop. Optional: a storage without such upkeep has nothing to do.
   */
  settle?(): Promise<void>;

  /** Can the ledger take writes right now? (readiness) */
  ping(): Promise<void>;
  close(): Promise<void>;
}
