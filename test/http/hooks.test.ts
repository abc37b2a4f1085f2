import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { LedgerUnavailableError } from '../../src/errors.js';
import { hmacSignature } from '../../src/http/auth.js';
import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../src/http/app.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { createLogger } from '../../src/log/logger.js';
import { clearSecretsForTests, registerSecret } from '../../src/log/redact.js';
import { validateConfig } from '../../src/config/load.js';
import type { SourceConfig } from '../../src/sources/config.js';
import { tempDir } from '../support/tmp.js';
import { getAdapter } from '../../adapters/registry.js';
import { createSourceRunners } from '../../src/sources/index.js';
import { openLedger, realPipeline, rowCount, waitFor } from '../sources/support.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { REPO_ROOT } from '../pipeline/fixture-cases.js';

const BEARER = 'bearer-token-0123456789abcdef';
const PASSWORD = 'basic-password-9876';
const HMAC_SECRET = 'hmac-secret-0123456789abcdef';

const sample = readFileSync(path.join(REPO_ROOT, 'test/fixtures/samples/freeswitch-json-cdr.json'), 'utf8');
const sampleUuid = (JSON.parse(sample) as { variables: { uuid: string } }).variables.uuid;
/** What mod_json_cdr posts with `encode=true`: a URL-encoded `cdr=` form field, the uuid in the query. */
const formBody = `cdr=${encodeURIComponent(sample)}`;
const FORM = 'application/x-www-form-urlencoded';

/** Through the real config validation, so each adapter's options get their defaults. */
const sources: SourceConfig[] = validateConfig({ sources: [
  { type: 'hook', id: 'fs-bearer', adapter: 'freeswitch-json', auth: { type: 'bearer', token: BEARER }, maxBodyBytes: 64 * 1024, groupQuietMs: 0 },
  { type: 'hook', id: 'fs-basic', adapter: 'freeswitch-json', auth: { type: 'basic', username: 'pbx', password: PASSWORD }, groupQuietMs: 0 },
  { type: 'hook', id: 'fs-hmac', adapter: 'freeswitch-json', auth: { type: 'hmac', secret: HMAC_SECRET }, groupQuietMs: 0 },
  { type: 'hook', id: 'fs-open', adapter: 'freeswitch-json', groupQuietMs: 0 },
  { type: 'tail', id: 'not-a-hook', adapter: 'asterisk-csv', path: '/nonexistent/Master.csv' },
] }).sources;
const byId = (id: string) => sources.find((s) => s.id === id) as SourceConfig;

describe('POST /hooks/:sourceId', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ledger: Ledger;
  let server: RunningHttpServer;
  let flush: (id: string) => Promise<unknown>;
  let ingestorForRunners: ReturnType<typeof realPipeline>['ingestor'];
  const logLines: string[] = [];
  const bodies: string[] = [];
  /** The bridge's clock runs this far ahead of the real one (a request's timestamp leaving its window). */
  let clockShiftMs = 0;
  /** Source id of every post handed to the ingestor (the adapter and the ledger). */
  let ingested: string[] = [];
  /** The ingestor answers as a ledger that cannot write. */
  let ledgerDown = false;

  beforeAll(() => {
    clearSecretsForTests();
    for (const s of [BEARER, PASSWORD, HMAC_SECRET]) registerSecret(s);
  });
  afterAll(() => {
    clearSecretsForTests();
  });

  beforeEach(async () => {
    tmp = tempDir('callbridge-hooks-');
    ledger = await openLedger(tmp.dir);
    const { ingestor } = realPipeline(ledger);
    flush = (id) => ingestor.flushQuiet(byId(id), Date.now() + 1_000);
    ingestorForRunners = ingestor;
    clockShiftMs = 0;
    ingested = [];
    ledgerDown = false;
    const logStream = new PassThrough();
    logStream.on('data', (c: Buffer) => logLines.push(c.toString()));
    const app = createHttpApp({
      sources,
      ingestor: {
        ingestLegs: (source, input) => {
          ingested.push(source.id);
          if (ledgerDown) return Promise.reject(new LedgerUnavailableError('the disk is full (test)'));
          return ingestor.ingestLegs(source, input);
        },
      },
      ledger,
      now: () => Date.now() + clockShiftMs,
      recordings: { links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1', secret: 'recording-secret-0123456789', ttlHours: 72 }), roots: [] },
      readiness: {},
      logger: createLogger({ format: 'json', stream: logStream, level: 'debug' }),
      retryAfterSec: 17,
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  });
  afterEach(async () => {
    await server.close(100);
    await ledger.close();
    tmp.cleanup();
  });

  async function post(id: string, body: string | Buffer, headers: Record<string, string> = {}, query = `?uuid=${sampleUuid}`) {
    const res = await fetch(`${server.url}/hooks/${id}${query}`, { method: 'POST', body, headers: { 'content-type': FORM, ...headers } });
    const text = await res.text();
    bodies.push(text, JSON.stringify([...res.headers]));
    return { status: res.status, headers: res.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
  const bearer = { authorization: `Bearer ${BEARER}` };

  it('answers 200 with the call id only once the leg is committed, and the call is in the ledger once assembled', async () => {
    const res = await post('fs-bearer', formBody, bearer);
    expect(res.status).toBe(200);
    const accepted = res.json.accepted as string[];
    expect(accepted).toHaveLength(1);
    // Committed before the answer: the leg is in the ledger's stash already.
    const stashed = await ledger.quietGroups('fs-bearer', Date.now() + 1_000);
    expect(stashed).toHaveLength(1);
    await flush('fs-bearer');
    const row = await ledger.get(accepted[0]!);
    expect(row).not.toBeNull();
    expect(row!.sourceId).toBe('fs-bearer');
  });

  it('a replayed post is accepted (200) and stored once', async () => {
    const first = await post('fs-bearer', formBody, bearer);
    await flush('fs-bearer');
    const again = await post('fs-bearer', formBody, bearer);
    expect(again.status).toBe(200);
    expect(again.json.accepted).toEqual(first.json.accepted);
    const summary = (await flush('fs-bearer')) as { duplicates: number; inserted: number };
    expect(summary).toMatchObject({ duplicates: 1, inserted: 0 });
    expect(await rowCount(ledger)).toBe(1);
  });

  it('a post repeated before its call is assembled (a PBX retrying after a timeout) is stored once too', async () => {
    const a = await post('fs-bearer', formBody, bearer);
    const b = await post('fs-bearer', formBody, bearer);
    expect([a.status, b.status]).toEqual([200, 200]);
    await flush('fs-bearer');
    expect(await rowCount(ledger)).toBe(1);
    expect(await ledger.get((a.json.accepted as string[])[0]!)).not.toBeNull();
  });

  it('bearer: a missing or wrong token is 401 with WWW-Authenticate, and nothing is stored', async () => {
    const missing = await post('fs-bearer', formBody);
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toMatch(/^Bearer realm="callbridge"/);
    const wrong = await post('fs-bearer', formBody, { authorization: `Bearer ${BEARER.slice(0, -1)}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toMatch(/bearer token is not valid/);
    const otherScheme = await post('fs-bearer', formBody, { authorization: `Basic ${Buffer.from(`x:${BEARER}`).toString('base64')}` });
    expect(otherScheme.status).toBe(401);
    expect(await ledger.quietGroups('fs-bearer', Date.now() + 1_000)).toEqual([]);
  });

  it('basic: a wrong password or user is 401 with a Basic challenge; the right pair is 200', async () => {
    const basic = (user: string, pass: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
    const wrongPass = await post('fs-basic', formBody, basic('pbx', 'not-the-password'));
    expect(wrongPass.status).toBe(401);
    expect(wrongPass.headers.get('www-authenticate')).toMatch(/^Basic realm="callbridge"/);
    expect((await post('fs-basic', formBody, basic('other', PASSWORD))).status).toBe(401);
    expect((await post('fs-basic', formBody, basic('pbx', PASSWORD))).status).toBe(200);
  });

  it('HMAC: a bad signature is 401, a stale timestamp is refused (403) even with a valid signature, a fresh one is 200', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signed = (ts: number, secret = HMAC_SECRET, body = formBody) => ({
      'x-callbridge-timestamp': String(ts),
      'x-callbridge-signature': `sha256=${hmacSignature(secret, String(ts), Buffer.from(body))}`,
    });
    expect((await post('fs-hmac', formBody, signed(now, 'another-secret-0123456789'))).status).toBe(401);
    expect((await post('fs-hmac', formBody, { 'x-callbridge-timestamp': String(now) })).status).toBe(401);
    // Signed for another body (the body was changed on the way).
    expect((await post('fs-hmac', formBody, signed(now, HMAC_SECRET, `${formBody}&x=1`))).status).toBe(401);
    const stale = await post('fs-hmac', formBody, signed(now - 301));
    expect(stale.status).toBe(403);
    expect(stale.json.error).toMatch(/replay/);
    expect((await post('fs-hmac', formBody, signed(now + 400))).status).toBe(403);
    expect(await ledger.quietGroups('fs-hmac', Date.now() + 1_000)).toEqual([]);
    expect((await post('fs-hmac', formBody, signed(now))).status).toBe(200);
  });

  describe('HMAC: the exact same signed request again (replay)', () => {
    const signed = (ts: number, body = formBody) => ({
      'x-callbridge-timestamp': String(ts),
      'x-callbridge-signature': `sha256=${hmacSignature(HMAC_SECRET, String(ts), Buffer.from(body))}`,
    });
    const repeatLogs = () => logLines.filter((l) => l.includes('received again inside its timestamp window'));

    it('inside the window it is answered 200 as a repeat, taken once, and logged at warn without the signature', async () => {
      const ts = Math.floor(Date.now() / 1000);
      const headers = signed(ts);
      const logsBefore = repeatLogs().length;
      const first = await post('fs-hmac', formBody, headers);
      expect(first.status).toBe(200);
      expect(first.json.repeat).toBeUndefined();
      expect(first.json.accepted).toHaveLength(1);

      const again = await post('fs-hmac', formBody, headers);
      expect(again.status).toBe(200);
      expect(again.json).toMatchObject({ repeat: true, accepted: first.json.accepted, inserted: 0, duplicates: 0, stashed: 0 });
      expect(again.json.note).toMatch(/already accepted; nothing new was taken/);
      // Handed to the adapter and the ledger once: the repeat never reached them.
      expect(ingested).toEqual(['fs-hmac']);
      await flush('fs-hmac');
      expect(await rowCount(ledger)).toBe(1);

      const lines = repeatLogs().slice(logsBefore);
      expect(lines).toHaveLength(1);
      const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(entry).toMatchObject({ level: 'warn', source: 'fs-hmac', signedAt: String(ts), calls: 1 });
      const sigHex = headers['x-callbridge-signature'].slice('sha256='.length);
      expect(lines[0]).not.toContain(sigHex);
      expect(lines[0]).not.toContain(HMAC_SECRET);
    });

    it('a new request (another timestamp, or another body) with its own signature is still taken', async () => {
      const ts = Math.floor(Date.now() / 1000);
      const first = await post('fs-hmac', formBody, signed(ts));
      expect(first.status).toBe(200);
      // The same call signed again a second later: a new request (the ledger says whether the call is new).
      const resent = await post('fs-hmac', formBody, signed(ts + 1));
      expect(resent.status).toBe(200);
      expect(resent.json.repeat).toBeUndefined();
      // Another call.
      const otherUuid = '0b6f2a1e-5c3d-4e7f-9a8b-1c2d3e4f5a6b';
      const otherBody = `cdr=${encodeURIComponent(sample.replaceAll(sampleUuid, otherUuid))}`;
      const other = await post('fs-hmac', otherBody, signed(ts, otherBody), `?uuid=${otherUuid}`);
      expect(other.status).toBe(200);
      expect(other.json.repeat).toBeUndefined();
      expect(other.json.accepted).toHaveLength(1);
      expect(other.json.accepted).not.toEqual(first.json.accepted);
      expect(ingested).toEqual(['fs-hmac', 'fs-hmac', 'fs-hmac']);
      await flush('fs-hmac');
      expect(await rowCount(ledger)).toBe(2);
    });

    it('past the window it is refused for its timestamp (403), as any stale request', async () => {
      const ts = Math.floor(Date.now() / 1000);
      const headers = signed(ts);
      expect((await post('fs-hmac', formBody, headers)).status).toBe(200);
      clockShiftMs = 301_000; // the source's toleranceSec is 300
      const late = await post('fs-hmac', formBody, headers);
      expect(late.status).toBe(403);
      expect(late.json.error).toMatch(/timestamp is 30\d s away .*refused as a possible replay/);
      expect(late.json.repeat).toBeUndefined();
      expect(ingested).toEqual(['fs-hmac']);
    });

    it('a request signed ahead of our clock is remembered for as long as its timestamp is acceptable', async () => {
      const ts = Math.floor(Date.now() / 1000) + 290; // the sender's clock is fast: still inside the window
      const headers = signed(ts);
      expect((await post('fs-hmac', formBody, headers)).status).toBe(200);
      // Nearly two tolerances later its timestamp is still acceptable (290 s in the past): still a repeat.
      clockShiftMs = 580_000;
      const again = await post('fs-hmac', formBody, headers);
      expect(again.status).toBe(200);
      expect(again.json.repeat).toBe(true);
      expect(ingested).toEqual(['fs-hmac']);
      clockShiftMs = 600_000;
      expect((await post('fs-hmac', formBody, headers)).status).toBe(403);
    });

    it('a post the ledger could not take (503) is not remembered: the sender may retry it as is', async () => {
      const headers = signed(Math.floor(Date.now() / 1000));
      ledgerDown = true;
      expect((await post('fs-hmac', formBody, headers)).status).toBe(503);
      ledgerDown = false;
      const retried = await post('fs-hmac', formBody, headers);
      expect(retried.status).toBe(200);
      expect(retried.json.repeat).toBeUndefined();
      expect(retried.json.accepted).toHaveLength(1);
      // Once taken, it is remembered.
      expect((await post('fs-hmac', formBody, headers)).json.repeat).toBe(true);
      expect(ingested).toEqual(['fs-hmac', 'fs-hmac']);
    });
  });

  it('a body over the source limit is 413', async () => {
    const big = `cdr=${'x'.repeat(64 * 1024 + 1)}`;
    const res = await post('fs-bearer', big, bearer);
    expect(res.status).toBe(413);
    expect(res.json.error).toMatch(/larger than/);
  });

  it('400 names what is wrong when nothing in the body is a call', async () => {
    const notCdr = await post('fs-bearer', '{"hello": "world"}', { ...bearer, 'content-type': 'application/json' });
    expect(notCdr.status).toBe(400);
    expect(notCdr.json.error).toBe('no call could be read from the body');
    expect((notCdr.json.errors as Array<{ location: string; message: string }>)[0]!.location).toMatch(/^hook:fs-bearer/);
    const brokenJson = await post('fs-bearer', '{"variables": ', { ...bearer, 'content-type': 'application/json' });
    expect(brokenJson.status).toBe(400);
    expect(JSON.stringify(brokenJson.json.errors)).toMatch(/JSON|json/);
    expect((await post('fs-bearer', '', bearer)).status).toBe(400);
  });

  it('404 for an unknown source or one that is not a hook; 405 for other methods', async () => {
    expect((await post('nope', formBody, bearer)).status).toBe(404);
    expect((await post('not-a-hook', formBody, bearer)).status).toBe(404);
    const get = await fetch(`${server.url}/hooks/fs-open`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
  });

  it('503 with Retry-After when the ledger cannot take the post (the PBX retries)', async () => {
    await ledger.close();
    const res = await post('fs-open', formBody);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('17');
    ledger = await openLedger(tmp.dir); // for afterEach
  });

  it("the hook source's runner assembles quiet calls on its own", async () => {
    const [runner] = createSourceRunners([{ ...byId('fs-open'), flushEveryMs: 50 } as SourceConfig], {
      ingestor: ingestorForRunners,
      ledger,
      getAdapter,
    });
    expect(runner!.kind).toBe('hook');
    await runner!.start();
    try {
      expect(runner!.running).toBe(true);
      const res = await post('fs-open', formBody);
      const id = (res.json.accepted as string[])[0]!;
      await waitFor('the call assembled', async () => (await ledger.get(id)) !== null, 10_000);
    } finally {
      await runner!.stop();
    }
    expect(runner!.running).toBe(false);
  });

  it('no answer and no log line carries a secret', () => {
    const all = [...bodies, ...logLines].join('\n');
    expect(bodies.length).toBeGreaterThan(10);
    for (const secret of [BEARER, PASSWORD, HMAC_SECRET, Buffer.from(`pbx:${PASSWORD}`).toString('base64')]) expect(all).not.toContain(secret);
  });
});
