import { createReadStream, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import asteriskAdapter from '../../adapters/asterisk-csv/index.js';
import type { CallRecord } from '../../adapters/call-record.js';
import fsJsonAdapter from '../../adapters/freeswitch-json/index.js';
import fsXmlAdapter from '../../adapters/freeswitch-xml/index.js';
import { type AdapterDefinition, type ParseItem, defineAdapter } from '../../adapters/types.js';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { LedgerUnavailableError } from '../../src/errors.js';
import type { Ledger, LedgerRow } from '../../src/ledger/ledger.js';
import { createLogger } from '../../src/log/logger.js';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { PipelineIngestor } from '../../src/pipeline/ingestor.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import type { IngestSummary, Normalizer, PipelineSource } from '../../src/pipeline/types.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { openLedger } from '../sources/support.js';
import { tempDir } from '../support/tmp.js';
import { REPO_ROOT } from './fixture-cases.js';

/**
 * Issue 12: a call leaves the stash as soon as its records say it is whole (the adapter's `complete`), in the
 * ingestLegs that stashed its last leg, and waits for its quiet period only where that cannot be known. Checked
 * on the real FreeSWITCH and Asterisk output in test/fixtures (ground truth in their READMEs): which calls leave
 * early and at which file or line, that no call leaves before its last leg (no ledger conflict, no update), and
 * that the rows in the end are exactly those of the quiet-period path.
 */

const NOW = Date.parse('2026-12-07T08:00:00Z');
const END_OF_TIME = Number.MAX_SAFE_INTEGER;
const SECRET = 'complete-calls-test-signing-secret';

let tmp: ReturnType<typeof tempDir>;
beforeAll(() => {
  tmp = tempDir('callbridge-complete-');
});
afterAll(() => tmp.cleanup());

let ledgers = 0;
async function freshLedger(): Promise<Ledger> {
  return openLedger(path.join(tmp.dir, String((ledgers += 1))));
}

/** A source of a fixture config, with a normalizer whose signed links do not depend on the clock. */
function realNormalizer(config: Config): Normalizer {
  return createNormalizer(normalizeConfigSchema.parse(config.normalize), {
    baseDir: REPO_ROOT,
    links: new RecordingLinks({ publicBaseUrl: config.http.publicBaseUrl ?? 'https://callbridge.example.com', secret: SECRET, ttlHours: 72 }),
    linkClock: 'call-end',
    roots: config.recordings.roots,
  });
}

/** The adapter as is, or without `complete`: every call then waits for its quiet period, as before issue 12. */
function ingestorFor(ledger: Ledger, normalizer: Normalizer, adapter: AdapterDefinition, early: boolean): PipelineIngestor {
  const used: AdapterDefinition = early ? adapter : { ...adapter, complete: undefined };
  return new PipelineIngestor({ ledger, normalizer, adapterFor: () => used, windowLegs: 5_000, batchSize: 500, clock: () => NOW });
}

/** What a row holds, without the ledger's own bookkeeping (times, attempts). */
function content(row: LedgerRow) {
  return { externalId: row.externalId, sourceId: row.sourceId, location: row.location, state: row.state, reason: row.reason, payload: row.payload, raw: row.raw };
}

function addUp(total: IngestSummary, s: IngestSummary): void {
  for (const key of ['inserted', 'duplicates', 'updated', 'conflicts', 'stashed', 'errorCount'] as const) total[key] += s[key];
}

function emptyTotal(): IngestSummary {
  return { ids: [], inserted: 0, duplicates: 0, updated: 0, conflicts: 0, skipped: 0, rejected: 0, held: 0, stashed: 0, errors: [], errorCount: 0 };
}

interface Run {
  /** External id → the input (file name, or line number) during which its row was put. */
  putAt: Map<string, string>;
  /** What the final flushQuiet put. */
  flushed: string[];
  total: IngestSummary;
  rows: ReturnType<typeof content>[];
}

/** Feed inputs one by one through ingestLegs, noting which rows each input put; then flush what is left. */
async function feed(ingestor: PipelineIngestor, ledger: Ledger, source: PipelineSource, inputs: Array<{ label: string; input: () => Parameters<PipelineIngestor['ingestLegs']>[1] }>): Promise<Run> {
  const putAt = new Map<string, string>();
  const total = emptyTotal();
  for (const { label, input } of inputs) {
    const summary = await ingestor.ingestLegs(source, input());
    expect([label, summary.errors]).toEqual([label, []]);
    addUp(total, summary);
    for (const row of await ledger.query({})) if (!putAt.has(row.externalId)) putAt.set(row.externalId, label);
  }
  const before = new Set(putAt.keys());
  const last = await ingestor.flushQuiet(source, NOW, END_OF_TIME);
  addUp(total, last);
  const rows = (await ledger.query({})).map(content).sort((a, b) => a.externalId.localeCompare(b.externalId));
  return { putAt, flushed: rows.map((r) => r.externalId).filter((id) => !before.has(id)).sort(), total, rows };
}

describe('ingestLegs assembles the calls an input completes (a test adapter: `id,leg,of` per line)', () => {
  /** Leg `leg` of `of` legs of call `id`; complete once every leg number up to `of` is in. */
  const seen: number[][] = [];
  let throwFor: string | undefined;
  const legsAdapter = defineAdapter({
    id: 'test-legs',
    summary: 'numbered legs',
    configSchema: z.object({}),
    example: {},
    inputs: { filePatterns: ['*.legs'], contentTypes: ['text/plain'], tail: true },
    async *parse(input): AsyncGenerator<ParseItem> {
      let text = '';
      for await (const chunk of input.stream) text += String(chunk);
      for (const line of text.split('\n').filter(Boolean)) {
        const [id = '', leg = '', of = ''] = line.split(',');
        const record: CallRecord = {
          externalId: id,
          location: `${input.name}:${leg}`,
          startTime: '2026-12-07T08:00:00Z',
          from: { number: '1001' },
          to: { number: '+46701234567' },
          outcome: 'answered',
          legs: 1,
          raw: { leg: Number(leg), of: Number(of) },
        };
        yield { kind: 'leg', groupKey: id, leg: record };
      }
    },
    merge: (legs) => ({ ...(legs[0] as CallRecord), legs: legs.length, raw: legs.map((l) => l.raw) }),
    complete(legs) {
      const numbers = legs.map((l) => (l.raw as { leg: number }).leg);
      seen.push(numbers);
      if (legs[0]?.externalId === throwFor) throw new Error('a bug in the rule');
      const of = (legs[0]?.raw as { of: number }).of;
      return new Set(numbers).size === of;
    },
  }) as unknown as AdapterDefinition;
  /** Every call becomes a skipped row that says how many legs it was made of. */
  const countingNormalizer: Normalizer = { normalize: async (call) => ({ kind: 'skipped', reason: `${call.legs} leg(s)` }) };
  const source: PipelineSource = { id: 'legs', adapter: 'test-legs', options: {}, groupQuietMs: 120_000 };
  const post = (text: string) => ({ name: 'hook:legs', stream: Readable.from([text]) });

  async function setUp(opts: { ledger?: Ledger; logLines?: string[] } = {}) {
    const ledger = opts.ledger ?? (await freshLedger());
    const stream = new PassThrough();
    stream.on('data', (c: Buffer) => opts.logLines?.push(c.toString()));
    const ingestor = new PipelineIngestor({
      ledger,
      normalizer: countingNormalizer,
      adapterFor: () => legsAdapter,
      windowLegs: 100,
      batchSize: 500,
      clock: () => NOW,
      logger: createLogger({ format: 'json', stream, level: 'debug' }),
    });
    return { ledger, ingestor };
  }

  it('puts a call with all its legs in the input that brought its last one, and drops its stash; an unfinished call waits for its quiet period', async () => {
    const { ledger, ingestor } = await setUp();
    const first = await ingestor.ingestLegs(source, post('c1,1,2\nc2,1,3\n'));
    expect(first).toMatchObject({ stashed: 2, inserted: 0, ids: ['c1', 'c2'] });
    expect(await ledger.get('c1')).toBeNull();

    const second = await ingestor.ingestLegs(source, post('c1,2,2\nc2,2,3\n'));
    expect(second).toMatchObject({ stashed: 2, inserted: 1, conflicts: 0, ids: ['c1', 'c2'] });
    expect(await ledger.get('c1')).toMatchObject({ state: 'skipped', reason: '2 leg(s)' });
    expect(await ledger.stashedGroups('legs', ['c1', 'c2'])).toEqual([{ groupKey: 'c2', legs: expect.any(Array) }]);

    // c2 never gets its third leg: it leaves when quiet (the stash dates legs by the wall clock), as every call did before.
    expect(await ingestor.flushQuiet(source, NOW, Date.now() - 60_000)).toMatchObject({ inserted: 0 });
    expect(await ingestor.flushQuiet(source, NOW, END_OF_TIME)).toMatchObject({ inserted: 1 });
    expect(await ledger.get('c2')).toMatchObject({ reason: '2 leg(s)' });
  });

  it('asks the adapter with the legs stashed so far, in arrival order, across inputs', async () => {
    const { ledger, ingestor } = await setUp();
    seen.length = 0;
    await ingestor.ingestLegs(source, post('c3,2,3\n'));
    await ingestor.ingestLegs(source, post('c3,1,3\n'));
    await ingestor.ingestLegs(source, post('c3,3,3\n'));
    expect(seen).toEqual([[2], [2, 1], [2, 1, 3]]);
    expect(await ledger.get('c3')).toMatchObject({ reason: '3 leg(s)' });
  });

  it('a leg posted again after its call left early (a PBX that missed the answer) is a repeat, not a one-leg call', async () => {
    const { ledger, ingestor } = await setUp();
    await ingestor.ingestLegs(source, post('c4,1,2\n'));
    await ingestor.ingestLegs(source, post('c4,2,2\n'));
    const again = await ingestor.ingestLegs(source, post('c4,2,2\n'));
    expect(again).toMatchObject({ ids: ['c4'], duplicates: 1, stashed: 0 });
    const flushed = await ingestor.flushQuiet(source, NOW, END_OF_TIME);
    expect(flushed).toMatchObject({ inserted: 0, updated: 0, conflicts: 0 });
    expect(await ledger.get('c4')).toMatchObject({ reason: '2 leg(s)' });
  });

  it('a rule that throws keeps the call stashed for its quiet period, says so, and the input is still taken', async () => {
    const logLines: string[] = [];
    const { ledger, ingestor } = await setUp({ logLines });
    throwFor = 'c5';
    try {
      await ingestor.ingestLegs(source, post('c5,1,1\n'));
    } finally {
      throwFor = undefined;
    }
    expect(await ledger.get('c5')).toBeNull();
    expect(logLines.join('')).toMatch(/could not tell whether call c5 is complete; it waits for its quiet period/);
    await ingestor.flushQuiet(source, NOW, END_OF_TIME);
    expect(await ledger.get('c5')).toMatchObject({ reason: '1 leg(s)' });
  });

  it('a ledger that cannot take the early put: the legs stay stashed and the input is not refused (they were committed)', async () => {
    const logLines: string[] = [];
    const real = await freshLedger();
    const failing = Object.create(real) as Ledger;
    failing.put = () => Promise.reject(new LedgerUnavailableError('disk full (test)'));
    const { ingestor } = await setUp({ ledger: failing, logLines });
    await expect(ingestor.ingestLegs(source, post('c6,1,1\n'))).resolves.toMatchObject({ stashed: 1, inserted: 0 });
    expect(logLines.join('')).toMatch(/assembling complete calls at once failed; they wait for their quiet period: disk full/);
    expect((await real.stashedGroups('legs', ['c6'])).map((g) => g.legs.length)).toEqual([1]);
  });
});

const FS_DIR = 'test/fixtures/freeswitch-real';

/**
 * The calls of the FreeSWITCH data set whose every channel names only channels of the same call (README.md
 * "Scenarios", the CDR files of each table): the channel uuids of their CDR files. They leave with their last file.
 * The others wait for their quiet period: in B8 the leg uuid_bridge moved to the caller names the consultation
 * call's legs; in B9 the remote party's loopback half belongs to a group of its own; in B10 the agent's line names
 * the agent's desk phone, which forms a group of its own; and those groups never see their calls' legs either.
 */
const FS_EARLY: Record<string, { call: string; files: string[] }> = {
  B1: { call: 'a6caeed6-e329-44d7-8a05-9061ff1d8200', files: ['4e79588c', 'a6caeed6', 'cfb93277', '5268d38b'] },
  B2: { call: '8fb0e1e1-65db-46d9-80cf-5fa621cd0719', files: ['52de2d73', '8fb0e1e1', '36244fd5', '95644afb'] },
  B3: { call: 'a5f2de60-cc65-400b-80ab-b6747e85ecf9', files: ['be6d041c', 'fea0a7c4', 'a4d26e96', 'a5f2de60', 'c38233c4', '22db5b0c'] },
  B4: { call: '7ab3f7a6-1c3b-4796-95cf-3c0f82c3684e', files: ['3889c7c5', '7ab3f7a6', 'e0e378ae', '1cfb8991'] },
  B5: { call: '89b798a8-0750-491c-9727-40aae41464a9', files: ['baa6c73e', '31435630', '89b798a8', '3ac71e95'] },
  B6: { call: '53db8ca3-10ec-4a26-a6df-e70eb171969c', files: ['7790b49e', '1e9d3938', '81d03290', '53db8ca3', '42b57a22', 'a7b24d39'] },
  B7: { call: 'fecf2006-5cc0-4238-9a8a-3d106e7a73d6', files: ['771c0ee0', 'fecf2006', '41430eeb', '026821a6'] },
};
/** B8, B9, B10, and the groups of legs that name no leg of their call (freeswitch-real.test.ts, "apart"). */
const FS_QUIET = [
  '5be7fe6f-95bc-4559-9c73-f4314855ec1e',
  'edc6b344-9fe3-4384-92ff-0ddeef07e5b8',
  '25de33b9-6465-455e-8f9a-99ba30412bb1',
  'b152c266-44ee-422f-b760-a569a148d91f',
  '122b0ba2-d528-40fc-a946-d475b88d6de8',
  '4c067449-3401-4838-a3d5-61fcedbd3593',
].sort();

const uuidOf = (file: string) => file.replace(/^a_/, '').slice(0, 8);

describe.each([
  { adapter: fsJsonAdapter as AdapterDefinition, folder: 'json_cdr' },
  { adapter: fsXmlAdapter as AdapterDefinition, folder: 'xml_cdr' },
])('$adapter.id: the 50 real CDR files, one leg per file, through ingestLegs', ({ adapter, folder }) => {
  const config = loadConfig(path.join(REPO_ROOT, FS_DIR, 'callbridge.yaml')).config;
  const source = config.sources.find((s) => s.adapter === adapter.id) as PipelineSource;
  const names = readdirSync(path.join(REPO_ROOT, FS_DIR, folder)).sort();
  const runs: Record<string, { early: Run; quiet: Run; files: string[] }> = {};

  beforeAll(async () => {
    const normalizer = realNormalizer(config);
    for (const [order, files] of [['name order', names], ['reverse order', [...names].reverse()]] as const) {
      const inputs = files.map((name) => ({ label: name, input: () => ({ name: path.join(FS_DIR, folder, name), stream: createReadStream(path.join(REPO_ROOT, FS_DIR, folder, name)) }) }));
      const [earlyLedger, quietLedger] = [await freshLedger(), await freshLedger()];
      try {
        const early = await feed(ingestorFor(earlyLedger, normalizer, adapter, true), earlyLedger, source, inputs);
        const quiet = await feed(ingestorFor(quietLedger, normalizer, adapter, false), quietLedger, source, inputs);
        runs[order] = { early, quiet, files };
      } finally {
        await earlyLedger.close();
        await quietLedger.close();
      }
    }
  });

  it.each(['name order', 'reverse order'])('%s: B1–B7 leave with their last file, the rest when quiet', (order) => {
    const { early, files } = runs[order] as (typeof runs)[string];
    const lastFileOf = (call: string[]) => files.filter((f) => call.includes(uuidOf(f))).at(-1);
    const expected = Object.entries(FS_EARLY).map(([name, c]) => [name, c.call, lastFileOf(c.files)]);
    const actual = Object.entries(FS_EARLY).map(([name, c]) => [name, c.call, early.putAt.get(c.call)]);
    expect(actual).toEqual(expected);
    expect(early.flushed).toEqual(FS_QUIET);
  });

  it.each(['name order', 'reverse order'])('%s: the rows in the end are exactly those of the quiet-period path', (order) => {
    const { early, quiet } = runs[order] as (typeof runs)[string];
    expect(quiet.flushed).toHaveLength(13);
    expect(early.rows).toEqual(quiet.rows);
    expect(early.rows.map((r) => r.state)).toContain('pending');
  });

  it.each(['name order', 'reverse order'])('%s: no call left before its last leg: no conflict, no update, every leg stashed once', (order) => {
    const { early } = runs[order] as (typeof runs)[string];
    expect(early.total).toMatchObject({ conflicts: 0, updated: 0, duplicates: 0, stashed: 50, inserted: 13 });
  });
});

const AST_DIR = 'test/fixtures/asterisk-real';

/** README §2, "lines" and "linkedid" of each scenario: a call's rows, first to last line of Master.csv. */
const AST_CALLS = [
  { scenario: 'D1', linkedid: 'pbx2-1796588649.0', lines: [1, 3] },
  { scenario: 'D2', linkedid: 'pbx2-1796588663.4', lines: [4, 6] },
  { scenario: 'D3', linkedid: 'pbx2-1796588682.8', lines: [7, 11] },
  { scenario: 'D4', linkedid: 'pbx2-1796588706.14', lines: [12, 16] },
  { scenario: 'D5', linkedid: 'pbx2-1796588722.20', lines: [17, 25] },
  { scenario: 'D6', linkedid: 'pbx2-1796588747.30', lines: [26, 30] },
  { scenario: 'D7', linkedid: 'pbx2-1796588769.36', lines: [31, 34] },
  { scenario: 'D8', linkedid: 'pbx2-1796588774.40', lines: [35, 37] },
  { scenario: 'D9a', linkedid: 'pbx2-1796588787.44', lines: [38, 40] },
  { scenario: 'D9b', linkedid: 'pbx2-1796588799.48', lines: [41, 43] },
  { scenario: 'D10', linkedid: 'pbx2-1796588811.52', lines: [44, 52] },
  { scenario: 'D11', linkedid: 'pbx2-1796588835.60', lines: [53, 55] },
] as const;
/**
 * Nobody answered D4 (the caller left the queue) and D7 (busy): the caller could have gone on in the dialplan.
 * D6 and D10 are transfers. These wait for their quiet period; every other call leaves with its last row.
 */
const AST_QUIET = ['D4', 'D6', 'D7', 'D10'];

describe('asterisk-csv: the real Master.csv tailed one line at a time, in file order', () => {
  const config = loadConfig(path.join(REPO_ROOT, AST_DIR, 'callbridge.yaml')).config;
  const source = config.sources[0] as PipelineSource;
  const lines = readFileSync(path.join(REPO_ROOT, AST_DIR, 'Master.csv'), 'utf8').split(/(?<=\n)/);
  let early: Run;
  let quiet: Run;

  beforeAll(async () => {
    const normalizer = realNormalizer(config);
    const inputs = lines.map((text, i) => ({ label: String(i + 1), input: () => ({ name: path.join(AST_DIR, 'Master.csv'), stream: Readable.from([text]), firstLine: i + 1 }) }));
    const [earlyLedger, quietLedger] = [await freshLedger(), await freshLedger()];
    try {
      early = await feed(ingestorFor(earlyLedger, normalizer, asteriskAdapter as AdapterDefinition, true), earlyLedger, source, inputs);
      quiet = await feed(ingestorFor(quietLedger, normalizer, asteriskAdapter as AdapterDefinition, false), quietLedger, source, inputs);
    } finally {
      await earlyLedger.close();
      await quietLedger.close();
    }
  });

  it('has the 55 rows of the 12 calls', () => {
    expect(lines).toHaveLength(55);
    expect(quiet.flushed).toEqual(AST_CALLS.map((c) => c.linkedid).sort());
  });

  it('every answered call without a transfer leaves with its last row; unanswered calls and transfers when quiet', () => {
    const expected = AST_CALLS.map((c) => [c.scenario, AST_QUIET.includes(c.scenario) ? 'when quiet' : `line ${c.lines[1]}`]);
    const actual = AST_CALLS.map((c) => [c.scenario, early.flushed.includes(c.linkedid) ? 'when quiet' : `line ${early.putAt.get(c.linkedid)}`]);
    expect(actual).toEqual(expected);
  });

  it('no call left before its last row: the rows in the end are the quiet-period path\'s, with no conflict and no update', () => {
    expect(early.rows).toEqual(quiet.rows);
    expect(early.total).toMatchObject({ conflicts: 0, updated: 0, duplicates: 0, stashed: 55, inserted: 12 });
  });
});
