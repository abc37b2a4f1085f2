import { z } from 'zod';
import type { BucketOptions } from './bucket.js';

/** A presigned S3 URL lives at most this long (SigV4's limit). */
export const MAX_PRESIGN_HOURS = 168;

/**
 * recordings.upload: the S3-compatible bucket local recordings are copied to when the PBX is not reachable from the
 * internet. Credentials are never in this file: the AWS default chain supplies them (AWS_ACCESS_KEY_ID and
 * AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or task role).
 */
export const uploadConfigSchema = z.strictObject({
  endpoint: z
    .url()
    .optional()
    .describe('S3-compatible endpoint, e.g. http://minio.internal:9000 or https://s3.eu-central-003.backblazeb2.com; unset: AWS S3 itself.'),
  region: z.string().min(1).default('us-east-1').describe('Region of the bucket (MinIO and most others accept us-east-1; R2: auto).'),
  bucket: z.string().min(3).describe('Bucket the recordings go to; it must exist.'),
  prefix: z.string().default('callbridge/').describe('Key prefix: a call\'s recording is stored as <prefix><call id><extension>.'),
  forcePathStyle: z.boolean().default(false).describe('Path-style addressing (<endpoint>/<bucket>/<key>): MinIO, Ceph and most self-hosted servers need it.'),
  concurrency: z.number().int().min(1).max(16).default(2).describe('Uploads at the same time.'),
  requestTimeoutSeconds: z.number().positive().default(60).describe('A request to the bucket that has not answered in this long is given up and retried later.'),
  deleteAfterDays: z
    .number()
    .positive()
    .optional()
    .describe('Delete a recording from the bucket this many days after Dstny confirmed its conversation; unset: keep it (the bucket\'s own lifecycle rules may still remove it).'),
});
export type UploadConfig = z.infer<typeof uploadConfigSchema>;

export const recordingsConfigSchema = z
  .strictObject({
    delivery: z
      .enum(['serve', 'upload'])
      .default('serve')
      .describe('How Dstny fetches a local recording: `serve` (a signed link to this bridge, which Dstny must reach through http.publicBaseUrl) or `upload` (copied to the bucket of recordings.upload first; the link is presigned).'),
    signingSecret: z.string().min(16).meta({ secret: true }).optional().describe('HMAC key for recording links (env CALLBRIDGE_SIGNING_SECRET); generated and kept in dataDir when unset.'),
    linkTtlHours: z.number().positive().default(72).describe(`How long a recording link stays valid, hours (a link is signed anew when its call is sent later). With upload, at most ${MAX_PRESIGN_HOURS}.`),
    roots: z.array(z.string()).default([]).describe('Folders local recordings may be served or uploaded from; a path outside them is refused.'),
    upload: uploadConfigSchema.optional().describe('The S3-compatible bucket for recordings.delivery: upload.'),
  })
  .superRefine((recordings, ctx) => {
    if (recordings.delivery !== 'upload') return;
    if (!recordings.upload) {
      ctx.addIssue({ code: 'custom', path: ['upload'], params: { plain: true }, message: 'delivery: upload needs the bucket, e.g. upload: { endpoint: "http://minio.internal:9000", bucket: recordings, forcePathStyle: true }' });
    }
    if (recordings.linkTtlHours > MAX_PRESIGN_HOURS) {
      ctx.addIssue({
        code: 'custom',
        path: ['linkTtlHours'],
        params: { plain: true },
        message: `a presigned bucket link lives at most ${MAX_PRESIGN_HOURS} hours (7 days); e.g. linkTtlHours: 72 (calls that wait longer get a fresh link when they are sent)`,
      });
    }
  })
  .prefault({});
export type RecordingsConfig = z.infer<typeof recordingsConfigSchema>;

/** The bucket client's options for recordings.upload: the bridge and check-config reach the same bucket alike. */
export function bucketOptionsOf(upload: UploadConfig): BucketOptions {
  return {
    endpoint: upload.endpoint,
    region: upload.region,
    bucket: upload.bucket,
    prefix: keyPrefix(upload.prefix),
    forcePathStyle: upload.forcePathStyle,
    requestTimeoutMs: upload.requestTimeoutSeconds * 1000,
  };
}

/** A prefix as a folder: 'calls' and '/calls/' both store 'calls/<id>.wav'; '' stores at the top. */
export function keyPrefix(prefix: string): string {
  const trimmed = prefix.replace(/^\/+/, '');
  return trimmed === '' || trimmed.endsWith('/') ? trimmed : `${trimmed}/`;
}
