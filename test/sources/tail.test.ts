import { copyFile, appendFile, rename, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { createLogger } from '../../src/log/logger.js';
import { TailRunner, type TailSource } from '../../src/sources/tail.js';
import { parseCheckpoint, tailCheckpointKey } from '../../src/sources/tail/checkpoint.js';
import { tempDir } from '../support/tmp.js';
import { asteriskId, asteriskLine, asteriskLines, asteriskNormalize, asteriskOptions, openLedger, realPipeline, rowCount, sleep, waitFor } from './support.js';

const N_BIG = 50_000;
const line = asteriskLine;
const lines = asteriskLines;

/** Through the real config validation, so the adapter's options get their defaults. */
function tailSource(file: string, over: Partial<TailSource> = {}): TailSource {
  const source = {
    type: 'tail',
    id: 'tail1',
    adapter: 'asterisk-csv',
    options: asteriskOptions,
    path: file,
    pollMs: 60_000,
    flushEveryMs: 60_000,
    groupQuietMs: 0,
    rotatedGraceMs: 0,
    ...over,
  };
  return validateConfig({ sources: [source] }).sources[0] as TailSource;
}

describe('tail', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let ledger: Ledger;
  const runners: TailRunner[] = [];

  beforeEach(async () => {
    tmp = tempDir('callbridge-tail-');
    file = path.join(tmp.dir, 'Master.csv');
    ledger = await openLedger(tmp.dir);
  });
  afterEach(async () => {
    for (const r of runners.splice(0)) await r.stop();
    await ledger.close();
    tmp.cleanup();
  });

  function runner(over: Partial<TailSource> = {}, extra: { batchBytes?: number; logStream?: PassThrough } = {}) {
    const source = tailSource(file, over);
    const p = realPipeline(ledger, { normalize: asteriskNormalize });
    const deps: ConstructorParameters<typeof TailRunner>[1] = { ingestor: p.ingestor, ledger };
    if (extra.batchBytes) deps.batchBytes = extra.batchBytes;
    if (extra.logStream) deps.logger = createLogger({ format: 'json', stream: extra.logStream, level: 'debug' });
    const r = new TailRunner(source, deps);
    runners.push(r);
    /** Read what is there and assemble every stashed call. */
    const drain = async () => {
      await r.pollNow();
      await p.ingestor.flushQuiet(source, Date.now() + 1_000);
    };
    return { r, drain, source, ingestor: p.ingestor };
  }

  async function ids(): Promise<string[]> {
    return (await ledger.query({})).map((row) => row.externalId).sort();
  }
  const expectedIds = (...ranges: Array<[number, number]>) =>
    ranges.flatMap(([a, b]) => Array.from({ length: b - a }, (_, i) => asteriskId(a + i))).sort();

  it(`follows a ${N_BIG.toLocaleString('en')}-line file appended to while it runs: every call in the ledger exactly once`, async () => {
    await writeFile(file, '');
    const { r, source, ingestor } = runner({ pollMs: 20, flushEveryMs: 50 }, { batchBytes: 64 * 1024 });
    await r.start();
    // The writer appends in pieces that split lines anywhere, as a PBX writing through a buffer does.
    const text = lines(0, N_BIG);
    let pos = 0;
    let step = 0;
    while (pos < text.length) {
      const size = 1 + ((step++ * 7919) % 40_000);
      await appendFile(file, text.slice(pos, pos + size));
      pos += size;
      if (step % 5 === 0) await sleep(5);
    }
    await waitFor('every call assembled', async () => (await rowCount(ledger)) >= N_BIG, 240_000, 250);
    await r.stop();
    await ingestor.flushQuiet(source, Date.now() + 1_000);
    expect(await rowCount(ledger)).toBe(N_BIG);
    expect(await ids()).toEqual(expectedIds([0, N_BIG]));
    expect(await ledger.quietGroups('tail1', Date.now() + 1_000)).toEqual([]);
    const saved = parseCheckpoint(await ledger.getCheckpoint(tailCheckpointKey('tail1')));
    expect(saved).toMatchObject({ offset: (await stat(file)).size, line: N_BIG + 1 });
  }, 300_000);

  it('reads a line as soon as the PBX appends it, not at the next pollMs (a watcher), also for a file that appears later', async () => {
    const { r } = runner({ pollMs: 60_000 });
    await r.start();
    const offset = async () => parseCheckpoint(await ledger.getCheckpoint(tailCheckpointKey('tail1')))?.offset ?? 0;
    // Not there at start: the watcher sees it created.
    await writeFile(file, line(1));
    await waitFor('the first line, read without waiting a minute', async () => (await offset()) === Buffer.byteLength(line(1)), 5_000);
    await appendFile(file, line(2));
    await waitFor('the appended line, read without waiting a minute', async () => (await offset()) === Buffer.byteLength(line(1) + line(2)), 5_000);
  });

  it('does not read a last line until its newline is written', async () => {
    const third = line(3);
    await writeFile(file, `${line(1)}${line(2)}${third.slice(0, 40)}`);
    const { drain } = runner();
    await drain();
    expect(await ids()).toEqual([asteriskId(1), asteriskId(2)]);
    expect(parseCheckpoint(await ledger.getCheckpoint(tailCheckpointKey('tail1')))).toMatchObject({ line: 3, offset: Buffer.byteLength(line(1) + line(2)) });
    await appendFile(file, third.slice(40, -1));
    await drain();
    expect(await ids()).toEqual([asteriskId(1), asteriskId(2)]);
    await appendFile(file, '\n');
    await drain();
    expect(await ids()).toEqual([asteriskId(1), asteriskId(2), asteriskId(3)]);
    expect((await ledger.get(asteriskId(3)))?.state).toBe('pending');
  });

  it('rotation mid-run: finishes the old file (including what the PBX wrote to it after the rename), then reads the new one from its start', async () => {
    await writeFile(file, lines(0, 1000));
    const { drain } = runner({ rotatedGraceMs: 300 });
    await drain();
    expect(await rowCount(ledger)).toBe(1000);
    await rename(file, `${file}.1`);
    await appendFile(`${file}.1`, lines(1000, 1010)); // the PBX had the file open
    await writeFile(file, lines(2000, 2500));
    await drain(); // sees the rotation; the old file is not quiet for the grace period yet
    await appendFile(`${file}.1`, lines(1010, 1020));
    await drain();
    await sleep(400);
    await drain(); // old file quiet: finished, then the new file
    expect(await ids()).toEqual(expectedIds([0, 1020], [2000, 2500]));
    await appendFile(file, lines(2500, 2600));
    await drain();
    expect(await ids()).toEqual(expectedIds([0, 1020], [2000, 2600]));
  });

  it('copytruncate mid-run: reads what was not read yet from the copy, then the truncated file from its start', async () => {
    await writeFile(file, lines(0, 1000));
    const { drain } = runner();
    await drain();
    await appendFile(file, lines(1000, 1100)); // written, not yet read
    await copyFile(file, `${file}.1`);
    await truncate(file, 0);
    await appendFile(file, lines(5000, 5200));
    await drain();
    expect(await ids()).toEqual(expectedIds([0, 1100], [5000, 5200]));
    // An administrator empties the file with no copy: reading starts again at line 1.
    await truncate(file, 0);
    await appendFile(file, lines(7000, 7010));
    await drain();
    expect(await ids()).toEqual(expectedIds([0, 1100], [5000, 5200], [7000, 7010]));
  });

  it('restart mid-file (runner stopped, ledger reopened, new runner): no loss, no duplicates', async () => {
    const N = 5_000;
    await writeFile(file, lines(0, N));
    const size = (await stat(file)).size;
    const first = runner({ pollMs: 10 }, { batchBytes: 4 * 1024 });
    await first.r.start();
    await waitFor('some lines committed', async () => {
      const c = parseCheckpoint(await ledger.getCheckpoint(tailCheckpointKey('tail1')));
      return c !== null && c.offset > 0;
    }, 10_000, 1);
    await first.r.stop();
    const atStop = parseCheckpoint(await ledger.getCheckpoint(tailCheckpointKey('tail1')));
    expect(atStop!.offset).toBeLessThan(size);
    await ledger.close();

    ledger = await openLedger(tmp.dir);
    await appendFile(file, lines(N, N + 100));
    const second = runner();
    await second.drain();
    expect(await rowCount(ledger)).toBe(N + 100);
    expect(await ids()).toEqual(expectedIds([0, N + 100]));
  }, 120_000);

  it('a ledger that fails mid-run loses nothing: the checkpoint only moved with committed lines', async () => {
    const N = 3_000;
    await writeFile(file, lines(0, N));
    const first = runner({ pollMs: 10 }, { batchBytes: 2 * 1024 });
    await first.r.start();
    await waitFor('some lines committed', async () => (parseCheckpoint(await ledger.getCheckpoint(tailCheckpointKey('tail1')))?.offset ?? 0) > 0, 10_000, 1);
    await ledger.close(); // the disk goes away under the tail
    await sleep(50);
    expect(first.r.lastProblem).toMatch(/ledger/);
    await first.r.stop();

    ledger = await openLedger(tmp.dir);
    const second = runner();
    await second.drain();
    expect(await ids()).toEqual(expectedIds([0, N]));
  }, 120_000);

  it('rotated while stopped: a new start finishes the old file (found by inode) before the new one', async () => {
    await writeFile(file, lines(0, 100));
    const first = runner();
    await first.drain();
    await first.r.stop();
    await appendFile(file, lines(100, 120));
    await rename(file, `${file}-20240101`);
    await writeFile(file, lines(300, 330));
    const second = runner();
    await second.drain();
    expect(await ids()).toEqual(expectedIds([0, 120], [300, 330]));
  });

  it('a file replaced by another one while stopped (fingerprint differs) is read from its start', async () => {
    await writeFile(file, lines(0, 100));
    const first = runner();
    await first.drain();
    await first.r.stop();
    // Same inode, new content longer than the old offset: only the fingerprint can tell.
    await writeFile(file, lines(900_000, 900_200));
    const second = runner();
    await second.drain();
    expect(await ids()).toEqual(expectedIds([0, 100], [900_000, 900_200]));
  });

  it('names bad lines by their line number in the file, also after a restart', async () => {
    await writeFile(file, lines(0, 5));
    const first = runner();
    await first.drain();
    await first.r.stop();
    await appendFile(file, `${line(5)}"bad","line"\n${line(6)}`);
    const log = new PassThrough();
    const chunks: string[] = [];
    log.on('data', (c: Buffer) => chunks.push(c.toString()));
    const second = runner({}, { logStream: log });
    await second.drain();
    expect(await ids()).toEqual(expectedIds([0, 7]));
    expect(chunks.join('')).toContain(`${file}:7: `);
    expect(chunks.join('')).not.toContain(`${file}:6: `);
  });
});
