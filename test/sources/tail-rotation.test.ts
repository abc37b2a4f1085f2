import { appendFile, copyFile, type FileHandle, open, rename, truncate, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { statOrNull } from '../../src/sources/files.js';
import { encodeCheckpoint, parseCheckpoint, type TailPosition } from '../../src/sources/tail/checkpoint.js';
import { advance, fingerprintMatches, startOf } from '../../src/sources/tail/cursor.js';
import { isSiblingName, judgeTail, type PathStat, rotatedFileQuiet, siblingCandidates, type TailVerdict } from '../../src/sources/tail/rotation.js';
import { findSibling } from '../../src/sources/tail/siblings.js';
import { tempDir } from '../support/tmp.js';
import { asteriskLines as lines } from './support.js';

describe('judgeTail: what became of the file, from stats', () => {
  const at = { dev: 2049, ino: 1000, offset: 5_000 };
  const cases: Array<[string, PathStat | null, boolean, TailVerdict]> = [
    ['renamed away (logrotate create), the new file not there yet', null, true, 'missing'],
    ['renamed away and a new file created at the path', { dev: 2049, ino: 1001, size: 300 }, true, 'rotated'],
    ['replaced by a smaller file (mv new Master.csv)', { dev: 2049, ino: 1002, size: 10 }, true, 'rotated'],
    ['replaced by a larger file', { dev: 2049, ino: 1003, size: 90_000 }, true, 'rotated'],
    ['the same inode number on another device (the folder was remounted elsewhere)', { dev: 2050, ino: 1000, size: 5_000 }, true, 'rotated'],
    ['copytruncate, nothing written since', { dev: 2049, ino: 1000, size: 0 }, false, 'truncated'],
    ['truncated to less than we read, its head still the same', { dev: 2049, ino: 1000, size: 4_000 }, true, 'truncated'],
    ['copytruncate, then more written than we had read before we looked', { dev: 2049, ino: 1000, size: 7_000 }, false, 'truncated'],
    ['rewritten in place with other content of the same length', { dev: 2049, ino: 1000, size: 5_000 }, false, 'truncated'],
    ['the same file grown', { dev: 2049, ino: 1000, size: 5_900 }, true, 'grown'],
    ['the same file, nothing new', { dev: 2049, ino: 1000, size: 5_000 }, true, 'unchanged'],
  ];
  it.each(cases)('%s', (_what, onPath, headMatches, verdict) => {
    expect(judgeTail(at, onPath, headMatches)).toBe(verdict);
  });

  it('a file whose inode changed is rotated whatever its head says (a fingerprint alone is shared by files with the same header)', () => {
    expect(judgeTail(at, { dev: 2049, ino: 1001, size: 9_000 }, true)).toBe('rotated');
    expect(judgeTail(at, { dev: 2049, ino: 1001, size: 9_000 }, false)).toBe('rotated');
  });

  it('nothing read yet: any size of the same file is fine', () => {
    expect(judgeTail({ ...at, offset: 0 }, { dev: 2049, ino: 1000, size: 0 }, true)).toBe('unchanged');
    expect(judgeTail({ ...at, offset: 0 }, { dev: 2049, ino: 1000, size: 10 }, true)).toBe('grown');
  });
});

describe('rotatedFileQuiet: when a rotated file may be left', () => {
  it('with no grace period, at once', () => {
    expect(rotatedFileQuiet(null, 800, 1_000, 0)).toEqual({ watch: { lastSize: 800, lastGrowth: 1_000 }, quiet: true });
  });

  it('once it has not grown for the grace period; a late write starts the period again', () => {
    const grace = 2_000;
    let step = rotatedFileQuiet(null, 800, 10_000, grace);
    expect(step.quiet).toBe(false); // just seen
    step = rotatedFileQuiet(step.watch, 800, 11_000, grace);
    expect(step.quiet).toBe(false);
    step = rotatedFileQuiet(step.watch, 950, 11_500, grace); // the PBX wrote a last record to the old file
    expect(step).toEqual({ watch: { lastSize: 950, lastGrowth: 11_500 }, quiet: false });
    step = rotatedFileQuiet(step.watch, 950, 13_400, grace);
    expect(step.quiet).toBe(false);
    step = rotatedFileQuiet(step.watch, 950, 13_500, grace);
    expect(step.quiet).toBe(true);
  });
});

describe('sibling names and candidates', () => {
  it('takes the names rotation tools give, not the file itself nor other files', () => {
    for (const name of ['Master.csv.1', 'Master.csv-20240101', 'Master.csv.2.gz', 'Master.csv.old']) expect(isSiblingName('Master.csv', name)).toBe(true);
    for (const name of ['Master.csv', 'Master.cs', 'Other.csv', 'old-Master.csv']) expect(isSiblingName('Master.csv', name)).toBe(false);
  });

  it('keeps regular files at least as long as the offset that the caller accepts, the most recently written first', () => {
    const st = (ino: number, size: number, mtimeMs: number, file = true) => ({ ino, size, mtimeMs, isFile: () => file });
    const found = [
      { name: 'Master.csv.2', st: st(2, 9_000, 100) },
      { name: 'Master.csv.1', st: st(1, 9_000, 300) },
      { name: 'Master.csv.short', st: st(3, 100, 400) },
      { name: 'Master.csv.d', st: st(4, 9_000, 500, false) },
      { name: 'Master.csv.same', st: st(5, 9_000, 600) },
      { name: 'Master.csv.exact', st: st(6, 5_000, 200) },
    ];
    const names = siblingCandidates(found, 5_000, (s) => s.ino !== 5).map((f) => f.name);
    expect(names).toEqual(['Master.csv.1', 'Master.csv.exact', 'Master.csv.2']);
  });
});

/**
 * The same decisions on real files: the tail holds the file open at what it read (as the runner does), then
 * the PBX or logrotate does something to the path.
 */
describe('on real files', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const handles: FileHandle[] = [];
  beforeEach(() => {
    tmp = tempDir('callbridge-rotation-');
    file = path.join(tmp.dir, 'Master.csv');
  });
  afterEach(async () => {
    for (const h of handles.splice(0)) await h.close();
    tmp.cleanup();
  });

  /** Write `text`, open it and read all of it: the tail's handle and position. */
  async function readAll(text: string): Promise<{ handle: FileHandle; at: TailPosition }> {
    await writeFile(file, text);
    const handle = await open(file, 'r');
    handles.push(handle);
    const at = await advance(handle, startOf(await handle.stat()), Buffer.from(text));
    return { handle, at };
  }
  const judgeNow = async (handle: FileHandle, at: TailPosition) => judgeTail(at, await statOrNull(file), await fingerprintMatches(handle, at));

  it('appended to: grown; then nothing new: unchanged', async () => {
    const { handle, at } = await readAll(lines(0, 20));
    expect(await judgeNow(handle, at)).toBe('unchanged');
    await appendFile(file, lines(20, 21));
    expect(await judgeNow(handle, at)).toBe('grown');
  });

  it('rotated by rename: missing until the new file is created, then rotated', async () => {
    const { handle, at } = await readAll(lines(0, 20));
    await rename(file, `${file}.1`);
    expect(await judgeNow(handle, at)).toBe('missing');
    await writeFile(file, lines(100, 101));
    expect(await judgeNow(handle, at)).toBe('rotated');
  });

  it('copytruncate: truncated, also once more than we had read was written to it again', async () => {
    const { handle, at } = await readAll(lines(0, 20));
    await copyFile(file, `${file}.1`);
    await truncate(file, 0);
    expect(await judgeNow(handle, at)).toBe('truncated');
    await appendFile(file, lines(500, 600));
    expect(await judgeNow(handle, at)).toBe('truncated');
  });

  it('replaced by a smaller file: rotated when moved over it, truncated when written into it', async () => {
    const { handle, at } = await readAll(lines(0, 20));
    await writeFile(path.join(tmp.dir, 'new.csv'), lines(900, 901));
    await rename(path.join(tmp.dir, 'new.csv'), file);
    expect(await judgeNow(handle, at)).toBe('rotated');

    const second = await readAll(lines(0, 20));
    await writeFile(file, lines(900, 901));
    expect(await judgeNow(second.handle, second.at)).toBe('truncated');
  });

  it('after a restart: a stored checkpoint judged against the file now at the path', async () => {
    const { at } = await readAll(lines(0, 20));
    const stored = encodeCheckpoint(at);
    await appendFile(file, lines(20, 25));
    const reopened = await open(file, 'r');
    handles.push(reopened);
    const saved = parseCheckpoint(stored)!;
    expect(judgeTail(saved, await reopened.stat(), await fingerprintMatches(reopened, saved))).toBe('grown');

    // Same inode, same length or longer, other content: only the fingerprint can tell.
    await writeFile(file, lines(900_000, 900_040));
    expect(judgeTail(saved, await reopened.stat(), await fingerprintMatches(reopened, saved))).toBe('truncated');
  });

  describe('findSibling', () => {
    it('finds the rotated file by inode, opened at our offset, and the copy of a copytruncate by fingerprint', async () => {
      const { at } = await readAll(lines(0, 20));
      await appendFile(file, lines(20, 30)); // written, not read yet
      await rename(file, `${file}-20240101`);
      await writeFile(file, lines(100, 110));
      const rotated = await findSibling(file, at, (st) => st.ino === at.ino);
      expect(rotated).toMatchObject({ name: `${file}-20240101`, ino: at.ino, offset: at.offset, line: 21, fp: at.fp });
      await rotated!.handle.close();

      expect(await findSibling(file, at, (st) => st.ino !== at.ino)).toBeNull(); // the only file with our head is our own inode
      await copyFile(`${file}-20240101`, `${file}.1`);
      const found = await findSibling(file, at, (st) => st.ino !== at.ino);
      expect(found?.name).toBe(`${file}.1`);
      expect(found?.ino).not.toBe(at.ino);
      await found!.handle.close();
    });

    it('passes over siblings that cannot hold the rest (shorter, another head) and prefers the most recent', async () => {
      const { at } = await readAll(lines(0, 20));
      await writeFile(`${file}.short`, lines(0, 5));
      await writeFile(`${file}.other`, lines(50, 90));
      await writeFile(`${file}.old`, lines(0, 25));
      await writeFile(`${file}.new`, lines(0, 30));
      await utimes(`${file}.old`, new Date(2024, 0, 1), new Date(2024, 0, 1));
      const found = await findSibling(file, at, () => true);
      expect(found?.name).toBe(`${file}.new`);
      await found!.handle.close();
    });

    it('nothing read yet: nothing to finish', async () => {
      await writeFile(file, '');
      await writeFile(`${file}.1`, lines(0, 5));
      const handle = await open(file, 'r');
      handles.push(handle);
      expect(await findSibling(file, startOf(await handle.stat()), () => true)).toBeNull();
    });
  });
});
