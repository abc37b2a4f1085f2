import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { LedgerUnavailableError } from '../errors.js';
import { ReplayGuard } from '../http/replay-guard.js';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Telemetry } from '../telemetry.js';

export interface WebhookRouterOptions {
  ledger: Ledger;
  logger?: Logger;
  /** Path secret of `POST /webhooks/dstny/:secret` (the v2 event is unsigned). Unset: that route answers 404. */
  secret?: string;
  /** HMAC key of the signed `conversation.completed` event. Unset: signed events are refused. */
  signingSecret?: string;
  /** Signed events whose X-Webhook-Timestamp is further than this from now are refused (seconds). */
  toleranceSeconds?: number;
  maxBodyBytes?: number;
  now?: () => number;
  /** Sees each call it confirms (the metrics). */
  telemetry?: Pick<Telemetry, 'callConfirmed'>;
}

/** The documented v2 event: {"event_type":"conversation_created","payload":{"conversation_id":"..."}}. */
const v2Envelope = z.object({ event_type: z.string().min(1) }).loose();
const v2Created = z.object({ payload: z.object({ conversation_id: z.string().min(1) }).loose() }).loose();
/** The newer API's signed event: the conversation id is at data.conversation.id. */
const signedCompleted = z.object({ data: z.object({ conversation: z.object({ id: z.union([z.string().min(1), z.number()]) }).loose() }).loose() }).loose();

type ConfirmOutcome = 'confirmed' | 'already-confirmed' | 'unknown' | 'not-submitted';

function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The Dstny webhook receiver, mounted by the HTTP app:
 * - `POST /webhooks/dstny/:secret`: the v2 `conversation_created` event (unsigned, so the URL carries a
 *   secret; a wrong secret falls through to the app's plain 404). Also takes signed events.
 * - `POST /webhooks/dstny`: signed `conversation.completed` events only.
 * A known conversation id confirms its row at once; an unknown one is logged and answered 200 (the
 * reconciler will find the call); a malformed body gets 400; a ledger that cannot write gets 503 (retry).
 */
export function createWebhookRouter(opts: WebhookRouterOptions): express.Router {
  const { ledger, secret, signingSecret } = opts;
  const logger = opts.logger ?? silentLogger();
  const now = opts.now ?? Date.now;
  const toleranceMs = (opts.toleranceSeconds ?? 300) * 1000;
  const replays = new ReplayGuard(2 * toleranceMs);
  const raw = express.raw({ type: () => true, limit: opts.maxBodyBytes ?? 64 * 1024 });
  const router = express.Router();

  const confirm = async (conversationId: string, via: string): Promise<ConfirmOutcome> => {
    const row = await ledger.findByConversationId(conversationId);
    if (!row) {
      logger.info('webhook: unknown conversation id (not ours, or not recorded yet; the reconciler will check)', { conversationId, via });
      return 'unknown';
    }
    if (row.state === 'confirmed') return 'already-confirmed';
    const confirmedAt = now();
    const ok = await ledger.update(row.externalId, { state: 'confirmed', confirmedAt, reason: null }, { states: ['submitted', 'missing'] });
    if (ok) {
      logger.info('webhook: conversation confirmed', { externalId: row.externalId, conversationId, via });
      opts.telemetry?.callConfirmed('webhook', row.submittedAt, confirmedAt);
      await ledger
        .addEvents([{ externalId: row.externalId, at: confirmedAt, kind: 'webhook', outcome: 'confirmed', status: null, message: via, conversationId, durationMs: null }])
        .catch((error: unknown) => logger.warn('webhook: the confirmation could not be added to the call\'s history', { error }));
      return 'confirmed';
    }
    const current = await ledger.get(row.externalId);
    if (current?.state === 'confirmed') return 'already-confirmed';
    logger.warn('webhook: conversation reported for a row that is not submitted', { externalId: row.externalId, state: current?.state, conversationId });
    return 'not-submitted';
  };

  const parseJson = (req: Request): unknown => {
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    return JSON.parse(body) as unknown;
  };

  const handleV2 = async (req: Request, res: Response): Promise<void> => {
    let body: unknown;
    try {
      body = parseJson(req);
    } catch {
      res.status(400).json({ error: 'body is not JSON' });
      return;
    }
    const envelope = v2Envelope.safeParse(body);
    if (!envelope.success) {
      res.status(400).json({ error: 'event_type: expected a string' });
      return;
    }
    if (envelope.data.event_type !== 'conversation_created') {
      logger.info('webhook: ignoring an event type we do not handle', { eventType: envelope.data.event_type });
      res.status(200).json({ ok: true, ignored: envelope.data.event_type });
      return;
    }
    const created = v2Created.safeParse(body);
    if (!created.success) {
      res.status(400).json({ error: 'payload.conversation_id: expected a non-empty string' });
      return;
    }
    const outcome = await confirm(created.data.payload.conversation_id, 'conversation_created');
    res.status(200).json({ ok: true, outcome });
  };

  const handleSigned = async (req: Request, res: Response): Promise<void> => {
    if (!signingSecret) {
      res.status(401).json({ error: 'signed events are not accepted (no signing secret configured)' });
      return;
    }
    const signature = req.get('x-webhook-signature') ?? '';
    const timestamp = req.get('x-webhook-timestamp') ?? '';
    const deliveryId = req.get('x-webhook-delivery-id') ?? '';
    const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const expected = Buffer.from(`sha256=${createHmac('sha256', signingSecret).update(rawBody).digest('hex')}`);
    const given = Buffer.from(signature.trim().toLowerCase());
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.status(401).json({ error: 'bad signature' });
      return;
    }
    const ts = Number(timestamp);
    const at = now();
    if (!/^\d+$/.test(timestamp) || Math.abs(at - ts * 1000) > toleranceMs) {
      res.status(401).json({ error: 'stale or missing X-Webhook-Timestamp' });
      return;
    }
    if (!deliveryId) {
      res.status(400).json({ error: 'X-Webhook-Delivery-Id is missing' });
      return;
    }
    if (replays.has(deliveryId, at)) {
      res.status(409).json({ error: 'delivery already processed' });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(rawBody.toString('utf8')) as unknown;
    } catch {
      res.status(400).json({ error: 'body is not JSON' });
      return;
    }
    const event = req.get('x-webhook-event') ?? (body as { event?: unknown } | null)?.event;
    if (event !== 'conversation.completed') {
      replays.add(deliveryId, at);
      res.status(200).json({ ok: true, ignored: typeof event === 'string' ? event : null });
      return;
    }
    const parsed = signedCompleted.safeParse(body);
    if (!parsed.success) {
      res.status(400).json({ error: 'data.conversation.id: expected a conversation id' });
      return;
    }
    const outcome = await confirm(String(parsed.data.data.conversation.id), 'conversation.completed');
    // Remembered only once handled: a delivery that failed (503) may be retried with the same id.
    replays.add(deliveryId, at);
    res.status(200).json({ ok: true, outcome });
  };

  const answer = (handler: (req: Request, res: Response) => Promise<void>) => async (req: Request, res: Response) => {
    try {
      await handler(req, res);
    } catch (error) {
      if (!(error instanceof LedgerUnavailableError)) throw error;
      logger.warn('webhook: ledger unavailable; asking the sender to retry', { error });
      res.status(503).json({ error: 'temporarily unavailable, retry later' });
    }
  };

  const checkPathSecret = (req: Request, _res: Response, next: NextFunction) => {
    const given = req.params.secret;
    // A wrong secret is indistinguishable from a route that does not exist.
    if (!secret || typeof given !== 'string' || !sameSecret(given, secret)) {
      next('router');
      return;
    }
    next();
  };

  router.post(
    '/webhooks/dstny/:secret',
    checkPathSecret,
    raw,
    answer((req, res) => (req.get('x-webhook-signature') !== undefined ? handleSigned(req, res) : handleV2(req, res))),
  );
  router.post(
    '/webhooks/dstny',
    (_req, _res, next) => next(signingSecret ? undefined : 'router'),
    raw,
    answer(handleSigned),
  );

  // Body errors (too large, bad encoding) answered here, so the app's handler never sees webhook bodies.
  router.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith('/webhooks/dstny')) {
      next(error);
      return;
    }
    const status = (error as { status?: number }).status;
    if (status === 413 || status === 400 || status === 415) {
      res.status(status).json({ error: (error as Error).message });
      return;
    }
    next(error);
  });

  return router;
}
