import { createHash } from 'node:crypto';
import { type FileHandle, open, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { advance, endOf, fingerprintMatches, startOf } from '../../src/sources/tail/cursor.js';
import { countLines, lastCompleteLine, readLinesAt } from '../../src/sources/tail/lines.js';
import { tempDir } from '../support/tmp.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const row = (i: number) => `"${i}","1001","+46700000${String(i).padStart(3, '0')}","ANSWERED"\n`;
const rows = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => row(from + k)).join('');

describe('tail cursor and lines', () => {
  let tmp: ReturnType<typeof tempDir>;
  let handles: FileHandle[];
  beforeEach(() => {
    tmp = tempDir('callbridge-cursor-');
    handles = [];
  });
  afterEach(async () => {
    for (const h of handles) await h.close();
    tmp.cleanup();
  });
  async function file(text: string, name = 'Master.csv') {
    const full = path.join(tmp.dir, name);
    await writeFile(full, text);
    const handle = await open(full, 'r');
    handles.push(handle);
    return { full, handle, st: await handle.stat() };
  }

  it('a fresh position names the file by inode only: its empty fingerprint matches any file', async () => {
    const { handle, st } = await file(rows(0, 3));
    const at = startOf(st);
    expect(at).toEqual({ dev: st.dev, ino: st.ino, offset: 0, line: 1, fpLen: 0, fp: sha256('') });
    expect(await fingerprintMatches(handle, at)).toBe(true);
  });

  it('advancing over lines moves offset and line, and fingerprints what was read up to FP_BYTES', async () => {
    const text = rows(0, 40);
    const { handle, st } = await file(text);
    const first = Buffer.from(rows(0, 2));
    const a = await advance(handle, startOf(st), first);
    expect(a).toMatchObject({ offset: first.length, line: 3, fpLen: first.length, fp: sha256(first.toString()) });
    const rest = Buffer.from(rows(2, 40));
    const b = await advance(handle, a, rest);
    expect(b).toMatchObject({ offset: Buffer.byteLength(text), line: 41, fpLen: 512, fp: sha256(text.slice(0, 512)) });
    expect(await fingerprintMatches(handle, b)).toBe(true);
    // The head is fixed past FP_BYTES: a later advance keeps the same fingerprint.
    expect(await advance(handle, b, Buffer.alloc(0))).toEqual(b);
  });

  it('a file whose head was rewritten no longer matches the fingerprint', async () => {
    const { full, handle, st } = await file(rows(0, 5));
    const at = await advance(handle, startOf(st), Buffer.from(rows(0, 5)));
    await writeFile(full, rows(100, 105)); // same inode, same length, other content
    expect(await fingerprintMatches(handle, at)).toBe(false);
    await writeFile(full, rows(0, 2)); // shorter than the fingerprinted head
    expect(await fingerprintMatches(handle, at)).toBe(false);
  });

  it('the end of a file (startAt: end) is after its last complete line', async () => {
    const text = `${rows(0, 3)}"partial`;
    const { handle, st } = await file(text);
    expect(await endOf(handle, st)).toMatchObject({ offset: Buffer.byteLength(rows(0, 3)), line: 4, fpLen: Buffer.byteLength(rows(0, 3)) });
    const empty = await file('', 'empty.csv');
    expect(await endOf(empty.handle, empty.st)).toEqual(startOf(empty.st));
    expect(await lastCompleteLine(handle, st.size)).toEqual({ offset: Buffer.byteLength(rows(0, 3)), lines: 3 });
  });

  it('reads only complete lines, in slices ending at a newline; a last line without newline only when final', async () => {
    const text = `${rows(0, 10)}"half a li`;
    const { handle, st } = await file(text);
    const whole = await readLinesAt(handle, 0, st.size, 1 << 20, false);
    expect(whole?.toString()).toBe(rows(0, 10));
    const slice = await readLinesAt(handle, 0, st.size, row(0).length * 2 + 5, false);
    expect(slice?.toString()).toBe(rows(0, 2));
    const tailStart = Buffer.byteLength(rows(0, 10));
    expect(await readLinesAt(handle, tailStart, st.size, 1 << 20, false)).toBeNull();
    expect((await readLinesAt(handle, tailStart, st.size, 1 << 20, true))?.toString()).toBe('"half a li');
  });

  it('a line longer than the slice is read whole (the slice grows, and still ends at a newline)', async () => {
    const long = `${'x'.repeat(10_000)}\n`;
    const { handle, st } = await file(long + row(1) + '"unfinished');
    const chunk = (await readLinesAt(handle, 0, st.size, 100, false))?.toString() ?? '';
    expect(chunk.startsWith(long)).toBe(true);
    expect(chunk.endsWith('\n')).toBe(true);
    expect(chunk.includes('unfinished')).toBe(false);
  });

  it('counts lines, a last one without its newline too', () => {
    expect(countLines(Buffer.from(''))).toBe(0);
    expect(countLines(Buffer.from('a\n'))).toBe(1);
    expect(countLines(Buffer.from('a\nb\n\n'))).toBe(3);
    expect(countLines(Buffer.from('a\nb'))).toBe(2);
  });
});
