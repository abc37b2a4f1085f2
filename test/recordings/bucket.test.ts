import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { BucketError, RecordingBucket, bucketErrorOf, type BucketOptions } from '../../src/recordings/bucket.js';
import { fileDigest } from '../../src/recordings/file-digest.js';
import { writeWav } from '../pipeline/audio-files.js';
import { type S3TestServer, startS3Server } from '../support/s3-server.js';
import { tempDir } from '../support/tmp.js';

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

let s3: S3TestServer;
let tmp: { dir: string; cleanup: () => void };
const opened: RecordingBucket[] = [];

function bucketFor(overrides: Partial<BucketOptions> = {}): RecordingBucket {
  const bucket = new RecordingBucket({
    endpoint: s3.endpoint,
    region: s3.region,
    bucket: s3.bucket,
    prefix: 'callbridge/',
    forcePathStyle: true,
    credentials: s3.credentials,
    requestTimeoutMs: 2_000,
    ...overrides,
  });
  opened.push(bucket);
  return bucket;
}

/** A mono 8 kHz 16-bit PCM recording of `seconds` seconds, as a PBX writes it. */
function recording(name: string, seconds: number): string {
  const file = path.join(tmp.dir, name);
  writeWav(file, 1, { sampleRate: 8000, frames: 8000 * seconds });
  return file;
}

/**
 * A long recording (a call of `seconds` seconds, 8 kHz mono 16-bit PCM), written a second at a time: the header of
 * writeWav's first second, then the same second of a 440 Hz tone over and over, so it is quick to make.
 */
function longRecording(name: string, seconds: number): string {
  const first = path.join(tmp.dir, `${name}.head`);
  writeWav(first, 1, { sampleRate: 8000, frames: 8000 });
  const header = readFileSync(first).subarray(0, 44);
  const dataSize = seconds * 8000 * 2;
  header.writeUInt32LE(36 + dataSize, 4);
  header.writeUInt32LE(dataSize, 40);
  const second = Buffer.alloc(8000 * 2);
  for (let i = 0; i < 8000; i++) second.writeInt16LE(Math.round(Math.sin((2 * Math.PI * 440 * i) / 8000) * 8000), i * 2);
  const file = path.join(tmp.dir, name);
  const fd = openSync(file, 'w');
  try {
    writeSync(fd, header);
    for (let s = 0; s < seconds; s++) writeSync(fd, second);
  } finally {
    closeSync(fd);
  }
  return file;
}

async function fetchBytes(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()) };
}

/** Requests the server received after `mark` (an index into s3.requests). */
const since = (mark: number) => s3.requests.slice(mark).map((r) => `${r.method} ${r.query ? `?${r.query.split('=')[0]}` : ''}`.trim());

beforeAll(async () => {
  tmp = tempDir('callbridge-bucket-');
  s3 = await startS3Server();
});

afterAll(async () => {
  for (const bucket of opened) bucket.close();
  await s3?.stop();
  tmp?.cleanup();
});

describe('RecordingBucket against an S3-protocol server', () => {
  it('stores a recording that the presigned link then serves byte for byte, with its Content-Type', async () => {
    const bucket = bucketFor();
    const file = recording('call-1.wav', 3);
    const key = bucket.keyFor('a84b4c76e66710@pc33.atlanta.com/leg 1', file);

    const stored = await bucket.put(key, file, { contentType: 'audio/wav' });

    const bytes = readFileSync(file);
    expect(stored).toMatchObject({ key, size: bytes.length, sha256: sha256(bytes), uploaded: true });
    const got = await fetchBytes(await bucket.presign(key, 300));
    expect(got.status).toBe(200);
    expect(got.type).toBe('audio/wav');
    expect(got.bytes.equals(bytes)).toBe(true);
  });

  it('sends nothing the second time the same recording is put, and again when its content changed', async () => {
    const bucket = bucketFor();
    const file = recording('call-2.wav', 2);
    const key = bucket.keyFor('call-2', file);
    expect((await bucket.put(key, file, { contentType: 'audio/wav' })).uploaded).toBe(true);

    const mark = s3.requests.length;
    const again = await bucket.put(key, file, { contentType: 'audio/wav' });
    expect(again.uploaded).toBe(false);
    expect(since(mark)).toEqual(['HEAD']);

    // The PBX rewrote the file in place: same size, other samples.
    const changed = readFileSync(file);
    for (let i = 44; i + 1 < changed.length; i += 2) changed.writeInt16LE(-changed.readInt16LE(i), i);
    writeFileSync(file, changed);
    const third = await bucket.put(key, file, { contentType: 'audio/wav' });
    expect(third.uploaded).toBe(true);
    expect(third.size).toBe(again.size);
    expect((await fetchBytes(await bucket.presign(key, 60))).bytes.equals(changed)).toBe(true);
  });

  it('sends a long recording in parts, and the link serves the same bytes', async () => {
    const bucket = bucketFor();
    const file = longRecording('long-call.wav', 1_900); // ~30 MB: a call of half an hour
    const digest = await fileDigest(file);
    expect(digest.size).toBeGreaterThan(30_000_000);
    const key = bucket.keyFor('long-call', file);

    const mark = s3.requests.length;
    const stored = await bucket.put(key, file, { contentType: 'audio/wav', digest });

    expect(stored).toMatchObject({ uploaded: true, size: digest.size, sha256: digest.sha256 });
    const parts = since(mark).filter((r) => r === 'PUT ?partNumber');
    expect(parts.length).toBeGreaterThanOrEqual(4);
    expect(since(mark)).toContain('POST ?uploads');
    const got = await fetchBytes(await bucket.presign(key, 60));
    expect(got.status).toBe(200);
    expect(sha256(got.bytes)).toBe(digest.sha256);
  });

  it('makes links that stop working when they expire, and refuses links longer than 7 days', async () => {
    const bucket = bucketFor();
    const file = recording('call-3.wav', 1);
    const key = bucket.keyFor('call-3', file);
    await bucket.put(key, file, { contentType: 'audio/wav' });

    const shortLived = await bucket.presign(key, 1);
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetchBytes(shortLived)).status).toBe(403);

    await expect(bucket.presign(key, 604_800)).resolves.toContain('X-Amz-Expires=604800');
    const tooLong = bucket.presign(key, 604_801);
    await expect(tooLong).rejects.toBeInstanceOf(BucketError);
    await expect(tooLong).rejects.toThrow(/at most|7 days/);
  });

  it('fails fast and plainly while the server is down, and works again once it is back', async () => {
    const bucket = bucketFor();
    const file = recording('call-4.wav', 1);
    const key = bucket.keyFor('call-4', file);
    await s3.pause();
    try {
      const started = Date.now();
      const error = (await bucket.put(key, file, { contentType: 'audio/wav' }).catch((e: unknown) => e)) as BucketError;
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(error).toBeInstanceOf(BucketError);
      expect(error.retryable).toBe(true);
      expect(error.message).toBe(`cannot reach bucket "${s3.bucket}" at ${s3.endpoint} (connection refused)`);
      await expect(bucket.check()).rejects.toMatchObject({ retryable: true });
    } finally {
      await s3.resume();
    }
    expect((await bucket.put(key, file, { contentType: 'audio/wav' })).uploaded).toBe(true);
  });

  it('gives up on a server that accepts but never answers, within its timeout', async () => {
    const bucket = bucketFor({ requestTimeoutMs: 400, maxAttempts: 1 });
    const file = recording('call-5.wav', 1);
    await s3.stall();
    try {
      const started = Date.now();
      const error = (await bucket.put(bucket.keyFor('call-5', file), file, { contentType: 'audio/wav' }).catch((e: unknown) => e)) as BucketError;
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(error).toBeInstanceOf(BucketError);
      expect(error.retryable).toBe(true);
      expect(error.message).toContain(`cannot reach bucket "${s3.bucket}"`);
      expect(error.message).toContain('timed out');
    } finally {
      await s3.resume();
    }
  });

  it('keeps what it stored across a restart of the server: the same put sends nothing', async () => {
    const bucket = bucketFor();
    const file = recording('call-6.wav', 1);
    const key = bucket.keyFor('call-6', file);
    await bucket.put(key, file, { contentType: 'audio/wav' });

    await s3.restart();

    const mark = s3.requests.length;
    expect((await bucket.put(key, file, { contentType: 'audio/wav' })).uploaded).toBe(false);
    expect(since(mark)).toEqual(['HEAD']);
  });

  it('says which bucket does not exist, and that waiting will not help', async () => {
    const bucket = bucketFor({ bucket: 'no-such-bucket' });
    const file = recording('call-7.wav', 1);
    for (const attempt of [bucket.check(), bucket.put(bucket.keyFor('call-7', file), file, { contentType: 'audio/wav' })]) {
      const error = (await attempt.catch((e: unknown) => e)) as BucketError;
      expect(error).toBeInstanceOf(BucketError);
      expect(error.retryable).toBe(false);
      expect(error.message).toContain(`no bucket "no-such-bucket" at ${s3.endpoint}`);
    }
  });

  it('says the credentials are wrong without repeating them', async () => {
    const secretAccessKey = 'wrong-secret-4f9a1c';
    const bucket = bucketFor({ credentials: { accessKeyId: 'NOTAKEY', secretAccessKey } });
    const file = recording('call-8.wav', 1);
    for (const attempt of [bucket.check(), bucket.put(bucket.keyFor('call-8', file), file, { contentType: 'audio/wav' })]) {
      const error = (await attempt.catch((e: unknown) => e)) as BucketError;
      expect(error).toBeInstanceOf(BucketError);
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/check the credentials/);
      expect(error.message).not.toContain(secretAccessKey);
    }
  });

  it('deletes keys, counts a key that was already missing as gone, and sends at most 1000 per request', async () => {
    const bucket = bucketFor();
    const file = recording('call-9.wav', 1);
    const keys = ['call-9a', 'call-9b'].map((id) => bucket.keyFor(id, file));
    for (const key of keys) await bucket.put(key, file, { contentType: 'audio/wav' });
    const missing = bucket.keyFor('never-stored', file);

    expect(await bucket.deleteMany([...keys, missing])).toEqual([...keys, missing]);
    for (const key of keys) expect((await fetchBytes(await bucket.presign(key, 60))).status).toBe(404);
    expect((await bucket.put(keys[0] as string, file, { contentType: 'audio/wav' })).uploaded).toBe(true);

    const many = Array.from({ length: 1001 }, (_, i) => bucket.keyFor(`gone-${i}`, file));
    const mark = s3.requests.length;
    expect(await bucket.deleteMany(many)).toEqual(many);
    expect(since(mark)).toEqual(['POST ?delete', 'POST ?delete']);
    expect(await bucket.deleteMany([])).toEqual([]);
  });
});

describe('keyFor', () => {
  const bucket = new RecordingBucket({ region: 'eu-north-1', bucket: 'b', prefix: 'callbridge/', forcePathStyle: false });
  afterAll(() => bucket.close());
  const idOf = (key: string, ext: string) => decodeURIComponent(key.slice('callbridge/'.length, key.length - ext.length));

  it('is the prefix, the id and the extension in lower case, the same on every call', () => {
    expect(bucket.keyFor('1714634043.1', '/var/spool/asterisk/monitor/1714634043.1.WAV')).toBe('callbridge/1714634043.1.wav');
    const other = new RecordingBucket({ region: 'eu-north-1', bucket: 'b', prefix: 'callbridge/', forcePathStyle: false });
    expect(other.keyFor('c41d7e2a-8f60', 'x.mp3')).toBe(bucket.keyFor('c41d7e2a-8f60', 'y.mp3'));
    other.close();
  });

  it.each(['../../etc/passwd', '..', '.', 'a/../../b', 'sip:alice@atlanta.com/leg 2', 'Åsa 100%', '/'])(
    'never lets %j escape the prefix, and can be read back',
    (id) => {
      const key = bucket.keyFor(id, 'rec.wav');
      expect(key.startsWith('callbridge/')).toBe(true);
      expect(key.slice('callbridge/'.length)).not.toContain('/');
      expect(key.split('/').filter((segment) => segment === '.' || segment === '..')).toEqual([]);
      expect(key.endsWith('.wav')).toBe(true);
      expect(idOf(key, '.wav')).toBe(id);
    },
  );

  it('gives distinct ids distinct keys, even ids too long for S3', () => {
    expect(bucket.keyFor('a b', 'x.wav')).not.toBe(bucket.keyFor('a_b', 'x.wav'));
    expect(bucket.keyFor('a%20b', 'x.wav')).not.toBe(bucket.keyFor('a b', 'x.wav'));
    expect(bucket.keyFor('', 'x.wav')).toMatch(/^callbridge\/[^/]+\.wav$/);
    expect(bucket.keyFor('', 'x.wav')).not.toBe(bucket.keyFor('.', 'x.wav'));
    const long = 'x'.repeat(3000);
    const key = bucket.keyFor(`${long}1`, 'x.wav');
    expect(Buffer.byteLength(key)).toBeLessThanOrEqual(1024);
    expect(key).not.toBe(bucket.keyFor(`${long}2`, 'x.wav'));
    expect(key).toBe(bucket.keyFor(`${long}1`, 'x.wav'));
  });

  it('names AWS itself when no endpoint is set', () => {
    expect(bucket.describe).toBe('bucket "b" at https://s3.eu-north-1.amazonaws.com');
  });
});

describe('bucketErrorOf', () => {
  const where = 'bucket "b" at https://minio.example.com';
  const s3Error = (name: string, status: number, message = '') => Object.assign(new Error(message || name), { name, $metadata: { httpStatusCode: status } });

  it('says a busy or failing server is worth retrying', () => {
    expect(bucketErrorOf(s3Error('SlowDown', 503, 'Please reduce your request rate.'), where)).toMatchObject({ retryable: true });
    expect(bucketErrorOf(s3Error('InternalError', 500), where).retryable).toBe(true);
    expect(bucketErrorOf(s3Error('SlowDown', 503), where).message).toMatch(/^bucket "b" at https:\/\/minio\.example\.com is busy or failing/);
  });

  it('never repeats a presigned query that a library put in its message', () => {
    const error = bucketErrorOf(
      s3Error('BadRequest', 400, 'bad https://h/b/k?X-Amz-Credential=AKIAEXAMPLE%2F20240101&X-Amz-Signature=abcdef0123'),
      where,
    );
    expect(error.retryable).toBe(false);
    expect(error.message).not.toMatch(/AKIAEXAMPLE|abcdef0123/);
  });
});
