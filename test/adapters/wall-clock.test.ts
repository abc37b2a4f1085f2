import { describe, expect, it } from '@jest/globals';
import { hasWrittenOffset, offsetMinutes, readWallClock, wallClockToIso } from '../../adapters/shared/wall-clock.js';

describe('readWallClock: the fields as written', () => {
  it.each([
    ['2024-05-02 14:03:09', { year: 2024, month: 5, day: 2, hour: 14, minute: 3, second: 9, millisecond: 0, offset: undefined }],
    ['2024-05-02T14:03:09Z', { year: 2024, month: 5, day: 2, hour: 14, minute: 3, second: 9, millisecond: 0, offset: 'Z' }],
    ['2024-05-02t14:03', { year: 2024, month: 5, day: 2, hour: 14, minute: 3, second: 0, millisecond: 0, offset: undefined }],
    ['2024-05-02 14:03:09,1259', { year: 2024, month: 5, day: 2, hour: 14, minute: 3, second: 9, millisecond: 125, offset: undefined }],
    ['2024-05-02T14:03:09.5-0500', { year: 2024, month: 5, day: 2, hour: 14, minute: 3, second: 9, millisecond: 500, offset: '-0500' }],
    ['2024-02-29 23:59:60', { year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 60, millisecond: 0, offset: undefined }],
  ])('%s', (text, fields) => {
    expect(readWallClock(text)).toEqual(fields);
  });

  it.each(['2023-02-29 10:00:00', '2024-04-31 10:00:00', '2024-00-10 10:00:00', '2024-06-00 10:00:00', '2024-06-01 24:00:00', '2024-06-01 12:60:00', '2024-06-01 12:00:61', '2024-06-01', '20240601T120000', ' 2024-06-01 12:00:00'])(
    'not a common-form time: %s',
    (text) => {
      expect(readWallClock(text)).toBeUndefined();
    },
  );
});

describe('wallClockToIso: what an adapter passes on', () => {
  it.each([
    ['2024-05-02 14:03:09', '2024-05-02T14:03:09'],
    ['2024-05-02T14:03:09', '2024-05-02T14:03:09'],
    // A leap second is passed on: normalization refuses it with its reason.
    ['2016-12-31 23:59:60', '2016-12-31T23:59:60'],
    ['2024-05-02t14:03:09', undefined],
    ['2024-05-02 14:03:09Z', undefined],
    ['2024-05-02 14:03', undefined],
    ['2024-05-02 14:03:09.5', undefined],
    ['2024-05-02T14:03+02', undefined],
    ['2023-02-29 14:03:09', undefined],
    ['2024-05-02 14:60:09', undefined],
  ])('%s → %s', (text, iso) => {
    expect(wallClockToIso(text)).toBe(iso);
  });
});

describe('offsets as written', () => {
  it.each([
    ['Z', 0],
    ['z', 0],
    ['+02:00', 120],
    ['-0530', -330],
    ['+01', 60],
    ['+18:00', 1080],
    ['+18:01', undefined],
    ['-19', undefined],
  ])('offsetMinutes(%s) = %s', (suffix, minutes) => {
    expect(offsetMinutes(suffix)).toBe(minutes);
  });

  it.each([
    ['2024-06-01T12:00:00Z', true],
    ['2024-06-01 12:00:00+02:00', true],
    ['20240601T120000-0500', true],
    ['2024-06-01T12:00:00', false],
    ['2024-06-01', false],
  ])('hasWrittenOffset(%s) = %s', (text, has) => {
    expect(hasWrittenOffset(text)).toBe(has);
  });
});
