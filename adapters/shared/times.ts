/**
 * Time values for CallRecord. Adapters only re-spell what the PBX wrote: a wall-clock time stays without an
 * offset (normalization applies the source's zone), an epoch value becomes UTC with `Z`. No zone arithmetic here.
 */

const WALL_CLOCK = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$/;

/** `2024-05-02 14:03:09` → `2024-05-02T14:03:09`; undefined when the text is not such a time or not a real date. */
export function wallClockToIso(text: string): string | undefined {
  // One test and the digits read in place: this runs for three columns of every row.
  if (!WALL_CLOCK.test(text)) return undefined;
  const y = digits(text, 0, 4);
  const mo = digits(text, 5, 2);
  const d = digits(text, 8, 2);
  if (!isRealDate(y, mo, d) || digits(text, 11, 2) > 23 || digits(text, 14, 2) > 59 || digits(text, 17, 2) > 60) return undefined;
  // Joined, not concatenated: one flat string, which is what a leg holds until its call is assembled.
  return text.charCodeAt(10) === 0x54 /* T */ ? text : [text.slice(0, 10), text.slice(11)].join('T');
}

/** The decimal value of `length` ASCII digits at `at` (the caller has checked they are digits). */
function digits(text: string, at: number, length: number): number {
  let value = 0;
  for (let i = at; i < at + length; i++) value = value * 10 + (text.charCodeAt(i) - 0x30);
  return value;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isRealDate(y: number, mo: number, d: number): boolean {
  if (mo < 1 || mo > 12 || d < 1) return false;
  const leap = mo === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= (DAYS[mo - 1] as number) + (leap ? 1 : 0);
}

/** Unix seconds (UTC) → `2016-01-14T12:29:50Z`. */
export function epochSecondsToIso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** True for ISO times that carry `Z` or an offset (absolute instants). */
export function isAbsolute(iso: string): boolean {
  return /(?:Z|[+-]\d{2}:?\d{2})$/.test(iso);
}

/** Seconds from `a` to `b` when both are absolute instants; undefined for wall-clock times (their zone is not known here). */
export function secondsBetweenAbsolute(a: string, b: string): number | undefined {
  if (!isAbsolute(a) || !isAbsolute(b)) return undefined;
  const ms = Date.parse(b) - Date.parse(a);
  return Number.isFinite(ms) ? Math.max(0, Math.round(ms / 1000)) : undefined;
}

/** The calendar parts of an ISO time as written (wall clock as is; UTC for `Z` times), for recording templates. */
export function dateParts(iso: string): Record<'yyyy' | 'mm' | 'dd' | 'hh' | 'mi' | 'ss', string> {
  const text = datePartsText(iso);
  return {
    yyyy: text.slice(0, 4),
    mm: text.slice(5, 7),
    dd: text.slice(8, 10),
    hh: text.slice(11, 13),
    mi: text.slice(14, 16),
    ss: text.slice(17, 19),
  };
}

/** The text dateParts slices: the time as written, or as UTC for a time with an offset (`YYYY-MM-DDTHH:MM:SS` first). */
export function datePartsText(iso: string): string {
  if (iso.endsWith('Z') || !isAbsolute(iso)) return iso;
  return new Date(Date.parse(iso)).toISOString();
}

/** Whole non-negative seconds from a decimal text, or undefined. */
export function parseSeconds(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  return Number(text);
}
