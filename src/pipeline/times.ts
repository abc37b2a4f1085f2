import { DateTime } from 'luxon';
import type { CallRecord } from '../../adapters/call-record.js';

/**
 * CallRecord times → UTC instants (epoch milliseconds).
 *
 * A time with `Z` or an offset is absolute. A time without one is the PBX's wall clock in `zone`, and the
 * zone's UTC offset at that wall-clock time comes from luxon (the IANA database via Intl); we never work
 * out DST rules ourselves. Two wall-clock times need a rule, because the zone's clock is not continuous:
 *
 * - A time that does not exist (the hour skipped when summer time starts, e.g. 02:30 on the last Sunday of
 *   March in Europe/Stockholm) is read with the offset in force just before the jump: a PBX clock that
 *   writes it has not jumped yet. 02:30 → 01:30Z in Stockholm (luxon's own rule: it moves the time forward).
 * - A time that exists twice (the hour repeated when summer time ends) is the FIRST occurrence (summer
 *   time), unless the call's other times show otherwise: an end time is read as the occurrence that makes it
 *   not earlier than the start and, when the PBX gave a duration, closest to start + duration.
 *
 * Speed: luxon asks Intl for an offset on every call (~20 µs), and a CDR file has three times per row. The
 * offsets luxon gives for a wall-clock hour are reused for every time in that hour when the hour's first
 * and last second have the same single offset (no change inside it); a time in an hour with a change is
 * asked of luxon itself. The common "YYYY-MM-DD HH:MM:SS" forms are read with a strict pattern; anything
 * else goes through luxon's ISO 8601 / SQL parsers.
 */

export class TimeError extends Error {}

/** Wall-clock fields as written, and the same fields read as if they were UTC (a key, not an instant). */
interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  asUtcMs: number;
}

const COMMON = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** The instants a time may denote, earliest first: one, or two when the wall-clock time is repeated. Throws TimeError. */
export function candidateInstants(value: string, zone: string): number[] {
  const text = value.trim();
  const m = COMMON.exec(text);
  let wall: Wall | undefined;
  if (m) {
    wall = strictWall(m);
    if (wall && m[8]) {
      const offset = offsetOfSuffix(m[8]);
      if (offset === undefined) throw new TimeError(`invalid time "${value}": the offset ${m[8]} is out of range`);
      return [wall.asUtcMs - offset * 60_000];
    }
  }
  if (!wall) {
    const sep = text.search(/[T ]/);
    if (sep > 0 && /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(text.slice(sep + 1))) {
      const dt = parseIsoOrSql(text, { setZone: true });
      if (!dt.isValid) throw new TimeError(`invalid time "${value}": ${dt.invalidExplanation ?? dt.invalidReason ?? 'unparseable'}`);
      return [dt.toMillis()];
    }
    const dt = parseIsoOrSql(text, { zone: 'utc' });
    if (!dt.isValid) throw new TimeError(`invalid time "${value}": ${dt.invalidExplanation ?? dt.invalidReason ?? 'unparseable'}`);
    wall = { ...dt.toObject(), asUtcMs: dt.toMillis() } as Wall;
  }
  const hourStart = wall.asUtcMs - (wall.minute * 60 + wall.second) * 1000 - wall.millisecond;
  const offset = hourOffset(zone, wall.year, wall.month, wall.day, wall.hour, hourStart);
  const offsets = offset !== null ? [offset] : effectiveOffsets(wall, zone);
  return offsets.map((o) => wall.asUtcMs - o * 60_000);
}

/**
 * candidateInstants for a time that denotes exactly one instant and is written in a common form (the per-row
 * case), without its intermediate objects; undefined for anything else (a repeated or skipped hour, an unusual
 * form, a bad value), which candidateInstants then decides. Throws TimeError only for an unknown zone, as it does.
 */
function soleInstant(value: string, zone: string): number | undefined {
  let year: number, month: number, day: number, hour: number, minute: number, second: number;
  let millisecond = 0;
  let suffix: string | undefined;
  if (PLAIN.test(value)) {
    // What adapters write ("YYYY-MM-DDTHH:MM:SS", maybe with Z): its digits read in place, no match object.
    year = digitsAt(value, 0, 4);
    month = digitsAt(value, 5, 2);
    day = digitsAt(value, 8, 2);
    hour = digitsAt(value, 11, 2);
    minute = digitsAt(value, 14, 2);
    second = digitsAt(value, 17, 2);
    if (value.length === 20) suffix = 'Z';
  } else {
    const m = COMMON.exec(value);
    if (!m) return undefined;
    year = Number(m[1]);
    month = Number(m[2]);
    day = Number(m[3]);
    hour = Number(m[4]);
    minute = Number(m[5]);
    second = m[6] ? Number(m[6]) : 0;
    millisecond = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
    suffix = m[8];
  }
  // Years before 100 (Date.UTC reads them as 19xx) and impossible dates are strictWall's to refuse.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const asUtcMs = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  if (suffix) {
    const offset = offsetOfSuffix(suffix);
    return offset === undefined ? undefined : asUtcMs - offset * 60_000;
  }
  const offset = hourOffset(zone, year, month, day, hour, asUtcMs - (minute * 60 + second) * 1000 - millisecond);
  return offset === null ? undefined : asUtcMs - offset * 60_000;
}

/** A subset of COMMON: the whole-second form with T or space, and no offset or Z (upper case). */
const PLAIN = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}Z?$/;

/** The decimal value of `length` ASCII digits at `at` (the caller has checked they are digits). */
function digitsAt(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) value = value * 10 + (text.charCodeAt(i) - 0x30);
  return value;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return (DAYS_IN_MONTH[month - 1] as number) + (leap ? 1 : 0);
}

function strictWall(m: RegExpExecArray): Wall | undefined {
  const [year, month, day, hour, minute] = [1, 2, 3, 4, 5].map((i) => Number(m[i]));
  const second = m[6] ? Number(m[6]) : 0;
  const millisecond = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (hour! > 23 || minute! > 59 || second > 59) return undefined;
  const asUtcMs = Date.UTC(year!, month! - 1, day!, hour!, minute!, second, millisecond);
  const check = new Date(asUtcMs);
  // Date.UTC rolls 2024-02-30 over into March: a date that does not round-trip does not exist.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month! - 1 || check.getUTCDate() !== day) return undefined;
  return { year: year!, month: month!, day: day!, hour: hour!, minute: minute!, second, millisecond, asUtcMs };
}

/** "+02:00", "-0500", "+01", "Z" → minutes east of UTC (the time's own offset, as written); undefined past ±18:00. */
function offsetOfSuffix(suffix: string): number | undefined {
  if (suffix === 'Z' || suffix === 'z') return 0;
  const sign = suffix[0] === '-' ? -1 : 1;
  const digits = suffix.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  if (hours > 18 || minutes > 59 || (hours === 18 && minutes > 0)) return undefined;
  return sign * (hours * 60 + minutes);
}

function parseIsoOrSql(text: string, opts: { zone?: string; setZone?: boolean }): DateTime {
  const iso = DateTime.fromISO(text, opts);
  if (iso.isValid) return iso;
  // Many PBXs write "2024-03-31 02:30:00"; ISO 8601 allows the space only by agreement, luxon calls it SQL.
  const sql = DateTime.fromSQL(text, opts);
  return sql.isValid ? sql : iso;
}

/**
 * The UTC offsets (minutes) a wall-clock time may have in `zone`, as luxon places it: one, two for a
 * repeated time (earliest instant first), and for a skipped time the offset before the jump.
 * "Effective" = wall clock − instant, so that a skipped time, which luxon moves forward, keeps its meaning.
 */
function effectiveOffsets(wall: Wall, zone: string): number[] {
  const { year, month, day, hour, minute, second, millisecond } = wall;
  const inZone = DateTime.fromObject({ year, month, day, hour, minute, second, millisecond }, { zone });
  if (!inZone.isValid) {
    if (inZone.invalidReason === 'unsupported zone') throw new TimeError(`unknown time zone "${zone}"`);
    throw new TimeError(`invalid time in ${zone}: ${inZone.invalidExplanation ?? inZone.invalidReason ?? 'unparseable'}`);
  }
  const candidates = inZone.getPossibleOffsets();
  return (candidates.length ? candidates : [inZone]).map((c) => Math.round((wall.asUtcMs - c.toMillis()) / 60_000)).sort((a, b) => b - a);
}

/** Per zone: wall-clock hour (its start read as UTC, ms) → the zone's one offset all through it, or null when it changes inside. */
const hourCache = new Map<string, Map<number, number | null>>();
const HOUR_CACHE_LIMIT = 20_000;

function hourOffset(zone: string, year: number, month: number, day: number, hour: number, hourStart: number): number | null {
  let hours = hourCache.get(zone);
  if (hours === undefined) {
    hours = new Map();
    hourCache.set(zone, hours);
  }
  let hit = hours.get(hourStart);
  if (hit === undefined) {
    const first = effectiveOffsets({ year, month, day, hour, minute: 0, second: 0, millisecond: 0, asUtcMs: hourStart }, zone);
    const last = effectiveOffsets({ year, month, day, hour, minute: 59, second: 59, millisecond: 999, asUtcMs: hourStart + 3_599_999 }, zone);
    hit = first.length === 1 && last.length === 1 && first[0] === last[0] ? (first[0] as number) : null;
    if (hours.size >= HOUR_CACHE_LIMIT) hours.clear();
    hours.set(hourStart, hit);
  }
  return hit;
}

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

/** Resolve start/answer/end of one call in `zone` (see the rules above). Throws TimeError naming the field. */
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

/** `2024-06-01T10:00:00Z` (milliseconds only when there are some). */
export function formatUtc(ms: number): string {
  if (ms % 1000 === 0 && ms >= 0 && ms < YEAR_10000_MS) {
    // Whole seconds in years 1970–9999 (every call time): toISOString once per hour, minutes and seconds from a table.
    const hour = Math.floor(ms / 3_600_000);
    ISO_PARTS[0] = hourPrefix(hour);
    ISO_PARTS[1] = MINUTES_SECONDS_Z[(ms - hour * 3_600_000) / 1000] as string;
    return ISO_PARTS.join('');
  }
  const iso = new Date(ms).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

const YEAR_10000_MS = Date.UTC(10_000, 0, 1);
/** `MM:SSZ` for each second of an hour. */
const MINUTES_SECONDS_Z = Array.from({ length: 3600 }, (_, s) => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}Z`);
// Joined rather than concatenated: one flat string, which the payload check and JSON then read as is.
const ISO_PARTS: [string, string] = ['', ''];
// Two hours remembered: a call's start and end alternate.
let hourA = Number.NaN;
let prefixA = '';
let hourB = Number.NaN;
let prefixB = '';

/** `YYYY-MM-DDTHH:` of an hour (hours since the epoch). */
function hourPrefix(hour: number): string {
  if (hour === hourA) return prefixA;
  if (hour === hourB) return prefixB;
  const prefix = new Date(hour * 3_600_000).toISOString().slice(0, 14);
  hourB = hourA;
  prefixB = prefixA;
  hourA = hour;
  prefixA = prefix;
  return prefix;
}

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
