import { Readable } from 'node:stream';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import { LedgerUnavailableError, ParseError } from '../errors.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { IngestSummary, Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from '../sources/config.js';
import { authNeedsBody, checkHookAuth, signedRequestId, type AuthResult } from './auth.js';
import { ReplayGuard } from './replay-guard.js';

type HookSource = Extract<SourceConfig, { type: 'hook' }>;

export interface HooksDeps {
  sources: readonly SourceConfig[];
  ingestor: Pick<Ingestor, 'ingestLegs'>;
  logger?: Logger;
  /** Retry-After of 503 answers, seconds. */
  retryAfterSec?: number;
  /** http.publicBaseUrl: the base of the URLs PBXs call (checked by signature schemes that sign the URL). */
  publicBaseUrl?: string;
  now?: () => number;
  /** Signed requests remembered per HMAC source, for answering an exact repeat (default 10,000; oldest dropped first). */
  maxRememberedRequests?: number;
}

/** The 200 answer: the call ids of the body, after they are committed to the ledger. */
export interface HookAccepted {
  accepted: string[];
  duplicates: number;
  inserted: number;
  updated: number;
  conflicts: number;
  stashed: number;
  skipped: number;
  rejected: number;
  held: number;
  /** Parts of the body that could not be read, when others could. */
  errors?: IngestSummary['errors'];
  /**
   * Set when this exact signed request was already accepted inside its timestamp window: nothing was taken again
   * (every count is 0) and `accepted` repeats the ids the first answer gave.
   */
  repeat?: true;
  note?: string;
}

/**
 * `POST /hooks/:sourceId`: a PBX posts a CDR (JSON, XML, form fields); the raw body goes undecoded to the source's
 * adapter, which decodes it. The answer comes only after the ledger commit:
 * 200 with the ids (a repeated post of the same call is still 200: the ledger says duplicate),
 * 400 when nothing in the body is a call, 401/403 for authentication, 404 for an unknown source,
 * 413 for a body over the source's maxBodyBytes, 503 + Retry-After when the ledger cannot take it.
 *
 * HMAC sources: the exact same signed request again (same signature, so same timestamp and body) while its timestamp
 * is still inside the tolerance window is not taken again. It is answered 200 with `repeat: true`, the ids the first
 * answer gave and counts of 0, and logged (warn) as a repeat. Not an error status, because the usual sender of an exact
 * repeat is the PBX itself retrying after its first answer was lost: a 4xx would make it report a failure (or retry
 * forever) for a call we hold. An attacker replaying a captured request gains nothing either way: it only learns the
 * ids it could already read from the body, and the ledger would have answered a duplicate anyway. Past the window the
 * timestamp check refuses it (403) as before. Remembered only once accepted, so a post that failed (503) can be
 * retried as is; a repeat arriving while the first is still being stored is taken like a new post (the ledger makes
 * it a duplicate).
 */
export function createHooksRouter(deps: HooksDeps): Router {
  const log = (deps.logger ?? silentLogger()).child({ component: 'hooks' });
  const now = deps.now ?? Date.now;
  const retryAfter = String(deps.retryAfterSec ?? 30);
  const hooks = new Map<string, { source: HookSource; readBody: RequestHandler; seen: ReplayGuard<string[]> | null }>();
  for (const source of deps.sources) {
    if (source.type !== 'hook') continue;
    // Kept 2x the tolerance: a request signed up to one tolerance ahead of our clock stays acceptable that long.
    const seen = source.auth.type === 'hmac' ? new ReplayGuard<string[]>(2 * source.auth.toleranceSec * 1000, deps.maxRememberedRequests) : null;
    hooks.set(source.id, { source, readBody: express.raw({ type: () => true, limit: source.maxBodyBytes }), seen });
  }

  // The URL a PBX called, as it saw it (Twilio signs it): the configured public base, else what this request says.
  const publicBase = (req: Request) => deps.publicBaseUrl?.replace(/\/+$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const router = express.Router();
  router.post('/hooks/:sourceId', async (req: Request<{ sourceId: string }>, res: Response) => {
    const hook = hooks.get(req.params.sourceId);
    if (!hook) {
      res.status(404).json({ error: 'no hook source with this id' });
      return;
    }
    const { source } = hook;
    const authReq = { header: (name: string) => req.header(name), publicUrl: `${publicBase(req)}${req.originalUrl}` };
    if (!authNeedsBody(source.auth) && refuse(res, checkHookAuth(source.auth, authReq, null, now()), source.id)) return;

    const body = await readBody(hook.readBody, req, res);
    if (body.kind === 'error') {
      if (body.status === 413) {
        log.warn(`refused a body over ${source.maxBodyBytes} bytes`, { source: source.id });
        res.status(413).json({ error: `the body is larger than this source accepts (${source.maxBodyBytes} bytes)` });
      } else {
        res.status(body.status).json({ error: body.message });
      }
      return;
    }
    if (authNeedsBody(source.auth) && refuse(res, checkHookAuth(source.auth, authReq, body.data, now()), source.id)) return;
    const requestId = hook.seen ? signedRequestId(source.auth, authReq) : null;
    if (hook.seen && requestId && hook.seen.has(requestId, now())) {
      const accepted = hook.seen.get(requestId, now()) ?? [];
      // Neither the signature nor the secret: the source and the (signed, public) timestamp say which request it was.
      log.warn(`a signed post was received again inside its timestamp window (a replay, or the sender retrying): answered as a repeat, nothing taken again`, {
        source: source.id,
        signedAt: source.auth.type === 'hmac' ? req.header(source.auth.timestampHeader)?.trim() : undefined,
        calls: accepted.length,
      });
      const repeat: HookAccepted = {
        accepted,
        duplicates: 0,
        inserted: 0,
        updated: 0,
        conflicts: 0,
        stashed: 0,
        skipped: 0,
        rejected: 0,
        held: 0,
        repeat: true,
        note: 'this exact signed request was already accepted; nothing new was taken',
      };
      res.status(200).json(repeat);
      return;
    }
    if (body.data.length === 0) {
      res.status(400).json({ error: 'the body is empty; post the CDR as the request body' });
      return;
    }

    let summary: IngestSummary;
    try {
      summary = await deps.ingestor.ingestLegs(source, {
        name: `hook:${source.id}`,
        stream: Readable.from([body.data], { objectMode: false }),
        contentType: req.get('content-type'),
        query: flattenQuery(req.query),
      });
    } catch (error) {
      if (error instanceof ParseError) {
        // The adapter could not read the body at all (not one bad call among others).
        log.warn(`a post could not be read: ${error.message}`, { source: source.id });
        res.status(400).json({ error: error.message });
      } else if (error instanceof LedgerUnavailableError) {
        log.warn(`the ledger cannot take a post, answered 503: ${error.message}`, { source: source.id });
        res.set('Retry-After', retryAfter).status(503).json({ error: 'the bridge cannot store calls right now; retry later' });
      } else {
        log.error('a hook post failed', { source: source.id, error });
        res.status(500).json({ error: 'internal error; the call was not stored' });
      }
      return;
    }

    if (summary.ids.length === 0 && summary.errors.length > 0) {
      log.warn(`a post had no readable call: ${summary.errors[0]?.message ?? ''}`, { source: source.id });
      res.status(400).json({ error: 'no call could be read from the body', errors: summary.errors });
      return;
    }
    const answer: HookAccepted = {
      accepted: summary.ids,
      duplicates: summary.duplicates,
      inserted: summary.inserted,
      updated: summary.updated,
      conflicts: summary.conflicts,
      stashed: summary.stashed,
      skipped: summary.skipped,
      rejected: summary.rejected,
      held: summary.held,
    };
    if (summary.errors.length > 0) answer.errors = summary.errors;
    if (hook.seen && requestId) hook.seen.add(requestId, now(), summary.ids);
    log.info(`post accepted: ${summary.ids.length} call(s), ${summary.duplicates} duplicate(s)`, { source: source.id });
    res.status(200).json(answer);
  });
  router.all('/hooks/:sourceId', (_req, res) => {
    res.set('Allow', 'POST').status(405).json({ error: 'hooks take POST only' });
  });
  return router;

  function refuse(res: Response, result: AuthResult, sourceId: string): boolean {
    if (result.ok) return false;
    if (result.challenge) res.set('WWW-Authenticate', result.challenge);
    log.warn(`refused a post (${result.status}): ${result.message}`, { source: sourceId });
    res.status(result.status).json({ error: result.message });
    return true;
  }
}

type BodyResult = { kind: 'ok'; data: Buffer } | { kind: 'error'; status: number; message: string };

/** Run the source's raw-body parser (its size limit) and turn its errors into answers. */
function readBody(parser: RequestHandler, req: Request, res: Response): Promise<BodyResult> {
  return new Promise((resolve) => {
    void parser(req, res, (error?: unknown) => {
      if (!error) {
        const body: unknown = req.body;
        resolve({ kind: 'ok', data: Buffer.isBuffer(body) ? body : Buffer.alloc(0) });
        return;
      }
      const e = error as { status?: number; type?: string; expose?: boolean; message?: string };
      if (e.type === 'entity.too.large' || e.status === 413) resolve({ kind: 'error', status: 413, message: 'body too large' });
      else if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
        resolve({ kind: 'error', status: e.status, message: e.expose && e.message ? e.message : 'the body could not be read' });
      } else resolve({ kind: 'error', status: 400, message: 'the body could not be read' });
    });
  });
}

/** The adapters take one string per query key (FreeSWITCH's `?uuid=`); repeated keys keep the first. */
function flattenQuery(query: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!query || typeof query !== 'object') return out;
  for (const [key, value] of Object.entries(query as Record<string, unknown>)) {
    const v = Array.isArray(value) ? value[0] : value;
    if (typeof v === 'string') out[key] = v;
  }
  return out;
}
