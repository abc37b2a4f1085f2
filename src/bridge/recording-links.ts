import type { Config } from '../config/schema.js';
import { RecordingLinks } from '../recordings/links.js';

/**
 * The recording links of this configuration. `listeningUrl` is the bridge's own address once it listens; commands
 * that run beside a bridge (retry, parse) name the address it would have. http.publicBaseUrl wins over both.
 */
export function recordingLinksFor(config: Pick<Config, 'http' | 'recordings'>, secret: string, listeningUrl?: string): RecordingLinks {
  return new RecordingLinks({
    publicBaseUrl: config.http.publicBaseUrl ?? listeningUrl ?? `http://127.0.0.1:${config.http.port}`,
    secret,
    ttlHours: config.recordings.linkTtlHours,
  });
}
