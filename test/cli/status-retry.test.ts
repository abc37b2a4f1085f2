import { getAdapter } from '../../adapters/registry.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { runRetry } from '../../src/cli/retry.js';
import { runStatus } from '../../src/cli/status.js';
import { loadConfig } from '../../src/config/load.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { PipelineIngestor } from '../../src/pipeline/ingestor.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { ledgerFile } from '../../src/ledger/open.js';
import { asteriskLine } from '../sources/support.js';
import { pendingRow } from '../support/rows.js';
import { capture } from '../support/capture.js';
import { tempDir } from '../support/tmp.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { writeWav } from '../pipeline/audio-files.js';


describe('callbridge status and retry', () => {
  let tmp: ReturnType<typeof tempDir>;
  const configFile = (owners: Record<string, string>) => {
    const file = path.join(tmp.dir, 'callbridge.yaml');
    writeFileSync(
      file,
      stringify({
        dataDir: path.join(tmp.dir, 'data'),
        sources: [{ id: 'pbx', type: 'drop', path: path.join(tmp.dir, 'spool'), adapter: 'asterisk-csv', options: { userfieldIsRecording: true } }],
        normalize: { timezone: 'Europe/Stockholm', owners: { map: owners } },
      }),
    );
    return file;
  };

  beforeEach(() => {
    tmp = tempDir('callbridge-cli-');
  });
  afterEach(() => {
    tmp.cleanup();
  });

  it('status counts rows per state and shows the last errors; retry re-runs a rejected call once its owner is mapped', async () => {
    // Extension 1001 is not mapped yet: the call is rejected with the reason, and kept.
    const before = configFile({ '1002': 'bob@example.com' });
    const { config } = loadConfig(before);
    const ledger = await openSqliteLedger(ledgerFile(config));
    const normalizer = createNormalizer(config.normalize, { baseDir: tmp.dir, links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1:8080', secret: 'x'.repeat(32), ttlHours: 72 }), linkClock: 'now', roots: [] });
    const ingestor = new PipelineIngestor({ ledger, normalizer, adapterFor: getAdapter, windowLegs: 100, batchSize: 100 });
    const { PassThrough: P } = await import('node:stream');
    const stream = new P();
    stream.end(asteriskLine(1) + asteriskLine(2));
    await ingestor.ingestWhole(config.sources[0]!, { name: 'Master.csv', stream });
    await ledger.update('1704189600.2', { state: 'failed', reason: 'HTTP 422: call_recording_url must answer 200', payload: { ...(await ledger.get('1704189600.1'))!.payload! } });
    await ledger.close();
    expect((await openSqliteLedger(ledgerFile(config)).then(async (l) => { const r = await l.get('1704189600.1'); await l.close(); return r; }))?.reason).toBe('no owner for extension 1001');

    const status = await capture((out) => runStatus(before, out, { json: false }));
    expect(status.code).toBe(0);
    expect(status.text).toMatch(/rejected\s+1/);
    expect(status.text).toMatch(/failed\s+1/);
    expect(status.text).toContain('1704189600.1  rejected: no owner for extension 1001');
    expect(status.text).toContain('1704189600.2  failed: HTTP 422: call_recording_url must answer 200');

    // Still unmapped: retry says so and changes nothing.
    const stillRejected = await capture((out) => runRetry(before, out, { states: ['rejected'] }));
    expect(stillRejected.text).toContain('1704189600.1: rejected → rejected (no owner for extension 1001)');

    // The administrator adds the mapping, then retries: the call gets its owner and is queued; the failed one too.
    const after = configFile({ '1001': 'alice@example.com' });
    const retried = await capture((out) => runRetry(after, out, { states: ['failed', 'rejected'] }));
    expect(retried.code).toBe(0);
    expect(retried.text).toContain('1704189600.2: failed → pending (will be sent again)');
    expect(retried.text).toContain('1704189600.1: rejected → pending');
    expect(retried.text).toContain('2 call(s) queued to be sent again: 1 failed resent, 1 rejected normalized again; 0 still not sendable');
    const l2 = await openSqliteLedger(ledgerFile(config));
    try {
      expect(await l2.get('1704189600.1')).toMatchObject({ state: 'pending', reason: null, payload: expect.objectContaining({ owner_email: 'alice@example.com' }) });
      expect(await l2.get('1704189600.2')).toMatchObject({ state: 'pending', attempts: 0 });
    } finally {
      await l2.close();
    }
    const json = JSON.parse((await capture((out) => runStatus(after, out, { json: true }))).text) as { ledger: { counts: Record<string, number> } };
    expect(json.ledger.counts).toMatchObject({ pending: 2, rejected: 0, failed: 0 });
  });

  it('status, run by the administrator on the host, keeps the full paths that /status cuts (text and --json)', async () => {
    const file = configFile({});
    const { config } = loadConfig(file);
    const recording = '/var/spool/asterisk/monitor/2024/01/02/out-201-1704189600.1.wav';
    const ledger = await openSqliteLedger(ledgerFile(config));
    await ledger.put([pendingRow('call-1')]);
    await ledger.update('call-1', { state: 'rejected', reason: `recording ${recording} not found 30 min after the call ended` });
    await ledger.close();
    const text = await capture((out) => runStatus(file, out, { json: false }));
    expect(text.code).toBe(0);
    expect(text.text).toContain(`call-1  rejected: recording ${recording} not found`);
    const json = JSON.parse((await capture((out) => runStatus(file, out, { json: true }))).text) as { ledger: { lastErrors: Array<{ reason: string; updatedAt: string }> } };
    expect(json.ledger.lastErrors[0]?.reason).toContain(recording);
    // Times are ISO 8601 UTC, the same the text form shows, not epoch milliseconds.
    const l = await openSqliteLedger(ledgerFile(config));
    const updatedAt = new Date((await l.get('call-1'))!.updatedAt).toISOString();
    await l.close();
    expect(json.ledger.lastErrors[0]?.updatedAt).toBe(updatedAt);
    expect(text.text).toContain(`${updatedAt}  call-1  rejected`);
  });

  /** Three calls from extension 1001 (rejected: no owner yet), one row whose stored record cannot be normalized, one confirmed, one skipped. */
  async function seedRetryCases(file: string) {
    const { config } = loadConfig(file);
    const ledger = await openSqliteLedger(ledgerFile(config));
    const normalizer = createNormalizer(config.normalize, { baseDir: tmp.dir, links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1:8080', secret: 'x'.repeat(32), ttlHours: 72 }), linkClock: 'now', roots: [] });
    const ingestor = new PipelineIngestor({ ledger, normalizer, adapterFor: getAdapter, windowLegs: 100, batchSize: 100 });
    const { PassThrough: P } = await import('node:stream');
    const stream = new P();
    stream.end(asteriskLine(1) + asteriskLine(2) + asteriskLine(3));
    await ingestor.ingestWhole(config.sources[0]!, { name: 'Master.csv', stream });
    await ledger.put([
      pendingRow('broken', { state: 'rejected', payload: null, reason: 'no owner for extension 1009' }),
      pendingRow('done'),
      pendingRow('skip', { state: 'skipped', payload: null, reason: 'unanswered' }),
    ]);
    await ledger.update('done', { state: 'confirmed', conversationId: 'conv-done' });
    expect((await ledger.query({ states: ['rejected'] })).map((r) => r.externalId).sort()).toEqual(['1704189600.1', '1704189600.2', '1704189600.3', 'broken']);
    await ledger.close();
  }

  it('retry says what happened to each call, and its summary agrees with those lines', async () => {
    await seedRetryCases(configFile({}));
    const run = await capture((out) => runRetry(configFile({ '1001': 'alice@example.com' }), out, { states: ['failed', 'missing', 'rejected'] }));
    expect(run.code).toBe(0);
    const lines = run.text.trim().split('\n');
    expect(lines.filter((l) => / rejected → pending$/.test(l))).toHaveLength(3);
    expect(lines).toContain('broken: rejected → rejected (the stored record is not a call record (it cannot be normalized again))');
    expect(lines.at(-1)).toBe('3 call(s) queued to be sent again: 0 failed/missing resent, 3 rejected normalized again; 1 still not sendable');
  });

  it('retry queues a call whose recording came back; with recordings uploaded, it waits for its upload first', async () => {
    const rec = path.join(tmp.dir, 'rec');
    mkdirSync(rec);
    writeWav(path.join(rec, 'back.wav'), 1);
    const file = path.join(tmp.dir, 'upload.yaml');
    writeFileSync(
      file,
      stringify({
        dataDir: path.join(tmp.dir, 'data'),
        normalize: { timezone: 'Europe/Stockholm', owners: { map: { '1001': 'alice@example.com' } } },
        recordings: { roots: [rec], delivery: 'upload', upload: { endpoint: 'http://127.0.0.1:9', bucket: 'recordings', forcePathStyle: true } },
      }),
    );
    await seedRetryCases(configFile({}));
    const { config } = loadConfig(file);
    const ledger = await openSqliteLedger(ledgerFile(config));
    const stored = (await ledger.get('1704189600.1'))!;
    await ledger.update('1704189600.1', { raw: { ...(stored.raw as object), recording: { path: path.join(rec, 'back.wav') } }, reason: `recording ${path.join(rec, 'back.wav')} is no longer there, so it cannot be sent` });
    await ledger.close();
    const run = await capture((out) => runRetry(file, out, { states: ['rejected'], ids: ['1704189600.1'] }));
    expect(run.text).toContain('1704189600.1: rejected → prepare');
    expect(run.text.trim().split('\n').at(-1)).toBe('1 call(s) queued to be sent again: 1 rejected normalized again; 0 still not sendable');
  });

  it('retry --id names ids not in the ledger and exits 1, still doing the known ones; an id in another state says its state', async () => {
    await seedRetryCases(configFile({}));
    const file = configFile({ '1001': 'alice@example.com' });
    const run = await capture((out) => runRetry(file, out, { states: ['failed', 'missing', 'rejected'], ids: ['nosuch', '1704189600.1', 'done', 'skip', 'also-missing'] }));
    expect(run.code).toBe(1);
    expect(run.text).toContain('nosuch: no such call in the ledger\n');
    expect(run.text).toContain('1704189600.1: rejected → pending\n');
    expect(run.text).toContain('done: is confirmed: nothing to retry\n');
    expect(run.text).toContain('skip: is skipped, not one of the states asked for (failed, missing, rejected): add --state skipped to retry it\n');
    expect(run.text).toContain('1 call(s) queued to be sent again: 0 failed/missing resent, 1 rejected normalized again; 0 still not sendable; 2 unknown id(s)\n');
    expect(run.text).toContain('no call with external id "nosuch", "also-missing" in the ledger');
    const { config } = loadConfig(file);
    const ledger = await openSqliteLedger(ledgerFile(config));
    try {
      expect((await ledger.get('1704189600.1'))?.state).toBe('pending');
      // Not asked for: left as they were.
      expect((await ledger.get('1704189600.2'))?.state).toBe('rejected');
      expect((await ledger.get('done'))?.state).toBe('confirmed');
    } finally {
      await ledger.close();
    }

    const alone = await capture((out) => runRetry(file, out, { states: ['failed'], ids: ['nosuch'] }));
    expect(alone.code).toBe(1);
    expect(alone.text).toContain('no call with external id "nosuch" in the ledger');
  });

  it('retry refuses states that cannot be retried, naming the ones that can', async () => {
    const file = configFile({});
    const r = await capture((out) => runRetry(file, out, { states: ['confirmed', 'bogus'] }));
    expect(r.code).toBe(2);
    expect(r.text).toContain('cannot retry state "confirmed", "bogus": use failed, missing, verify, rejected, skipped, held');
  });
});
