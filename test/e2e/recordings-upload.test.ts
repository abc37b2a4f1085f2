import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { writeWav } from '../pipeline/audio-files.js';
import { decode, toneFile, toneOf } from '../support/audio.js';
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

  async function startScene(prefix: string, recordings: Record<string, unknown> = {}): Promise<BridgeScene> {
    scene = await new BridgeScene('callbridge-e2e-upload-').start({
      faults: { fetchRecordings: true },
      roots: [rec.dir],
      overrides: {
        recordings: {
          roots: [rec.dir],
          delivery: 'upload',
          upload: { endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix, forcePathStyle: true, requestTimeoutSeconds: 2 },
          ...recordings,
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
        return st.ledger.counts.prepare === 6 && st.recordings?.state === 'failing' ? st : null;
      },
      { timeoutMs: 20_000, what: 'six calls held for their upload', describe: async () => JSON.stringify((await s.bridge.status()).recordings) },
    );
    expect(held.recordings?.reason).toMatch(/127\.0\.0\.1/);
    expect(held.ledger.counts.failed).toBe(0);
    expect((await s.emulator.stats()).requests.byRoute.create).toBe(0);

    await s3.resume();
    const done = await allConfirmed(s.bridge, 6, { timeoutMs: 60_000 });
    expect(done.recordings).toMatchObject({ state: 'running', uploaded: 6, reason: null });
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
    await waitUntil(async () => ((await s.bridge.status()).recordings?.inFlight ?? 0) > 0, { timeoutMs: 20_000, what: 'uploads in flight' });
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

  it('merges each call\'s two mono recordings into one stereo file before the upload, the participant on the channel the call names', async () => {
    const s = await startScene('e2e-pair/', { split: { participant: '{dir}/{name}-in{ext}', owner: '{dir}/{name}-out{ext}' } });
    const made = asteriskCalls({ count: 3, prefix: 'pair', recordingBase: rec.dir });
    mkdirSync(path.join(rec.dir, 'rec'), { recursive: true });
    for (const id of made.ids) {
      // MixMonitor r()/t(): no mixed file, one file per direction.
      await toneFile(path.join(rec.dir, 'rec', `${id}-in.wav`), 440, 3, 8000);
      await toneFile(path.join(rec.dir, 'rec', `${id}-out.wav`), 1000, 2, 8000, ['-c:a', 'pcm_mulaw']);
    }
    dropFile(s.spool, 'Master.csv', made.csv);
    const done = await allConfirmed(s.bridge, 3, { timeoutMs: 60_000 });
    expect(done.recordings).toMatchObject({ merged: 3, uploaded: 3 });
    for (const id of made.ids) {
      const [conversation] = await s.emulator.conversations(id);
      const payload = conversation!.payload as { call_is_stereo: boolean; call_participant_channel: 'left' | 'right'; call_recording_url: string };
      expect(payload.call_is_stereo).toBe(true);
      const file = path.join(rec.dir, `${id}.downloaded.wav`);
      writeFileSync(file, Buffer.from(await (await fetch(payload.call_recording_url)).arrayBuffer()));
      const channels = await decode(file, 2, 8000);
      const [participant, owner] = payload.call_participant_channel === 'left' ? channels : [channels[1], channels[0]];
      expect(toneOf(participant!.subarray(1600, 14_400), 8000, 440, 1000)).toBe(440);
      expect(toneOf(owner!.subarray(1600, 14_400), 8000, 440, 1000)).toBe(1000);
      expect(Math.abs(participant!.length / 8000 - 3)).toBeLessThan(0.05);
    }
  }, 120_000);
});
