import { effectiveOffsets } from './zone-offsets.js';

/**
 * Speed trick: the offsets luxon gives for a wall-clock hour, reused for every time in that hour. Justified by
 * `npx tsx bench/parse.ts --times`, line "zone → UTC": luxon asks Intl on every call, ~20 µs per time, over 100×
 * what resolveCallTimes costs with this cache; a row has ~2.8 times, so without it zone → UTC alone would cost
 * more than all of (b) does per row now (~45 µs: line "(b) asterisk-csv+group+normalize").
 * The answers are luxon's either way: an hour is reused only when its first and last instant have the same
 * single offset (no change inside it), and a time in an hour with a change is left to luxon itself
 * (times.test.ts compares with luxon over DST change days).
 */

/** Per zone: wall-clock hour (its start read as UTC, ms) → the zone's one offset all through it, or null when it changes inside. */
const hourCache = new Map<string, Map<number, number | null>>();
// Bounded: a long-running bridge reads times from years of files.
const HOUR_CACHE_LIMIT = 20_000;

/** The zone's offset (minutes) all through a wall-clock hour, or null when it changes inside the hour. Throws TimeError for an unknown zone. */
export function hourOffset(zone: string, year: number, month: number, day: number, hour: number, hourStart: number): number | null {
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
