import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { validateConfig } from '../../src/config/load.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { createSourceRunners, type SourceRunner } from '../../src/sources/index.js';
import { tempDir } from '../support/tmp.js';
import { openLedger, realPipeline, waitFor } from './support.js';

/**
 * FreeSWITCH writes one CDR file per leg (json_cdr log-dir: `a_<uuid>.cdr.json` and `<uuid>.cdr.json`).
 * A drop folder for such an adapter must assemble the legs of one call across files, not make two calls.
 */
const fixtures = 'test/fixtures/freeswitch-json';
const fixtureConfig = parseYaml(readFileSync(path.join(fixtures, 'callbridge.yaml'), 'utf8')) as {
  sources: Array<{ options: Record<string, unknown> }>;
  normalize: Record<string, unknown>;
};

describe('drop folder of an adapter that writes one file per leg', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ledger: Ledger;
  let runners: SourceRunner[] = [];

  beforeEach(async () => {
    tmp = tempDir('callbridge-legs-');
    ledger = await openLedger(tmp.dir);
  });
  afterEach(async () => {
    for (const r of runners) await r.stop();
    runners = [];
    await ledger.close();
    tmp.cleanup();
  });

  it('assembles the A and B leg files of one bridged call into one call, once quiet', async () => {
    const inbox = path.join(tmp.dir, 'json_cdr');
    await mkdir(inbox);
    // The quiet period must outlast the time between reading the two files: 300 ms let the A leg leave alone
    // when a busy CI machine read the B file later.
    const config = validateConfig({
      sources: [
        { type: 'drop', id: 'fs-files', adapter: 'freeswitch-json', path: inbox, options: fixtureConfig.sources[0]!.options, stableMs: 200, rescanMs: 100, groupQuietMs: 2_000, flushEveryMs: 100 },
      ],
    });
    const p = realPipeline(ledger, { normalize: fixtureConfig.normalize, roots: [path.join(fixtures, 'recordings')] });
    runners = createSourceRunners(config.sources, { ingestor: p.ingestor, ledger, getAdapter: p.getAdapter });
    expect(runners.map((r) => r.kind)).toEqual(['drop', 'drop']);
    const [aLeg, bLeg] = readFileSync(path.join(fixtures, 'bridged-outbound.ndjson'), 'utf8').trim().split('\n');
    const aUuid = (JSON.parse(aLeg!) as { variables: { uuid: string } }).variables.uuid;
    const bUuid = (JSON.parse(bLeg!) as { variables: { uuid: string } }).variables.uuid;
    await writeFile(path.join(inbox, `a_${aUuid}.cdr.json`), aLeg!);
    await writeFile(path.join(inbox, `${bUuid}.cdr.json`), bLeg!);
    for (const r of runners) await r.start();

    await waitFor('one call assembled from both files', async () => (await ledger.query({})).length > 0, 15_000);
    const rows = await ledger.query({});
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ externalId: aUuid, state: 'pending', raw: expect.objectContaining({ legs: 2 }) });
    expect(rows[0]?.payload).toMatchObject({ call_external_id: aUuid, call_direction: 'outgoing', owner_email: 'anna.berg@example.com', call_is_stereo: true });
  });
});
