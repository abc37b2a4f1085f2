import { DateTime } from 'luxon';
import { shorten } from '../shared/input.js';
import { hasWrittenOffset, parseIsoOrSql } from '../shared/wall-clock.js';
import type { GenericOptions } from './options.js';

export type TimeResult = { ok: true; iso: string } | { ok: false; message: string };

/**
 * A time as configured → the CallRecord form: ISO 8601 with its offset (or `Z`) when the instant is known,
 * or a wall-clock ISO time without an offset when it is in the source's zone (normalize resolves the zone,
 * DST gaps and repeats included: no offset arithmetic here).
 */
export function compileTimeParser(time: GenericOptions['time']): (value: string) => TimeResult {
  const { format, zone } = time;
  if (format === 'epoch' || format === 'epoch-ms') {
    const factor = format === 'epoch' ? 1000 : 1;
    return (value) => {
      if (!/^\d+(\.\d+)?$/.test(value)) return { ok: false, message: `"${clip(value)}" is not ${format === 'epoch' ? 'epoch seconds' : 'epoch milliseconds'}` };
      const ms = Math.round(Number(value) * factor);
      if (ms <= 0) return { ok: false, message: `"${clip(value)}" is not a time (zero)` };
      return { ok: true, iso: new Date(ms).toISOString() };
    };
  }
  if (format === 'iso') {
    return (value) => {
      const text = value.trim();
      const dt = parseIsoOrSql(text, { zone: 'utc', setZone: true });
      if (!dt.isValid) return { ok: false, message: `"${clip(value)}" is not an ISO 8601 time` };
      return finish(dt, hasWrittenOffset(text), zone, value);
    };
  }
  const hasZoneToken = /[Zz]/.test(format.replace(/'[^']*'/g, ''));
  return (value) => {
    const dt = DateTime.fromFormat(value.trim(), format, { zone: 'utc', setZone: true });
    if (!dt.isValid) return { ok: false, message: `"${clip(value)}" does not match the time format "${format}"` };
    return finish(dt, hasZoneToken, zone, value);
  };
}

function finish(dt: DateTime, hasOffset: boolean, zone: GenericOptions['time']['zone'], value: string): TimeResult {
  if (hasOffset) return { ok: true, iso: dt.toISO({ suppressMilliseconds: true }) ?? '' };
  if (zone === 'data') return { ok: false, message: `"${clip(value)}" has no UTC offset, and time.zone is "data"` };
  if (zone === 'utc') return { ok: true, iso: dt.toUTC().toISO({ suppressMilliseconds: true }) ?? '' };
  return { ok: true, iso: dt.toFormat(dt.millisecond ? "yyyy-MM-dd'T'HH:mm:ss.SSS" : "yyyy-MM-dd'T'HH:mm:ss") };
}

export type DurationResult = { ok: true; seconds: number } | { ok: false; message: string };

/** `83`, `83.4`, `1:23`, `0:01:23` → seconds (rounded); numbers are milliseconds when so configured. */
export function parseDuration(value: string, unit: GenericOptions['durationUnit']): DurationResult {
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) {
    const n = Number(text);
    return { ok: true, seconds: Math.round(unit === 'milliseconds' ? n / 1000 : n) };
  }
  const clock = /^(?:(\d+):)?(\d{1,2}):(\d{2})(?:\.\d+)?$/.exec(text);
  if (clock) {
    const [, h, m, s] = clock;
    return { ok: true, seconds: Number(h ?? 0) * 3600 + Number(m) * 60 + Number(s) };
  }
  return { ok: false, message: `"${clip(value)}" is not a duration (seconds or H:MM:SS)` };
}

function clip(text: string): string {
  return shorten(text, 60);
}
