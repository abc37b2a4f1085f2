import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Ledger } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { RecordingBucket } from '../../src/recordings/bucket.js';
import { type MakeRules, RecordingPreparer, type PreparerConfig } from '../../src/prepare/preparer.js';
import { ffmpegTool } from '../../src/recordings/audio-tool.js';
import { writeWav } from '../pipeline/audio-files.js';
import { decode, toneFile, toneOf, wavHeader } from '../support/audio.js';
import { waitFor } from '../sources/support.js';
import { linesLogger } from '../support/log-lines.js';
import { payloadFor, pendingRow } from '../support/rows.js';
import { type S3TestServer, startS3Server } from '../support/s3-server.js';
import { tempDir } from '../support/tmp.js';


const CONFIG: PreparerConfig = { concurrency: 2, pollMs: 50, sweepIntervalMs: 60_000, backoff: { baseMs: 100, maxMs: 400 }, shutdownTimeoutMs: 300 };

describe('RecordingPreparer (SQLite ledger, s3rver on loopback)', () => {
  let s3: S3TestServer;
  let tmp: { dir: string; cleanup: () => void };
  let ledger: Ledger;
  let bucket: RecordingBucket;
  let made: string;
  const preparers: RecordingPreparer[] = [];

  beforeAll(async () => {
    s3 = await startS3Server();
  });
  afterAll(async () => {
    await s3.stop();
  });
  beforeEach(async () => {
    tmp = tempDir('callbridge-upload-');
    ledger = await openSqliteLedger(path.join(tmp.dir, 'ledger.sqlite'));
    made = path.join(tmp.dir, 'data', 'recordings');
    bucket = bucketFor(`run-${Date.now()}-${Math.random().toString(36).slice(2, 8)}/`);
    s3.requests.length = 0;
  });
  afterEach(async () => {
    for (const u of preparers.splice(0)) await u.stop();
    bucket.close();
    await ledger.close();
    tmp.cleanup();
  });

  function bucketFor(prefix: string): RecordingBucket {
    return new RecordingBucket({ endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, prefix, forcePathStyle: true, credentials: s3.credentials, requestTimeoutMs: 2_000, maxAttempts: 1 });
  }

  function preparer(opts: { config?: Partial<PreparerConfig>; now?: () => number; onReady?: () => void; make?: Partial<MakeRules>; bucket?: null } = {}) {
    const { logger, lines } = linesLogger();
    const u = new RecordingPreparer({
      ledger,
      bucket: opts.bucket === null ? null : bucket,
      roots: [tmp.dir],
      make: { convert: 'off', tool: null, cacheDir: made, keepAfterConfirmedMs: 3_600_000, ...opts.make },
      config: { ...CONFIG, ...opts.config },
      logger,
      ...(opts.now ? { now: opts.now } : {}),
      ...(opts.onReady ? { onReady: opts.onReady } : {}),
    });
    preparers.push(u);
    return { u, lines };
  }

  /** A call waiting for its upload, with a real WAV recording of `seconds` in the roots. */
  async function waitingCall(id: string, seconds = 2): Promise<string> {
    const file = path.join(tmp.dir, `${id}.wav`);
    writeWav(file, 1, { frames: 8000 * seconds });
    await ledger.put([pendingRow(id, { state: 'prepare', raw: { externalId: id, recording: { path: file } } })]);
    return file;
  }

  const puts = () => s3.requests.filter((r) => r.method === 'PUT' || (r.method === 'POST' && r.query.includes('uploads'))).length;

  it('uploads the recording, then makes the call pending with its object; a presigned link serves the same bytes', async () => {
    const file = await waitingCall('call-1');
    let woken = 0;
    const { u } = preparer({ onReady: () => woken++ });
    u.start();
    await waitFor('the upload', async () => (await ledger.get('call-1'))?.state === 'pending', 5_000);
    const row = await ledger.get('call-1');
    const bytes = readFileSync(file);
    expect(row?.upload).toMatchObject({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), deletedAt: null });
    expect(row?.upload?.key).toMatch(/call-1\.wav$/);
    expect(row?.reason).toBeNull();
    expect(woken).toBe(1);
    const res = await fetch(await bucket.presign(row!.upload!.key, 600));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await res.arrayBuffer()).equals(bytes)).toBe(true);
    expect(u.status()).toMatchObject({ state: 'running', uploaded: 1, alreadyThere: 0, bytes: bytes.length, reason: null });
  });

  it('after a restart, finds a recording already in the bucket and does not upload it again', async () => {
    const file = await waitingCall('call-2');
    // The process before uploaded it and died before its ledger commit.
    await bucket.put(bucket.keyFor('call-2', file), file, { contentType: 'audio/wav' });
    const putsBefore = puts();
    expect(putsBefore).toBe(1);
    const { u } = preparer();
    u.start();
    await waitFor('the row to move on', async () => (await ledger.get('call-2'))?.state === 'pending', 5_000);
    expect(puts()).toBe(putsBefore);
    expect(u.status()).toMatchObject({ uploaded: 0, alreadyThere: 1 });
  });

  it('an upload cut short by a stop is done after the restart, once, and the call was never sent without it', async () => {
    await waitingCall('call-3');
    await s3.stall();
    const first = preparer();
    first.u.start();
    await waitFor('the upload to start', () => first.u.status().inFlight === 1, 5_000);
    await first.u.stop();
    expect(first.lines.join('\n')).toMatch(/still being made ready at shutdown/);
    expect((await ledger.get('call-3'))?.state).toBe('prepare');
    await s3.resume();
    const second = preparer();
    second.u.start();
    await waitFor('the upload after the restart', async () => (await ledger.get('call-3'))?.state === 'pending', 5_000);
    expect(second.u.status().uploaded + second.u.status().alreadyThere).toBe(1);
  });

  it('holds every call while the bucket is unreachable, says why once, and uploads them all when it is back', async () => {
    await Promise.all(['call-4', 'call-5', 'call-6'].map((id) => waitingCall(id)));
    await s3.pause();
    const { u, lines } = preparer();
    u.start();
    await waitFor('a failed upload', async () => (await ledger.get('call-4'))?.reason !== null || (await ledger.get('call-5'))?.reason !== null, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const status = u.status();
    expect(status.state).toBe('failing');
    expect(status.reason).toMatch(/127\.0\.0\.1/);
    expect(status.reason).not.toMatch(/S3RVER/);
    const rows = await ledger.query({ externalIds: ['call-4', 'call-5', 'call-6'] });
    expect(rows.map((r) => r.state)).toEqual(['prepare', 'prepare', 'prepare']);
    expect(rows.find((r) => r.reason)?.reason).toMatch(/^recording not ready: .*127\.0\.0\.1.*; trying again at/);
    expect(lines.filter((l) => l.includes('RECORDINGS HELD'))).toHaveLength(1);
    // Paused, not hammering: a few tries in 600 ms with a wait that doubles, not three rows every 50 ms poll.
    expect(rows.reduce((sum, r) => sum + r.attempts, 0)).toBeLessThanOrEqual(10);

    await s3.resume();
    await waitFor('all three uploaded', async () => (await ledger.query({ states: ['pending'] })).length === 3, 5_000);
    expect(u.status()).toMatchObject({ state: 'running', reason: null, uploaded: 3 });
    expect(lines.some((l) => l.includes('recordings are made ready again'))).toBe(true);
  });

  it('rejects a call whose recording disappeared before its upload, naming the file', async () => {
    const file = await waitingCall('call-7');
    rmSync(file);
    const { u } = preparer();
    u.start();
    await waitFor('the rejection', async () => (await ledger.get('call-7'))?.state === 'rejected', 5_000);
    expect((await ledger.get('call-7'))?.reason).toBe(`recording ${file} is no longer there, so it cannot be sent`);
  });

  it('deleteAfterDays removes the recordings of calls confirmed that long ago, and keeps the others', async () => {
    const day = 86_400_000;
    const now = Date.now();
    for (const id of ['old-1', 'old-2', 'new-1']) await waitingCall(id);
    const first = preparer();
    first.u.start();
    await waitFor('the uploads', async () => (await ledger.query({ states: ['pending'] })).length === 3, 5_000);
    await first.u.stop();
    await ledger.update('old-1', { state: 'confirmed', confirmedAt: now - 31 * day });
    await ledger.update('old-2', { state: 'confirmed', confirmedAt: now - 30 * day - 1000 });
    await ledger.update('new-1', { state: 'confirmed', confirmedAt: now - 29 * day });

    const { u } = preparer({ config: { deleteAfterDays: 30 } });
    u.start();
    await u.sweep();
    const rows = new Map((await ledger.query({ externalIds: ['old-1', 'old-2', 'new-1'] })).map((r) => [r.externalId, r]));
    expect(rows.get('old-1')?.upload?.deletedAt).toEqual(expect.any(Number));
    expect(rows.get('old-2')?.upload?.deletedAt).toEqual(expect.any(Number));
    expect(rows.get('new-1')?.upload?.deletedAt).toBeNull();
    const statusOf = async (id: string) => (await fetch(await bucket.presign(rows.get(id)!.upload!.key, 60))).status;
    expect(await statusOf('old-1')).toBe(404);
    expect(await statusOf('old-2')).toBe(404);
    expect(await statusOf('new-1')).toBe(200);
    expect(u.status().deleted).toBe(2);
    // Done once: the next sweep finds nothing more to delete.
    await u.sweep();
    expect(u.status().deleted).toBe(2);
  });

  describe('two-file recordings and conversions (real ffmpeg)', () => {
    const split = { participant: '{dir}/{name}-in{ext}', owner: '{dir}/{name}-out{ext}' };

    /** A stereo call whose two directions were recorded apart: the participant 440 Hz for 3 s, the owner 1000 Hz for 2 s. */
    async function pairCall(id: string, channel: 'left' | 'right'): Promise<void> {
      await toneFile(path.join(tmp.dir, `${id}-in.wav`), 440, 3, 8000);
      await toneFile(path.join(tmp.dir, `${id}-out.wav`), 1000, 2, 8000, ['-c:a', 'pcm_alaw']);
      const payload = payloadFor(id, { call_is_stereo: true, call_participant_channel: channel, call_direction: 'incoming' });
      await ledger.put([pendingRow(id, { state: 'prepare', payload, raw: { externalId: id, recording: { path: path.join(tmp.dir, `${id}.wav`) } } })]);
    }

    it('merges them into one stereo WAV with the participant on the channel the call says, and keeps it to serve', async () => {
      await pairCall('pair-1', 'right');
      const { u } = preparer({ bucket: null, make: { split, tool: ffmpegTool() } });
      u.start();
      await waitFor('the merge', async () => (await ledger.get('pair-1'))?.state === 'pending', 15_000);
      const row = await ledger.get('pair-1');
      expect(row?.recordingFile).toBe(path.join(made, 'pair-1.wav'));
      expect(row?.upload).toBeNull();
      const header = wavHeader(row!.recordingFile!);
      expect(header).toMatchObject({ format: 1, channels: 2, sampleRate: 8000, bits: 16 });
      expect(Math.abs(header.seconds - 3)).toBeLessThan(0.05);
      const [left, right] = await decode(row!.recordingFile!, 2, 8000);
      expect(toneOf(right!.subarray(1600, 14_400), 8000, 440, 1000)).toBe(440);
      expect(toneOf(left!.subarray(1600, 14_400), 8000, 440, 1000)).toBe(1000);
      expect(u.status()).toMatchObject({ merged: 1, converted: 0, uploaded: 0 });
    });

    it('converts an A-law recording to PCM and uploads the converted file, then removes it here', async () => {
      const file = await toneFile(path.join(tmp.dir, 'alaw-1.wav'), 440, 2, 8000, ['-c:a', 'pcm_alaw']);
      await ledger.put([pendingRow('alaw-1', { state: 'prepare', raw: { externalId: 'alaw-1', recording: { path: file } } })]);
      const { u } = preparer({ make: { convert: 'wav', tool: ffmpegTool() } });
      u.start();
      await waitFor('the conversion and upload', async () => (await ledger.get('alaw-1'))?.state === 'pending', 15_000);
      const row = await ledger.get('alaw-1');
      expect(row?.recordingFile).toBeNull();
      const res = await fetch(await bucket.presign(row!.upload!.key, 60));
      const downloaded = path.join(tmp.dir, 'downloaded.wav');
      writeFileSync(downloaded, Buffer.from(await res.arrayBuffer()));
      expect(wavHeader(downloaded)).toMatchObject({ format: 1, channels: 1, bits: 16 });
      expect(readdirSync(made)).toEqual([]);
      expect(u.status()).toMatchObject({ converted: 1, uploaded: 1 });
    });

    it('holds the calls while ffmpeg is missing, and says so once', async () => {
      await pairCall('pair-2', 'left');
      const { u, lines } = preparer({ bucket: null, make: { split, tool: ffmpegTool({ command: path.join(tmp.dir, 'no-ffmpeg') }) } });
      u.start();
      await waitFor('a failed merge', async () => (await ledger.get('pair-2'))?.reason !== null, 5_000);
      expect((await ledger.get('pair-2'))?.state).toBe('prepare');
      expect(u.status().state).toBe('failing');
      expect(u.status().reason).toMatch(/ffmpeg/);
      expect(lines.filter((l) => l.includes('RECORDINGS HELD'))).toHaveLength(1);
    });

    it('rejects a call whose recording ffmpeg cannot read, naming the file', async () => {
      await pairCall('pair-3', 'left');
      writeFileSync(path.join(tmp.dir, 'pair-3-out.wav'), 'this is not audio\n');
      const { u } = preparer({ bucket: null, make: { split, tool: ffmpegTool() } });
      u.start();
      await waitFor('the rejection', async () => (await ledger.get('pair-3'))?.state === 'rejected', 15_000);
      expect((await ledger.get('pair-3'))?.reason).toContain(path.join(tmp.dir, 'pair-3-out.wav'));
    });

    it('removes a made recording once its call was confirmed longer ago than a link lives', async () => {
      await pairCall('pair-4', 'left');
      await pairCall('pair-5', 'left');
      const first = preparer({ bucket: null, make: { split, tool: ffmpegTool() } });
      first.u.start();
      await waitFor('the merges', async () => (await ledger.query({ states: ['pending'] })).length === 2, 15_000);
      await first.u.stop();
      await ledger.update('pair-4', { state: 'confirmed', confirmedAt: Date.now() - 2 * 3_600_000 });
      await ledger.update('pair-5', { state: 'confirmed', confirmedAt: Date.now() - 60_000 });
      const { u } = preparer({ bucket: null, make: { split, tool: ffmpegTool() } });
      u.start();
      await u.sweep();
      expect((await ledger.get('pair-4'))?.recordingFile).toBeNull();
      expect(readdirSync(made)).toEqual(['pair-5.wav']);
      expect((await ledger.get('pair-5'))?.recordingFile).toBe(path.join(made, 'pair-5.wav'));
    });
  });
});
