import { PassThrough } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import { importProgress } from '../../src/cli/import/progress.js';

describe('import progress', () => {
  it('off a terminal: a line every few seconds with the share, bytes, calls, rate and time left', () => {
    let clock = 0;
    const out = new PassThrough();
    const lines: string[] = [];
    out.on('data', (c: Buffer) => lines.push(...c.toString().split('\n').filter(Boolean)));
    const progress = importProgress(out, 10 * 1024 * 1024, { tty: false, everyMs: 5_000, now: () => clock });
    clock = 1_000;
    progress.update(1024 * 1024, 900);
    clock = 5_000;
    progress.update(2.5 * 1024 * 1024, 2_000);
    clock = 7_000;
    progress.update(3 * 1024 * 1024, 2_500);
    clock = 10_000;
    progress.update(5 * 1024 * 1024, 5_000);
    progress.stop();
    expect(lines).toEqual([
      'import: 25 % (2.5 of 10.0 MB), 2000 calls, 400 calls/s, about 15 s left',
      'import: 50 % (5.0 of 10.0 MB), 5000 calls, 500 calls/s, about 10 s left',
    ]);
  });

  it('on a terminal: a bar with the bytes, the calls and the time left', () => {
    const out = Object.assign(new PassThrough(), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let text = '';
    out.on('data', (c: Buffer) => (text += c.toString()));
    const progress = importProgress(out as unknown as NodeJS.WriteStream, 4 * 1024 * 1024, { tty: true });
    progress.update(2 * 1024 * 1024, 1_234);
    progress.stop();
    expect(text).toMatch(/import \[[█░]+\] 50% \| 2\.0 of 4\.0 MB \| 1234 calls, \d+\/s \| /);
  });
});
