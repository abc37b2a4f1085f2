import { describe, expect, it } from '@jest/globals';
import {
  advanceWindow,
  clocksWentBackMs,
  cursorMs,
  emptyCheckpoint,
  encodeSqlCheckpoint,
  parseSqlCheckpoint,
  readWindow,
  rowKey,
  type WindowRow,
} from '../../src/sources/sql/window.js';

const row = (key: string, cursor: string, durationSec = 0): WindowRow => ({ key, cursor, endMs: cursorMs(cursor) + durationSec * 1000 });
const opts = { overlapSec: 300, longestCallSec: 3_600, hasDuration: true, kind: 'time' as const };

describe('the read window of an sql source', () => {
  it('reads from the first row when nothing was read yet', () => {
    expect(readWindow(emptyCheckpoint(), opts)).toEqual({ from: null, endedFrom: null });
  });

  it('looks back the overlap plus the longest call by start, and keeps rows that ended within the overlap', () => {
    const c = advanceWindow(emptyCheckpoint(), [row('a', '2026-12-06 22:07:08', 11), row('b', '2026-12-06 22:09:38', 1)], 300);
    expect(c.at).toBe('2026-12-06 22:09:38');
    expect(readWindow(c, opts)).toEqual({ from: '2026-12-06 21:04:38', endedFrom: '2026-12-06 22:04:38' });
    expect(readWindow(c, { ...opts, hasDuration: false })).toEqual({ from: '2026-12-06 22:04:38', endedFrom: null });
  });

  it('remembers the rows a poll can return again and forgets those that ended before the overlap', () => {
    let c = advanceWindow(emptyCheckpoint(), [row('old', '2026-12-06 20:00:00', 60), row('long', '2026-12-06 21:00:00', 3_000)], 300);
    c = advanceWindow(c, [row('new', '2026-12-06 22:00:00', 10)], 300);
    // old ended 20:01, more than 5 min before 22:00; long ended 21:50, also; new ended 22:00:10.
    expect(Object.keys(c.seen)).toEqual(['new']);
    c = advanceWindow(c, [row('ongoing', '2026-12-06 21:30:00', 1_900)], 300);
    // A row committed late (behind `at`) does not move `at` back, and is remembered while it can be read again.
    expect(c.at).toBe('2026-12-06 22:00:00');
    expect(Object.keys(c.seen).sort()).toEqual(['new', 'ongoing']);
  });

  it('starts at a cursor value that is no time, and moves past it', () => {
    const c = advanceWindow(emptyCheckpoint(), [row('zero', '0000-00-00 00:00:00')], 300);
    expect(readWindow(c, opts)).toEqual({ from: '0000-00-00 00:00:00', endedFrom: null });
    expect(advanceWindow(c, [row('x', '2026-12-06 10:00:00')], 300).at).toBe('2026-12-06 10:00:00');
  });

  it('reads a serial cursor (SQLite rowid) from the last id on, remembering only the rows at it', () => {
    const serial = (key: string, id: number): WindowRow => ({ key, cursor: String(id), endMs: id });
    const c = advanceWindow(emptyCheckpoint(), [serial('a', 9), serial('b', 10), serial('c', 11)], 300, 'serial');
    expect(c).toEqual({ v: 1, at: '11', seen: { c: 11 } });
    expect(readWindow(c, { ...opts, kind: 'serial' })).toEqual({ from: '11', endedFrom: null });
  });

  it('looks an hour further back while the PBX clock repeats an hour (summer time ends), and only then', () => {
    // Europe/Stockholm, 2026-10-25: 03:00 summer time becomes 02:00 winter time. A leg from 02:50 (summer) was read;
    // a leg written after the change, 02:10-02:11 (winter), carries times the reader has already passed.
    const c = advanceWindow(emptyCheckpoint(), [row('summer', '2026-10-25 02:50:00', 540)], 300, 'time', 'Europe/Stockholm');
    const late = cursorMs('2026-10-25 02:11:00');
    expect(cursorMs(readWindow(c, opts).endedFrom!)).toBeGreaterThan(late); // without the zone: missed
    const window = readWindow(c, { ...opts, zone: 'Europe/Stockholm' });
    expect(window).toEqual({ from: '2026-10-25 00:45:00', endedFrom: '2026-10-25 01:45:00' });
    expect(cursorMs(window.endedFrom!)).toBeLessThan(late);
    // Rows are remembered as far back: one that ended at 02:30 (summer) is read again by the wider window, and
    // must not be taken twice.
    const rows = [row('early', '2026-10-25 02:20:00', 600), row('summer', '2026-10-25 02:50:00', 540)];
    expect(Object.keys(advanceWindow(emptyCheckpoint(), rows, 300, 'time').seen)).toEqual(['summer']);
    expect(Object.keys(advanceWindow(emptyCheckpoint(), rows, 300, 'time', 'Europe/Stockholm').seen)).toEqual(['early', 'summer']);
    expect(clocksWentBackMs('2026-10-25 02:30:00', 'Europe/Stockholm')).toBe(3_600_000);
    expect(clocksWentBackMs('2026-10-25 06:00:00', 'Europe/Stockholm')).toBe(0);
    expect(clocksWentBackMs('2026-03-29 02:30:00', 'Europe/Stockholm')).toBe(0); // clocks go forward: nothing repeats
    expect(clocksWentBackMs('2026-10-25 02:30:00+01', 'Europe/Stockholm')).toBe(0); // an instant needs no zone
  });

  it('reads times with a zone as instants', () => {
    expect(cursorMs('2026-12-06 22:03:54+01')).toBe(Date.parse('2026-12-06T21:03:54Z'));
    expect(cursorMs('2026-12-06T22:03:54.250Z')).toBe(Date.parse('2026-12-06T22:03:54.250Z'));
    expect(cursorMs('0000-00-00 00:00:00')).toBeNaN();
    expect(cursorMs('yesterday')).toBeNaN();
  });

  it('names a row by its content: the same row read again hashes the same, NULL differs from empty', () => {
    const a = { uniqueid: 'pbx4-1.1', sequence: '1', src: '' };
    expect(rowKey({ sequence: '1', src: '', uniqueid: 'pbx4-1.1' })).toBe(rowKey(a));
    expect(rowKey({ ...a, sequence: '2' })).not.toBe(rowKey(a));
    expect(rowKey({ ...a, src: null })).not.toBe(rowKey(a));
    // Where the PBX updates its rows later (FusionPBX), the row is named by its key columns only.
    expect(rowKey({ ...a, src: 'changed' }, ['uniqueid'])).toBe(rowKey(a, ['uniqueid']));
    expect(rowKey({ ...a, uniqueid: 'pbx4-1.2' }, ['uniqueid'])).not.toBe(rowKey(a, ['uniqueid']));
  });

  it('survives the ledger: what it wrote it reads back; anything else starts afresh', () => {
    const c = advanceWindow(emptyCheckpoint(), [row('a', '2026-12-06 22:07:08', 11)], 300);
    expect(parseSqlCheckpoint(encodeSqlCheckpoint(c))).toEqual(c);
    expect(parseSqlCheckpoint(null)).toEqual(emptyCheckpoint());
    expect(parseSqlCheckpoint('{"v":2}')).toEqual(emptyCheckpoint());
    expect(parseSqlCheckpoint('not json')).toEqual(emptyCheckpoint());
  });
});
