import { DateTime } from 'luxon';
import type { CallRecord, Party } from '../call-record.js';

/**
 * Folds the legs of one call into one record, the same way for every adapter in this family:
 *
 * - the root leg (the A leg, the parent call, the status callback: chosen by `isRoot`, else the leg that
 *   started first) gives the id, the location, the direction, the parties and the owner; other legs only
 *   fill what the root leaves empty;
 * - earliest start and answer, latest end, the longest duration and talk time;
 * - answered when any leg was answered, otherwise the root's outcome (or the first one known);
 * - the recording of the first leg that has one, with a stereo flag from any leg that states it;
 * - `legs` counts the PBX records, `raw` keeps each leg's original fields in arrival order.
 */
export function mergeByRootLeg(legs: CallRecord[], isRoot?: (leg: CallRecord) => boolean): CallRecord {
  const first = legs[0];
  if (!first) throw new RangeError('merge needs at least one leg');

  const root = (isRoot && legs.find(isRoot)) ?? earliest(legs, (l) => l.startTime) ?? first;
  const others = legs.filter((l) => l !== root);
  const ordered = [root, ...others];

  const merged: CallRecord = {
    externalId: root.externalId,
    location: root.location,
    startTime: earliest(legs, (l) => l.startTime)?.startTime ?? root.startTime,
    from: mergeParty(ordered.map((l) => l.from)),
    to: mergeParty(ordered.map((l) => l.to)),
    outcome: mergeOutcome(ordered),
    legs: legs.reduce((n, l) => n + l.legs, 0),
    raw: legs.map((l) => l.raw),
  };
  const answer = earliest(legs, (l) => l.answerTime)?.answerTime;
  if (answer) merged.answerTime = answer;
  const end = latest(legs, (l) => l.endTime)?.endTime;
  if (end) merged.endTime = end;
  const duration = max(legs.map((l) => l.durationSec));
  if (duration !== undefined) merged.durationSec = duration;
  const talk = max(legs.map((l) => l.talkSec));
  if (talk !== undefined) merged.talkSec = talk;
  const direction = ordered.find((l) => l.direction)?.direction;
  if (direction) merged.direction = direction;
  const owner = ordered.find((l) => l.ownerExtension)?.ownerExtension;
  if (owner) merged.ownerExtension = owner;
  const disposition = ordered.find((l) => l.disposition)?.disposition;
  if (disposition) merged.disposition = disposition;

  const withRecording = ordered.find((l) => l.recording?.url || l.recording?.path);
  const stereo = withRecording?.recording?.stereo ?? ordered.find((l) => l.recording?.stereo !== undefined)?.recording?.stereo;
  if (withRecording?.recording) {
    merged.recording = { ...withRecording.recording };
    if (stereo !== undefined) merged.recording.stereo = stereo;
  } else if (stereo !== undefined) {
    merged.recording = { stereo };
  }
  return merged;
}

/**
 * The root's party, completed only from legs that name the same party (same number): the losing phone of
 * a ring group must not lend its name to the one that answered.
 */
function mergeParty(parties: Party[]): Party {
  const number = parties.find((p) => p.number)?.number;
  const same = parties.filter((p) => !p.number || p.number === number);
  const out: Party = {};
  if (number) out.number = number;
  for (const key of ['name', 'channel', 'email'] as const) {
    const value = same.find((p) => p[key])?.[key];
    if (value) out[key] = value;
  }
  return out;
}

function mergeOutcome(ordered: CallRecord[]): CallRecord['outcome'] {
  if (ordered.some((l) => l.outcome === 'answered')) return 'answered';
  return ordered.find((l) => l.outcome !== 'unknown')?.outcome ?? 'unknown';
}

/**
 * Instants for ordering. A time without an offset is read as UTC: every leg of one call comes from one
 * source, hence one zone, so the order of wall-clock times is the order of instants.
 */
export function instant(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const dt = DateTime.fromISO(text.trim().replace(' ', 'T'), { zone: 'utc', setZone: true });
  return dt.isValid ? dt.toMillis() : undefined;
}

function earliest(legs: CallRecord[], pick: (l: CallRecord) => string | undefined): CallRecord | undefined {
  let best: CallRecord | undefined;
  let bestMs = Infinity;
  for (const leg of legs) {
    const ms = instant(pick(leg));
    if (ms !== undefined && ms < bestMs) {
      best = leg;
      bestMs = ms;
    }
  }
  return best;
}

function latest(legs: CallRecord[], pick: (l: CallRecord) => string | undefined): CallRecord | undefined {
  let best: CallRecord | undefined;
  let bestMs = -Infinity;
  for (const leg of legs) {
    const ms = instant(pick(leg));
    if (ms !== undefined && ms > bestMs) {
      best = leg;
      bestMs = ms;
    }
  }
  return best;
}

function max(values: Array<number | undefined>): number | undefined {
  const known = values.filter((v): v is number => v !== undefined);
  return known.length ? Math.max(...known) : undefined;
}
