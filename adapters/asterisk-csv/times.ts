/**
 * Time values for CallRecord. Adapters only re-spell what the PBX wrote: a wall-clock time stays without an
 * offset (normalization applies the source's zone), an epoch value becomes UTC with `Z`. No zone arithmetic here.
 */

const WALL_CLOCK = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

/** `2024-05-02 14:03:09` → `2024-05-02T14:03:09`; undefined when the text is not such a time or not a real date. */
export function wallClockToIso(text: string): string | undefined {
  const m = WALL_CLOCK.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m as unknown as [string, string, string, string, string, string, string];
  if (!isRealDate(+y, +mo, +d) || +h > 23 || +mi > 59 || +s > 60) return undefined;
  return `${y}-${mo}-${d}T${h}:${mi}:${s}`;
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
  let text = iso;
  if (isAbsolute(iso) && !iso.endsWith('Z')) text = new Date(Date.parse(iso)).toISOString();
  return {
    yyyy: text.slice(0, 4),
    mm: text.slice(5, 7),
    dd: text.slice(8, 10),
    hh: text.slice(11, 13),
    mi: text.slice(14, 16),
    ss: text.slice(17, 19),
  };
}

/** Whole non-negative seconds from a decimal text, or undefined. */
export function parseSeconds(text: string): number | undefined {
  if (!/^\d{1,10}$/.test(text)) return undefined;
  return Number(text);
}
