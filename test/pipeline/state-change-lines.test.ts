import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import type { CallRecord } from '../../adapters/call-record.js';
import { type AdapterDefinition, type ParseItem, defineAdapter } from '../../adapters/types.js';
import { LedgerUnavailableError } from '../../src/errors.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { withoutLinkSecrets } from '../../src/log/link-secrets.js';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { PipelineIngestor } from '../../src/pipeline/ingestor.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { renormalizeDueHeld, renormalizeRow } from '../../src/pipeline/renormalize.js';
import type { PipelineSource } from '../../src/pipeline/types.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { linesLogger } from '../support/log-lines.js';

/**
 * Issue 10, defect 8: calls rejected in a live run ("recording … still not there 30 minutes after the call ended")
 * were never logged. Every committed move of a row into `rejected` is ONE warn line: the call, the reason, the fix.
 */

/** `id,from,to,startUTC,endUTC,talkSec,recording` per line; a recording with "://" is a URL, else a local path. */
const lineAdapter = defineAdapter({
  id: 'state-lines',
  summary: 'test CDR lines',
  configSchema: z.object({}),
  example: {},
  inputs: { filePatterns: ['*.cdr'], contentTypes: ['text/plain'], tail: true },
  async *parse(input): AsyncGenerator<ParseItem> {
    let text = '';
    for await (const chunk of input.stream) text += String(chunk);
    let line = 0;
    for (const cdr of text.split('\n').filter(Boolean)) {
      line += 1;
      const [id, from, to, start, end, talk, recording] = cdr.split(',') as [string, string, string, string, string, string, string];
      const leg: CallRecord = {
        externalId: id,
        location: `${input.name}:${line}`,
        startTime: start,
        endTime: end,
        talkSec: Number(talk),
        from: { number: from },
        to: { number: to },
        outcome: 'answered',
        legs: 1,
        raw: { cdr },
      };
      if (recording) leg.recording = recording.includes('://') ? { url: recording } : { path: recording };
      yield { kind: 'leg', groupKey: id, leg };
    }
  },
  merge: (legs) => legs[0] as CallRecord,
}) as unknown as AdapterDefinition;

const source: PipelineSource = { id: 'pbx', adapter: 'state-lines', options: {}, groupQuietMs: 1_000 };
const input = (text: string) => ({ name: 'day.cdr', stream: Readable.from([Buffer.from(text)]) });
const iso = (ms: number) => new Date(ms).toISOString().slice(0, 19);
const cdr = (id: string, ext: string, endMs: number, recording: string) => `${id},0701234567,${ext},${iso(endMs - 60_000)},${iso(endMs)},60,${recording}\n`;

interface Line {
  level: string;
  message: string;
  externalId?: string;
  state?: string;
  component?: string;
}

let dir: string;
let roots: string;
let ledger: Ledger;
let log: ReturnType<typeof linesLogger>;

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'cb-state-lines-'));
  roots = path.join(dir, 'recordings');
  mkdirSync(roots);
  ledger = await openSqliteLedger(path.join(dir, 'ledger.sqlite'));
  log = linesLogger();
});
afterEach(async () => {
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

const normalizer = () =>
  createNormalizer(normalizeConfigSchema.parse({ timezone: 'UTC', recordingWaitMinutes: 30, owners: { map: { '1001': 'alice@example.com' } } }), {
    baseDir: dir,
    links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'state-lines-secret-0123456789', ttlHours: 24 }),
    linkClock: 'now',
    roots: [roots],
  });

function ingestor(over: { ledger?: Ledger } = {}) {
  return new PipelineIngestor({ ledger: over.ledger ?? ledger, normalizer: normalizer(), windowLegs: 100, batchSize: 100, adapterFor: () => lineAdapter, logger: log.logger });
}

const trouble = () => log.lines.map((l) => JSON.parse(l) as Line).filter((l) => l.level === 'warn' && ['rejected', 'failed', 'missing'].includes(l.state ?? ''));

describe('a call rejected at ingestion', () => {
  it('is one warn line naming the call, the reason and the fix; the same file again adds none', async () => {
    const now = Date.now();
    const text = cdr('ok-1', '1001', now - 120_000, 'https://pbx.example.com/ok-1.wav') + cdr('no-owner-1', '1003', now - 120_000, 'https://pbx.example.com/n.wav');
    await ingestor().ingestWhole(source, input(text));
    expect(await ledger.get('no-owner-1')).toMatchObject({ state: 'rejected', reason: 'no owner for extension 1003' });
    expect(trouble()).toEqual([
      {
        level: 'warn',
        component: 'ingest',
        externalId: 'no-owner-1',
        state: 'rejected',
        timestamp: expect.any(String),
        message:
          "call no-owner-1 (day.cdr:2) rejected: no owner for extension 1003. What to do: fix the cause (map extension 1003 to its owner's email: " +
          'normalize.owners.map, normalize.owners.csv or normalize.owners.fromDstnyUsers), then run "callbridge retry --state rejected --id no-owner-1"',
      },
    ]);

    // The same content again is a duplicate: nothing changed, nothing to say.
    expect(await ingestor().ingestWhole(source, input(text))).toMatchObject({ duplicates: 2, inserted: 0 });
    expect(trouble()).toHaveLength(1);
  });

  it('says nothing when the ledger did not take the rows', async () => {
    const failing = Object.create(ledger) as Ledger;
    failing.put = async () => {
      throw new Error('SQLITE_FULL: database or disk is full');
    };
    const run = ingestor({ ledger: failing }).ingestWhole(source, input(cdr('no-owner-2', '1003', Date.now() - 120_000, 'https://pbx.example.com/n.wav')));
    await expect(run).rejects.toBeInstanceOf(LedgerUnavailableError);
    expect(await ledger.get('no-owner-2')).toBeNull();
    expect(trouble()).toEqual([]);
  });

  it("a recording URL's credentials and signed query are not in the line", async () => {
    await ingestor().ingestWhole(source, input(cdr('ftp-1', '1001', Date.now() - 120_000, 'ftp://pbx:hunter2pw@pbx.example.com/r.wav?sig=s3cr3t')));
    expect(await ledger.get('ftp-1')).toMatchObject({ state: 'rejected', reason: expect.stringContaining('hunter2pw') });
    const [line] = trouble();
    expect(line?.message).toContain('call ftp-1 (day.cdr:1) rejected: recording URL is not an http(s) URL: ftp://pbx.example.com/r.wav?…. What to do: fix the cause (make the PBX give an http(s) recording URL');
    expect(line?.message).not.toMatch(/hunter2pw|s3cr3t/);
  });
});

describe('a held call whose recording never came', () => {
  it('is one warn line when the held-calls check rejects it, none on later checks or retries that keep it rejected', async () => {
    const now = Date.now();
    const endMs = now - 10 * 60_000;
    await ingestor().ingestWhole(source, input(cdr('late-1', '1001', endMs, 'late-1.wav')));
    expect(await ledger.get('late-1')).toMatchObject({ state: 'held' });
    expect(trouble()).toEqual([]);

    const deps = { ledger, normalizer: normalizer(), sourceFor: () => source, logger: log.logger };
    // Still within the wait: held again, no line.
    expect(await renormalizeDueHeld(deps, now + 5 * 60_000)).toMatchObject([{ externalId: 'late-1', to: 'held' }]);
    expect(trouble()).toEqual([]);

    // 30 minutes after the call ended the bridge gives up.
    const later = endMs + 31 * 60_000;
    expect(await renormalizeDueHeld(deps, later)).toMatchObject([{ externalId: 'late-1', to: 'rejected' }]);
    const lines = trouble();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ externalId: 'late-1', state: 'rejected' });
    expect(lines[0]!.message).toBe(
      'call late-1 (day.cdr:1) rejected: recording late-1.wav is still not there 30 minutes after the call ended. What to do: fix the cause (put the recording where the CDR says, ' +
        'or point recordings.roots at its folder; normalize.recordingWaitMinutes is how long the bridge waits for it), then run "callbridge retry --state rejected --id late-1"',
    );

    // Nothing held any more; an operator's retry that finds it still missing leaves it rejected: no new line.
    expect(await renormalizeDueHeld(deps, later + 60_000)).toEqual([]);
    const row = (await ledger.get('late-1'))!;
    expect(await renormalizeRow(row, deps, later + 120_000)).toMatchObject({ from: 'rejected', to: 'rejected' });
    expect(trouble()).toHaveLength(1);
  });
});

describe('withoutLinkSecrets', () => {
  it('keeps where a link points, not its user, password, query or signed recording token', () => {
    const links = new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com/cb', secret: 'another-signing-secret-0123', ttlHours: 1 });
    const own = links.url('call-7');
    expect(withoutLinkSecrets(`fetch ${own} failed`)).toBe('fetch https://bridge.example.com/cb/recordings/… failed');
    expect(withoutLinkSecrets('see https://u:p@x.example.com/a/b.wav?token=abc#frag, then')).toBe('see https://x.example.com/a/b.wav?…, then');
    expect(withoutLinkSecrets('recording /var/spool/rec/call-7.wav is outside recordings.roots')).toBe('recording /var/spool/rec/call-7.wav is outside recordings.roots');
  });
});
