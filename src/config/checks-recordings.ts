import { RecordingBucket } from '../recordings/bucket.js';
import { bucketOptionsOf } from '../recordings/config.js';
import type { PathFinding } from './checks-paths.js';
import type { Config } from './schema.js';

/**
 * What the recordings section needs outside this host: with delivery: upload, the bucket exists and the credentials
 * of the AWS default chain may use it (one HeadBucket, nothing written). A bucket that cannot be used is an error:
 * the bridge would start, but every call with a local recording would wait.
 */
export async function checkRecordingDelivery(config: Pick<Config, 'recordings'>, opts: { timeoutMs?: number } = {}): Promise<PathFinding[]> {
  const upload = config.recordings.delivery === 'upload' ? config.recordings.upload : undefined;
  if (!upload) return [];
  const timeoutMs = Math.min(upload.requestTimeoutSeconds * 1000, opts.timeoutMs ?? 10_000);
  const bucket = new RecordingBucket({ ...bucketOptionsOf(upload), requestTimeoutMs: timeoutMs, maxAttempts: 1 });
  try {
    await bucket.check();
    return [];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return [{ severity: 'error', key: 'recordings.upload', message: `${why}; calls with local recordings would wait until the bridge can upload them` }];
  } finally {
    bucket.close();
  }
}
