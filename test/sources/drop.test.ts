import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { DropFolderRunner, type DropSource } from '../../src/sources/drop.js';
import { importedKey } from '../../src/sources/drop/checkpoint.js';
import { localDate, sha256File } from '../../src/sources/files.js';
import { tempDir } from '../support/tmp.js';
import { asteriskId, asteriskLines, asteriskNormalize, asteriskOptions, openLedger, realPipeline, rowCount, sleep, waitFor } from './support.js';

/** Through the real config validation, so the adapter's options get their defaults. */
function dropSource(dir: string, over: Partial<DropSource> = {}): DropSource {
  const config = validateConfig({
    sources: [{ type: 'drop', id: 'drop1', adapter: 'asterisk-csv', options: asteriskOptions, path: dir, stableMs: 400, rescanMs: 200, ...over }],
  });
  return config.sources[0] as DropSource;
}

const lines = asteriskLines;

describe('drop folder', () => {
  let tmp: ReturnType<typeof tempDir>;
  let inbox: string;
  let ledger: Ledger;
  const runners: DropFolderRunner[] = [];

  beforeEach(async () => {
    tmp = tempDir('callbridge-drop-');
    inbox = path.join(tmp.dir, 'inbox');
    await import('node:fs/promises').then((fs) => fs.mkdir(inbox));
    ledger = await openLedger(tmp.dir);
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    await ledger.close();
    tmp.cleanup();
  });

  type RealIngestor = ReturnType<typeof realPipeline>['ingestor'];
  function start(over: Partial<DropSource> = {}, ingestorWrap?: (i: RealIngestor) => RealIngestor, groupWindowLegs?: number) {
    const p = realPipeline(ledger, { normalize: { ...asteriskNormalize, ...(groupWindowLegs ? { groupWindowLegs } : {}) } });
    const runner = new DropFolderRunner(dropSource(inbox, over), { ingestor: ingestorWrap ? ingestorWrap(p.ingestor) : p.ingestor, ledger, getAdapter: p.getAdapter });
    runners.push(runner);
    return runner;
  }
  const processed = (...parts: string[]) => path.join(inbox, 'processed', localDate(Date.now()), ...parts);

  it('does not pick up a file while it is still being written in chunks, then imports all of it', async () => {
    const runner = start({ stableMs: 700 });
    await runner.start();
    const file = path.join(inbox, 'slow.csv');
    for (let chunk = 0; chunk < 10; chunk++) {
      await appendFile(file, lines(chunk * 100, chunk * 100 + 100));
      await sleep(200);
      expect(existsSync(file)).toBe(true);
      expect(await rowCount(ledger)).toBe(0);
    }
    // Moved by a link and an unlink: on a busy machine the test may look between the two.
    await waitFor('slow.csv moved to processed/', () => existsSync(processed('slow.csv')) && !existsSync(file), 10_000);
    expect(await rowCount(ledger)).toBe(1000);
    expect((await ledger.get(asteriskId(999)))?.state).toBe('pending');
  });

  it('moves a broken file to failed/ with an .error.txt naming the lines, and a partly bad one to processed/ with its bad lines listed', async () => {
    const runner = start();
    await runner.start();
    await writeFile(path.join(inbox, 'broken.csv'), 'not,a,cdr\n"also" "broken\n');
    await writeFile(path.join(inbox, 'mixed.csv'), `${lines(1, 2)}not,a,cdr\n${lines(2, 3)}`);
    await waitFor('both files moved', () => existsSync(path.join(inbox, 'failed', 'broken.csv')) && existsSync(processed('mixed.csv')));

    const brokenReport = await readFile(path.join(inbox, 'failed', 'broken.csv.error.txt'), 'utf8');
    expect(brokenReport).toContain(`${path.join(inbox, 'broken.csv')}:1: `);
    expect(brokenReport).toContain(`${path.join(inbox, 'broken.csv')}:2: `);
    expect(brokenReport).toMatch(/Nothing was imported/);

    const mixedReport = await readFile(processed('mixed.csv.error.txt'), 'utf8');
    expect(mixedReport).toContain(`${path.join(inbox, 'mixed.csv')}:2: `);
    expect(mixedReport).not.toContain('mixed.csv:1');
    expect(mixedReport).toMatch(/2 call\(s\) were imported/);
    expect(await rowCount(ledger)).toBe(2);
    expect(await readdir(inbox)).toEqual(expect.not.arrayContaining(['broken.csv', 'mixed.csv']));
  });

  it('imports the same content only once, even under another name, and never overwrites in processed/', async () => {
    let calls = 0;
    const runner = start({}, (i) => ({ ...i, ingestWhole: (...args: Parameters<typeof i.ingestWhole>) => ((calls += 1), i.ingestWhole(...args)), ingestLegs: i.ingestLegs.bind(i), flushQuiet: i.flushQuiet.bind(i) }) as typeof i);
    await runner.start();
    await writeFile(path.join(inbox, 'a.csv'), lines(0, 10));
    await waitFor('a.csv processed', () => existsSync(processed('a.csv')));
    await writeFile(path.join(inbox, 'copy-of-a.csv'), lines(0, 10));
    await waitFor('copy processed', () => existsSync(processed('copy-of-a.csv')));
    expect(calls).toBe(1);
    expect(await rowCount(ledger)).toBe(10);

    // Same name, new content: imported, and kept beside the first one.
    await writeFile(path.join(inbox, 'a.csv'), lines(10, 15));
    await waitFor('second a.csv processed', () => existsSync(processed('a-1.csv')));
    expect(calls).toBe(2);
    expect(await readFile(processed('a.csv'), 'utf8')).toBe(lines(0, 10));
    expect(await readFile(processed('a-1.csv'), 'utf8')).toBe(lines(10, 15));
    expect(await rowCount(ledger)).toBe(15);
  });

  it('picks up a file renamed into place from a temporary name without waiting for the quiet period', async () => {
    const runner = start({ stableMs: 60_000, rescanMs: 200 });
    await runner.start();
    const temp = path.join(inbox, 'x.csv.part');
    await writeFile(temp, lines(0, 50));
    await sleep(400); // the watcher or a rescan sees the temporary file
    await rename(temp, path.join(inbox, 'x.csv'));
    await waitFor('x.csv processed', () => existsSync(processed('x.csv')), 5_000);
    expect(await rowCount(ledger)).toBe(50);
  });

  it('ignores dotfiles, *.tmp, *.part, files of other types and the processed/ and failed/ folders', async () => {
    const runner = start({ stableMs: 100, rescanMs: 100 });
    await import('node:fs/promises').then(async (fs) => {
      await fs.mkdir(path.join(inbox, 'processed'), { recursive: true });
      await fs.mkdir(path.join(inbox, 'failed'), { recursive: true });
    });
    const ignored = ['.hidden.csv', 'y.csv.tmp', 'z.csv.part', 'notes.txt', 'Master.csv.1', path.join('processed', 'old.csv'), path.join('failed', 'bad.csv')];
    for (const name of ignored) await writeFile(path.join(inbox, name), lines(0, 3));
    await writeFile(path.join(inbox, 'real.csv'), lines(100, 103));
    await runner.start();
    await waitFor('real.csv processed', () => existsSync(processed('real.csv')));
    await sleep(500);
    for (const name of ignored) expect(existsSync(path.join(inbox, name))).toBe(true);
    expect(await rowCount(ledger)).toBe(3);
  });

  it('a restart in the middle of a large file loses nothing and duplicates nothing', async () => {
    const file = path.join(inbox, 'big.csv');
    const N = 5_000;
    await writeFile(file, lines(0, N));
    // A small grouping window, so calls leave the grouper (and are committed) while the file is still being read.
    const first = start({ stableMs: 0 }, undefined, 50);
    await first.start();
    // Crash the ledger under the import once some batches are committed.
    await waitFor('first rows committed', async () => (await rowCount(ledger)) > 0, 10_000, 1);
    await ledger.close();
    await first.stop();
    expect(existsSync(file)).toBe(true); // not acknowledged: left in place

    ledger = await openLedger(tmp.dir);
    const partial = await rowCount(ledger);
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(N);
    expect(await ledger.getCheckpoint(importedKey('drop1', await sha256File(file)))).toBeNull();

    const second = start({ stableMs: 0 }, undefined, 50);
    await second.start();
    await waitFor('big.csv processed', () => existsSync(processed('big.csv')), 100_000);
    expect(await rowCount(ledger)).toBe(N);
    for (const i of [0, partial, N - 1]) expect(await ledger.get(asteriskId(i))).not.toBeNull();
  }, 120_000);

  it('stop() in the middle of a large file returns without finishing it and leaves it for the next start', async () => {
    const file = path.join(inbox, 'big.csv');
    const N = 5_000;
    await writeFile(file, lines(0, N));
    const first = start({ stableMs: 0 }, undefined, 50);
    await first.start();
    await waitFor('first rows committed', async () => (await rowCount(ledger)) > 0, 30_000, 1);
    await first.stop();
    const atStop = await rowCount(ledger);
    expect(atStop).toBeLessThan(N);
    expect(existsSync(file)).toBe(true);
    expect(existsSync(path.join(inbox, 'failed'))).toBe(false);
    await sleep(200);
    expect(await rowCount(ledger)).toBe(atStop); // nothing runs on after stop()

    const second = start({ stableMs: 0 }, undefined, 50);
    await second.start();
    await waitFor('big.csv processed', () => existsSync(processed('big.csv')), 100_000);
    expect(await rowCount(ledger)).toBe(N);
  }, 120_000);
});
