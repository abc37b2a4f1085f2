import { DateTime } from 'luxon';
import type { WallClock } from '../../adapters/shared/wall-clock.js';

/**
 * A zone's UTC offsets at a wall-clock time, as luxon gives them (the IANA database via Intl): we never work
 * out DST rules ourselves. The clock is not continuous, so a time may have two offsets (the hour repeated when
 * summer time ends) or none (the hour skipped when it starts). A skipped time is read with the offset in force
 * just before the jump: a PBX clock that writes it has not jumped yet, and that is luxon's own placement
 * (it moves the time forward), e.g. 02:30 → 01:30Z on the last Sunday of March in Europe/Stockholm.
 */

export class TimeError extends Error {}

/** Wall-clock fields as written, and the same fields read as if they were UTC (a key, not an instant). */
export type Wall = Omit<WallClock, 'offset'> & { asUtcMs: number };

/**
 * The UTC offsets (minutes) a wall-clock time may have in `zone`: one, two for a repeated time (earliest
 * instant first), and for a skipped time the offset before the jump. "Effective" = wall clock − instant, so
 * that a skipped time, which luxon moves forward, keeps its meaning. Throws TimeError for an unknown zone.
 */
export function effectiveOffsets(wall: Wall, zone: string): number[] {
  const { year, month, day, hour, minute, second, millisecond } = wall;
  const inZone = DateTime.fromObject({ year, month, day, hour, minute, second, millisecond }, { zone });
  if (!inZone.isValid) {
    if (inZone.invalidReason === 'unsupported zone') throw new TimeError(`unknown time zone "${zone}"`);
    throw new TimeError(`invalid time in ${zone}: ${inZone.invalidExplanation ?? inZone.invalidReason ?? 'unparseable'}`);
  }
  const candidates = inZone.getPossibleOffsets();
  return (candidates.length ? candidates : [inZone]).map((c) => Math.round((wall.asUtcMs - c.toMillis()) / 60_000)).sort((a, b) => b - a);
}
