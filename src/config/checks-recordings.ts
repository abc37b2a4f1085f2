import { ffmpegTool } from '../recordings/audio-tool.js';
import { RecordingBucket } from '../recordings/bucket.js';
import { bucketOptionsOf } from '../recordings/config.js';
import type { PathFinding } from './checks-paths.js';
import type { Config } from './schema.js';

/**
 * What the recordings section needs besides its folders: ffmpeg when recordings are merged or converted, and with
 * delivery: upload a bucket that exists and that the credentials of the AWS default chain may use (one HeadBucket,
 * nothing written). Either missing is an error: the bridge would start, but the calls that need it would wait.
 */
export async function checkRecordings(config: Pick<Config, 'recordings'>, opts: { timeoutMs?: number } = {}): Promise<PathFinding[]> {
  return [...(await checkFfmpeg(config)), ...(await checkBucket(config, opts))];
}

async function checkFfmpeg(config: Pick<Config, 'recordings'>): Promise<PathFinding[]> {
  const { split, convert, ffmpeg } = config.recordings;
  if (split === undefined && convert === 'off') return [];
  try {
    await ffmpegTool({ command: ffmpeg }).version();
    return [];
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const needs = split ? 'recordings.split' : 'recordings.convert';
    return [{ severity: 'error', key: 'recordings.ffmpeg', message: `${why}; ${needs} needs it, and calls whose recordings it would make ready would wait` }];
  }
}

async function checkBucket(config: Pick<Config, 'recordings'>, opts: { timeoutMs?: number }): Promise<PathFinding[]> {
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
