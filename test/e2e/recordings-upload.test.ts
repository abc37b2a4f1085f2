import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { writeWav } from '../pipeline/audio-files.js';
import { type S3TestServer, startS3Server } from '../support/s3-server.js';
import { BridgeScene, allConfirmed, asteriskCalls, dropFile, tempDir, waitUntil } from './support.js';

/**
 * recordings.delivery: upload, with real processes: a PBX whose recordings Dstny cannot reach. The bridge uploads
 * each call's local recording to an S3-protocol server on loopback (s3rver) and sends a presigned link; the emulator
 * fetches every link, as Dstny does, and refuses what is not audio.
 */
describe('recordings uploaded to a bucket (bridge, emulator and s3rver processes)', () => {
  let s3: S3TestServer;
  let scene: BridgeScene | null = null;
  const rec = tempDir('callbridge-e2e-rec-');

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterEach(async () => {
    await scene?.stop();
    scene = null;
  });
  afterAll(async () => {
    await s3.stop();
    rec.cleanup();
  });

  /** `count` Asterisk calls whose userfield names a 2 s WAV in the roots. */
  function calls(prefix: string, count: number, from = 0) {
    const made = asteriskCalls({ count, prefix, recordingBase: rec.dir, from });
    mkdirSync(path.join(rec.dir, 'rec'), { recursive: true });
    for (const id of made.ids) writeWav(path.join(rec.dir, 'rec', `${id}.wav`), 1, { frames: 16_000 });
    return made;
  }

  async function startScene(prefix: string): Promise<BridgeScene> {
    scene = await new BridgeScene('callbridge-e2e-upload-').start({
      faults: { fetchRecordings: true },
      roots: [rec.dir],
      overrides: {
        recordings: {
          roots: [rec.dir],
          delivery: 'upload',
          upload: { endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix, forcePathStyle: true, requestTimeoutSeconds: 2 },
        },
      },
      env: { AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey },
    });
    return scene;
  }

  it('holds calls while the bucket is down, then sends each once with a presigned link the emulator fetched as audio', async () => {
    await s3.pause();
    const s = await startScene('e2e-down/');
    const { csv, ids } = calls('up', 6);
    dropFile(s.spool, 'Master.csv', csv);
    const held = await waitUntil(
      async () => {
        const st = await s.bridge.status();
        return st.ledger.counts.prepare === 6 && st.uploads?.state === 'failing' ? st : null;
      },
      { timeoutMs: 20_000, what: 'six calls held for their upload', describe: async () => JSON.stringify((await s.bridge.status()).uploads) },
    );
    expect(held.uploads?.reason).toMatch(/127\.0\.0\.1/);
    expect(held.ledger.counts.failed).toBe(0);
    expect((await s.emulator.stats()).requests.byRoute.create).toBe(0);

    await s3.resume();
    const done = await allConfirmed(s.bridge, 6, { timeoutMs: 60_000 });
    expect(done.uploads).toMatchObject({ state: 'running', uploaded: 6, reason: null });
    for (const id of ids) {
      const [conversation, ...more] = await s.emulator.conversations(id);
      expect(more).toHaveLength(0);
      const link = new URL(String(conversation!.payload.call_recording_url));
      expect(`${link.origin}${link.pathname}`).toBe(`${s3.endpoint}/${s3.bucket}/e2e-down/${id}.wav`);
      expect(link.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
      // The emulator fetched it (fetchRecordings) before it created the conversation.
      expect(s3.requests.some((r) => r.method === 'GET' && r.path === `/${s3.bucket}/e2e-down/${id}.wav`)).toBe(true);
    }
    const metrics = await (await fetch(`${s.bridge.url}/metrics`)).text();
    expect(metrics).toMatch(/^callbridge_recordings_uploaded_total 6$/m);
    expect(metrics).toMatch(/^callbridge_rows\{state="prepare"\} 0$/m);
    // The secret key is in the environment only, and never in what the bridge printed.
    expect(s.bridge.cli.grep(/S3RVER/)).toEqual([]);
  }, 120_000);

  it('a bridge killed in the middle of uploads finishes them after its restart: every call once, every recording uploaded once', async () => {
    const s = await startScene('e2e-kill/');
    await s3.stall();
    const { csv, ids } = calls('kill', 4);
    dropFile(s.spool, 'Master.csv', csv);
    await waitUntil(async () => ((await s.bridge.status()).uploads?.inFlight ?? 0) > 0, { timeoutMs: 20_000, what: 'uploads in flight' });
    await s.bridge.cli.kill();
    await s3.resume();
    const before = s3.requests.length;
    await s.startBridge('bridge-2');
    await allConfirmed(s.bridge, 4, { timeoutMs: 60_000 });
    for (const id of ids) expect(await s.emulator.conversations(id)).toHaveLength(1);
    expect((await s.emulator.stats()).conversations.duplicates).toBe(0);
    const uploadsOf = (id: string) =>
      s3.requests.slice(before).filter((r) => (r.method === 'PUT' || (r.method === 'POST' && r.query.includes('uploads'))) && r.path.endsWith(`/${id}.wav`));
    for (const id of ids) expect(uploadsOf(id)).toHaveLength(1);
  }, 120_000);
});
