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
  requestTimeoutSeconds: z.number().positive().default(60).describe('A request to the bucket that has not answered in this long is given up and retried later.'),
  deleteAfterDays: z
    .number()
    .positive()
    .optional()
    .describe('Delete a recording from the bucket this many days after Dstny confirmed its conversation; unset: keep it (the bucket\'s own lifecycle rules may still remove it).'),
});
export type UploadConfig = z.infer<typeof uploadConfigSchema>;

const PLACEHOLDERS = ['dir', 'name', 'ext'] as const;
const TEMPLATE_EXAMPLE = '"{dir}/{name}-in{ext}"';

const pathTemplate = z.string().superRefine((template, ctx) => {
  const unknown = [...template.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] as string).filter((name) => !(PLACEHOLDERS as readonly string[]).includes(name));
  if (unknown.length) {
    ctx.addIssue({
      code: 'custom',
      params: { plain: true },
      message: `unknown placeholder ${unknown.map((u) => `{${u}}`).join(', ')} in "${template}"; the placeholders are {dir}, {name} and {ext} of the call's recording path, e.g. ${TEMPLATE_EXAMPLE}`,
    });
  }
  if (!template.includes('{name}')) {
    ctx.addIssue({ code: 'custom', params: { plain: true }, message: `"${template}" does not use {name}: every call would name the same file; e.g. ${TEMPLATE_EXAMPLE}` });
  }
});
const sideTemplate = z.union([
  pathTemplate,
  z.strictObject({
    incoming: pathTemplate.describe('For calls from outside.'),
    outgoing: pathTemplate.describe('For calls to outside and internal calls.'),
  }),
]);

/**
 * recordings.split: calls recorded as two mono files, one per direction of speech, found from the path the PBX gives
 * for the call's recording. {dir}: its folder, {name}: its file name without the extension, {ext}: the extension
 * with its dot.
 */
export const splitConfigSchema = z.strictObject({
  participant: sideTemplate.describe(
    'The file with the outside party\'s voice, e.g. "{dir}/{name}-in{ext}"; or one per direction { incoming, outgoing } when the PBX records on the caller\'s channel (then the sides swap with the direction).',
  ),
  owner: sideTemplate.describe('The file with the user\'s (the owner\'s) voice, e.g. "{dir}/{name}-out{ext}"; or one per direction.'),
});
export type SplitConfig = z.infer<typeof splitConfigSchema>;

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
    split: splitConfigSchema
      .optional()
      .describe(
        'Calls recorded as two mono files, one per direction (Asterisk MixMonitor r()/t(), one recording per leg): when both are there, they are merged into one stereo file with the participant on normalize.participantChannel. Needs ffmpeg.',
      ),
    convert: z
      .enum(['off', 'wav', 'mp3'])
      .default('off')
      .describe(
        'Recordings in formats that analyse poorly or that Dstny may not read (GSM, WAV49, raw .sln, A-law/µ-law or ADPCM WAV) are converted once, before they are sent, to 16-bit PCM WAV or MP3; merged pairs are written in this format (WAV when off). Needs ffmpeg.',
      ),
    concurrency: z.number().int().min(1).max(16).default(2).describe('Recordings made ready (merged, converted, uploaded) at the same time.'),
    ffmpeg: z.string().min(1).default('ffmpeg').describe('The ffmpeg command for split and convert: a name found on PATH (Debian: apt-get install ffmpeg) or a full path.'),
  })
  .superRefine((recordings, ctx) => {
    if (recordings.split && sameTemplates(recordings.split)) {
      ctx.addIssue({ code: 'custom', path: ['split'], params: { plain: true }, message: 'participant and owner name the same file; e.g. participant: "{dir}/{name}-in{ext}", owner: "{dir}/{name}-out{ext}"' });
    }
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

function sameTemplates(split: SplitConfig): boolean {
  const side = (t: SplitConfig['participant'], direction: 'incoming' | 'outgoing') => (typeof t === 'string' ? t : t[direction]);
  return (['incoming', 'outgoing'] as const).some((d) => side(split.participant, d) === side(split.owner, d));
}
