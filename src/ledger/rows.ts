import { createHash } from 'node:crypto';
import type { ConversationPayload } from '../dstny/payload.js';
import type { Heartbeat, LedgerRow, RecordingObject, RowEvent, RowFilter, RowGuard, RowPatch, RowSearch, RowState } from './ledger.js';
import { likeEscaped, searchTerms } from './search.js';

/*
 * What the SQLite and PostgreSQL ledgers share: their calls table has the same columns, so a row is read, filtered and
 * patched the same way.
 */

/** Claimed rows in the order they were chosen (RETURNING gives none): live before import, each lane by due time. */
export const byClaimOrder = (a: LedgerRow, b: LedgerRow): number => laneRank(a) - laneRank(b) || a.nextAttemptAt - b.nextAttemptAt;
const laneRank = (row: LedgerRow): number => (row.lane === 'import' ? 1 : 0);

/** Hex; a compacted SQLite row keeps the 32 bytes themselves (half the size, on a row kept for years). */
export const hashHex = (hash: string | Buffer): string => (typeof hash === 'string' ? hash : hash.toString('hex'));

/** States whose content may still be replaced by a newer version of the same call (never sent). */
export const REPLACEABLE: readonly RowState[] = ['held', 'prepare', 'pending', 'skipped', 'rejected'];

export interface CallRowDb {
  external_id: string;
  source_id: string;
  location: string | null;
  state: RowState;
  raw: string;
  payload: string | null;
  /** Hex; the 32 bytes themselves once compacted (half the size, on a row kept for years). */
  content_hash: string | Buffer;
  reason: string | null;
  attempts: number;
  next_attempt_at: number;
  conversation_id: string | null;
  resubmits: number;
  lease_owner: string | null;
  lease_until: number | null;
  sending_at: number | null;
  created_at: number;
  updated_at: number;
  submitted_at: number | null;
  confirmed_at: number | null;
  upload_key: string | null;
  upload_etag: string | null;
  upload_size: number | null;
  upload_sha256: string | null;
  uploaded_at: number | null;
  upload_deleted_at: number | null;
  recording_file: string | null;
  lane: number;
  compacted_at: number | null;
}

export function toRow(r: CallRowDb): LedgerRow {
  return {
    externalId: r.external_id,
    sourceId: r.source_id,
    location: r.location,
    state: r.state,
    raw: JSON.parse(r.raw) as unknown,
    payload: r.payload === null ? null : (JSON.parse(r.payload) as ConversationPayload),
    contentHash: hashHex(r.content_hash),
    reason: r.reason,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    conversationId: r.conversation_id,
    resubmits: r.resubmits,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    sendingAt: r.sending_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    submittedAt: r.submitted_at,
    confirmedAt: r.confirmed_at,
    upload:
      r.upload_key === null
        ? null
        : {
            key: r.upload_key,
            etag: r.upload_etag,
            size: r.upload_size ?? 0,
            sha256: r.upload_sha256 ?? '',
            uploadedAt: r.uploaded_at ?? 0,
            deletedAt: r.upload_deleted_at,
          },
    recordingFile: r.recording_file,
    lane: r.lane === 1 ? 'import' : 'live',
    compactedAt: r.compacted_at,
  };
}

export const UPLOAD_COLUMNS: Record<keyof RecordingObject, string> = {
  key: 'upload_key',
  etag: 'upload_etag',
  size: 'upload_size',
  sha256: 'upload_sha256',
  uploadedAt: 'uploaded_at',
  deletedAt: 'upload_deleted_at',
};

/**
 * The content of a call for duplicate detection: the raw record without where it was read from,
 * so the same CDR re-imported from another file (or line) is a duplicate, not a change.
 */
export function contentHash(raw: unknown): string {
  const content = raw && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>), location: undefined } : raw;
  return createHash('sha256').update(JSON.stringify(content) ?? 'null').digest('hex');
}

export const PATCH_COLUMNS: Record<Exclude<keyof RowPatch, 'attempts' | 'resubmits' | 'upload'>, string> = {
  state: 'state',
  payload: 'payload',
  raw: 'raw',
  reason: 'reason',
  nextAttemptAt: 'next_attempt_at',
  conversationId: 'conversation_id',
  leaseOwner: 'lease_owner',
  leaseUntil: 'lease_until',
  sendingAt: 'sending_at',
  submittedAt: 'submitted_at',
  confirmedAt: 'confirmed_at',
  recordingFile: 'recording_file',
};

export function buildWhere(filter: RowFilter): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  if (filter.states?.length) {
    clauses.push(`state IN (${filter.states.map(() => '?').join(', ')})`);
    params.push(...filter.states);
  }
  if (filter.externalIds?.length) {
    clauses.push(`external_id IN (${filter.externalIds.map(() => '?').join(', ')})`);
    params.push(...filter.externalIds);
  }
  if (filter.conversationIds?.length) {
    clauses.push(`conversation_id IN (${filter.conversationIds.map(() => '?').join(', ')})`);
    params.push(...filter.conversationIds);
  }
  if (filter.sourceId !== undefined) {
    clauses.push('source_id = ?');
    params.push(filter.sourceId);
  }
  if (filter.dueBy !== undefined) {
    clauses.push('next_attempt_at <= ?');
    params.push(filter.dueBy);
  }
  if (filter.uploadKeptConfirmedBefore !== undefined) {
    // calls_upload_kept covers exactly this.
    clauses.push('upload_key IS NOT NULL AND upload_deleted_at IS NULL AND confirmed_at < ?');
    params.push(filter.uploadKeptConfirmedBefore);
  }
  if (filter.recordingFileConfirmedBefore !== undefined) {
    // calls_recording_file covers exactly this.
    clauses.push('recording_file IS NOT NULL AND confirmed_at < ?');
    params.push(filter.recordingFileConfirmedBefore);
  }
  if (filter.detailKept) clauses.push('compacted_at IS NULL');
  if (filter.before !== undefined) {
    clauses.push('COALESCE(submitted_at, updated_at) < ?');
    params.push(filter.before);
  }
  return { where: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
}


export interface HeartbeatDb {
  id: string;
  host: string;
  pid: number;
  started_at: number;
  beat_at: number;
  interval_ms: number;
  version: string;
  http_url: string | null;
  stopped_at: number | null;
  /** JSON: a list of lock names. */
  roles: string;
}

export const toHeartbeat = (r: HeartbeatDb): Heartbeat => ({
  id: r.id,
  host: r.host,
  pid: r.pid,
  startedAt: r.started_at,
  beatAt: r.beat_at,
  intervalMs: r.interval_ms,
  version: r.version,
  httpUrl: r.http_url,
  stoppedAt: r.stopped_at,
  roles: JSON.parse(r.roles) as string[],
});

export interface EventDb {
  external_id: string;
  at: number;
  kind: RowEvent['kind'];
  outcome: string;
  status: number | null;
  message: string | null;
  conversation_id: string | null;
  duration_ms: number | null;
}

export const toEvent = (e: EventDb): RowEvent => ({
  externalId: e.external_id,
  at: e.at,
  kind: e.kind,
  outcome: e.outcome,
  status: e.status,
  message: e.message,
  conversationId: e.conversation_id,
  durationMs: e.duration_ms,
});

/**
 * The SET list and WHERE of `Ledger.update`, with `?` for each value in order (PostgreSQL's statements number them:
 * numbered()).
 */
export function updateSql(externalId: string, patch: RowPatch, guard: RowGuard | undefined, now: number): { sets: string; where: string; params: unknown[] } {
  const sets: string[] = ['updated_at = ?'];
  const params: unknown[] = [now];
  for (const [key, column] of Object.entries(PATCH_COLUMNS) as Array<[keyof typeof PATCH_COLUMNS, string]>) {
    if (!(key in patch)) continue;
    const value = patch[key];
    sets.push(`${column} = ?`);
    params.push(key === 'payload' || key === 'raw' ? (value === null ? null : JSON.stringify(value)) : (value ?? null));
  }
  if (patch.upload !== undefined) {
    for (const [key, column] of Object.entries(UPLOAD_COLUMNS) as Array<[keyof RecordingObject, string]>) {
      sets.push(`${column} = ?`);
      params.push(patch.upload === null ? null : patch.upload[key]);
    }
  }
  for (const key of ['attempts', 'resubmits'] as const) {
    const value = patch[key];
    if (value === undefined) continue;
    if (value === 'increment') sets.push(`${key} = ${key} + 1`);
    else {
      sets.push(`${key} = ?`);
      params.push(value);
    }
  }
  let where = 'external_id = ?';
  params.push(externalId);
  if (guard?.states?.length) {
    where += ` AND state IN (${guard.states.map(() => '?').join(', ')})`;
    params.push(...guard.states);
  }
  if (guard?.leaseOwner !== undefined) {
    where += ' AND lease_owner = ?';
    params.push(guard.leaseOwner);
  }
  return { sets: sets.join(', '), where, params };
}

/** How a ledger's SQL reads a field of a JSON column, and matches text case-insensitively. */
export interface JsonDialect {
  /** `column`'s field at `path`, as text (null when absent). */
  field(column: 'payload' | 'raw', path: string[]): string;
  /** The operator that matches an ASCII pattern in any case. */
  like: string;
}

/**
 * The conditions of an operator's search but its states, with `?` for each value in order: every condition must
 * hold. The text matches an external id (whole, or its beginning in any case), a conversation id, an owner's or
 * participant's email in any case, or the digits of a number the call was sent with or the PBX wrote (a PBX may space
 * them: "0031 20 555 0199").
 */
export function searchSql(q: RowSearch, sql: JsonDialect): { clauses: string[]; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const terms = searchTerms(q);
  if (terms) {
    const any = ['external_id = ?', `external_id ${sql.like} ? ESCAPE '\\'`, 'conversation_id = ?'];
    params.push(terms.text, `${likeEscaped(terms.text)}%`, terms.text);
    if (terms.email) {
      any.push(`lower(${sql.field('payload', ['owner_email'])}) = ?`, `lower(${sql.field('payload', ['participant_email'])}) = ?`);
      params.push(terms.email, terms.email);
    }
    if (terms.phoneDigits) {
      const numbers = [sql.field('payload', ['participant_phone_number']), sql.field('payload', ['owner_phone_number']), sql.field('raw', ['from', 'number']), sql.field('raw', ['to', 'number'])];
      for (const number of numbers) {
        any.push(`replace(replace(${number}, ' ', ''), '-', '') LIKE ?`);
        params.push(`%${terms.phoneDigits}%`);
      }
    }
    clauses.push(`(${any.join(' OR ')})`);
  }
  if (q.since !== undefined) {
    clauses.push('created_at >= ?');
    params.push(q.since);
  }
  if (q.until !== undefined) {
    clauses.push('created_at < ?');
    params.push(q.until);
  }
  return { clauses, params };
}

/** `?` placeholders as PostgreSQL's `$1, $2, ...` (the shared SQL here never holds a `?` of its own). */
export function numbered(sql: string, first = 1): string {
  let n = first - 1;
  return sql.replace(/\?/g, () => `$${++n}`);
}
