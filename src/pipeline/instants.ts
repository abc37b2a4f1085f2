import { type WallClock, hasWrittenOffset, offsetMinutes, parseIsoOrSql, readWallClock } from '../../adapters/shared/wall-clock.js';
import { hourOffset } from './fast-hour-offsets.js';
import { TimeError, type Wall, effectiveOffsets } from './zone-offsets.js';

/**
 * A time's text → the UTC instants (epoch milliseconds) it may denote. A time with `Z` or an offset is
 * absolute; a time without one is the PBX's wall clock in `zone`, placed by the zone's offsets there (see
 * zone-offsets.ts). The common forms are read by the shared wall-clock parser; anything else goes through
 * luxon's ISO 8601 / SQL parsers.
 */

/** The instants a time may denote, earliest first: one, or two when the wall-clock time is repeated. Throws TimeError. */
export function candidateInstants(value: string, zone: string): number[] {
  const text = value.trim();
  const written = readWallClock(text);
  const asUtcMs = written && utcKey(written);
  let wall: Wall;
  if (written !== undefined && asUtcMs !== undefined) {
    if (written.offset !== undefined) {
      const offset = offsetMinutes(written.offset);
      if (offset === undefined) throw new TimeError(`invalid time "${value}": the offset ${written.offset} is out of range`);
      return [asUtcMs - offset * 60_000];
    }
    wall = { ...written, asUtcMs };
  } else if (hasWrittenOffset(text)) {
    const dt = parseIsoOrSql(text, { setZone: true });
    if (!dt.isValid) throw new TimeError(`invalid time "${value}": ${dt.invalidExplanation ?? dt.invalidReason ?? 'unparseable'}`);
    return [dt.toMillis()];
  } else {
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
 * case), without the arrays and copies; undefined for anything else (a repeated or skipped hour, an unusual
 * form, a bad value), which candidateInstants then decides. Throws TimeError only for an unknown zone, as it does.
 */
export function soleInstant(value: string, zone: string): number | undefined {
  const written = readWallClock(value);
  const asUtcMs = written && utcKey(written);
  if (written === undefined || asUtcMs === undefined) return undefined;
  if (written.offset !== undefined) {
    const offset = offsetMinutes(written.offset);
    return offset === undefined ? undefined : asUtcMs - offset * 60_000;
  }
  const { year, month, day, hour, minute, second, millisecond } = written;
  const offset = hourOffset(zone, year, month, day, hour, asUtcMs - (minute * 60 + second) * 1000 - millisecond);
  return offset === null ? undefined : asUtcMs - offset * 60_000;
}

/**
 * The fields read as if they were UTC (ms: a key, not an instant); undefined for what Date.UTC cannot hold,
 * a year before 100 (it reads 19xx) or second 60, which luxon then decides.
 */
function utcKey(w: WallClock): number | undefined {
  if (w.year < 100 || w.second > 59) return undefined;
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second, w.millisecond);
}
