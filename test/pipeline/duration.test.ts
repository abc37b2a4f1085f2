import { describe, expect, it } from '@jest/globals';
import { type CallTimes, resolveCallTimes } from '../../src/pipeline/call-times.js';
import { type DurationInput, decideDuration } from '../../src/pipeline/duration.js';

describe('decideDuration', () => {
  const times = (start: string, end?: string, answer?: string) => resolveCallTimes({ startTime: start, endTime: end, answerTime: answer }, 'UTC');
  const rules = { skipUnanswered: true, minDurationSec: 1 };

  it.each([
    ['answered: talk time (billsec), not ring time', { outcome: 'answered', talkSec: 112, durationSec: 120 }, times('2024-01-01T10:00:00', '2024-01-01T10:02:00'), rules, { kind: 'ok', seconds: 112, answered: true }],
    ['answered without billsec: end − start', { outcome: 'answered' }, times('2024-01-01T10:00:00', '2024-01-01T10:02:00'), rules, { kind: 'ok', seconds: 120, answered: true }],
    ['answered, no end: the PBX duration', { outcome: 'answered', durationSec: 42 }, times('2024-01-01T10:00:00'), rules, { kind: 'ok', seconds: 42, answered: true }],
    ['unknown outcome with talk time counts as answered', { outcome: 'unknown', talkSec: 30 }, times('2024-01-01T10:00:00', '2024-01-01T10:01:00'), rules, { kind: 'ok', seconds: 30, answered: true }],
    ['unknown outcome with an answer time counts as answered, talking from the answer', { outcome: 'unknown' }, times('2024-01-01T10:00:00', '2024-01-01T10:01:00', '2024-01-01T10:00:10'), rules, { kind: 'ok', seconds: 50, answered: true }],
    ['no answer is skipped', { outcome: 'no-answer', talkSec: 0 }, times('2024-01-01T10:00:00', '2024-01-01T10:00:20'), rules, { kind: 'skip', reason: 'unanswered call (no-answer)' }],
    ['busy is skipped', { outcome: 'busy' }, times('2024-01-01T10:00:00', '2024-01-01T10:00:02'), rules, { kind: 'skip', reason: 'unanswered call (busy)' }],
    ['unanswered says what was tried', { outcome: 'no-answer', unansweredDetail: 'queue sales rang 2001, 2002; nobody answered' }, times('2024-01-01T10:00:00', '2024-01-01T10:00:40'), rules, { kind: 'skip', reason: 'unanswered call (no-answer: queue sales rang 2001, 2002; nobody answered)' }],
    ['unknown with nothing answered is skipped', { outcome: 'unknown', talkSec: 0 }, times('2024-01-01T10:00:00', '2024-01-01T10:00:20'), rules, { kind: 'skip', reason: 'unanswered call' }],
    ['unanswered kept when the filter is off: end − start', { outcome: 'no-answer' }, times('2024-01-01T10:00:00', '2024-01-01T10:00:20'), { ...rules, skipUnanswered: false }, { kind: 'ok', seconds: 20, answered: false }],
    ['zero-length answered call', { outcome: 'answered', talkSec: 0 }, times('2024-01-01T10:00:00', '2024-01-01T10:00:00'), rules, { kind: 'skip', reason: 'zero-length call' }],
    ['zero-length even with minDurationSec 0', { outcome: 'answered', talkSec: 0 }, times('2024-01-01T10:00:00'), { ...rules, minDurationSec: 0 }, { kind: 'skip', reason: 'zero-length call' }],
    ['shorter than the minimum', { outcome: 'answered', talkSec: 4 }, times('2024-01-01T10:00:00', '2024-01-01T10:00:09'), { ...rules, minDurationSec: 5 }, { kind: 'skip', reason: 'call shorter than minDurationSec (4 s < 5 s)' }],
    ['exactly the minimum', { outcome: 'answered', talkSec: 5 }, times('2024-01-01T10:00:00', '2024-01-01T10:00:09'), { ...rules, minDurationSec: 5 }, { kind: 'ok', seconds: 5, answered: true }],
    ['fractional seconds round', { outcome: 'answered', talkSec: 12.6 }, times('2024-01-01T10:00:00'), rules, { kind: 'ok', seconds: 13, answered: true }],
    ['end before start', { outcome: 'answered' }, times('2024-01-01T10:00:00', '2024-01-01T09:59:00'), rules, { kind: 'skip', reason: 'end time is before start time (-60 s)' }],
    ['no way to know the length', { outcome: 'answered' }, times('2024-01-01T10:00:00'), rules, { kind: 'skip', reason: 'no end time and no duration: cannot tell how long the call was' }],
  ] as Array<[string, DurationInput, CallTimes, typeof rules, unknown]>)('%s', (_name, call, t, r, expected) => {
    expect(decideDuration(call, t, r)).toEqual(expected);
  });
});
