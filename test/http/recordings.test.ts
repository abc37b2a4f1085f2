import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { validateConfig } from '../../src/config/load.js';
import { createHttpApp, type RunningHttpServer, startHttpServer } from '../../src/http/app.js';
import { signRecordingToken } from '../../src/recordings/token.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { createLogger } from '../../src/log/logger.js';
import { pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';
import { asteriskId, asteriskLine, asteriskNormalize, openLedger, realPipeline } from '../sources/support.js';
import { RecordingLinks } from '../../src/recordings/links.js';

const SECRET = 'recording-signing-secret-0123456789';

/** A small but real PCM WAV: 44-byte header + `samples` bytes of 8-bit mono audio. */
function wav(samples: number): Buffer {
  const data = Buffer.alloc(samples, 0);
  for (let i = 0; i < samples; i++) data[i] = (i * 37) % 256;
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + samples, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36);
  h.writeUInt32LE(samples, 40);
  return Buffer.concat([h, data]);
}

describe('GET /recordings/:token', () => {
  let tmp: ReturnType<typeof tempDir>;
  let ledger: Ledger;
  let server: RunningHttpServer;
  let root: string;
  const audio = wav(5_000);
  const merged = wav(7_000);
  const mp3 = Buffer.from('ID3\x03\x00\x00\x00\x00\x00\x00fake mp3 frames');
  const seen: string[] = [];
  const logLines: string[] = [];
  let served = 0;

  const token = (id: string, expInSec = 3600, secret = SECRET) => signRecordingToken({ id, exp: Math.floor(Date.now() / 1000) + expInSec }, secret);
  const withRecording = (p: string) => ({ externalId: 'x', location: 'test', startTime: '2024-01-01T00:00:00Z', from: {}, to: {}, recording: { path: p } });

  beforeAll(async () => {
    tmp = tempDir('callbridge-rec-');
    root = path.join(tmp.dir, 'recordings');
    mkdirSync(path.join(root, 'sub'), { recursive: true });
    writeFileSync(path.join(root, 'call-1.wav'), audio);
    writeFileSync(path.join(root, 'sub', 'call-2.mp3'), mp3);
    writeFileSync(path.join(tmp.dir, 'outside.wav'), audio);
    mkdirSync(path.join(tmp.dir, 'made'));
    writeFileSync(path.join(tmp.dir, 'made', 'merged-1.wav'), merged);
    symlinkSync(path.join(tmp.dir, 'outside.wav'), path.join(root, 'link-out.wav'));
    ledger = await openLedger(tmp.dir);
    await ledger.put([
      pendingRow('call-1', { raw: withRecording(path.join(root, 'call-1.wav')) }),
      pendingRow('call-2', { raw: withRecording('sub/call-2.mp3') }),
      pendingRow('escapes', { raw: withRecording(path.join(root, '..', 'outside.wav')) }),
      pendingRow('symlink-out', { raw: withRecording(path.join(root, 'link-out.wav')) }),
      pendingRow('relative-escape', { raw: withRecording('../outside.wav') }),
      pendingRow('gone', { raw: withRecording(path.join(root, 'deleted.wav')) }),
      pendingRow('remote-only', { raw: { recording: { url: 'https://pbx.example.com/r.wav' } } }),
      pendingRow('merged-1', { raw: withRecording(path.join(root, 'call-1.wav')) }),
      pendingRow('made-elsewhere', { raw: withRecording(path.join(root, 'call-1.wav')) }),
    ]);
    await ledger.update('merged-1', { recordingFile: path.join(tmp.dir, 'made', 'merged-1.wav') });
    await ledger.update('made-elsewhere', { recordingFile: path.join(tmp.dir, 'outside.wav') });
    const logStream = new PassThrough();
    logStream.on('data', (c: Buffer) => logLines.push(c.toString()));
    const app = createHttpApp({
      sources: [],
      ingestor: { ingestLegs: () => Promise.reject(new Error('no hooks here')) },
      ledger,
      recordings: { links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1', secret: SECRET, ttlHours: 72 }), roots: [root], madeDir: path.join(tmp.dir, 'made'), telemetry: { recordingServed: () => served++ } },
      readiness: {},
      logger: createLogger({ format: 'json', stream: logStream, level: 'debug' }),
    });
    server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server.close(100);
    await ledger.close();
    tmp.cleanup();
  });

  async function get(tok: string, headers: Record<string, string> = {}, method = 'GET') {
    const res = await fetch(`${server.url}/recordings/${tok}`, { method, headers });
    const body = Buffer.from(await res.arrayBuffer());
    seen.push(JSON.stringify([...res.headers]));
    if (!res.headers.get('content-type')?.startsWith('audio/')) seen.push(body.toString('utf8'));
    return { status: res.status, headers: res.headers, body };
  }

  it('serves the whole file with its content type and length', async () => {
    const res = await get(token('call-1'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('content-length')).toBe(String(audio.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.body.equals(audio)).toBe(true);
  });

  it('serves the recording the bridge made for a call (a stereo merge) instead of the PBX\'s, only from its own folder', async () => {
    const res = await get(token('merged-1'));
    expect(res.status).toBe(200);
    expect(res.body.equals(merged)).toBe(true);
    expect((await get(token('made-elsewhere'))).status).toBe(403);
  });

  it('a relative recording path is found under the roots; mp3 is audio/mpeg', async () => {
    const res = await get(token('call-2'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/mpeg');
    expect(res.body.equals(mp3)).toBe(true);
  });

  it('range requests get 206 with the exact bytes and Content-Range', async () => {
    const mid = await get(token('call-1'), { range: 'bytes=100-199' });
    expect(mid.status).toBe(206);
    expect(mid.headers.get('content-range')).toBe(`bytes 100-199/${audio.length}`);
    expect(mid.headers.get('content-length')).toBe('100');
    expect(mid.body.equals(audio.subarray(100, 200))).toBe(true);

    const suffix = await get(token('call-1'), { range: 'bytes=-10' });
    expect(suffix.status).toBe(206);
    expect(suffix.body.equals(audio.subarray(audio.length - 10))).toBe(true);

    const open = await get(token('call-1'), { range: `bytes=${audio.length - 3}-` });
    expect(open.status).toBe(206);
    expect(open.headers.get('content-range')).toBe(`bytes ${audio.length - 3}-${audio.length - 1}/${audio.length}`);
    expect(open.body.equals(audio.subarray(audio.length - 3))).toBe(true);
  });

  it('an unsatisfiable range is 416 with the file size in Content-Range', async () => {
    const res = await get(token('call-1'), { range: `bytes=${audio.length + 10}-` });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${audio.length}`);
  });

  it('HEAD answers the headers of GET without a body', async () => {
    const res = await new Promise<{ status: number; headers: Record<string, unknown>; bytes: number }>((resolve, reject) => {
      const req = request(`${server.url}/recordings/${token('call-1')}`, { method: 'HEAD' }, (r) => {
        let bytes = 0;
        r.on('data', (c: Buffer) => (bytes += c.length));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, headers: r.headers, bytes }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(audio.length));
    expect(res.headers['content-type']).toBe('audio/wav');
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.bytes).toBe(0);
  });

  // fetch adds Cache-Control: no-cache to a conditional request (which makes it unconditional) unless one is given.
  it('counts for the metrics the recordings it sent, whole or in part; not a HEAD, a refusal, a 404, a 416 or a 304', async () => {
    const count = async (answer: Promise<{ status: number }>, status: number) => {
      const before = served;
      expect((await answer).status).toBe(status);
      return served - before;
    };
    const whole = await get(token('call-1'));
    expect(whole.status).toBe(200);
    expect(await count(get(token('call-1'), { range: 'bytes=0-9' }), 206)).toBe(1);
    expect(await count(get(token('merged-1')), 200)).toBe(1);
    expect(await count(get(token('call-1'), {}, 'HEAD'), 200)).toBe(0);
    expect(await count(get(token('call-1'), { 'if-none-match': whole.headers.get('etag')!, 'cache-control': 'max-age=0' }), 304)).toBe(0);
    expect(await count(get(token('call-1'), { range: `bytes=${audio.length + 10}-` }), 416)).toBe(0);
    expect(await count(get(token('escapes')), 403)).toBe(0);
    expect(await count(get(token('gone')), 404)).toBe(0);
    expect(await count(get(token('call-1', -10)), 403)).toBe(0);
  });

  it('refuses a forged, tampered or malformed token with 403', async () => {
    const forged = await get(token('call-1', 3600, 'someone-elses-secret-0123456789'));
    expect(forged.status).toBe(403);
    expect(forged.body.toString()).toMatch(/invalid recording link/);
    const good = token('call-1');
    const [body, sig] = good.split('.');
    const otherBody = Buffer.from(JSON.stringify({ id: 'call-2', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
    expect((await get(`${otherBody}.${sig}`)).status).toBe(403);
    expect((await get(`${body}`)).status).toBe(403);
    expect((await get('..%2F..%2Fetc%2Fpasswd')).status).toBe(403);
  });

  it('refuses an expired token with 403 saying it expired', async () => {
    const res = await get(token('call-1', -10));
    expect(res.status).toBe(403);
    expect(res.body.toString()).toMatch(/expired/);
  });

  it('refuses rows whose recording escapes the roots (.., a symlink, a relative ..) with 403', async () => {
    for (const id of ['escapes', 'symlink-out', 'relative-escape']) {
      const res = await get(token(id));
      expect(res.status).toBe(403);
      expect(res.body.toString()).toMatch(/not in a folder the bridge may serve/);
    }
  });

  it('404 for an unknown row, a missing file, or a call with only a remote recording', async () => {
    expect((await get(token('no-such-call'))).status).toBe(404);
    expect((await get(token('gone'))).status).toBe(404);
    expect((await get(token('remote-only'))).status).toBe(404);
  });

  it('no answer and no log line reveals a path', () => {
    expect(seen.length).toBeGreaterThan(20);
    const all = [...seen, ...logLines].join('\n');
    for (const secretPath of [tmp.dir, root, 'outside.wav', 'deleted.wav', 'link-out.wav']) expect(all).not.toContain(secretPath);
  });
});

describe('a local recording, from a CDR line to the link Dstny fetches', () => {
  it('the link the normalizer puts in the payload is served by the bridge, byte for byte', async () => {
    const tmp = tempDir('callbridge-rec-e2e-');
    try {
      const root = path.join(tmp.dir, 'monitor');
      mkdirSync(root);
      const audio = wav(8_000);
      const file = path.join(root, 'out-1001-20240102.wav');
      writeFileSync(file, audio);
      const ledger = await openLedger(tmp.dir);
      const app = createHttpApp({
        sources: [],
        ingestor: { ingestLegs: () => Promise.reject(new Error('unused')) },
        ledger,
        recordings: { links: new RecordingLinks({ publicBaseUrl: 'http://127.0.0.1', secret: SECRET, ttlHours: 72 }), roots: [root] },
        readiness: {},
      });
      const server = await startHttpServer(app, { host: '127.0.0.1', port: 0 });
      try {
        const { ingestor } = realPipeline(ledger, { normalize: asteriskNormalize, roots: [root], signingSecret: SECRET, publicBaseUrl: server.url });
        const [source] = validateConfig({
          sources: [{ type: 'drop', id: 'pbx', adapter: 'asterisk-csv', path: tmp.dir, options: { userfieldIsRecording: true } }],
        }).sources;
        const summary = await ingestor.ingestWhole(source!, { name: 'Master.csv', stream: Readable.from([asteriskLine(7, file)], { objectMode: false }) });
        expect(summary.inserted).toBe(1);
        const row = await ledger.get(asteriskId(7));
        expect(row?.state).toBe('pending');
        const url = row!.payload!.call_recording_url;
        expect(url.startsWith(`${server.url}/recordings/`)).toBe(true);
        expect(url).not.toContain('monitor');
        const res = await fetch(url);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('audio/wav');
        expect(Buffer.from(await res.arrayBuffer()).equals(audio)).toBe(true);
      } finally {
        await server.close(100);
        await ledger.close();
      }
    } finally {
      tmp.cleanup();
    }
  });
});
