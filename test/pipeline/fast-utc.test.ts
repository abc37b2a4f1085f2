import { describe, expect, it } from '@jest/globals';
import { formatUtc } from '../../src/pipeline/fast-utc.js';

/** What formatUtc saves work over: toISOString without `.000`. */
const plain = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

describe('formatUtc spells what toISOString does (without .000)', () => {
  it.each([
    ['whole seconds', Date.UTC(2024, 5, 1, 10, 0, 0)],
    ['the last second of an hour', Date.UTC(2024, 5, 1, 10, 59, 59)],
    ['milliseconds', Date.UTC(2024, 5, 1, 10, 0, 0, 250)],
    ['the epoch', 0],
    ['before the epoch', Date.UTC(1969, 11, 31, 23, 59, 59)],
    ['the last second of year 9999', Date.UTC(9999, 11, 31, 23, 59, 59)],
    ['year 10000', Date.UTC(10_000, 0, 1)],
  ])('%s', (_name, ms) => {
    expect(formatUtc(ms)).toBe(plain(ms));
  });

  it('as starts and ends of calls alternate between hours, and over a day second by second', () => {
    const day = Date.UTC(2024, 2, 31);
    for (let s = 0; s < 86_400; s += 7) {
      const start = day + s * 1000;
      const end = start + ((s * 37) % 7_200) * 1000;
      expect([formatUtc(start), formatUtc(end), formatUtc(start - 3_600_000)]).toEqual([plain(start), plain(end), plain(start - 3_600_000)]);
    }
  });
});
