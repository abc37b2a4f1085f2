import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { RecordingPreparer } from '../prepare/preparer.js';
import { ffmpegTool } from '../recordings/audio-tool.js';
import { RecordingBucket } from '../recordings/bucket.js';
import { bucketOptionsOf } from '../recordings/config.js';
import { Held } from '../ledger/held.js';
import type { Locks } from '../ledger/locks.js';
import { definePart } from './lifecycle.js';

/** The preparer's timings: not in the configuration file, tests shorten them. */
export const PREPARE_TIMINGS = { pollMs: 1_000, sweepIntervalMs: 3_600_000, backoff: { baseMs: 1_000, maxMs: 300_000 } };

/** Where the bridge keeps the recordings it made (stereo merges, conversions): next to the ledger. */
export function madeRecordingsDir(config: Pick<Config, 'dataDir'>): string {
  return path.resolve(config.dataDir, 'recordings');
}

export const recordingsPart = definePart({
  name: 'recordings',
  summary:
    'Local recordings made ready before their calls are sent: two mono files merged into one stereo file (recordings.split), telephone encodings converted (convert), uploaded to the S3-compatible bucket (delivery: upload; presigned links, deleteAfterDays).',
  build(deps: {
    config: Pick<Config, 'recordings' | 'submit' | 'dataDir'>;
    ledger: Ledger;
    /** Replicas on one ledger: one at a time makes recordings ready (the role `prepare`). */
    locks: Locks;
    logger: Logger;
    onReady: () => void;
    timings?: typeof PREPARE_TIMINGS;
  }) {
    const { config, ledger, logger } = deps;
    const rec = config.recordings;
    const upload = rec.delivery === 'upload' ? rec.upload : undefined;
    const makes = rec.split !== undefined || rec.convert !== 'off';
    if (!upload && !makes) {
      return {
        preparer: null,
        presign: null,
        // Calls a bridge with another configuration left to be made ready go out with this bridge's own links.
        async start() {
          const waiting = await ledger.query({ states: ['prepare'] });
          for (const row of waiting) await ledger.update(row.externalId, { state: 'pending', nextAttemptAt: Date.now() }, { states: ['prepare'] });
          if (waiting.length) logger.info(`${waiting.length} call(s) were waiting for their recording to be made ready; this configuration neither uploads, merges nor converts, so they are sent with links to this bridge`);
        },
      };
    }
    const bucket = upload ? new RecordingBucket(bucketOptionsOf(upload)) : null;
    const tool = makes ? ffmpegTool({ command: rec.ffmpeg }) : null;
    const preparer = new RecordingPreparer({
      ledger,
      bucket,
      make: { split: rec.split, convert: rec.convert, tool, cacheDir: madeRecordingsDir(config), keepAfterConfirmedMs: rec.linkTtlHours * 3_600_000 },
      roots: rec.roots,
      config: { concurrency: rec.concurrency, deleteAfterDays: upload?.deleteAfterDays, shutdownTimeoutMs: config.submit.shutdownTimeoutMs, ...(deps.timings ?? PREPARE_TIMINGS) },
      logger,
      onReady: deps.onReady,
    });
    const preparing = new Held(deps.locks, 'prepare', { start: () => preparer.start(), stop: () => preparer.stop() }, { what: 'making recordings ready', logger });
    const ttlSeconds = Math.round(rec.linkTtlHours * 3600);
    return {
      preparer,
      /** A fresh link to a call's recording in the bucket, for the body about to be sent; null: recordings are served. */
      presign: bucket ? (key: string) => bucket.presign(key, ttlSeconds) : null,
      async start() {
        await preparing.start();
        // Said at once, not at the first call: a missing ffmpeg or a wrong bucket is found on the day it is configured.
        const checks: Array<Promise<unknown>> = [];
        if (tool) {
          checks.push(
            tool.version().then(
              (version) => logger.info(`recordings are merged and converted with ${version}`),
              (error: unknown) => logger.error(`recordings cannot be merged or converted: ${error instanceof Error ? error.message : String(error)}; calls whose recordings need it wait`),
            ),
          );
        }
        if (bucket) {
          checks.push(
            bucket.check().then(
              () => logger.info(`recordings are uploaded to ${bucket.describe}`),
              (error: unknown) => logger.error(`recordings cannot be uploaded yet: ${error instanceof Error ? error.message : String(error)}; calls with local recordings wait`),
            ),
          );
        }
        await Promise.all(checks);
      },
      async stop() {
        await preparing.stop();
        bucket?.close();
      },
    };
  },
});
