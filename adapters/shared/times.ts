/**
 * Time values for CallRecord. Adapters only re-spell what the PBX wrote: a wall-clock time stays without an
 * offset (normalization applies the source's zone; wall-clock.ts reads such times), an epoch value becomes UTC
 * with `Z`. No zone arithmetic here.
 */

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
