import type { Config } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { RecordingBucket } from '../recordings/bucket.js';
import { bucketOptionsOf } from '../recordings/config.js';
import { Uploader } from '../upload/uploader.js';
import { definePart } from './lifecycle.js';

/** The uploader's timings: not in the configuration file, tests shorten them. */
export const UPLOAD_TIMINGS = { pollMs: 1_000, sweepIntervalMs: 3_600_000, backoff: { baseMs: 1_000, maxMs: 300_000 } };

export const uploadsPart = definePart({
  name: 'uploads',
  summary: 'recordings.delivery: upload. Local recordings to the S3-compatible bucket before their calls are sent (presigned links), and deleteAfterDays.',
  build(deps: { config: Pick<Config, 'recordings' | 'submit'>; ledger: Ledger; logger: Logger; onUploaded: () => void; timings?: typeof UPLOAD_TIMINGS }) {
    const { config, ledger, logger } = deps;
    const upload = config.recordings.delivery === 'upload' ? config.recordings.upload : undefined;
    if (!upload) {
      return {
        uploader: null,
        presign: null,
        // Calls left waiting for an upload by a bridge that had delivery: upload go out with this bridge's own links.
        async start() {
          const waiting = await ledger.query({ states: ['prepare'] });
          for (const row of waiting) await ledger.update(row.externalId, { state: 'pending', nextAttemptAt: Date.now() }, { states: ['prepare'] });
          if (waiting.length) logger.info(`${waiting.length} call(s) were waiting for a recording upload; recordings.delivery is serve now, so they are sent with links to this bridge`);
        },
      };
    }
    const bucket = new RecordingBucket(bucketOptionsOf(upload));
    const timings = deps.timings ?? UPLOAD_TIMINGS;
    const uploader = new Uploader({
      ledger,
      bucket,
      roots: config.recordings.roots,
      config: { concurrency: upload.concurrency, deleteAfterDays: upload.deleteAfterDays, shutdownTimeoutMs: config.submit.shutdownTimeoutMs, ...timings },
      logger,
      onUploaded: deps.onUploaded,
    });
    const ttlSeconds = Math.round(config.recordings.linkTtlHours * 3600);
    return {
      uploader,
      /** A fresh link to a call's recording in the bucket, for the body about to be sent. */
      presign: (key: string) => bucket.presign(key, ttlSeconds),
      async start() {
        uploader.start();
        // Said at once, not at the first call: a wrong bucket name or key is found on the day it is configured.
        await bucket.check().then(
          () => logger.info(`recordings are uploaded to ${bucket.describe}`),
          (error: unknown) => logger.error(`recordings cannot be uploaded yet: ${error instanceof Error ? error.message : String(error)}; calls with local recordings wait`),
        );
      },
      async stop() {
        await uploader.stop();
        bucket.close();
      },
    };
  },
});
