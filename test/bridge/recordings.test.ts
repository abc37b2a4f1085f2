import { describe, expect, it } from '@jest/globals';
import { bodyToSend } from '../../src/bridge/delivery.js';
import type { RecordingObject } from '../../src/ledger/ledger.js';
import { keyPrefix } from '../../src/recordings/config.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { configProblems } from '../config/support.js';
import { payloadFor } from '../support/rows.js';

const links = new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'a-signing-secret-of-some-length', ttlHours: 72 });
const object: RecordingObject = { key: 'callbridge/c1.wav', etag: null, size: 10, sha256: 'a'.repeat(64), uploadedAt: 1, deletedAt: null };
const presign = async (key: string) => `https://bucket.example.com/${key}?X-Amz-Signature=abc`;

describe('the body a call is sent with, recording link made at send time', () => {
  const own = payloadFor('c1', { call_recording_url: links.url('c1', Date.parse('2024-01-01T00:00:00Z')) });

  it('links the bucket copy when the recording was uploaded', async () => {
    const body = await bodyToSend({ externalId: 'c1', upload: object, payload: own }, links, presign);
    expect(body).toEqual({ ...own, call_recording_url: 'https://bucket.example.com/callbridge/c1.wav?X-Amz-Signature=abc' });
  });

  it('signs a fresh link to this bridge when there is no bucket copy, or it was deleted, or delivery is serve', async () => {
    for (const [upload, sign] of [
      [null, presign],
      [{ ...object, deletedAt: 5 }, presign],
      [object, null],
    ] as const) {
      const body = await bodyToSend({ externalId: 'c1', upload, payload: own }, links, sign);
      expect(body.call_recording_url).not.toBe(own.call_recording_url);
      expect(links.isOwn(body.call_recording_url)).toBe(true);
      expect(links.verify(body.call_recording_url.slice(links.prefix.length))).toMatchObject({ ok: true, claim: { id: 'c1' } });
    }
  });

  it('sends a remote recording URL as it is, also for a row with a bucket copy from an earlier version', async () => {
    const remote = payloadFor('c1');
    expect(await bodyToSend({ externalId: 'c1', upload: object, payload: remote }, links, presign)).toEqual(remote);
  });
});

describe('recordings.upload in the configuration', () => {
  it('needs the bucket when delivery is upload, and a link lifetime a presigned URL can have', () => {
    expect(configProblems({ recordings: { delivery: 'upload' } })).toEqual([
      'recordings.upload: delivery: upload needs the bucket, e.g. upload: { endpoint: "http://minio.internal:9000", bucket: recordings, forcePathStyle: true }',
    ]);
    expect(configProblems({ recordings: { delivery: 'upload', linkTtlHours: 200, upload: { bucket: 'recordings' } } })).toEqual([
      'recordings.linkTtlHours: a presigned bucket link lives at most 168 hours (7 days); e.g. linkTtlHours: 72 (calls that wait longer get a fresh link when they are sent)',
    ]);
  });

  it('names a misspelt key of the bucket', () => {
    expect(configProblems({ recordings: { delivery: 'upload', upload: { bucket: 'recordings', forcePathstyle: true } } }).join('\n')).toMatch(/recordings\.upload.*forcePathstyle.*forcePathStyle/s);
  });

  it('stores keys under the prefix as a folder', () => {
    expect(['callbridge/', 'callbridge', '/callbridge', '', 'a/b'].map(keyPrefix)).toEqual(['callbridge/', 'callbridge/', 'callbridge/', '', 'a/b/']);
  });
});
