import { DateTime, IANAZone } from 'luxon';
import type { TimeClue } from './types.js';

/**
 * The time zone a starter config can name, and how sure that is. Only wall-clock times (no offset) need one;
 * where a CDR writes the same instant both ways (Asterisk's start column and the epoch in its uniqueid), the
 * PBX's UTC offset on those days is known, and only zones with those offsets fit.
 */
export interface ZoneAdvice {
  zone: string;
  /** What to write beside the zone in the config: how it was chosen, and a TODO when it is a guess. */
  comment: string;
  guess: boolean;
}

/** The zone of the country `normalize.defaultCountry` names, for breaking ties between zones that fit equally. */
const COUNTRY_ZONES: Readonly<Record<string, string>> = {
  SE: 'Europe/Stockholm',
  NO: 'Europe/Oslo',
  DK: 'Europe/Copenhagen',
  FI: 'Europe/Helsinki',
  IS: 'Atlantic/Reykjavik',
  DE: 'Europe/Berlin',
  NL: 'Europe/Amsterdam',
  BE: 'Europe/Brussels',
  FR: 'Europe/Paris',
  GB: 'Europe/London',
  IE: 'Europe/Dublin',
  ES: 'Europe/Madrid',
  IT: 'Europe/Rome',
  PL: 'Europe/Warsaw',
  AT: 'Europe/Vienna',
  CH: 'Europe/Zurich',
  EE: 'Europe/Tallinn',
  LV: 'Europe/Riga',
  LT: 'Europe/Vilnius',
};

/** Offsets (minutes east of UTC) the pairs show, rounded to a quarter hour (the epoch is the channel's creation, seconds off). */
export function offsetsOf(pairs: ReadonlyArray<{ wall: string; epochSec: number }>): Array<{ wall: string; minutes: number }> {
  const out: Array<{ wall: string; minutes: number }> = [];
  for (const { wall, epochSec } of pairs) {
    const asUtc = DateTime.fromISO(wall.replace(' ', 'T'), { zone: 'utc' });
    if (!asUtc.isValid) continue;
    const minutes = Math.round((asUtc.toSeconds() - epochSec) / 60 / 15) * 15;
    if (Math.abs(minutes) <= 14 * 60) out.push({ wall, minutes });
  }
  return out;
}

/**
 * The zone for `normalize.timezone` from what the files say about their clocks, this machine's zone and the
 * country the numbers point to (`country`).
 */
export function adviseZone(clues: readonly TimeClue[], machineZone: string | undefined, country: string | undefined): ZoneAdvice {
  const machine = machineZone && IANAZone.isValidZone(machineZone) ? machineZone : 'UTC';
  const local = clues.filter((c): c is Extract<TimeClue, { kind: 'local' }> => c.kind === 'local');
  if (!local.length) {
    const how = [...new Set(clues.map((c) => c.how))].join('; ');
    return { zone: machine, comment: `the CDRs' times are absolute (${how}): this zone only reads times written without an offset`, guess: false };
  }
  const offsets = local.flatMap((c) => offsetsOf(c.pairs));
  if (!offsets.length) {
    return {
      zone: machine,
      comment: `TODO: the PBX's zone, a guess: this machine's. The CDRs' times have no zone: ${local[0]?.how}`,
      guess: true,
    };
  }
  // One wall-clock time per distinct offset is enough to test a zone; summer and winter both narrow it.
  const distinct = [...new Map(offsets.map((o) => [`${o.minutes}@${o.wall.slice(0, 10)}`, o])).values()];
  const fits = (zone: string) => distinct.every((o) => offsetIn(zone, o.wall) === o.minutes);
  const seen = describeOffsets(distinct);
  if (fits(machine)) return { zone: machine, comment: `the PBX clock is ${seen} (start times against their uniqueid epochs), as this machine's zone`, guess: false };
  const candidates = zonesThatFit(fits);
  // Ties go to the country the numbers point to, else to Sweden's zone, as normalize.defaultCountry defaults to SE.
  const preferred = [country ? COUNTRY_ZONES[country.toUpperCase()] : undefined, 'Europe/Stockholm'].find((z) => z && candidates.includes(z));
  const zone = preferred ?? candidates[0];
  if (!zone) return { zone: machine, comment: `TODO: the PBX's zone. Its clock is ${seen}, and no zone fits that; this is this machine's zone`, guess: true };
  const others = candidates.filter((z) => z !== zone).slice(0, 4);
  return {
    zone,
    comment: `TODO: check. The PBX clock is ${seen} (start times against their uniqueid epochs); zones that fit: ${[zone, ...others].join(', ')}${candidates.length > 5 ? ', ...' : ''}`,
    guess: true,
  };
}

function offsetIn(zone: string, wall: string): number {
  return DateTime.fromISO(wall.replace(' ', 'T'), { zone }).offset;
}

/** Every IANA zone that fits, Europe's first (the bridge's users are mostly there), then by name. */
function zonesThatFit(fits: (zone: string) => boolean): string[] {
  const all = typeof Intl.supportedValuesOf === 'function' ? Intl.supportedValuesOf('timeZone') : [];
  return all.filter(fits).sort((a, b) => Number(!a.startsWith('Europe/')) - Number(!b.startsWith('Europe/')) || a.localeCompare(b));
}

function describeOffsets(offsets: ReadonlyArray<{ wall: string; minutes: number }>): string {
  return offsets
    .slice(0, 3)
    .map((o) => `UTC${formatOffset(o.minutes)} on ${o.wall.slice(0, 10)}`)
    .join(' and ');
}

function formatOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
