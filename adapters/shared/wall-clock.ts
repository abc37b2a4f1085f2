import { DateTime } from 'luxon';

/**
 * Reading a time as a PBX writes it, "YYYY-MM-DD HH:MM:SS" and its kin: the one parser that the adapters
 * (re-spelling a column) and normalization (placing it in the source's zone) share, so that they agree on
 * which texts are times. No zone arithmetic here: the fields are the ones written.
 */

/** A time's fields as written; `offset` is its `Z` or `±hh[:mm]` suffix, undefined for a wall-clock time. */
export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  offset: string | undefined;
}

/** What most CDRs and every adapter write: whole seconds, `T` or a space, maybe `Z`. Read in place, no match object. */
const PLAIN = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}Z?$/;
/** The common forms: seconds and a fraction optional, `Z` or an offset optional. */
const COMMON = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/**
 * The fields of a time in a common form; undefined for another form, a date not in the calendar, or a time of
 * day out of range. Second 60 (a leap second) is read, so that an adapter passes it on and normalization, which
 * cannot place it, refuses the call with a reason instead of the adapter calling the column not a time.
 */
export function readWallClock(text: string): WallClock | undefined {
  if (PLAIN.test(text)) return readPlain(text);
  const m = COMMON.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  const second = m[6] ? Number(m[6]) : 0;
  const millisecond = m[7] ? Math.floor(Number(`0.${m[7]}`) * 1000) : 0;
  if (!isReal(year, month, day, hour, minute, second)) return undefined;
  return { year, month, day, hour, minute, second, millisecond, offset: m[8] };
}

/**
 * `2024-05-02 14:03:09` → `2024-05-02T14:03:09`; undefined for any other form (seconds left out, a fraction, an
 * offset) or a time that is not real. Adapters only re-spell: normalization applies the source's zone.
 */
export function wallClockToIso(text: string): string | undefined {
  if (text.length !== 19 || !PLAIN.test(text) || readPlain(text) === undefined) return undefined;
  // Joined, not concatenated: one flat string, which is what a leg holds until its call is assembled.
  return text.charCodeAt(10) === 0x54 /* T */ ? text : [text.slice(0, 10), text.slice(11)].join('T');
}

/** A text PLAIN matched, its digits read in place (no match object, no array): this runs for three columns of every row. */
function readPlain(text: string): WallClock | undefined {
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (!isReal(year, month, day, hour, minute, second)) return undefined;
  return { year, month, day, hour, minute, second, millisecond: 0, offset: text.length === 20 ? 'Z' : undefined };
}

function isReal(year: number, month: number, day: number, hour: number, minute: number, second: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23 && minute <= 59 && second <= 60;
}

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

/**
 * A time's fields as ms: a wall-clock time as if it were UTC (only differences between wall-clock times mean
 * something), a time with an offset as the instant it is. NaN for an offset past ±18:00.
 */
export function wallClockMs(at: WallClock): number {
  const naive = Date.UTC(at.year, at.month - 1, at.day, at.hour, at.minute, at.second, at.millisecond);
  if (at.offset === undefined) return naive;
  const offset = offsetMinutes(at.offset);
  return offset === undefined ? NaN : naive - offset * 60_000;
}

/** ms (as wallClockMs gives them) → `YYYY-MM-DD HH:MM:SS`, the text a DATETIME column or a CDR line holds. */
export function wallClockText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** `+02:00`, `-0500`, `+01`, `Z` → minutes east of UTC; undefined past ±18:00. */
export function offsetMinutes(suffix: string): number | undefined {
  if (suffix === 'Z' || suffix === 'z') return 0;
  const sign = suffix[0] === '-' ? -1 : 1;
  const digits = suffix.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4) || '0');
  if (hours > 18 || minutes > 59 || (hours === 18 && minutes > 0)) return undefined;
  return sign * (hours * 60 + minutes);
}

/** True when the text after the date ends in `Z` or an offset, whatever its form: the time is an instant, not a wall clock. */
export function hasWrittenOffset(text: string): boolean {
  const sep = text.search(/[T ]/);
  return sep > 0 && /(?:Z|[+-]\d{2}(?::?\d{2})?)$/i.test(text.slice(sep + 1));
}

/** Any ISO 8601 or SQL form, through luxon; invalid when neither reading works (with the ISO reading's explanation). */
export function parseIsoOrSql(text: string, opts: { zone?: string; setZone?: boolean }): DateTime {
  const iso = DateTime.fromISO(text, opts);
  if (iso.isValid) return iso;
  // Many PBXs write "2024-03-31 02:30:00"; ISO 8601 allows the space only by agreement, luxon calls it SQL.
  const sql = DateTime.fromSQL(text, opts);
  return sql.isValid ? sql : iso;
}
