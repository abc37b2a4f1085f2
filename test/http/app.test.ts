import { statSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import express from 'express';
import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../src/http/app.js';
import { ledgerWritable, sourcesRunning, submitterNotHalted } from '../../src/http/health.js';
import { loadOrCreateSigningSecret } from '../../src/recordings/signing-secret.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { tempDir } from '../support/tmp.js';
import { openLedger } from '../sources/support.js';
import { RecordingLinks } from '../../src/recordings/links.js';

describe('health and composition', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ledger: Ledger;
  let server: RunningHttpServer;
  let halted: string | null;
  const runner = { sourceId: 'asterisk-main', running: true, lastProblem: null as string | null };

  beforeEach(async () => {
    tmp = tempDir('callbridge-app-');
    ledger = await openLedger(tmp.dir);
    halted = null;
    runner.running = true;
    const extra = express.Router();
    extra.get('/status', (_req, res) => {
      res.json({ extra: true });
    });
    const app = createHttpApp({
      sources: [],
      ingestor: { ingestLegs: () => Promise.reject(new Error('unused')) },
      ledger,
      recordings: { links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1', secret: 'recording-secret-0123456789', ttlHours: 72 }), roots: [] },
      readiness: { ledger: ledgerWritable(ledger), submitter: submitterNotHalted(() => halted), sources: sourcesRunning([runner]) },
      extraRouters: [extra],
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await server.close(100);
    await ledger.close();
    tmp.cleanup();
  });

  const getJson = async (p: string) => {
    const res = await fetch(`${server.url}${p}`);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  it('binds an ephemeral loopback port and reports it', () => {
    expect(server.host).toBe('127.0.0.1');
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('/healthz answers 200 while the process runs, /readyz 200 when every check passes', async () => {
    expect(await getJson('/healthz')).toEqual({ status: 200, json: { status: 'ok' } });
    const ready = await getJson('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json).toMatchObject({ ready: true, checks: { ledger: { ok: true }, submitter: { ok: true }, sources: { ok: true } } });
  });

  it('/readyz is 503 and names the failing check: ledger not writable, submitter halted, a source stopped', async () => {
    halted = 'Dstny answered 401: the API token is not valid';
    runner.running = false;
    runner.lastProblem = 'drop folder cannot be read';
    let res = await getJson('/readyz');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({
      ready: false,
      checks: {
        ledger: { ok: true },
        submitter: { ok: false, detail: expect.stringMatching(/401/) },
        sources: { ok: false, detail: expect.stringMatching(/asterisk-main \(drop folder cannot be read\)/) },
      },
    });
    halted = null;
    runner.running = true;
    await ledger.close();
    res = await getJson('/readyz');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ ready: false, checks: { ledger: { ok: false, detail: expect.stringMatching(/not open|unavailable/i) }, submitter: { ok: true } } });
    expect((await getJson('/healthz')).status).toBe(200);
    ledger = await openLedger(tmp.dir);
  });

  it('/readyz names a stopped source without the absolute paths of its problem (anyone can read it)', async () => {
    runner.running = false;
    runner.lastProblem = 'drop folder /var/spool/asterisk/cdr-csv cannot be read: EACCES';
    const res = await getJson('/readyz');
    expect(res.status).toBe(503);
    expect(res.json).toMatchObject({ checks: { sources: { ok: false, detail: 'not running: asterisk-main (drop folder <path>/cdr-csv cannot be read: EACCES)' } } });
    expect(JSON.stringify(res.json)).not.toContain('/var/spool');
  });

  it('mounts the routers the caller adds, and answers JSON 404 elsewhere', async () => {
    expect(await getJson('/status')).toEqual({ status: 200, json: { extra: true } });
    expect(await getJson('/nothing-here')).toEqual({ status: 404, json: { error: 'not found' } });
  });
});

describe('loadOrCreateSigningSecret', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('callbridge-secret-');
  });
  afterEach(() => {
    tmp.cleanup();
  });

  it('uses the configured secret when there is one', async () => {
    const secret = await loadOrCreateSigningSecret({ dataDir: tmp.dir, recordings: { signingSecret: 'configured-secret-0123456789' } });
    expect(secret).toBe('configured-secret-0123456789');
  });

  it('generates one on first start, keeps it in <dataDir>/signing-secret with mode 0600, and returns the same one later', async () => {
    const dataDir = path.join(tmp.dir, 'data');
    const first = await loadOrCreateSigningSecret({ dataDir, recordings: {} });
    expect(first.length).toBeGreaterThanOrEqual(32);
    const file = path.join(dataDir, 'signing-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateSigningSecret({ dataDir, recordings: {} })).toBe(first);
  });

  it('tightens a secret file readable by others, and refuses one too short to be a key', async () => {
    const file = path.join(tmp.dir, 'signing-secret');
    writeFileSync(file, 'a-long-enough-existing-secret-value\n');
    chmodSync(file, 0o644);
    expect(await loadOrCreateSigningSecret({ dataDir: tmp.dir, recordings: {} })).toBe('a-long-enough-existing-secret-value');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'short\n');
    await expect(loadOrCreateSigningSecret({ dataDir: tmp.dir, recordings: {} })).rejects.toThrow(/shorter than 16/);
  });
});
