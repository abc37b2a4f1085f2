import type { CallRecord } from '../call-record.js';
import { own } from '../shared/input.js';

type Outcome = CallRecord['outcome'];

/**
 * hangup_cause (Q.850 names as FreeSWITCH writes them) → outcome, for legs nobody answered.
 * An answered leg is `answered` whatever its cause (NORMAL_CLEARING, or even a later failure).
 */
const NO_ANSWER = [
  'NO_ANSWER',
  'NO_USER_RESPONSE',
  'ORIGINATOR_CANCEL', // the caller hung up while it rang
  'ALLOTTED_TIMEOUT',
  'LOSE_RACE', // another phone of a ring group answered
  'PICKED_OFF', // picked up from another phone
  'NORMAL_CLEARING', // unanswered and cleared normally: the caller gave up
  'NORMAL_UNSPECIFIED',
];
const BUSY = ['USER_BUSY', 'CALL_REJECTED'];
const FAILED = [
  'UNALLOCATED_NUMBER',
  'NO_ROUTE_TRANSIT_NET',
  'NO_ROUTE_DESTINATION',
  'NUMBER_CHANGED',
  'DESTINATION_OUT_OF_ORDER',
  'INVALID_NUMBER_FORMAT',
  'FACILITY_REJECTED',
  'NORMAL_CIRCUIT_CONGESTION',
  'NETWORK_OUT_OF_ORDER',
  'NORMAL_TEMPORARY_FAILURE',
  'SWITCH_CONGESTION',
  'REQUESTED_CHAN_UNAVAIL',
  'BEARERCAPABILITY_NOTAVAIL',
  'SERVICE_UNAVAILABLE',
  'INCOMPATIBLE_DESTINATION',
  'RECOVERY_ON_TIMER_EXPIRE',
  'PROTOCOL_ERROR',
  'INTERWORKING',
  'EXCHANGE_ROUTING_ERROR',
  'SUBSCRIBER_ABSENT',
  'USER_NOT_REGISTERED',
  'GATEWAY_DOWN',
  'MEDIA_TIMEOUT',
  'CHAN_NOT_IMPLEMENTED',
  'MANDATORY_IE_MISSING',
  'INCOMING_CALL_BARRED',
  'OUTGOING_CALL_BARRED',
];

export const DEFAULT_HANGUP_OUTCOMES: Readonly<Record<string, Outcome>> = Object.freeze({
  ...Object.fromEntries(NO_ANSWER.map((c) => [c, 'no-answer' as const])),
  ...Object.fromEntries(BUSY.map((c) => [c, 'busy' as const])),
  ...Object.fromEntries(FAILED.map((c) => [c, 'failed' as const])),
});

export function outcomeOf(answered: boolean, cause: string | undefined, overrides: Record<string, Outcome>): Outcome {
  if (answered) return 'answered';
  if (!cause) return 'unknown';
  const key = cause.trim().toUpperCase();
  return own(overrides, key) ?? own(overrides, cause) ?? own(DEFAULT_HANGUP_OUTCOMES, key) ?? 'unknown';
}
