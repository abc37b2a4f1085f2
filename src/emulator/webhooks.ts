import { createHmac, randomUUID } from 'node:crypto';
import type { Logger } from '../log/logger.js';
import { type EmulatorWebhook, emulatorWebhookSchema } from './config.js';
import { type ConversationRecord, listedConversation } from './conversations.js';

export interface WebhookDelivery {
  url: string;
  conversationId: string;
  deliveryId: string;
  /** 0 = first try, 1..n = retries. */
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
}

type Target = ReturnType<typeof emulatorWebhookSchema.parse>;

const DELIVERY_LOG_LIMIT = 10_000;

/** The documented v2 event body. */
export function conversationCreatedEvent(conversationId: string): string {
  return JSON.stringify({ event_type: 'conversation_created', payload: { conversation_id: conversationId } });
}

/** The newer API's signed event: body + headers (X-Webhook-Signature = sha256 HMAC of the raw body). */
export function signedCompletedEvent(
  rec: ConversationRecord,
  secret: string,
  deliveryId: string,
  nowMs: number,
): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({
    event: 'conversation.completed',
    delivery_id: deliveryId,
    created_at: new Date(nowMs).toISOString(),
    data: { conversation: listedConversation(rec) },
  });
  return {
    body,
    headers: {
      'x-webhook-event': 'conversation.completed',
      'x-webhook-delivery-id': deliveryId,
      'x-webhook-timestamp': Math.floor(nowMs / 1000).toString(),
      'x-webhook-signature': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    },
  };
}

/**
 * Posts events to registered URLs. A delivery that fails (network error or non-2xx) is retried once per
 * entry of `retryDelaysMs` ("retried up to 3 times with an increasing delay").
 */
export class WebhookDispatcher {
  private readonly targets: Target[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private closed = false;
  readonly deliveries: WebhookDelivery[] = [];

  constructor(
    private readonly opts: {
      retryDelaysMs: number[];
      timeoutMs: number;
      logger: Logger;
      counts: { attempts: number; delivered: number; failed: number; gaveUp: number };
      clock: () => number;
    },
    targets: EmulatorWebhook[] = [],
  ) {
    for (const t of targets) this.register(t);
  }

  register(target: EmulatorWebhook): Target {
    const parsed = emulatorWebhookSchema.parse(target);
    if (parsed.style === 'signed' && !parsed.signingSecret) throw new Error('webhook style "signed" needs a signingSecret');
    this.targets.push(parsed);
    return parsed;
  }

  list(): Array<{ url: string; style: string }> {
    return this.targets.map((t) => ({ url: t.url, style: t.style }));
  }

  clear(): void {
    this.targets.length = 0;
  }

  /** A conversation appeared: tell every registered URL. */
  dispatch(rec: ConversationRecord): void {
    for (const target of this.targets) {
      // One delivery id per event and receiver; retries repeat it (so a receiver can refuse replays).
      void this.attempt(target, rec, randomUUID(), 0);
    }
  }

  private async attempt(target: Target, rec: ConversationRecord, deliveryId: string, attempt: number): Promise<void> {
    if (this.closed) return;
    const now = this.opts.clock();
    const { body, headers } =
      target.style === 'signed'
        ? signedCompletedEvent(rec, target.signingSecret!, deliveryId, now)
        : { body: conversationCreatedEvent(rec.id), headers: {} as Record<string, string> };
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.opts.timeoutMs);
    const entry: WebhookDelivery = { url: target.url, conversationId: rec.id, deliveryId, attempt, at: now, status: null, error: null };
    this.opts.counts.attempts += 1;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'callbridge-emulator (test double)', ...headers },
        body,
        signal: controller.signal,
      });
      entry.status = res.status;
      await res.body?.cancel();
    } catch (error) {
      entry.error = (error as Error).message;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
    this.log(entry);
    if (entry.status !== null && entry.status >= 200 && entry.status < 300) {
      this.opts.counts.delivered += 1;
      return;
    }
    this.opts.counts.failed += 1;
    const delay = this.opts.retryDelaysMs[attempt];
    if (delay === undefined || this.closed) {
      this.opts.counts.gaveUp += 1;
      // Only the origin: a v2 receiver's path carries its secret.
      this.opts.logger.warn('emulator: webhook delivery gave up', { to: new URL(target.url).origin, conversationId: rec.id, attempts: attempt + 1 });
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      void this.attempt(target, rec, deliveryId, attempt + 1);
    }, delay);
    this.timers.add(t);
  }

  private log(entry: WebhookDelivery): void {
    this.deliveries.push(entry);
    if (this.deliveries.length > DELIVERY_LOG_LIMIT) this.deliveries.shift();
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
  }
}
