import { candidateInstants, soleInstant } from './instants.js';
import { TimeError } from './zone-offsets.js';

/**
 * A call's start, answer and end → UTC instants, with the one DST rule luxon does not give: which occurrence
 * of a repeated wall-clock time (the hour repeated when summer time ends) a time means. A start is the FIRST
 * occurrence (summer time): nothing before it says otherwise. An end is read as the occurrence that makes it
 * not earlier than the start and, when the PBX gave a duration, closest to start + duration; an answer, as
 * the first occurrence not earlier than the start. A call over the end of summer time thus keeps its length.
 */

export interface CallTimesInput {
  startTime: string;
  answerTime?: string | undefined;
  endTime?: string | undefined;
  durationSec?: number | undefined;
}

/** Epoch milliseconds. */
export interface CallTimes {
  start: number;
  answer?: number;
  end?: number;
}

/** Resolve start/answer/end of one call in `zone` (see the rule above). Throws TimeError naming the field. */
export function resolveCallTimes(input: CallTimesInput, zone: string): CallTimes {
  const starts = fieldCandidates('startTime', input.startTime, zone);
  const start = typeof starts === 'number' ? starts : (starts[0] as number);
  const out: CallTimes = { start };
  if (input.endTime) {
    const ends = fieldCandidates('endTime', input.endTime, zone);
    const target = input.durationSec !== undefined ? start + input.durationSec * 1000 : undefined;
    out.end = typeof ends === 'number' ? ends : pickAfter(ends, start, target);
  }
  if (input.answerTime) {
    const answers = fieldCandidates('answerTime', input.answerTime, zone);
    out.answer = typeof answers === 'number' ? answers : pickAfter(answers, start, undefined);
  }
  return out;
}

/** A time's instant when it has only one (no choice to make), else its candidates. */
function fieldCandidates(field: string, value: string, zone: string): number | number[] {
  try {
    return soleInstant(value, zone) ?? candidateInstants(value, zone);
  } catch (error) {
    if (error instanceof TimeError) throw new TimeError(`${field}: ${error.message}`);
    throw error;
  }
}

/** The candidate not before `start`, closest to `target` when given (else the earliest such); else the latest. */
function pickAfter(candidates: number[], start: number, target: number | undefined): number {
  const after = candidates.filter((c) => c >= start);
  if (!after.length) return candidates[candidates.length - 1] as number;
  if (target === undefined) return after[0] as number;
  return after.reduce((best, c) => (Math.abs(c - target) < Math.abs(best - target) ? c : best));
}
