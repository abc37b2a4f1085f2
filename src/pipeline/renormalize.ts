import type { Ledger, LedgerRow, RowPatch, RowState } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { logStateChange } from '../log/state-change.js';
import { callRecordSchema } from '../../adapters/call-record.js';
import { rejectedChange } from './rejection-fix.js';
import type { NormalizeResult, NormalizeSource, Normalizer } from './types.js';

/**
 * Normalize stored rows again from their raw CallRecord: `held` rows when they are due (the recording may
 * be there now), and `rejected` rows after the operator fixed the cause (`callbridge retry`, e.g. an owner
 * mapping was added). Each row moves only if it is still in the state it was read in.
 */
export function patchFor(result: NormalizeResult, now: number): RowPatch {
  switch (result.kind) {
    case 'payload':
      return { state: result.prepare ? 'prepare' : 'pending', payload: result.payload, reason: null, nextAttemptAt: now };
    case 'skipped':
      return { state: 'skipped', payload: null, reason: result.reason };
    case 'rejected':
      return { state: 'rejected', payload: null, reason: result.reason };
    case 'held':
      return { state: 'held', payload: null, reason: result.reason, nextAttemptAt: result.retryAt };
  }
}

export interface RenormalizeOutcome {
  externalId: string;
  from: RowState;
  to: RowState | 'unchanged';
  reason: string | null;
}

export interface RenormalizeDeps {
  ledger: Ledger;
  normalizer: Normalizer;
  sourceFor: (id: string) => NormalizeSource | undefined;
  /** Where a row that becomes rejected (a held call whose recording never came) is reported. */
  logger?: Logger;
}

export async function renormalizeRow(row: LedgerRow, deps: RenormalizeDeps, now: number): Promise<RenormalizeOutcome> {
  const parsed = callRecordSchema.safeParse(row.raw);
  const source = deps.sourceFor(row.sourceId) ?? { id: row.sourceId };
  const result: NormalizeResult = parsed.success
    ? await deps.normalizer.normalize(parsed.data, source, now)
    : { kind: 'rejected', reason: 'the stored record is not a call record (it cannot be normalized again)' };
  const patch = patchFor(result, now);
  const moved = await deps.ledger.update(row.externalId, patch, { states: [row.state] });
  // Only a committed move INTO rejected is news: a rejected row normalized again to the same verdict is not.
  if (moved && patch.state === 'rejected' && row.state !== 'rejected') {
    logStateChange(deps.logger?.child({ component: 'ingest' }), rejectedChange({ externalId: row.externalId, reason: patch.reason ?? null, location: row.location }));
  }
  return { externalId: row.externalId, from: row.state, to: moved ? (patch.state as RowState) : 'unchanged', reason: patch.reason ?? null };
}

/** Held rows whose time has come, oldest first, at most `limit` of them. */
export async function renormalizeDueHeld(
  deps: RenormalizeDeps,
  now: number,
  limit = 200,
): Promise<RenormalizeOutcome[]> {
  const due = await deps.ledger.query({ states: ['held'], dueBy: now, limit });
  const out: RenormalizeOutcome[] = [];
  for (const row of due) out.push(await renormalizeRow(row, deps, now));
  return out;
}
