import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { type AdapterDefinition, type ParseItem, defineAdapter } from '../../adapters/types.js';
import { LedgerUnavailableError, ParseError } from '../../src/errors.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { MAX_LISTED_ERRORS, PipelineIngestor } from '../../src/pipeline/ingestor.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { renormalizeDueHeld } from '../../src/pipeline/renormalize.js';
import type { Normalizer } from '../../src/pipeline/types.js';
import type { SourceConfig } from '../../src/sources/config.js';
import { RecordingLinks } from '../../src/recordings/links.js';

/**
 * A small CDR dialect for these tests: `id,from,to,start,end,talkSec[,recording]` per line, legs of one call
 * share the id. "throw" as a line makes the adapter fail like a broken disk would.
 */
const cdrAdapter = defineAdapter({
  id: 'test-cdr',
  summary: 'test CDR lines',
  configSchema: z.object({}),
  example: {},
  inputs: { filePatterns: ['*.cdr'], contentTypes: ['text/plain'], tail: true },
  async *parse(input): AsyncGenerator<ParseItem> {
    let line = (input.firstLine ?? 1) - 1;
    let rest = '';
    for await (const chunk of input.stream) {
      rest += String(chunk);
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const text of lines) {
        line += 1;
        const location = `${input.name}:${line}`;
        if (text === 'throw') throw new Error('EIO: i/o error, read');
        const [id, from, to, start, end, talk, recording] = text.split(',');
        if (!id || !start || !end || talk === undefined) {
          yield { kind: 'error', location, message: 'expected id,from,to,start,end,talkSec' };
          continue;
        }
        const leg: CallRecord = {
          externalId: id,
          location,
          startTime: start,
          endTime: end,
          talkSec: Number(talk),
          from: { number: from },
          to: { number: to },
          outcome: Number(talk) > 0 ? 'answered' : 'no-answer',
          legs: 1,
          raw: { text },
        };
        if (recording) leg.recording = { url: recording };
        yield { kind: 'leg', groupKey: id, leg };
      }
    }
  },
  merge(legs) {
    const first = legs[0] as CallRecord;
    const last = legs[legs.length - 1] as CallRecord;
    const talk = legs.reduce((s, l) => s + (l.talkSec ?? 0), 0);
    return { ...first, endTime: last.endTime, talkSec: talk, outcome: talk > 0 ? 'answered' : first.outcome, recording: legs.find((l) => l.recording)?.recording, legs: legs.length, raw: legs.map((l) => l.raw) } as CallRecord;
  },
}) as unknown as AdapterDefinition;

const REC = 'https://pbx.example.com/rec/';
const row = (id: string, from: string, to: string, start: string, end: string, talk: number, rec = `${REC}${id}.wav`) => `${id},${from},${to},${start},${end},${talk},${rec}\n`;

let dir: string;
let ledger: Ledger;
const normalizeConfig = normalizeConfigSchema.parse({ timezone: 'Europe/Stockholm', owners: { map: { '1001': 'alice@example.com', '1002': 'bob@example.com' } } });
const normalizer = createNormalizer(normalizeConfig, {
  baseDir: process.cwd(),
  links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'ingestor-test-secret-0123456789', ttlHours: 72 }),
  linkClock: 'now',
  roots: [],
});

const source = (over: Partial<SourceConfig> = {}): SourceConfig =>
  ({ type: 'drop', id: 'pbx', adapter: 'test-cdr', options: {}, path: '.', stableMs: 0, rescanMs: 10_000, groupQuietMs: 1_000, ...over }) as SourceConfig;
const input = (name: string, text: string) => ({ name, stream: Readable.from([Buffer.from(text)]) });

function ingestor(opts: { ledger?: Ledger; normalizer?: Normalizer; batchSize?: number; windowLegs?: number } = {}) {
  return new PipelineIngestor({
    ledger: opts.ledger ?? ledger,
    normalizer: opts.normalizer ?? normalizer,
    windowLegs: opts.windowLegs ?? 5_000,
    batchSize: opts.batchSize ?? 500,
    adapterFor: () => cdrAdapter,
  });
}

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cb-ingest-'));
  ledger = await openSqliteLedger(path.join(dir, 'ledger.sqlite'));
});
afterEach(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('PipelineIngestor.ingestWhole (real SQLite ledger)', () => {
  it('parses, groups, normalizes and stores every call with its state; the checkpoint is committed', async () => {
    const text =
      row('c1', '0701234567', '1001', '2024-06-01 12:00:00', '2024-06-01 12:01:00', 50, '') + // leg 1 of c1 (queue attempt, no recording)
      row('c2', '1002', '0812345678', '2024-06-01 12:00:30', '2024-06-01 12:03:30', 170) +
      'garbage\n' +
      row('c1', '0701234567', '1001', '2024-06-01 12:01:00', '2024-06-01 12:05:00', 230) + // leg 2 of c1
      row('c3', '0701234567', '1001', '2024-06-01 13:00:00', '2024-06-01 13:00:20', 0) + // not answered
      row('c4', '0701234567', '1003', '2024-06-01 14:00:00', '2024-06-01 14:02:00', 100); // nobody owns 1003
    const summary = await ingestor({ batchSize: 2 }).ingestWhole(source(), input('day.cdr', text), { checkpoints: [{ key: 'drop:day.cdr', value: 'sha256:abc' }] });

    expect(summary).toEqual({
      ids: ['c1', 'c2', 'c3', 'c4'],
      inserted: 4,
      duplicates: 0,
      updated: 0,
      conflicts: 0,
      skipped: 1,
      rejected: 1,
      held: 0,
      stashed: 0,
      errors: [{ location: 'day.cdr:3', message: 'expected id,from,to,start,end,talkSec' }],
      errorCount: 1,
    });
    const c1 = await ledger.get('c1');
    expect(c1).toMatchObject({ state: 'pending', sourceId: 'pbx', location: 'day.cdr:1' });
    expect(c1?.payload).toEqual({
      call_external_id: 'c1',
      call_start_time: '2024-06-01T10:00:00Z',
      call_end_time: '2024-06-01T10:05:00Z',
      call_duration: 280,
      call_recording_url: `${REC}c1.wav`,
      call_is_stereo: false,
      call_direction: 'incoming',
      call_outcome: 'Answered',
      owner_email: 'alice@example.com',
      participant_phone_number: '+46701234567',
    });
    expect((c1?.raw as CallRecord).legs).toBe(2);
    expect(await ledger.get('c3')).toMatchObject({ state: 'skipped', reason: 'unanswered call (no-answer)', payload: null });
    expect(await ledger.get('c4')).toMatchObject({ state: 'rejected', reason: 'no owner for extension 1003' });
    expect(await ledger.getCheckpoint('drop:day.cdr')).toBe('sha256:abc');
  });

  it('the same file again: duplicates, nothing changes; a corrected CDR updates an unsent row', async () => {
    const text = row('c2', '1002', '0812345678', '2024-06-01 12:00:30', '2024-06-01 12:03:30', 170);
    await ingestor().ingestWhole(source(), input('a.cdr', text));
    expect(await ingestor().ingestWhole(source(), input('a.cdr', text))).toMatchObject({ inserted: 0, duplicates: 1 });
    const corrected = row('c2', '1002', '0812345678', '2024-06-01 12:00:30', '2024-06-01 12:04:30', 230);
    expect(await ingestor().ingestWhole(source(), input('a.cdr', corrected))).toMatchObject({ updated: 1 });
    expect((await ledger.get('c2'))?.payload?.call_duration).toBe(230);
  });

  it('keeps only the first errors but counts them all', async () => {
    const text = `${'bad line\n'.repeat(250)}${row('c9', '1002', '0812345678', '2024-06-01 12:00:30', '2024-06-01 12:03:30', 170)}`;
    const summary = await ingestor().ingestWhole(source(), input('bad.cdr', text));
    expect(summary.errors).toHaveLength(MAX_LISTED_ERRORS);
    expect(summary.errorCount).toBe(250);
    expect(summary.errors[99]).toEqual({ location: 'bad.cdr:100', message: 'expected id,from,to,start,end,talkSec' });
    expect(summary.inserted).toBe(1);
  });

  it('a ledger that fails mid-input: LedgerUnavailableError, and the checkpoint never runs ahead of the rows', async () => {
    let puts = 0;
    const failing: Ledger = Object.create(ledger) as Ledger;
    failing.put = async (rows, opts) => {
      puts += 1;
      if (puts === 2) throw new Error('SQLITE_FULL: database or disk is full');
      return ledger.put(rows, opts);
    };
    const text = ['a', 'b', 'c', 'd', 'e'].map((id, i) => row(id, '1002', '0812345678', `2024-06-01 12:0${i}:00`, `2024-06-01 12:0${i}:30`, 25)).join('');
    const run = ingestor({ ledger: failing, batchSize: 2 }).ingestWhole(source(), input('x.cdr', text), { checkpoints: [{ key: 'tail:x', value: '999' }] });
    await expect(run).rejects.toBeInstanceOf(LedgerUnavailableError);
    await expect(run).rejects.toThrow(/database or disk is full/);
    expect((await ledger.query({})).map((r) => r.externalId)).toEqual(['a', 'b']);
    expect(await ledger.getCheckpoint('tail:x')).toBeNull();
  });

  it('a closed ledger (the real failure) is LedgerUnavailableError', async () => {
    await ledger.close();
    await expect(ingestor().ingestWhole(source(), input('x.cdr', row('z', '1002', '0812345678', '2024-06-01 12:00:00', '2024-06-01 12:01:00', 60)))).rejects.toBeInstanceOf(
      LedgerUnavailableError,
    );
    ledger = await openSqliteLedger(path.join(dir, 'ledger.sqlite'));
  });

  it('an input that cannot be read further stops with a located ParseError; rows already stored stay, the checkpoint does not move', async () => {
    const text = `${row('a', '1002', '0812345678', '2024-06-01 12:00:00', '2024-06-01 12:01:00', 60)}${row('b', '1002', '0812345678', '2024-06-01 12:10:00', '2024-06-01 12:11:00', 60)}throw\n`;
    const run = ingestor({ batchSize: 1, windowLegs: 1 }).ingestWhole(source(), input('disk.cdr', text), { checkpoints: [{ key: 'k', value: 'v' }] });
    await expect(run).rejects.toBeInstanceOf(ParseError);
    await expect(run).rejects.toThrow('disk.cdr: reading stopped: EIO: i/o error, read');
    expect((await ledger.query({})).map((r) => r.externalId)).toEqual(['a']);
    expect(await ledger.getCheckpoint('k')).toBeNull();
  });

  it('a normalizer that throws does not lose the call: it is kept as rejected with the reason', async () => {
    const broken: Normalizer = {
      normalize: async () => {
        throw new TypeError('boom');
      },
    };
    await ingestor({ normalizer: broken }).ingestWhole(source(), input('a.cdr', row('q', '1002', '0812345678', '2024-06-01 12:00:00', '2024-06-01 12:01:00', 60)));
    expect(await ledger.get('q')).toMatchObject({ state: 'rejected', reason: 'normalization failed: boom' });
    expect((await ledger.get('q'))?.raw).toMatchObject({ externalId: 'q' });
  });
});

describe('PipelineIngestor.ingestLegs + flushQuiet (tails and hooks)', () => {
  it('legs wait in the stash with the checkpoint; a quiet group becomes one call and leaves the stash in the same commit', async () => {
    const ing = ingestor();
    const first = await ing.ingestLegs(source({ type: 'tail' } as Partial<SourceConfig>), input('Master.cdr', row('t1', '0701234567', '1001', '2024-06-01 12:00:00', '2024-06-01 12:01:00', 50, '')), {
      checkpoints: [{ key: 'tail:Master', value: '100' }],
    });
    expect(first).toMatchObject({ ids: ['t1'], stashed: 1, inserted: 0 });
    expect(await ledger.getCheckpoint('tail:Master')).toBe('100');
    await ing.ingestLegs(source(), input('Master.cdr', `${row('t1', '0701234567', '1001', '2024-06-01 12:01:00', '2024-06-01 12:05:00', 230)}oops\n`), {
      checkpoints: [{ key: 'tail:Master', value: '200' }],
    });
    expect(await ledger.getCheckpoint('tail:Master')).toBe('200');

    // Not quiet yet: nothing assembled.
    expect(await ing.flushQuiet(source({ groupQuietMs: 60_000 }), Date.now())).toMatchObject({ ids: [], inserted: 0 });
    expect(await ledger.get('t1')).toBeNull();

    const flushed = await ing.flushQuiet(source({ groupQuietMs: 1_000 }), Date.now() + 5_000);
    expect(flushed).toMatchObject({ ids: ['t1'], inserted: 1 });
    const t1 = await ledger.get('t1');
    expect(t1).toMatchObject({ state: 'pending', payload: { call_duration: 280, call_end_time: '2024-06-01T10:05:00Z', owner_email: 'alice@example.com' } });
    expect((t1?.raw as CallRecord).legs).toBe(2);
    expect(await ledger.quietGroups('pbx', Date.now() + 10_000)).toEqual([]);
    // Flushing again finds nothing: no double rows.
    expect(await ing.flushQuiet(source(), Date.now() + 10_000)).toMatchObject({ ids: [], inserted: 0 });
  });

  it('a leg stashed while its group is being flushed is not dropped with the group', async () => {
    // A slow normalization (an owner directory look-up, a recording header) leaves time for a leg to arrive.
    const slow: Normalizer = {
      normalize: async (call, src, now) => {
        await new Promise((r) => setTimeout(r, 100));
        return normalizer.normalize(call, src, now);
      },
    };
    const ing = ingestor({ normalizer: slow });
    await ing.ingestLegs(source(), input('M.cdr', row('r1', '0701234567', '1001', '2024-06-01 12:00:00', '2024-06-01 12:01:00', 50)));
    const flushing = ing.flushQuiet(source(), Date.now() + 5_000);
    const late = ing.ingestLegs(source(), input('M.cdr', row('r1', '0701234567', '1001', '2024-06-01 12:01:00', '2024-06-01 12:02:00', 60)));
    await Promise.all([flushing, late]);
    const stored = await ledger.get('r1');
    const stashed = await ledger.quietGroups('pbx', Date.now() + 60_000);
    const legsSeen = ((stored?.raw as CallRecord | undefined)?.legs ?? 0) + stashed.reduce((n, g) => n + g.legs.length, 0);
    expect(legsSeen).toBe(2);
  });

  it('stashed legs that are no longer valid call records are kept as a rejected row, not lost', async () => {
    await ledger.stash([{ sourceId: 'pbx', groupKey: 'junk', leg: { externalId: 'junk', startTime: 5 } }]);
    const summary = await ingestor().flushQuiet(source(), Date.now() + 5_000);
    expect(summary.errorCount).toBe(1);
    const row = await ledger.get('junk');
    expect(row).toMatchObject({ state: 'rejected', raw: [{ externalId: 'junk', startTime: 5 }] });
    expect(row?.reason).toMatch(/^stashed legs of call junk are not valid call records: /);
  });
});

describe('renormalizeDueHeld', () => {
  it('a held row is normalized again when due and moves on', async () => {
    // The recording is local and not there yet: held.
    const rootsDir = path.join(dir, 'rec');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(rootsDir);
    const holding = createNormalizer(normalizeConfig, {
      baseDir: process.cwd(),
      links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'ingestor-test-secret-0123456789', ttlHours: 72 }),
      linkClock: 'now',
      roots: [rootsDir],
    });
    const now = Date.now();
    const end = new Date(now - 60_000);
    const local = (d: Date) => d.toISOString().slice(0, 19); // wall clock in UTC
    const text = `h1,0701234567,1001,${local(new Date(now - 120_000))}Z,${local(end)}Z,60,\n`;
    const withPath: AdapterDefinition = {
      ...cdrAdapter,
      async *parse(inp, opts) {
        for await (const item of cdrAdapter.parse(inp, opts)) {
          if (item.kind === 'leg') item.leg.recording = { path: 'h1.wav' };
          yield item;
        }
      },
    };
    const ing = new PipelineIngestor({ ledger, normalizer: holding, windowLegs: 10, batchSize: 10, adapterFor: () => withPath });
    expect(await ing.ingestWhole(source(), input('h.cdr', text))).toMatchObject({ held: 1 });
    expect(await ledger.get('h1')).toMatchObject({ state: 'held', reason: expect.stringContaining('recording h1.wav is not there yet') });

    const { writeWav } = await import('./audio-files.js');
    writeWav(path.join(rootsDir, 'h1.wav'), 2);
    const sourceFor = () => source();
    expect(await renormalizeDueHeld({ ledger, normalizer: holding, sourceFor }, now)).toEqual([]); // not due yet
    const moved = await renormalizeDueHeld({ ledger, normalizer: holding, sourceFor }, now + 61_000);
    expect(moved).toEqual([{ externalId: 'h1', from: 'held', to: 'pending', reason: null }]);
    expect(await ledger.get('h1')).toMatchObject({ state: 'pending', payload: { call_is_stereo: true, call_participant_channel: 'right' } });
  });
});
