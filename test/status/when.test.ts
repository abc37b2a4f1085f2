import { describe, expect, it } from '@jest/globals';
import { parseWhen } from '../../src/status/when.js';

const now = Date.parse('2026-12-07T12:00:00Z');

describe('parseWhen (--since, --until)', () => {
  it.each([
    ['90m', '2026-12-07T10:30:00.000Z'],
    ['24h', '2026-12-06T12:00:00.000Z'],
    ['7d', '2026-11-30T12:00:00.000Z'],
    ['2026-12-01', '2026-12-01T00:00:00.000Z'],
    ['2026-12-01T14:00', '2026-12-01T14:00:00.000Z'],
    ['2026-12-01 14:00:30', '2026-12-01T14:00:30.000Z'],
    ['2026-12-01T14:00+01:00', '2026-12-01T13:00:00.000Z'],
    ['2026-12-01T14:00:00Z', '2026-12-01T14:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(new Date(parseWhen('--since', text, now)).toISOString()).toBe(iso);
  });

  it.each(['yesterday', '2026-13-01', '1w', '', '12/01/2026'])('"%s" is refused, naming the option and the forms it takes', (text) => {
    expect(() => parseWhen('--until', text, now)).toThrow(`--until "${text}" is not a time: give how long ago (90m, 24h, 7d) or an ISO date or time`);
  });
});
