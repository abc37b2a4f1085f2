import type { CallRecord } from '../call-record.js';
import type { TwilioRaw } from './callback.js';

/** Final `CallStatus` values that say nobody answered the call. */
const UNANSWERED = new Set(['busy', 'no-answer', 'failed', 'canceled']);

/**
 * Twilio `Direction`s of a call that runs no TwiML before it is answered: unanswered, it did nothing else. An
 * unanswered `inbound` call may have run a `<Dial answerOnBridge>` whose child legs still report.
 */
const NOTHING_BEFORE_ANSWER = new Set(['outbound-api', 'outbound-dial', 'trunking-originating', 'trunking-terminating']);

/** `RecordingStatus` values after which Twilio sends nothing more about that recording. */
const FINAL_RECORDING = new Set(['completed', 'absent', 'failed']);

/**
 * A recording counts as the call's last word when it ran to the end of the call: Twilio's times are whole
 * seconds, and the call ends a moment after its `<Dial>` or `<Record>` does (the action request, a hangup).
 */
const RECORDING_REACHES_END_MS = 5_000;

/**
 * The callbacks of one CallSid are the whole call when the call's own final status callback is in and:
 *
 * - it says nobody answered (`busy`, `no-answer`, `failed`, `canceled`) on a call that ran nothing before an
 *   answer (see NOTHING_BEFORE_ANSWER): no recording and no other leg can follow; or
 * - it says `completed` and a recording status callback with a final status is in: for `completed`, a recording
 *   that ran to the end of the call. The recording callback comes last (Twilio processes the file after the
 *   call), after the `<Dial>` action request and the child legs' callbacks; a recording that ended well before
 *   the call may be followed by another (`<Dial record>` then a voicemail `<Record>`).
 *
 * An answered call without a recording callback waits for its quiet period: nothing tells whether one is
 * configured. So does a call whose `RecordingStatus` was `absent` or `failed` as long as the parser skips those
 * callbacks instead of handing them on as legs.
 */
export function completeTwilioCall(legs: CallRecord[]): boolean {
  const callSid = legs[0]?.externalId;
  const final = legs.find((leg) => rawOf(leg)?.callback === 'status' && rawOf(leg)?.params?.CallSid === callSid);
  if (!callSid || !final) return false;
  const params = rawOf(final)?.params ?? {};
  const status = params.CallStatus?.trim().toLowerCase() ?? '';
  if (UNANSWERED.has(status)) return NOTHING_BEFORE_ANSWER.has(params.Direction?.trim().toLowerCase() ?? '');
  if (status !== 'completed' || !final.endTime) return false;
  const callEnd = Date.parse(final.endTime);
  return legs.some((leg) => {
    const recording = rawOf(leg);
    const recordingStatus = recording?.params?.RecordingStatus?.trim().toLowerCase() ?? (recording?.params?.RecordingSid ? 'completed' : '');
    if (recording?.callback !== 'recording' || !FINAL_RECORDING.has(recordingStatus)) return false;
    if (recordingStatus !== 'completed') return true;
    return leg.endTime !== undefined && Math.abs(Date.parse(leg.endTime) - callEnd) <= RECORDING_REACHES_END_MS;
  });
}

function rawOf(leg: CallRecord): Partial<TwilioRaw> | undefined {
  return leg.raw && typeof leg.raw === 'object' ? (leg.raw as Partial<TwilioRaw>) : undefined;
}
