import { describe, expect, it } from '@jest/globals';
import { CandidateTable, type FileStamp, sameStamp } from '../../src/sources/drop/candidates.js';
import { describeImported, encodeImported, importedKey } from '../../src/sources/drop/checkpoint.js';

const STABLE = 2_000;
const RESCAN = 10_000;
const T = 1_700_000_000_000;

const stamp = (ino: number, size: number, mtimeMs = T - 60_000): FileStamp => ({ dev: 64_768, ino, size, mtimeMs });

/** A table fed one listing: the temporaries and the files a scan saw at `now`. */
function scan(table: CandidateTable, now: number, files: Record<string, FileStamp>, temporaries: FileStamp[] = []) {
  for (const t of temporaries) table.sawTemporary(t, now);
  for (const [name, st] of Object.entries(files)) table.saw(name, st, now);
  table.endScan(new Set(Object.keys(files)), now);
}
const readyNames = (table: CandidateTable, now: number) => table.ready(now).map(([name]) => name);

describe('drop folder candidates', () => {
  it('a new file is complete once its stamp has not changed for stableMs as seen here, whatever its mtime says', () => {
    const table = new CandidateTable({ stableMs: STABLE, rescanMs: RESCAN });
    scan(table, T, { 'a.csv': stamp(1, 100, T - 3_600_000) }); // an old mtime from a server's clock
    expect(readyNames(table, T)).toEqual([]);
    expect(table.nextCheckAt(T)).toBe(T + STABLE);
    scan(table, T + 1_000, { 'a.csv': stamp(1, 100, T - 3_600_000) });
    expect(readyNames(table, T + 1_999)).toEqual([]);
    expect(readyNames(table, T + STABLE)).toEqual(['a.csv']);
  });

  it('a file still being written starts its quiet period again at each change of size, mtime or inode', () => {
    const table = new CandidateTable({ stableMs: STABLE, rescanMs: RESCAN });
    scan(table, T, { 'slow.csv': stamp(1, 100) });
    scan(table, T + 1_500, { 'slow.csv': stamp(1, 250) });
    expect(readyNames(table, T + STABLE)).toEqual([]);
    scan(table, T + 3_000, { 'slow.csv': stamp(1, 250, T + 2_900) });
    expect(readyNames(table, T + 1_500 + STABLE)).toEqual([]);
    scan(table, T + 4_000, { 'slow.csv': stamp(2, 250, T + 2_900) }); // replaced by another file of the same size
    expect(readyNames(table, T + 3_000 + STABLE)).toEqual([]);
    expect(readyNames(table, T + 4_000 + STABLE)).toEqual(['slow.csv']);
  });

  it('a file renamed into place from a temporary name seen being written is complete at once', () => {
    const table = new CandidateTable({ stableMs: 60_000, rescanMs: RESCAN });
    scan(table, T, {}, [stamp(7, 4_000)]);
    scan(table, T + 500, { 'x.csv': stamp(7, 5_000) }); // it grew a little more before the rename
    expect(readyNames(table, T + 500)).toEqual(['x.csv']);
    expect(table.nextCheckAt(T + 500)).toBe(T + 500);
  });

  it('a temporary that was larger, or one forgotten long ago, does not make a file complete', () => {
    const table = new CandidateTable({ stableMs: 60_000, rescanMs: RESCAN });
    scan(table, T, {}, [stamp(7, 9_000), stamp(8, 100)]);
    scan(table, T + 500, { 'reused-inode.csv': stamp(7, 5_000) });
    expect(readyNames(table, T + 500)).toEqual([]);

    scan(table, T + 11 * 60_000, {}); // temporaries not seen for longer than max(10 min, 3 rescans) are forgotten
    scan(table, T + 11 * 60_000 + 1, { 'late.csv': stamp(8, 100) });
    expect(readyNames(table, T + 11 * 60_000 + 1)).toEqual([]);
  });

  it('ready files come oldest first (mtime, then name); files gone from the folder are forgotten', () => {
    const table = new CandidateTable({ stableMs: STABLE, rescanMs: RESCAN });
    scan(table, T, { 'c.csv': stamp(3, 1, T - 10), 'b.csv': stamp(2, 1, T - 20), 'a.csv': stamp(1, 1, T - 10) });
    expect(readyNames(table, T + STABLE)).toEqual(['b.csv', 'a.csv', 'c.csv']);
    scan(table, T + 100, { 'a.csv': stamp(1, 1, T - 10) });
    expect(readyNames(table, T + STABLE)).toEqual(['a.csv']);
    scan(table, T + 200, {});
    expect(table.nextCheckAt(T + 200)).toBeNull();
  });

  it('a file left in place waits for its retry; a change seen meanwhile keeps the retry time', () => {
    const table = new CandidateTable({ stableMs: STABLE, rescanMs: RESCAN });
    scan(table, T, { 'a.csv': stamp(1, 100) });
    table.retryAt('a.csv', T + STABLE + RESCAN);
    expect(readyNames(table, T + STABLE)).toEqual([]);
    expect(table.nextCheckAt(T + STABLE)).toBe(T + STABLE + RESCAN);
    scan(table, T + 3_000, { 'a.csv': stamp(1, 200) });
    expect(readyNames(table, T + 3_000 + STABLE)).toEqual([]);
    expect(readyNames(table, T + STABLE + RESCAN)).toEqual(['a.csv']);
  });

  it('found still being written when taken: the quiet period starts again with the stamp it has now', () => {
    const table = new CandidateTable({ stableMs: STABLE, rescanMs: RESCAN });
    scan(table, T, {}, [stamp(7, 10)]);
    scan(table, T + 100, { 'a.csv': stamp(7, 100) });
    expect(readyNames(table, T + 100)).toEqual(['a.csv']);
    table.stillWritten('a.csv', stamp(7, 300), T + 200);
    expect(readyNames(table, T + 200)).toEqual([]); // no longer trusted as renamed into place
    scan(table, T + 300, { 'a.csv': stamp(7, 300) }); // the same stamp: the quiet period is not restarted
    expect(readyNames(table, T + 200 + STABLE)).toEqual(['a.csv']);
  });

  it('changed while it was read (its new stamp unknown): the next scan stamps it afresh', () => {
    const table = new CandidateTable({ stableMs: STABLE, rescanMs: RESCAN });
    scan(table, T, { 'a.csv': stamp(1, 100) });
    table.stillWritten('a.csv', null, T + STABLE);
    expect(readyNames(table, T + STABLE)).toEqual([]);
    scan(table, T + STABLE + 500, { 'a.csv': stamp(1, 100) }); // even an unchanged stat counts as a change now
    expect(readyNames(table, T + 2 * STABLE)).toEqual([]);
    expect(readyNames(table, T + 2 * STABLE + 500)).toEqual(['a.csv']);
  });

  it('done: forgotten, until it shows up again', () => {
    const table = new CandidateTable({ stableMs: STABLE, rescanMs: RESCAN });
    scan(table, T, { 'a.csv': stamp(1, 100) });
    table.done('a.csv');
    expect(readyNames(table, T + STABLE)).toEqual([]);
    scan(table, T + 100, { 'a.csv': stamp(1, 100) });
    expect(readyNames(table, T + 100 + STABLE)).toEqual(['a.csv']);
  });

  it('a stamp is size, mtime, device and inode', () => {
    expect(sameStamp(stamp(1, 100), stamp(1, 100))).toBe(true);
    expect(sameStamp(stamp(1, 100), stamp(1, 101))).toBe(false);
    expect(sameStamp(stamp(1, 100, 5), stamp(1, 100, 6))).toBe(false);
    expect(sameStamp(stamp(1, 100), stamp(2, 100))).toBe(false);
    expect(sameStamp(stamp(1, 100), { ...stamp(1, 100), dev: 1 })).toBe(false);
  });
});

describe('drop folder checkpoint', () => {
  it('is keyed by the sha256 of the content, as in existing ledgers', () => {
    expect(importedKey('asterisk-main', 'ab12')).toBe('drop:asterisk-main:sha256:ab12');
  });

  it('holds the name, time and count of the import, as stored by earlier versions', () => {
    const stored = '{"file":"Master-2024-01-02.csv","importedAt":"2024-01-02T08:00:00.000Z","calls":12}';
    expect(encodeImported({ file: 'Master-2024-01-02.csv', importedAt: '2024-01-02T08:00:00.000Z', calls: 12 })).toBe(stored);
    expect(describeImported(stored)).toBe('as Master-2024-01-02.csv at 2024-01-02T08:00:00.000Z');
  });

  it('describes any stored value somehow: only its presence decides', () => {
    expect(describeImported('{}')).toBe('as ? at ?');
    expect(describeImported('sha256:abc')).toBe('earlier');
    expect(describeImported('null')).toBe('earlier');
  });
});
