import express, { type Request, type Response, type Router } from 'express';
import { LedgerUnavailableError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { RecordingLinks } from '../recordings/links.js';
import { audioContentType } from '../recordings/content-type.js';
import { localRecordingPath, locateRecording } from '../recordings/locate.js';
import type { Telemetry } from '../telemetry.js';

export interface RecordingsDeps {
  ledger: Pick<Ledger, 'get'>;
  links: Pick<RecordingLinks, 'verify'>;
  /** recordings.roots: the only folders a recording may be served from. */
  roots: readonly string[];
  /** Where the bridge keeps the recordings it made (merged, converted): a row's made file is served from there only. */
  madeDir?: string;
  logger?: Logger;
  now?: () => number;
  retryAfterSec?: number;
  /** Sees each recording served whole or in part (the metrics). */
  telemetry?: Pick<Telemetry, 'recordingServed'>;
}

/**
 * `GET|HEAD /recordings/:token`: a local recording, for a valid signed token that names a ledger row. The file is the
 * row's `raw.recording.path`, never anything from the request, and must lie inside `recordings.roots`.
 *
 * Answers never contain a path, and log lines name the call id only. A forged, malformed or expired token gets 403
 * (the body says "expired" for the latter, so an administrator can tell a stale link from a bad one); an unknown row,
 * a call without a local recording or a missing file gets 404; a path outside the roots 403.
 * Range requests are served by express's sendFile (`send`): 206 with Content-Range, 416 when unsatisfiable.
 */
export function createRecordingsRouter(deps: RecordingsDeps): Router {
  const log = (deps.logger ?? silentLogger()).child({ component: 'recordings' });
  const now = deps.now ?? Date.now;
  const router = express.Router();

  router.get('/recordings/:token', async (req: Request<{ token: string }>, res: Response) => {
    res.set('Cache-Control', 'private, no-store');
    const check = deps.links.verify(req.params.token, now());
    if (!check.ok) {
      res.status(403).json({ error: check.reason === 'expired' ? 'this recording link has expired' : 'invalid recording link' });
      return;
    }
    const id = check.claim.id;
    let raw: unknown;
    let made: string | null;
    try {
      const row = await deps.ledger.get(id);
      if (!row) {
        res.status(404).json({ error: 'no such recording' });
        return;
      }
      raw = row.raw;
      made = row.recordingFile;
    } catch (error) {
      if (error instanceof LedgerUnavailableError) {
        res.set('Retry-After', String(deps.retryAfterSec ?? 30)).status(503).json({ error: 'the bridge cannot look up recordings right now; retry later' });
        return;
      }
      throw error;
    }
    const recordingPath = localRecordingPath(raw);
    if (!recordingPath) {
      res.status(404).json({ error: 'this call has no local recording' });
      return;
    }
    // The stereo merge or conversion the bridge made for the call is what its body describes.
    const found = made ? await locateRecording(made, deps.madeDir ? [deps.madeDir] : []) : await locateRecording(recordingPath, deps.roots);
    if (found.kind === 'outside') {
      log.warn(`refused the recording of call ${id}: it is not inside recordings.roots`);
      res.status(403).json({ error: 'this recording is not in a folder the bridge may serve' });
      return;
    }
    if (found.kind === 'missing') {
      log.warn(`the recording of call ${id} is not on disk`);
      res.status(404).json({ error: 'the recording file is not there' });
      return;
    }
    res.set('Content-Type', audioContentType(found.file));
    res.set('X-Content-Type-Options', 'nosniff');
    await new Promise<void>((resolve) => {
      res.sendFile(found.file, { dotfiles: 'allow', acceptRanges: true, cacheControl: false, lastModified: true, etag: true }, (error?: Error) => {
        resolve();
        if (!error) {
          // A HEAD, or a GET answered 304 (a conditional request), sent no recording.
          if (req.method === 'GET' && res.statusCode < 300) deps.telemetry?.recordingServed();
          return;
        }
        const e = error as Error & { status?: number; statusCode?: number; code?: string };
        if (e.code === 'ECONNABORTED' || e.code === 'ECONNRESET' || res.headersSent) return;
        const status = e.status ?? e.statusCode ?? 500;
        if (status === 416) {
          res.set('Content-Range', `bytes */${found.size}`).removeHeader('Content-Type');
          res.status(416).json({ error: 'the requested range is not in the file' });
        } else if (status === 404) {
          res.status(404).json({ error: 'the recording file is not there' });
        } else if (status === 412 || status === 304) {
          res.status(status).end();
        } else {
          // send's messages carry the path: log the call id and the error code only.
          log.error(`serving the recording of call ${id} failed (${e.code ?? status})`);
          res.status(500).json({ error: 'the recording could not be read' });
        }
      });
    });
  });
  return router;
}
