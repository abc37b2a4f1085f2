import type { CallRecord } from '../call-record.js';
import { own } from '../shared/input.js';
import { mergeByRootLeg } from '../shared/merge-root-leg.js';
import { DIAL_STATUS, type TwilioRaw } from './callback.js';

/** A call of which no status callback arrived: without it the bridge knows neither its parties nor its times. */
export class NoStatusCallbackError extends Error {
  override readonly name = 'NoStatusCallbackError';
}

/**
 * The callbacks of one CallSid → one call.
 *
 * - The root is the call's own status callback (not a child call's, not the recording's, not the `<Dial>`
 *   action's): parties, direction, owner, location, times (see mergeByRootLeg).
 * - Answered or not: a parent call's `CallStatus=completed` only says that its TwiML ran. When the callbacks
 *   tell what its `<Dial>` did (`DialCallStatus` of the action request, or the status callbacks of the child
 *   legs grouped with `groupChildCalls`), the call is answered only if a dialed party answered; otherwise it
 *   takes the `<Dial>`'s outcome (busy, no-answer, failed), whatever the parent's status and a recording say.
 * - Owner: the listed party that answered a child leg (`client:anna` reached through the main number) rather
 *   than the main number the caller dialed; the root's owner when no listed child answered.
 */
export function mergeTwilioLegs(legs: CallRecord[]): CallRecord {
  if (!legs.some((leg) => rawOf(leg)?.callback === 'status')) throw new NoStatusCallbackError(whatArrived(legs));
  const merged = mergeByRootLeg(legs, (leg) => {
    const raw = rawOf(leg);
    return raw?.callback === 'status' && raw.params?.CallSid === leg.externalId;
  });
  const callSid = merged.externalId;
  const children = legs.filter((leg) => {
    const params = rawOf(leg)?.params;
    return rawOf(leg)?.callback === 'status' && params?.ParentCallSid === callSid && params.CallSid !== callSid;
  });

  const verdict = dialVerdict(legs, children, callSid);
  if (verdict !== undefined && verdict !== 'answered') {
    merged.outcome = verdict;
    delete merged.answerTime;
    merged.talkSec = 0;
  }

  // The child's callee is ours only when the rules said so (its owner is its `to`): the person the <Dial> reached.
  const reached = children.find((leg) => leg.outcome === 'answered' && leg.ownerExtension !== undefined && leg.ownerExtension === leg.to.number);
  if (reached?.ownerExtension) merged.ownerExtension = reached.ownerExtension;
  return merged;
}

function rawOf(leg: CallRecord): Partial<TwilioRaw> | undefined {
  return leg.raw as Partial<TwilioRaw> | undefined;
}

/**
 * What the call's `<Dial>`s say: answered when any dialed party answered; else the last action request's
 * outcome (it sums up every number of its `<Dial>`), else the last child leg's; undefined when nothing tells.
 */
function dialVerdict(legs: CallRecord[], children: CallRecord[], callSid: string): CallRecord['outcome'] | undefined {
  const actions: Array<CallRecord['outcome']> = [];
  for (const leg of legs) {
    const params = rawOf(leg)?.params;
    const status = params?.DialCallStatus?.trim().toLowerCase();
    if (params?.CallSid !== callSid || !status) continue;
    const outcome = own(DIAL_STATUS, status);
    if (outcome) actions.push(outcome);
  }
  const tried = [...actions, ...children.map((leg) => leg.outcome)];
  if (!tried.length) return undefined;
  if (tried.includes('answered')) return 'answered';
  return actions.at(-1) ?? children.at(-1)?.outcome;
}

function whatArrived(legs: CallRecord[]): string {
  const dial = legs.some((leg) => rawOf(leg)?.callback === 'dial');
  const recording = legs.some((leg) => rawOf(leg)?.callback === 'recording');
  const hint = 'point the call\'s status callback (statusCallback) at the bridge too';
  if (dial) {
    return `only a <Dial> action callback${recording ? ' and a recording callback' : ''} arrived: no call status callback, so the call's times are unknown; ${hint}`;
  }
  return `only a recording callback arrived: no call status callback, so From and To are unknown; ${hint}`;
}
