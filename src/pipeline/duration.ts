import type { CallRecord } from '../../adapters/call-record.js';
import type { CallTimes } from './call-times.js';

/**
 * The duration filters of the `normalize:` section (`skip.unanswered`, `minDurationSec`) and the length they
 * judge, decided in one place: the length the payload carries is the one the filters saw.
 */

export type DurationDecision = { kind: 'ok'; seconds: number; answered: boolean } | { kind: 'skip'; reason: string };

export interface DurationRules {
  skipUnanswered: boolean;
  minDurationSec: number;
}

/** The parts of a call that decide its length. */
export interface DurationInput {
  outcome: CallRecord['outcome'];
  talkSec?: number | undefined;
  durationSec?: number | undefined;
  /** Said after the outcome when an unanswered call is skipped: what was tried. */
  unansweredDetail?: string | undefined;
}

/**
 * How long the call was, and whether it is worth sending.
 * Answered calls count their talk time: billsec (what the recording holds) when the PBX gave it, else from the
 * answer to the end; others count end − start.
 */
export function decideDuration(call: DurationInput, times: CallTimes, rules: DurationRules): DurationDecision {
  const answered = isAnswered(call, times);
  if (!answered && rules.skipUnanswered) {
    const what = [call.outcome !== 'unknown' ? call.outcome : undefined, call.unansweredDetail].filter(Boolean).join(': ');
    return { kind: 'skip', reason: `unanswered call${what ? ` (${what})` : ''}` };
  }
  let seconds: number | undefined;
  if (answered && call.talkSec !== undefined) seconds = call.talkSec;
  else if (answered && times.answer !== undefined && times.end !== undefined) seconds = (times.end - times.answer) / 1000;
  else if (times.end !== undefined) seconds = (times.end - times.start) / 1000;
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
