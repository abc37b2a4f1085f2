import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { statusOf } from '../../src/bridge/status.js';
import { validateConfig } from '../../src/config/load.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { TailRunner, type TailSource } from '../../src/sources/tail.js';
import { linesLogger } from '../support/log-lines.js';
import { tempDir } from '../support/tmp.js';
import { asteriskId, asteriskLines, asteriskNormalize, asteriskOptions, openLedger, realPipeline, sleep, waitFor } from './support.js';

describe('a tail waiting for its file', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ledger: Ledger;
  let runner: TailRunner | undefined;

  beforeEach(async () => {
    tmp = tempDir('callbridge-tail-wait-');
    ledger = await openLedger(tmp.dir);
  });
  afterEach(async () => {
    await runner?.stop();
    await ledger.close();
    tmp.cleanup();
  });

  it('warns once with the full path, shows it in /status until the file appears, then reads it', async () => {
    const file = path.join(tmp.dir, 'cdr-csv', 'Master.csv');
    const config = validateConfig({
      sources: [{ id: 'ast', type: 'tail', adapter: 'asterisk-csv', options: asteriskOptions, path: file, pollMs: 20, flushEveryMs: 50, groupQuietMs: 0 }],
    });
    const source = config.sources[0] as TailSource;
    const { logger, lines } = linesLogger();
    const pipeline = realPipeline(ledger, { normalize: asteriskNormalize });
    runner = new TailRunner(source, { ingestor: pipeline.ingestor, ledger, logger });
    const status = statusOf({
      config,
      api: { mode: 'sandbox', baseUrl: 'http://127.0.0.1:1', gate: { status: () => ({ pausedUntil: null }) as never } },
      ledger,
      submitter: { status: () => null as never },
      preparer: null,
      runners: [runner],
    });

    await runner.start();
    // Many polls (every 20 ms) while the file is not there.
    await sleep(300);
    const warnings = lines.map((l) => JSON.parse(l) as { level: string; message: string }).filter((l) => l.level === 'warn');
    expect(warnings.map((w) => w.message)).toEqual([`waiting for ${file}: it does not exist yet`]);
    expect(runner.running).toBe(true);
    expect((await status()).sources).toEqual([{ id: 'ast', type: 'tail', adapter: 'asterisk-csv', running: true, lastProblem: `waiting for ${file}: it does not exist yet`, lastInput: null, lagBytes: null }]);

    mkdirSync(path.dirname(file));
    writeFileSync(file, asteriskLines(0, 3));
    await waitFor('the three calls of the new file', async () => (await ledger.query({})).length === 3);
    expect((await ledger.query({})).map((r) => r.externalId).sort()).toEqual([0, 1, 2].map(asteriskId).sort());
    // The pass that read the file clears the problem when it ends, a moment after its commit.
    const reading = runner;
    await waitFor('the problem to clear', () => reading.lastProblem === null);
    expect((await status()).sources[0]).toMatchObject({ lastProblem: null, lagBytes: 0 });
    expect(lines.some((l) => l.includes(`${file} is there now; reading it`))).toBe(true);
    // A line the PBX is still writing (no newline yet) is what the tail is behind by.
    const partial = asteriskLines(3, 4).trimEnd();
    appendFileSync(file, partial);
    await waitFor('the tail to see the partial line', async () => (await status()).sources[0]?.lagBytes === Buffer.byteLength(partial));
  });
});
