import { describe, expect, it } from '@jest/globals';
import { reconcileConfigSchema } from '../../src/reconcile/config.js';
import { dateWindows, fieldAt } from '../../src/reconcile/windows.js';

const rows = (...starts: Array<string | undefined>) => starts.map((start, i) => ({ id: i, start }));
const windowsOf = (starts: Array<string | undefined>, pad: number, max: number) =>
  dateWindows(rows(...starts), (r) => r.start, pad, max);

describe('dateWindows', () => {
  it('covers many rows of nearby days with one window, padded on both sides', () => {
    const { windows, undated } = windowsOf(['2025-04-17T08:00:00Z', '2025-04-18T23:59:00Z', '2025-04-17T00:00:00Z'], 1, 7);
    expect(undated).toEqual([]);
    expect(windows).toEqual([{ start: '2025-04-16', end: '2025-04-19', rows: expect.any(Array) }]);
    expect(windows[0]!.rows.map((r) => r.id).sort()).toEqual([0, 1, 2]);
  });

  it('uses the UTC date of times with an offset', () => {
    const { windows } = windowsOf(['2025-04-17T23:30:00-05:00'], 0, 1);
    expect(windows.map((w) => [w.start, w.end])).toEqual([['2025-04-18', '2025-04-18']]);
  });

  it('splits rows further apart than the longest window', () => {
    const { windows } = windowsOf(['2025-04-01T10:00:00Z', '2025-04-03T10:00:00Z', '2025-04-20T10:00:00Z', '2025-03-01T10:00:00Z'], 1, 7);
    expect(windows.map((w) => [w.start, w.end, w.rows.length])).toEqual([
      ['2025-02-28', '2025-03-02', 1],
      ['2025-03-31', '2025-04-04', 2],
      ['2025-04-19', '2025-04-21', 1],
    ]);
  });

  it('never makes a window shorter than one padded day, whatever maxDays says', () => {
    const { windows } = windowsOf(['2025-04-17T10:00:00Z', '2025-04-18T10:00:00Z'], 1, 1);
    expect(windows.map((w) => [w.start, w.end])).toEqual([
      ['2025-04-16', '2025-04-18'],
      ['2025-04-17', '2025-04-19'],
    ]);
  });

  it('keeps rows without a readable start time apart', () => {
    const { windows, undated } = windowsOf([undefined, 'not a date', '2025-04-17T10:00:00Z'], 0, 7);
    expect(undated.map((r) => r.id)).toEqual([0, 1]);
    expect(windows).toHaveLength(1);
  });
});

describe('fieldAt', () => {
  it('reads dotted paths, numbers as strings, and nothing for missing or empty', () => {
    const item = { id: 12, data: { conversation: { id: 'abc' } }, external_id: '' };
    expect(fieldAt(item, 'id')).toBe('12');
    expect(fieldAt(item, 'data.conversation.id')).toBe('abc');
    expect(fieldAt(item, 'data.missing.id')).toBeUndefined();
    expect(fieldAt(item, 'external_id')).toBeUndefined();
    expect(fieldAt(item, '')).toBeUndefined();
    expect(fieldAt(null, 'id')).toBeUndefined();
  });
});

describe('reconcile config', () => {
  it('has working defaults and refuses a bad cron expression, naming it', () => {
    const config = reconcileConfigSchema.parse(undefined);
    expect(config).toMatchObject({ schedule: '*/5 * * * *', lookup: { mode: 'list', idField: 'id', externalIdField: 'external_id', recordingTypes: ['call'] } });
    const bad = reconcileConfigSchema.safeParse({ schedule: 'every five minutes' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['schedule']);
    const blind = reconcileConfigSchema.safeParse({ lookup: { idField: '', externalIdField: '' } });
    expect(blind.success).toBe(false);
    expect(blind.error?.issues[0]?.path).toEqual(['lookup', 'idField']);
  });
});
