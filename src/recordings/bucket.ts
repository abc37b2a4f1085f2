import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import path from 'node:path';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { registerSecret } from '../log/redact.js';
import { BucketError, bucketErrorOf } from './bucket-error.js';
import { fileDigest } from './file-digest.js';
import { safeName } from './safe-name.js';

export { BucketError, bucketErrorOf } from './bucket-error.js';

export interface BucketOptions {
  /** Unset: AWS itself (https://s3.<region>.amazonaws.com). */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  /** Put before every key, e.g. 'callbridge/' ('' allowed). */
  prefix: string;
  /** MinIO, Ceph and s3rver want path-style URLs; AWS, Wasabi, B2 and R2 take either. */
  forcePathStyle: boolean;
  /** Unset: the AWS default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Connection and socket-idle timeout, default 30 000 ms: a server that accepts and never answers must not hold a call forever. */
  requestTimeoutMs?: number;
  /** The SDK's own attempts per request, default 2: the caller retries with its own, longer backoff. */
  maxAttempts?: number;
}

export interface StoredObject {
  key: string;
  /** The server's ETag without quotes; not an MD5 of the file for multipart uploads on AWS, so never compared with one. */
  etag: string | null;
  size: number;
  sha256: string;
  /** false: an object with the same size and sha256 was already there and nothing was sent. */
  uploaded: boolean;
}

/** The longest presigned link SigV4 allows. */
export const MAX_PRESIGN_SECONDS = 604_800;
/** S3's limit on a key, in UTF-8 bytes. */
const MAX_KEY_BYTES = 1024;
// 8 MiB parts, two in flight: at most ~16 MiB of a recording in memory, and 10 000 parts still allow 80 GB.
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;
const DELETE_BATCH = 1000;

/** Only a plain extension ('.wav', '.mp3') goes into the key; anything odd is dropped rather than encoded. */
function extensionOf(file: string): string {
  const ext = path.extname(file).toLowerCase();
  return /^\.[a-z0-9]{1,10}$/.test(ext) ? ext : '';
}

function unquote(etag: string | undefined): string | null {
  return etag ? etag.replace(/^"(.*)"$/, '$1') : null;
}

function statusOf(error: unknown): number | undefined {
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata;
  return metadata?.httpStatusCode;
}

/** An error of the local file (gone, unreadable) rather than of the bucket: the caller handles those itself. */
function isLocalFileError(error: unknown): boolean {
  const e = error as { syscall?: unknown; path?: unknown } | null;
  return typeof e?.syscall === 'string' && typeof e.path === 'string';
}

/**
 * The S3-compatible bucket (AWS S3, MinIO, Ceph, Wasabi, B2, R2) that recordings of a PBX behind NAT go to,
 * so that Dstny can fetch them through a presigned link. A failure of the bucket is a BucketError; a local file that
 * cannot be read throws Node's own error (its `code`, e.g. ENOENT), which is the file's problem, not the bucket's.
 */
export class RecordingBucket {
  readonly describe: string;
  private readonly client: S3Client;

  constructor(private readonly opts: BucketOptions) {
    // Node 20 is a supported runtime for callbridge; the SDK's notice about its own future plans is noise in our logs.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    if (opts.credentials) registerSecret(opts.credentials.secretAccessKey);
    // The default chain's keys are not ours to print either.
    registerSecret(process.env.AWS_SECRET_ACCESS_KEY);
    registerSecret(process.env.AWS_SESSION_TOKEN);
    this.describe = `bucket "${opts.bucket}" at ${displayEndpoint(opts)}`;
    const timeout = opts.requestTimeoutMs ?? 30_000;
    this.client = new S3Client({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      forcePathStyle: opts.forcePathStyle,
      ...(opts.credentials ? { credentials: opts.credentials } : {}),
      maxAttempts: opts.maxAttempts ?? 2,
      // Default checksums send stream bodies aws-chunked with trailers, which MinIO versions, Ceph, B2 and s3rver
      // store or reject wrongly; the integrity we rely on is our own sha256 metadata.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: { connectionTimeout: timeout, requestTimeout: timeout, throwOnRequestTimeout: true },
    });
    // DeleteObjects must carry a body checksum; the SDK now sends CRC32 only, and several S3-compatible stores
    // (older MinIO, Ceph) still insist on Content-MD5. Both together satisfy every one of them.
    this.client.middlewareStack.add(
      (next, context) => async (args) => {
        const request = args.request as { headers?: Record<string, string>; body?: unknown };
        if (context.commandName === 'DeleteObjectsCommand' && request.headers && typeof request.body === 'string') {
          const has = Object.keys(request.headers).some((name) => name.toLowerCase() === 'content-md5');
          if (!has) request.headers['content-md5'] = createHash('md5').update(request.body).digest('base64');
        }
        return next(args);
      },
      { step: 'build', name: 'callbridgeDeleteObjectsContentMd5' },
    );
  }

  /**
   * Where the recording of call `externalId` goes: prefix + the id with every character outside [A-Za-z0-9._-]
   * percent-encoded (so no '/' or '..' of the id ever makes a path) + the file's extension in lower case.
   * Pure and never throws: a restart computes the same key, so an upload cut short is redone onto the same object.
   */
  keyFor(externalId: string, file: string): string {
    const ext = extensionOf(file);
    // '~' never appears in an encoded id: an empty id (which no adapter should make) still gets a key of its own.
    const id = externalId === '' ? '~' : safeName(externalId);
    const room = MAX_KEY_BYTES - Buffer.byteLength(this.opts.prefix) - ext.length;
    if (id.length <= room) return `${this.opts.prefix}${id}${ext}`;
    // Too long for S3: keep a readable start and a digest of the whole id; '~' never appears in an encoded id.
    const digest = createHash('sha256').update(externalId).digest('hex');
    return `${this.opts.prefix}${id.slice(0, Math.max(0, room - digest.length - 1)).replace(/%[0-9A-F]?$/, '')}~${digest}${ext}`;
  }

  /**
   * Upload `file` to `key` unless an object of the same size and sha256 is already there (then nothing is sent and
   * `uploaded` is false). Streams the file; large files go up in parts. Only the bytes that were digested are sent,
   * so a file that grows meanwhile cannot end up stored under another file's checksum.
   */
  async put(key: string, file: string, opts: { contentType: string; digest?: { size: number; sha256: string } }): Promise<StoredObject> {
    const digest = opts.digest ?? (await fileDigest(file));
    const existing = await this.head(key);
    if (existing && existing.size === digest.size && existing.sha256 === digest.sha256) {
      return { key, etag: existing.etag, size: digest.size, sha256: digest.sha256, uploaded: false };
    }
    const body = digest.size === 0 ? Buffer.alloc(0) : createReadStream(file, { start: 0, end: digest.size - 1 });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.opts.bucket, Key: key, Body: body, ContentType: opts.contentType, Metadata: { sha256: digest.sha256 } },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      const out = await upload.done();
      return { key, etag: unquote(out.ETag), size: digest.size, sha256: digest.sha256, uploaded: true };
    } catch (error) {
      if (isLocalFileError(error)) throw error;
      throw bucketErrorOf(error, this.describe);
    } finally {
      if (!Buffer.isBuffer(body)) body.destroy();
    }
  }

  /** A presigned GET link to `key`, valid `expiresInSeconds` (1 s to 7 days, SigV4's limit). No request is made. */
  async presign(key: string, expiresInSeconds: number): Promise<string> {
    if (!Number.isInteger(expiresInSeconds) || expiresInSeconds < 1 || expiresInSeconds > MAX_PRESIGN_SECONDS) {
      throw new BucketError(
        `a presigned link lasts from 1 second to 7 days (${MAX_PRESIGN_SECONDS} s); asked for ${expiresInSeconds} s`,
        false,
      );
    }
    try {
      return await getSignedUrl(this.client, new GetObjectCommand({ Bucket: this.opts.bucket, Key: key }), { expiresIn: expiresInSeconds });
    } catch (error) {
      throw bucketErrorOf(error, this.describe);
    }
  }

  /** Delete these keys, at most 1000 per request; returns the keys now gone (one that was already missing counts). */
  async deleteMany(keys: string[]): Promise<string[]> {
    const unique = [...new Set(keys)];
    const gone = new Set<string>();
    for (let i = 0; i < unique.length; i += DELETE_BATCH) {
      const batch = unique.slice(i, i + DELETE_BATCH);
      let out;
      try {
        out = await this.client.send(
          new DeleteObjectsCommand({ Bucket: this.opts.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: false } }),
        );
      } catch (error) {
        throw bucketErrorOf(error, this.describe);
      }
      for (const deleted of out.Deleted ?? []) if (deleted.Key !== undefined) gone.add(deleted.Key);
      for (const failed of out.Errors ?? []) if (failed.Code === 'NoSuchKey' && failed.Key !== undefined) gone.add(failed.Key);
    }
    return unique.filter((key) => gone.has(key));
  }

  /** Resolves when the bucket exists and the credentials may use it; else a BucketError saying which. */
  async check(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.opts.bucket }));
    } catch (error) {
      throw bucketErrorOf(error, this.describe);
    }
  }

  close(): void {
    this.client.destroy();
  }

  /** Size, sha256 metadata and ETag of `key`, or undefined when it is not there or may not be read. */
  private async head(key: string): Promise<{ size: number | undefined; sha256: string | undefined; etag: string | null } | undefined> {
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.opts.bucket, Key: key }));
      return { size: out.ContentLength, sha256: out.Metadata?.sha256, etag: unquote(out.ETag) };
    } catch (error) {
      // 404: not there yet. 403: a policy may allow PutObject without GetObject; uploading again is merely wasteful.
      const status = statusOf(error);
      if (status === 404 || status === 403) return undefined;
      throw bucketErrorOf(error, this.describe);
    }
  }
}

/** The endpoint for messages: without user:password, without a trailing slash. */
function displayEndpoint(opts: BucketOptions): string {
  if (!opts.endpoint) return `https://s3.${opts.region}.amazonaws.com`;
  try {
    const url = new URL(opts.endpoint);
    url.username = '';
    url.password = '';
    url.search = '';
    return url.toString().replace(/\/+$/, '');
  } catch {
    return opts.endpoint.replace(/\/\/[^@/]*@/, '//').replace(/\/+$/, '');
  }
}
