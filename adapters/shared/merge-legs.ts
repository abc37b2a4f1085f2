import type { CallRecord, Party } from '../call-record.js';
import { secondsBetweenAbsolute } from './times.js';

/**
 * Folds the legs of one call (the PBX wrote several records: transfers, queue and ring-group attempts,
 * forwards) into one CallRecord. Shared by the CSV adapters; the rules, in order:
 *
 * - The call starts with its earliest leg: its `from` is the caller, its location names the call.
 * - The "main" leg is the one the caller really talked on: among the caller's own legs (same originating
 *   channel/device, or number when there is none) the answered one with the most talk time; when none of
 *   those was answered, the longest answered leg of any party; when nothing was answered, the caller's last
 *   attempt. Its `to` is the other party, its disposition the call's disposition.
 * - Times: earliest start, earliest answer, latest end. Talk time: the caller's answered legs summed
 *   (PBX-given seconds, no clock arithmetic). Whole duration: only from absolute (UTC) times; for wall-clock
 *   times it is left to normalization, which knows the zone.
 * - Answered if any leg was answered; the recording of the main leg, else of the first leg that has one.
 * - `legs` counts the PBX records; `raw` lists each record's original fields, in arrival order.
 *
 * Merging is associative in `legs` and `raw`: merging an already merged record with more legs flattens.
 */
export function mergeLegs(legs: CallRecord[]): CallRecord {
  const arrival = legs;
  if (arrival.length === 0) throw new RangeError('merge of zero legs');
  if (arrival.length === 1) {
    // Most calls are one record: the same result as below, without sorting a list of one.
    const only = arrival[0] as CallRecord;
    const raw = Array.isArray(only.raw) ? arrival.flatMap((leg) => leg.raw as unknown[]) : [only.raw];
    return { ...only, legs: 0 + only.legs, raw };
  }
  const ordered = arrival
    .map((leg, index) => ({ leg, index }))
    .sort((a, b) => compare(a.leg.startTime, b.leg.startTime) || a.index - b.index)
    .map((x) => x.leg);
  const first = ordered[0] as CallRecord;
  const raw = arrival.flatMap((leg) => (Array.isArray(leg.raw) ? (leg.raw as unknown[]) : [leg.raw]));
  const legCount = arrival.reduce((sum, leg) => sum + leg.legs, 0);
  if (arrival.length === 1) return { ...first, legs: legCount, raw };

  const callerKey = partyKey(first.from);
  const callerLegs = ordered.filter((leg) => partyKey(leg.from) === callerKey);
  const answeredCallerLegs = callerLegs.filter(isAnswered);
  const answeredLegs = ordered.filter(isAnswered);
  const pool = answeredCallerLegs.length ? answeredCallerLegs : answeredLegs;
  const main = pool.length ? longestTalk(pool) : (callerLegs[callerLegs.length - 1] ?? first);

  const answerTime = minOf(answeredLegs.map((leg) => leg.answerTime));
  const endTime = maxOf(ordered.map((leg) => leg.endTime));
  const talks = answeredCallerLegs.map((leg) => leg.talkSec).filter((s): s is number => s !== undefined);
  const directions = new Set(ordered.map((leg) => leg.direction).filter((d) => d !== undefined));

  const merged: CallRecord = {
    externalId: first.externalId,
    location: first.location,
    startTime: first.startTime,
    from: first.from,
    to: main.to,
    outcome: answeredLegs.length ? 'answered' : main.outcome,
    legs: legCount,
    raw,
  };
  if (answerTime !== undefined) merged.answerTime = answerTime;
  if (endTime !== undefined) {
    merged.endTime = endTime;
    const duration = secondsBetweenAbsolute(first.startTime, endTime);
    if (duration !== undefined) merged.durationSec = duration;
  }
  if (talks.length) merged.talkSec = talks.reduce((a, b) => a + b, 0);
  const direction = directions.size === 1 ? [...directions][0] : main.direction;
  if (direction !== undefined) merged.direction = direction;
  const owner = main.ownerExtension ?? ordered.find((leg) => leg.ownerExtension !== undefined)?.ownerExtension;
  if (owner !== undefined) merged.ownerExtension = owner;
  if (main.disposition !== undefined) merged.disposition = main.disposition;
  const recording = main.recording ?? ordered.find((leg) => leg.recording !== undefined)?.recording;
  if (recording !== undefined) merged.recording = recording;
  return merged;
}

function isAnswered(leg: CallRecord): boolean {
  return leg.outcome === 'answered';
}

function partyKey(party: Party): string {
  return party.channel ?? party.number ?? '';
}

/** Most talk time; on a tie the later leg (the party the call ended up with). */
function longestTalk(legs: CallRecord[]): CallRecord {
  let best = legs[0] as CallRecord;
  for (const leg of legs) if ((leg.talkSec ?? 0) >= (best.talkSec ?? 0)) best = leg;
  return best;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function minOf(values: Array<string | undefined>): string | undefined {
  let min: string | undefined;
  for (const v of values) if (v !== undefined && (min === undefined || v < min)) min = v;
  return min;
}

function maxOf(values: Array<string | undefined>): string | undefined {
  let max: string | undefined;
  for (const v of values) if (v !== undefined && (max === undefined || v > max)) max = v;
  return max;
}
