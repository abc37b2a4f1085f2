import { describe, expect, it } from '@jest/globals';
import { DateTime } from 'luxon';
import { resolveCallTimes } from '../../src/pipeline/call-times.js';
import { formatUtc } from '../../src/pipeline/fast-utc.js';
import { candidateInstants } from '../../src/pipeline/instants.js';
import { TimeError } from '../../src/pipeline/zone-offsets.js';

const utc = (value: string, zone: string) => candidateInstants(value, zone).map(formatUtc);

describe('candidateInstants: PBX wall-clock time → UTC', () => {
  it.each([
    // [input, zone, expected UTC instants]
    ['2024-06-01T12:00:00', 'Europe/Stockholm', ['2024-06-01T10:00:00Z']], // summer time, +02:00
    ['2024-01-15T12:00:00', 'Europe/Stockholm', ['2024-01-15T11:00:00Z']], // winter time, +01:00
    ['2024-06-01 12:00:00', 'Europe/Stockholm', ['2024-06-01T10:00:00Z']], // the space form many PBXs write
    ['2024-06-01T12:00:00', 'America/New_York', ['2024-06-01T16:00:00Z']],
    ['2024-01-15T12:00:00', 'America/New_York', ['2024-01-15T17:00:00Z']],
    ['2024-06-01T12:00:00', 'UTC', ['2024-06-01T12:00:00Z']],
    // An offset or Z makes the time absolute: the zone does not apply.
    ['2024-06-01T12:00:00Z', 'America/New_York', ['2024-06-01T12:00:00Z']],
    ['2024-06-01T12:00:00+02:00', 'America/New_York', ['2024-06-01T10:00:00Z']],
    ['2024-06-01T12:00:00-0500', 'Europe/Stockholm', ['2024-06-01T17:00:00Z']],
    ['2024-06-01T12:00:00.250Z', 'UTC', ['2024-06-01T12:00:00.250Z']],
    ['2024-06-01T12:00:00+01', 'UTC', ['2024-06-01T11:00:00Z']],
    ['2024-06-01T12:00:00.5', 'Europe/Stockholm', ['2024-06-01T10:00:00.500Z']],
    ['2024-06-01T12:00', 'Europe/Stockholm', ['2024-06-01T10:00:00Z']],
    ['2024-02-29 23:59:59', 'Europe/Stockholm', ['2024-02-29T22:59:59Z']], // a leap day
    // Forms the strict pattern does not cover go through luxon's ISO parser.
    ['2024-W22-6T12:00:00', 'Europe/Stockholm', ['2024-06-01T10:00:00Z']],
    ['20240601T120000', 'Europe/Stockholm', ['2024-06-01T10:00:00Z']],
    ['20240601T120000Z', 'Europe/Stockholm', ['2024-06-01T12:00:00Z']],
    // Summer time starts (the clock jumps 02:00 → 03:00): 02:30 does not exist; read with the offset before the jump.
    ['2024-03-31T02:30:00', 'Europe/Stockholm', ['2024-03-31T01:30:00Z']],
    ['2024-03-10T02:30:00', 'America/New_York', ['2024-03-10T07:30:00Z']],
    // Just around the gap: unambiguous.
    ['2024-03-31T01:59:59', 'Europe/Stockholm', ['2024-03-31T00:59:59Z']],
    ['2024-03-31T03:00:00', 'Europe/Stockholm', ['2024-03-31T01:00:00Z']],
    // Summer time ends (03:00 → 02:00): 02:30 happens twice; both instants, earliest first.
    ['2024-10-27T02:30:00', 'Europe/Stockholm', ['2024-10-27T00:30:00Z', '2024-10-27T01:30:00Z']],
    ['2024-11-03T01:30:00', 'America/New_York', ['2024-11-03T05:30:00Z', '2024-11-03T06:30:00Z']],
  ])('%s in %s', (input, zone, expected) => {
    expect(utc(input, zone)).toEqual(expected);
  });

  it.each([
    ['not a time', 'UTC', /invalid time "not a time"/],
    ['2024-13-01T10:00:00', 'UTC', /invalid time/],
    ['2024-02-30 10:00:00', 'Europe/Stockholm', /invalid time/],
    ['2023-02-29 10:00:00', 'Europe/Stockholm', /invalid time/],
    ['2024-06-01 24:00:01', 'Europe/Stockholm', /invalid time/],
    ['2024-06-01 12:60:00', 'UTC', /invalid time/],
    ['2024-06-01T12:00:00+25:00', 'UTC', /invalid time/],
    ['2024-06-01T12:00:00', 'Mars/Olympus', /unknown time zone "Mars\/Olympus"/],
  ])('refuses %s (%s)', (input, zone, message) => {
    expect(() => candidateInstants(input, zone)).toThrow(TimeError);
    expect(() => candidateInstants(input, zone)).toThrow(message);
  });
});

describe('candidateInstants agrees with luxon every few minutes (and :59) over DST change days (the per-hour offset reuse is exact)', () => {
  it.each([
    ['Europe/Stockholm', ['2024-03-31', '2024-10-27']],
    ['America/New_York', ['2024-03-10', '2024-11-03']],
    ['Australia/Lord_Howe', ['2024-04-07', '2024-10-06']], // 30-minute shift at 02:00
    ['Pacific/Chatham', ['2024-04-07', '2024-09-29']], // changes at 02:45 / 03:45 local
    ['Asia/Kolkata', ['2024-06-01']],
  ])('%s', (zone, days) => {
    let checked = 0;
    for (const day of days) {
      for (const minute of Array.from({ length: 24 * 60 }, (_, m) => m).filter((m) => m % 5 === 0 || m % 60 === 59)) {
        const wall = `${day}T${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}:30`;
        const direct = DateTime.fromISO(wall, { zone });
        const possible = direct.getPossibleOffsets();
        const expected =
          possible.length > 1
            ? possible.map((d) => d.toMillis()).sort((a, b) => a - b)
            : [direct.toMillis()]; // a skipped time: luxon's own placement (moved forward = the offset before the jump)
        expect(candidateInstants(wall, zone)).toEqual(expected);
        checked += 1;
      }
    }
    expect(checked).toBe(days.length * 24 * 13);
  });
});

describe('resolveCallTimes: a call across the end of summer time', () => {
  it.each([
    // Ambiguous start, nothing else to go on: the first occurrence (summer time).
    [{ startTime: '2024-10-27T02:30:00' }, { start: '2024-10-27T00:30:00Z' }],
    // Start 02:50 (summer), end 02:10 after the clock went back: the end is the second 02:10.
    [
      { startTime: '2024-10-27T02:50:00', endTime: '2024-10-27T02:10:00' },
      { start: '2024-10-27T00:50:00Z', end: '2024-10-27T01:10:00Z' },
    ],
    // Both in the repeated hour and 10 minutes long: the duration picks the end 10 minutes after the start.
    [
      { startTime: '2024-10-27T02:10:00', endTime: '2024-10-27T02:20:00', durationSec: 600 },
      { start: '2024-10-27T00:10:00Z', end: '2024-10-27T00:20:00Z' },
    ],
    // Same wall-clock times but 70 minutes long: the end is the second 02:20.
    [
      { startTime: '2024-10-27T02:10:00', endTime: '2024-10-27T02:20:00', durationSec: 4200 },
      { start: '2024-10-27T00:10:00Z', end: '2024-10-27T01:20:00Z' },
    ],
    // New York: 01:50 EDT → 01:05 EST.
    [
      { startTime: '2024-11-03T01:50:00', answerTime: '2024-11-03T01:55:00', endTime: '2024-11-03T01:05:00' },
      { start: '2024-11-03T05:50:00Z', answer: '2024-11-03T05:55:00Z', end: '2024-11-03T06:05:00Z' },
    ],
    // A call over the spring gap: 01:55 → 03:05 is 10 minutes.
    [
      { startTime: '2024-03-31T01:55:00', endTime: '2024-03-31T03:05:00' },
      { start: '2024-03-31T00:55:00Z', end: '2024-03-31T01:05:00Z' },
    ],
  ])('%j', (input, expected) => {
    const zone = input.startTime.startsWith('2024-11') ? 'America/New_York' : 'Europe/Stockholm';
    const times = resolveCallTimes(input, zone);
    const out: Record<string, string> = { start: formatUtc(times.start) };
    if (times.answer !== undefined) out.answer = formatUtc(times.answer);
    if (times.end !== undefined) out.end = formatUtc(times.end);
    expect(out).toEqual(expected);
  });

  it('names the field of a bad time', () => {
    expect(() => resolveCallTimes({ startTime: '2024-06-01T10:00:00', endTime: 'yesterday' }, 'UTC')).toThrow(/^endTime: invalid time "yesterday"/);
  });
});
