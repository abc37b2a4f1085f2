import type { LedgerRow, RowEvent, RowState } from '../ledger/ledger.js';
import { remedyFor, shellWord } from '../log/state-change.js';
import { type IsoTime, iso, isoOrNull } from './report.js';

/** One call as an operator follows it (`callbridge inspect`, the page /calls/<id>): every time ISO 8601 UTC. */
export interface CallView {
  externalId: string;
  state: RowState;
  /** What the state means, in a few words. */
  meaning: string;
  sourceId: string;
  /** FILE:LINE, or hook:<source>. */
  location: string | null;
  reason: string | null;
  takenAt: IsoTime;
  updatedAt: IsoTime;
  /** When it is due (pending, held, verify), else null. */
  dueAt: IsoTime | null;
  submittedAt: IsoTime | null;
  confirmedAt: IsoTime | null;
  conversationId: string | null;
  attempts: number;
  /** When retention compacted it: its history, payload and record are no longer kept. */
  compactedAt: IsoTime | null;
  history: Array<Omit<RowEvent, 'externalId' | 'at'> & { at: IsoTime }>;
  /** The body that was sent, or will be (the recording link is signed anew when it is sent). */
  payload: unknown;
  /** The call record the adapter made (with its legs), as the ledger keeps it. */
  record: unknown;
  /** What an operator can do now; a command to run where one helps. */
  next: string;
}

const MEANING: Record<RowState, string> = {
  held: 'waiting for its recording file to appear',
  prepare: 'its recording is being made ready (merged, converted or uploaded) before it is sent',
  pending: 'waiting for its turn to be sent',
  submitting: 'being sent now',
  verify: 'its request was in flight when a process stopped: being looked up at Dstny before it is sent again',
  submitted: 'created at Dstny; waiting to see it listed there',
  confirmed: 'delivered: Dstny has it',
  missing: 'Dstny accepted it but did not list it by the deadline',
  skipped: 'not sent: a rule skips it',
  rejected: 'not sent: it cannot be made into a valid request',
  failed: 'not delivered: Dstny refused it, or every retry failed',
};


/** Pure: the row and its history as shown. */
export function callView(row: LedgerRow, events: RowEvent[]): CallView {
  const due = row.state === 'pending' || row.state === 'held' || row.state === 'verify' ? row.nextAttemptAt : null;
  return {
    externalId: row.externalId,
    state: row.state,
    meaning: MEANING[row.state],
    sourceId: row.sourceId,
    location: row.location,
    reason: row.reason,
    takenAt: iso(row.createdAt),
    updatedAt: iso(row.updatedAt),
    dueAt: isoOrNull(due),
    submittedAt: isoOrNull(row.submittedAt),
    confirmedAt: isoOrNull(row.confirmedAt),
    conversationId: row.conversationId,
    attempts: row.attempts,
    compactedAt: isoOrNull(row.compactedAt),
    history: events.map(({ externalId: _id, at, ...rest }) => ({ ...rest, at: iso(at) })),
    payload: row.payload,
    record: row.raw,
    next: nextStep(row),
  };
}

/** What stands in for the history, payload and record of a compacted call. */
export function compactedText(compactedAt: IsoTime): string {
  return `compacted ${compactedAt} by ledger.retention (keepDetailDays): no longer kept`;
}

/** What an operator can do for a call in its state: the log's remedy for the states an operator must act on. */
export function nextStep(row: Pick<LedgerRow, 'externalId' | 'state' | 'conversationId' | 'compactedAt'>): string {
  if (row.state === 'skipped' && row.compactedAt !== null) return 'nothing: its record is no longer kept, so it cannot be normalized again';
  switch (row.state) {
    case 'failed':
    case 'missing':
    case 'rejected':
      return remedyFor({ externalId: row.externalId, to: row.state });
    case 'skipped':
    case 'held':
      return `to send it after changing the configuration (rules, owners, recording roots), run "callbridge retry --state ${row.state} --id ${shellWord(row.externalId)}"`;
    case 'verify':
      return `nothing: the reconciler looks it up; only if you know Dstny does not have it, run "callbridge retry --state verify --id ${shellWord(row.externalId)}"`;
    case 'confirmed':
      return `nothing: Dstny has it${row.conversationId ? ` as conversation ${row.conversationId}` : ''}`;
    default:
      return 'nothing: it is on its way';
  }
}

/** `callbridge inspect` as text. */
export function formatCallView(view: CallView): string {
  const lines = [
    `call ${view.externalId}: ${view.state} (${view.meaning})`,
    `  source       ${view.sourceId}${view.location ? ` (${view.location})` : ''}`,
    `  taken        ${view.takenAt}`,
  ];
  if (view.dueAt) lines.push(`  due          ${view.dueAt}`);
  if (view.submittedAt) lines.push(`  sent         ${view.submittedAt}`);
  if (view.confirmedAt) lines.push(`  confirmed    ${view.confirmedAt}`);
  if (view.conversationId) lines.push(`  conversation ${view.conversationId}`);
  if (view.reason) lines.push(`  reason       ${view.reason}`);
  lines.push(`  attempts     ${view.attempts}`);
  if (view.compactedAt) {
    lines.push(`history, payload, record: ${compactedText(view.compactedAt)}`, `next: ${view.next}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push('history:');
  if (!view.history.length) lines.push('  (nothing yet)');
  for (const e of view.history) lines.push(`  ${e.at}  ${historyLine(e)}`);
  lines.push(`next: ${view.next}`);
  lines.push('payload:', indent(view.payload === null ? '(none: it was never made into a request)' : JSON.stringify(view.payload, null, 2)));
  lines.push('record:', indent(JSON.stringify(view.record, null, 2)));
  return `${lines.join('\n')}\n`;
}

/** One event in words: "POST → 422 (4xx) in 130 ms: HTTP 422: owner_email: unknown user". */
export function historyLine(e: CallView['history'][number]): string {
  if (e.kind === 'attempt') {
    const answer = e.status !== null ? `${e.status} (${e.outcome})` : e.outcome === 'not-sent' ? 'not sent' : 'no answer';
    const took = e.durationMs !== null ? ` in ${e.durationMs} ms` : '';
    const conversation = e.conversationId ? `, conversation ${e.conversationId}` : '';
    return `POST → ${answer}${took}${conversation}${e.message ? `: ${e.message}` : ''}`;
  }
  if (e.kind === 'lookup') {
    return `look-up: ${e.outcome}${e.conversationId ? ` (conversation ${e.conversationId})` : ''}${e.message ? `, ${e.message}` : ''}`;
  }
  return `webhook: ${e.outcome}${e.conversationId ? ` (conversation ${e.conversationId})` : ''}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
