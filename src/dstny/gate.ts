import PQueue from 'p-queue';
import { type Logger, silentLogger } from '../log/logger.js';
import { AdaptiveRate, type RateState } from './adaptive-rate.js';
import type { DstnyClient } from './client.js';
import { ApiError, RateLimitedError } from './errors.js';
import { Pacer } from './pacer.js';
import type { ConversationPayload } from './payload.js';
import { CallbridgeError } from '../errors.js';
import { Sleepers } from '../sleepers.js';

/** The requests the bridge makes (DstnyClient; a stand-in in tests). */
export type DstnyApi = Pick<DstnyClient, 'createConversation' | 'listConversations' | 'getByPath' | 'listUsers'>;

export interface ApiGateOptions {
  /** The configured rate, requests/s: never exceeded. */
  perSecond: number;
  concurrency: number;
  /** Lower the rate when Dstny keeps answering 429 (default on); off = the configured rate, always. */
  adaptive?: boolean;
  logger?: Logger;
}

export interface GateStatus {
  /** Epoch ms the pause for a 429 ends; null when not paused. */
  pausedUntil: number | null;
  /** Why it is paused (the API's 429 message), null when not paused. */
  pauseReason: string | null;
  rate: RateState;
  /** 429 answers since start. */
  rateLimited: number;
  waiting: number;
  running: number;
}

/** The gate was closed (shutdown) before the request could start: nothing was sent. */
export class GateClosedError extends CallbridgeError {
  constructor() {
    super('the API gate is closed (shutting down); the request was not sent');
  }
}

/**
 * Every request to the Dstny API passes through here: creations, reconciler look-ups and the users directory.
 * It is the one owner of the API's pace: starts are spaced by the pacer at the adaptive rate, at most
 * `concurrency` run at once, and a 429 pauses the gate for its Retry-After BEFORE the caller sees the error, so
 * nothing (not a creation queued elsewhere, not a look-up) starts until the pause is over. Callers only record
 * what the error means for their own row.
 */
export class ApiGate {
  private readonly queue: PQueue;
  private readonly pacer: Pacer;
  private rate: AdaptiveRate;
  private readonly adaptive: boolean;
  private readonly log: Logger;
  private pausedUntil = 0;
  private pauseReason: string | null = null;
  private rateLimited = 0;
  private closed = false;
  private readonly sleepers = new Sleepers();

  constructor(
    private readonly client: DstnyApi,
    opts: ApiGateOptions,
  ) {
    this.queue = new PQueue({ concurrency: opts.concurrency });
    this.pacer = new Pacer(opts.perSecond);
    this.adaptive = opts.adaptive ?? true;
    this.rate = new AdaptiveRate({ max: opts.perSecond, adaptive: this.adaptive });
    this.log = (opts.logger ?? silentLogger()).child({ component: 'api' });
  }

  /**
   * POST a conversation. `body` is asked for when the request may start (null: nothing to send, the slot is
   * given up): the submitter marks its row as "request started" there, so a crash from then on means
   * "look it up", never "send again". Returns null when nothing was sent.
   */
  createConversation(body: () => Promise<ConversationPayload | null>): Promise<{ conversationId: string | null; status?: number } | null> {
    return this.run(async (send) => {
      const payload = await body();
      return payload ? send(() => this.client.createConversation(payload)) : null;
    });
  }

  listConversations(query: Record<string, string | string[]>): Promise<unknown[]> {
    return this.run((send) => send(() => this.client.listConversations(query)));
  }

  getByPath(apiPath: string): Promise<unknown | null> {
    return this.run((send) => send(() => this.client.getByPath(apiPath)));
  }

  listUsers(): Promise<unknown[]> {
    return this.run((send) => send(() => this.client.listUsers()));
  }

  /** Epoch ms the pause ends, or null when not paused. */
  pausedUntilMs(now = Date.now()): number | null {
    return this.pausedUntil > now ? this.pausedUntil : null;
  }

  /**
   * How long until a request handed over now would start: 0 when nothing waits or runs and a slot is free, the rest
   * of a pause or of the current slot, Infinity while other requests wait or run. The submitter hands over an
   * imported call only at 0, so that it never holds a slot a live call could need.
   */
  freeSlotInMs(now = Date.now()): number {
    if (this.closed || this.queue.size + this.queue.pending > 0) return Number.POSITIVE_INFINITY;
    if (this.pausedUntil > now) return this.pausedUntil - now;
    return this.pacer.waitMs();
  }

  status(now = Date.now()): GateStatus {
    const pausedUntil = this.pausedUntilMs(now);
    return {
      pausedUntil,
      pauseReason: pausedUntil ? this.pauseReason : null,
      rate: this.rate.state(now),
      rateLimited: this.rateLimited,
      waiting: this.queue.size,
      running: this.queue.pending,
    };
  }

  /**
   * A new configured rate (a reload). What the adaptive rate learned about the server's limit goes with the old
   * setting: the operator may have raised it because Dstny raised the account's limit.
   */
  setRate(perSecond: number): void {
    this.rate = new AdaptiveRate({ max: perSecond, adaptive: this.adaptive });
  }

  /** Start nothing more: requests waiting for their turn fail with GateClosedError (they were not sent). */
  close(): void {
    this.closed = true;
    this.sleepers.wakeAll();
  }

  private run<T>(task: (send: <R>(request: () => Promise<R>) => Promise<R>) => Promise<T>): Promise<T> {
    return this.queue.add(async () => {
      await this.turn();
      return task((request) => this.send(request));
    }) as Promise<T>;
  }

  /** One request; its answer feeds the adaptive rate, a 429 pauses the gate before it is rethrown. */
  private async send<R>(request: () => Promise<R>): Promise<R> {
    // Counted where it leaves, after its body was made (the submitter writes to the ledger there, which a busy
    // database may take a while to do): requests that waited there must not leave together.
    for (;;) {
      const now = Date.now();
      const wait = Math.max(this.pacer.holdMs(now), this.pausedUntil - now);
      if (wait <= 0 || this.closed) break;
      await this.sleepers.sleep(wait);
    }
    this.pacer.started();
    try {
      const result = await request();
      this.rate.onAnswer();
      return result;
    } catch (error) {
      if (error instanceof RateLimitedError) this.limited(error, Date.now());
      else if (error instanceof ApiError && error.status !== null) this.rate.onAnswer();
      throw error;
    }
  }

  private limited(error: RateLimitedError, now: number): void {
    this.rateLimited++;
    const until = now + error.retryAfterMs;
    if (until > this.pausedUntil) {
      const wasPaused = this.pausedUntil > now;
      this.pausedUntil = until;
      this.pauseReason = error.message;
      if (!wasPaused) this.log.warn(`Dstny rate limit (429): pausing every API request for ${Math.ceil(error.retryAfterMs / 1000)} s`);
    }
    if (this.rate.onRateLimited(now)) {
      const { perSecond, reason } = this.rate.state(now);
      this.log.warn(`request rate lowered to ${perSecond}/s (${reason})`);
    }
  }

  /** Wait until this request may start: not paused, and its paced slot has come. */
  private async turn(): Promise<void> {
    for (;;) {
      if (this.closed) throw new GateClosedError();
      const now = Date.now();
      if (this.pausedUntil > now) {
        await this.sleepers.sleep(this.pausedUntil - now);
        continue;
      }
      this.pacer.setRate(this.rate.rate(now));
      const wait = this.pacer.reserve();
      if (wait > 0) await this.sleepers.sleep(wait);
      // A 429 answered while this request waited for its slot: wait out the pause too.
      if (!this.closed && this.pausedUntil <= Date.now()) return;
    }
  }
}
