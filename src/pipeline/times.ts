import { DateTime } from 'luxon';

/**
 * CallRecord times → UTC instants.
 *
 * A time with `Z` or an offset is absolute. A time without one is the PBX's wall clock in `zone`.
 * Two wall-clock times need a rule, because the zone's clock is not continuous:
 *
 * - A time that does not exist (the hour skipped when summer time starts, e.g. 02:30 on the last Sunday of
 *   March in Europe/Stockholm) is read with the offset in force just before the jump: a PBX clock that
 *   writes it has not jumped yet. 02:30 → 01:30Z in Stockholm (luxon's own rule: it moves the time forward).
 * - A time that exists twice (the hour repeated when summer time ends) is the FIRST occurrence (summer
 *   time), unless the call's other times show otherwise: an end time is read as the occurrence that makes it
 *   not earlier than the start and, when the PBX gave a duration, closest to start + duration.
 */

const OFFSET_AT_END = /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

export class TimeError extends Error {}

/** The instants a time may denote: one, or two when the wall-clock time is repeated. Throws TimeError. */
export function candidateInstants(value: string, zone: string): DateTime[] {
  const text = value.trim();
  const sep = text.search(/[T ]/);
  if (sep > 0 && OFFSET_AT_END.test(text.slice(sep + 1))) {
    const dt = parseIsoOrSql(text, { setZone: true });
    if (!dt.isValid) throw new TimeError(`invalid time "${value}": ${dt.invalidExplanation ?? dt.invalidReason ?? 'unparseable'}`);
    return [dt.toUTC()];
  }
  const dt = parseIsoOrSql(text, { zone });
  if (!dt.isValid) {
    if (dt.invalidReason === 'unsupported zone') throw new TimeError(`unknown time zone "${zone}"`);
    throw new TimeError(`invalid time "${value}": ${dt.invalidExplanation ?? dt.invalidReason ?? 'unparseable'}`);
  }
  const candidates = dt.getPossibleOffsets();
  const list = candidates.length ? candidates : [dt];
  return list.map((c) => c.toUTC()).sort((a, b) => a.toMillis() - b.toMillis());
}

function parseIsoOrSql(text: string, opts: { zone?: string; setZone?: boolean }): DateTime {
  const iso = DateTime.fromISO(text, opts);
  if (iso.isValid || iso.invalidReason === 'unsupported zone') return iso;
  // Many PBXs write "2024-03-31 02:30:00"; ISO 8601 allows the space only by agreement, luxon calls it SQL.
  const sql = DateTime.fromSQL(text, opts);
  return sql.isValid ? sql : iso;
}

export interface CallTimesInput {
  startTime: string;
  answerTime?: string | undefined;
  endTime?: string | undefined;
  durationSec?: number | undefined;
}

export interface CallTimes {
  start: DateTime;
  answer?: DateTime;
  end?: DateTime;
}

/** Resolve start/answer/end of one call in `zone` (see the rules above). Throws TimeError naming the field. */
export function resolveCallTimes(input: CallTimesInput, zone: string): CallTimes {
  const starts = fieldCandidates('startTime', input.startTime, zone);
  const start = starts[0] as DateTime;
  const out: CallTimes = { start };
  if (input.endTime) {
    const ends = fieldCandidates('endTime', input.endTime, zone);
    const target = input.durationSec !== undefined ? start.toMillis() + input.durationSec * 1000 : undefined;
    out.end = pickAfter(ends, start, target);
  }
  if (input.answerTime) {
    const answers = fieldCandidates('answerTime', input.answerTime, zone);
    out.answer = pickAfter(answers, start, undefined);
  }
  return out;
}

function fieldCandidates(field: string, value: string, zone: string): DateTime[] {
  try {
    return candidateInstants(value, zone);
  } catch (error) {
    if (error instanceof TimeError) throw new TimeError(`${field}: ${error.message}`);
    throw error;
  }
}

/** The candidate not before `start`, closest to `target` when given (else the earliest such); else the latest. */
function pickAfter(candidates: DateTime[], start: DateTime, target: number | undefined): DateTime {
  const after = candidates.filter((c) => c.toMillis() >= start.toMillis());
  if (!after.length) return candidates[candidates.length - 1] as DateTime;
  if (target === undefined) return after[0] as DateTime;
  return after.reduce((best, c) => (Math.abs(c.toMillis() - target) < Math.abs(best.toMillis() - target) ? c : best));
}

/** `2024-06-01T10:00:00Z` (milliseconds only when there are some). */
export function formatUtc(dt: DateTime): string {
  return dt.toUTC().toISO({ suppressMilliseconds: true }) as string;
}

export type DurationDecision =
  | { kind: 'ok'; seconds: number; answered: boolean }
  | { kind: 'skip'; reason: string };

export interface DurationRules {
  skipUnanswered: boolean;
  minDurationSec: number;
}

/**
 * How long the call was, and whether it is worth sending.
 * Answered calls count their talk time (billsec: what the recording holds); others count end − start.
 */
export function decideDuration(
  call: { outcome: string; talkSec?: number | undefined; durationSec?: number | undefined },
  times: CallTimes,
  rules: DurationRules,
): DurationDecision {
  const answered = isAnswered(call, times);
  if (!answered && rules.skipUnanswered) {
    return { kind: 'skip', reason: `unanswered call${call.outcome !== 'unknown' ? ` (${call.outcome})` : ''}` };
  }
  let seconds: number | undefined;
  if (answered && call.talkSec !== undefined) seconds = call.talkSec;
  else if (times.end) seconds = (times.end.toMillis() - times.start.toMillis()) / 1000;
  else if (call.durationSec !== undefined) seconds = call.durationSec;
  if (seconds === undefined) return { kind: 'skip', reason: 'no end time and no duration: cannot tell how long the call was' };
  if (seconds < 0) return { kind: 'skip', reason: `end time is before start time (${seconds} s)` };
  seconds = Math.round(seconds);
  if (seconds === 0) return { kind: 'skip', reason: 'zero-length call' };
  if (seconds < rules.minDurationSec) {
    return { kind: 'skip', reason: `call shorter than minDurationSec (${seconds} s < ${rules.minDurationSec} s)` };
  }
  return { kind: 'ok', seconds, answered };
}

function isAnswered(call: { outcome: string; talkSec?: number | undefined }, times: CallTimes): boolean {
  if (call.outcome === 'answered') return true;
  if (call.outcome !== 'unknown') return false;
  return (call.talkSec ?? 0) > 0 || times.answer !== undefined;
}
