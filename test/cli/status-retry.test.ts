import { getAdapter } from '../../adapters/registry.js';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { runRetry } from '../../src/cli/retry.js';
import { runStatus } from '../../src/cli/status.js';
import { loadConfig } from '../../src/config/load.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { PipelineIngestor } from '../../src/pipeline/ingestor.js';
import { createNormalizer } from '../../src/pipeline/normalizer.js';
import { ledgerFile } from '../../src/bridge/ledger.js';
import { asteriskLine } from '../sources/support.js';
import { pendingRow } from '../support/rows.js';
import { capture } from '../support/capture.js';
import { tempDir } from '../support/tmp.js';
import { RecordingLinks } from '../../src/recordings/links.js';


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
    expect(retried.text).toContain('1704189600.2: pending (will be sent again)');
    expect(retried.text).toContain('1704189600.1: rejected → pending');
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
    const json = JSON.parse((await capture((out) => runStatus(file, out, { json: true }))).text) as { ledger: { lastErrors: Array<{ reason: string }> } };
    expect(json.ledger.lastErrors[0]?.reason).toContain(recording);
  });

  it('retry refuses states that cannot be retried, naming the ones that can', async () => {
    const file = configFile({});
    const r = await capture((out) => runRetry(file, out, { states: ['confirmed', 'bogus'] }));
    expect(r.code).toBe(2);
    expect(r.text).toContain('cannot retry state "confirmed", "bogus": use failed, missing, verify, rejected, skipped, held');
  });
});
