import { randomUUID } from 'node:crypto';
import type { ConversationPayload } from '../dstny/payload.js';
import { statusClass } from '../dstny/classify.js';
import { ApiError, AuthError, PermanentApiError, RateLimitedError, RetryableApiError } from '../dstny/errors.js';
import { type ApiGate, GateClosedError } from '../dstny/gate.js';
import type { Ledger, LedgerRow, RowEvent } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { logStateChange } from '../log/state-change.js';
import { backoffDelay, startOfUtcDay } from '../backoff.js';
import { LedgerUnavailableError } from '../errors.js';
import type { SubmitConfig } from './config.js';
import type { Telemetry } from '../telemetry.js';

/** A row's fields once its request is over: no lease, no request in flight. */
const DONE = { leaseOwner: null, leaseUntil: null, sendingAt: null };
/** Pumps started by wakes (commits) are at least this far apart: a call waits at most this long for one. */
const WAKE_GAP_MS = 100;

/** standby: another replica of a shared ledger submits (set by the status, which knows the roles). */
export type SubmitterState = 'running' | 'paused' | 'halted' | 'quota' | 'stopped' | 'standby';

export interface SubmitterStatus {
  state: SubmitterState;
  /** Why submission is halted (auth) or held (quota); never contains the token. */
  reason: string | null;
  pausedUntil: number | null;
  queued: number;
  inFlight: number;
  sent: number;
}

export interface SubmitterDeps {
  ledger: Ledger;
  /** The API gate: it paces, pauses on a 429 and tells when it is paused. */
  api: Pick<ApiGate, 'createConversation' | 'pausedUntilMs'> & Partial<Pick<ApiGate, 'freeSlotInMs'>>;
  config: SubmitConfig;
  /** import.maxShareOfDailyQuota: the share of submit.dailyQuota imported calls may use per UTC day (default 0.5). */
  importShare?: number;
  logger: Logger;
  /** Lease owner id; unique per process. */
  owner?: string;
  random?: () => number;
  /**
   * The body to send for a row, just before it is sent (default: the stored payload). The bridge re-signs a local
   * recording link here, so a row that waited longer than the link's lifetime still sends a link Dstny can fetch.
   */
  prepare?: (row: LedgerRow & { payload: ConversationPayload }) => ConversationPayload | Promise<ConversationPayload>;
  /** Sees each call created, with its time since hangup (the metrics). */
  telemetry?: Pick<Telemetry, 'callSubmitted'>;
}

/**
 * Moves due rows from the ledger into the API gate's queue, posts them, and records each outcome for its row.
 * The gate alone paces and pauses; this class only decides what an answer means for the row. Every outcome is
 * written to the ledger under the row's lease, so a row can never be sent by two processes at once, and a crash
 * leaves it `submitting` → `verify`, never silently re-sent.
 */
export class Submitter {
  readonly owner: string;
  private readonly cfg: SubmitConfig;
  private readonly log: Logger;
  private pumpTimer: NodeJS.Timeout | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  private pumping: Promise<number> | null = null;
  private wokenWhilePumping = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private slotTimer: NodeJS.Timeout | null = null;
  /** When the last pump began (Date.now()). */
  private pumpStartedAt = 0;
  /** Imported rows queued or in flight: at most one at a time, so a live call never waits behind the backlog. */
  private readonly imports = new Set<string>();
  /** Rows claimed and queued but not started; released (handed back to the ledger) on pause, halt and stop. */
  private readonly queued = new Map<string, LedgerRow>();
  /** Every enqueued row's whole course, by external id; the started ones are `inFlightIds`. */
  private readonly tasks = new Map<string, Promise<void>>();
  private readonly inFlightIds = new Set<string>();
  /** When each started request began (epoch ms), for its attempt in the call's history. */
  private readonly startedAt = new Map<string, number>();
  private stopped = true;
  private renewedAt = 0;
  private haltReason: string | null = null;
  /** The ledger could not be read on the last pump (told once, until it is back). */
  private ledgerDown = false;
  private probeDue = false;
  private quotaUntil = 0;
  private sent = 0;

  constructor(private readonly deps: SubmitterDeps) {
    this.owner = deps.owner ?? `callbridge-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.cfg = deps.config;
    this.log = deps.logger.child({ component: 'submit' });
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pumpTimer = setInterval(() => void this.pump(), this.cfg.pumpIntervalMs);
    void this.pump();
  }

  status(now = Date.now()): SubmitterStatus {
    const pausedUntil = this.deps.api.pausedUntilMs(now);
    let state: SubmitterState = 'running';
    if (this.stopped) state = 'stopped';
    else if (this.haltReason) state = 'halted';
    else if (this.quotaUntil > now) state = 'quota';
    else if (pausedUntil) state = 'paused';
    const reason = state === 'halted' ? this.haltReason : state === 'quota' ? `daily quota of ${this.cfg.dailyQuota} conversations reached; resuming at ${new Date(this.quotaUntil).toISOString()}` : null;
    return { state, reason, pausedUntil, queued: this.queued.size, inFlight: this.inFlightIds.size, sent: this.sent };
  }

  /** One pump: recover dead leases, then claim as many due rows as the queue can start soon. Returns rows queued. */
  pump(now = Date.now()): Promise<number> {
    // One pump at a time: a slow ledger must not make two pumps claim on top of each other.
    this.pumping ??= this.pumpUnlocked(now).finally(() => {
      this.pumping = null;
      if (this.wokenWhilePumping) {
        this.wokenWhilePumping = false;
        void this.pump();
      }
    });
    return this.pumping;
  }

  /**
   * Rows were just committed as due: look now instead of at the next interval. A pump already running may have
   * read the ledger before they were there, so one more follows it. Wakes come with every commit, so under a flood
   * of calls they start a pump at most every WAKE_GAP_MS: each pump reads the ledger on the event loop.
   */
  wake(): void {
    if (this.stopped || this.wakeTimer) return;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = null;
        if (this.stopped) return;
        if (this.pumping) this.wokenWhilePumping = true;
        else void this.pump();
      },
      Math.max(0, this.pumpStartedAt + WAKE_GAP_MS - Date.now()),
    );
    this.wakeTimer.unref();
  }

  private async pumpUnlocked(now: number): Promise<number> {
    if (this.stopped) return 0;
    this.pumpStartedAt = Date.now();
    try {
      await this.heartbeat(now);
      const recovered = await this.deps.ledger.recoverExpiredLeases(now);
      this.ledgerBack();
      if (recovered) this.log.warn(`${recovered} request(s) were in flight when their process stopped; they will be looked up before being sent again`);
      if (this.deps.api.pausedUntilMs(now)) return 0;
      let room = this.capacity() - this.queued.size - this.inFlightIds.size;
      if (this.haltReason) {
        if (!this.probeDue || this.inFlightIds.size > 0) return 0;
        room = 1; // the probe: one real submission tells whether the token works again
        this.probeDue = false;
      }
      room = Math.min(room, await this.quotaLeft(now));
      if (room <= 0) return 0;
      const claim = { now, owner: this.owner, leaseMs: this.cfg.leaseMs };
      const rows = await this.deps.ledger.claimDue({ ...claim, limit: room, lane: 'live' });
      // The backlog only where no live call is due, one call at a time: a live call that comes meanwhile waits at
      // most for the one imported request ahead of it.
      if (rows.length < room && (await this.importAllowed(now))) rows.push(...(await this.deps.ledger.claimDue({ ...claim, limit: 1, lane: 'import' })));
      for (const row of rows) this.enqueue(row);
      return rows.length;
    } catch (error) {
      if (!(error instanceof LedgerUnavailableError)) this.log.error('pump failed; will try again', { error });
      else if (!this.ledgerDown) {
        // Once per outage, not on every pump while the database is down or the disk full.
        this.ledgerDown = true;
        this.log.error(`${error.message}; submission waits until the ledger is back`);
      }
      return 0;
    }
  }

  private ledgerBack(): void {
    if (!this.ledgerDown) return;
    this.ledgerDown = false;
    this.log.info('the ledger is back: submission resumed');
  }

  /** Keep the leases of every row this process holds alive, so no other process (or our own recovery) takes them. */
  private async heartbeat(now: number): Promise<void> {
    if (now - this.renewedAt < this.cfg.leaseMs / 3) return;
    this.renewedAt = now;
    const held = [...this.queued.keys(), ...this.inFlightIds];
    if (held.length) await this.deps.ledger.renewLeases(this.owner, held, now + this.cfg.leaseMs);
  }

  /** Enough queued work to keep the rate busy for about two windows, no more (leases stay short). */
  private capacity(): number {
    return Math.max(this.cfg.concurrency, Math.ceil(this.cfg.rateLimit.perSecond * 2)) + this.cfg.concurrency;
  }

  private async quotaLeft(now: number): Promise<number> {
    if (this.cfg.dailyQuota === 0) return Number.POSITIVE_INFINITY;
    if (this.quotaUntil > now) return 0;
    const dayStart = startOfUtcDay(now);
    const used = (await this.deps.ledger.countSubmittedSince(dayStart)) + this.queued.size + this.inFlightIds.size;
    const left = this.cfg.dailyQuota - used;
    if (left <= 0 && this.queued.size + this.inFlightIds.size === 0) {
      this.quotaUntil = dayStart + 86_400_000;
      this.log.warn(`daily quota of ${this.cfg.dailyQuota} conversations reached: holding submissions (nothing is failed) until ${new Date(this.quotaUntil).toISOString()}`);
    }
    return Math.max(0, left);
  }

  /**
   * No imported call in hand, the gate free to send it at once (so it never holds a slot ahead of a live call that
   * comes a moment later: a live call waits at most for the slot an imported request just used), and the backlog's
   * share of today's quota not used up.
   */
  private async importAllowed(now: number): Promise<boolean> {
    if (this.imports.size) return false;
    const wait = this.deps.api.freeSlotInMs?.(now) ?? 0;
    if (wait > 0) {
      if (Number.isFinite(wait)) this.pumpIn(wait);
      return false;
    }
    if (this.cfg.dailyQuota === 0) return true;
    const share = Math.floor((this.deps.importShare ?? 0.5) * this.cfg.dailyQuota);
    return (await this.deps.ledger.countSubmittedSince(startOfUtcDay(now), 'import')) < share;
  }

  /** One pump after `ms` (the next free slot), besides the regular ones. */
  private pumpIn(ms: number): void {
    if (this.slotTimer || this.stopped) return;
    this.slotTimer = setTimeout(() => {
      this.slotTimer = null;
      if (!this.stopped) void this.pump();
    }, ms);
    this.slotTimer.unref();
  }

  private enqueue(row: LedgerRow): void {
    this.queued.set(row.externalId, row);
    if (row.lane === 'import') this.imports.add(row.externalId);
    const task = this.deps.api
      .createConversation(() => this.begin(row))
      .then(
        (answer) => (answer ? this.created(row, answer.conversationId, answer.status) : undefined),
        (error: unknown) => this.failed(row, error),
      )
      .catch((error: unknown) => {
        this.log.error(`recording the outcome of ${row.externalId} failed; its lease will expire and it will be looked up`, { error });
      })
      .finally(() => {
        this.tasks.delete(row.externalId);
        this.inFlightIds.delete(row.externalId);
        this.startedAt.delete(row.externalId);
        // The next imported call may go as soon as this one is done.
        if (this.imports.delete(row.externalId)) this.wake();
      });
    this.tasks.set(row.externalId, task);
  }

  /**
   * The gate's turn for this row has come: mark the request as started (from here a crash means "look it up",
   * not "send again") and hand over the body. Null: nothing to send (released while waiting, lease lost, no payload).
   */
  private async begin(row: LedgerRow): Promise<ConversationPayload | null> {
    if (!this.queued.delete(row.externalId)) return null;
    this.inFlightIds.add(row.externalId);
    const { ledger } = this.deps;
    const lease = { leaseOwner: this.owner, states: ['submitting' as const] };
    const started = Date.now();
    if (!(await ledger.update(row.externalId, { leaseUntil: started + this.cfg.leaseMs, sendingAt: started }, lease))) {
      this.log.warn(`row ${row.externalId} lost its lease while queued; not sending it`);
      return null;
    }
    if (!row.payload) {
      const reason = 'no payload to send';
      if (await ledger.update(row.externalId, { state: 'rejected', reason, leaseOwner: null, leaseUntil: null }, lease)) {
        logStateChange(this.log, { externalId: row.externalId, to: 'rejected', reason, location: row.location, fix: 'retry normalizes it again from its stored CDR' });
      }
      return null;
    }
    this.startedAt.set(row.externalId, started);
    return this.deps.prepare ? this.deps.prepare({ ...row, payload: row.payload }) : row.payload;
  }

  /**
   * The attempt in the call's history: what Dstny answered (or that nothing came). History only: a ledger that
   * cannot take it does not change what happened to the row.
   */
  private async recordAttempt(row: LedgerRow, answer: Pick<RowEvent, 'outcome' | 'status' | 'message' | 'conversationId'>): Promise<void> {
    const at = this.startedAt.get(row.externalId);
    if (at === undefined) return;
    try {
      await this.deps.ledger.addEvents([{ externalId: row.externalId, at, kind: 'attempt', durationMs: Date.now() - at, ...answer }]);
    } catch (error) {
      this.log.warn(`the attempt of ${row.externalId} could not be added to its history`, { error });
    }
  }

  private async created(row: LedgerRow, conversationId: string | null, status: number | undefined): Promise<void> {
    const submittedAt = Date.now();
    await this.recordAttempt(row, { outcome: '2xx', status: status ?? null, message: conversationId ? null : 'answered without a conversation_id', conversationId });
    const recorded = await this.deps.ledger.update(
      row.externalId,
      {
        state: 'submitted',
        conversationId,
        submittedAt,
        attempts: 'increment',
        reason: conversationId ? null : 'Dstny answered without a conversation_id; the reconciler will look it up',
        ...DONE,
      },
      { leaseOwner: this.owner, states: ['submitting'] },
    );
    this.sent++;
    // An imported call ended weeks ago: its wait says nothing about how fast calls go.
    if (recorded && row.payload && row.lane === 'live') this.deps.telemetry?.callSubmitted(hangupMs(row.payload), submittedAt);
    if (this.haltReason) this.resume();
  }

  private async failed(row: LedgerRow, error: unknown): Promise<void> {
    const { ledger } = this.deps;
    const lease = { leaseOwner: this.owner, states: ['submitting' as const] };
    const now = Date.now();
    if (!(error instanceof GateClosedError)) {
      const status = error instanceof ApiError ? error.status : null;
      // An error of our own (the body could not be made) is no answer of Dstny's.
      const outcome = error instanceof ApiError ? statusClass(status) : 'not-sent';
      await this.recordAttempt(row, { outcome, status, message: error instanceof Error ? error.message : String(error), conversationId: null });
    }
    if (error instanceof GateClosedError) {
      // Shutting down before its turn: never sent. stop() has normally handed it back already.
      if (this.queued.delete(row.externalId)) await ledger.update(row.externalId, { state: 'pending', nextAttemptAt: now, ...DONE }, lease);
    } else if (error instanceof RateLimitedError) {
      // The gate has paused every request; this row goes back without burning an attempt.
      await ledger.update(row.externalId, { state: 'pending', nextAttemptAt: now + error.retryAfterMs, ...DONE }, lease);
    } else if (error instanceof AuthError) {
      // Halt before any await: the gate may give the next queued row its turn meanwhile, and it must not be sent.
      this.halt(error.message);
      const released = this.releaseQueued(now);
      await ledger.update(row.externalId, { state: 'pending', nextAttemptAt: now, ...DONE }, lease);
      await released;
    } else if (error instanceof PermanentApiError) {
      if (await ledger.update(row.externalId, { state: 'failed', reason: error.apiMessage, attempts: 'increment', ...DONE }, lease)) {
        logStateChange(this.log, {
          externalId: row.externalId,
          to: 'failed',
          reason: `refused by Dstny: ${error.apiMessage}`,
          location: row.location ?? row.sourceId,
          // The same body goes again: only what lies outside it (the owner's user at Dstny, the recording link) can change.
          fix: "see the API's message: once what it names is fixed at Dstny or where the recording link points",
        });
      }
    } else {
      await this.retryLater(row, error, now);
    }
  }

  private async retryLater(row: LedgerRow, error: unknown, now: number): Promise<void> {
    const lease = { leaseOwner: this.owner, states: ['submitting' as const] };
    const reason = error instanceof Error ? error.message : String(error);
    const attempts = row.attempts + 1;
    const done = { ...DONE, attempts: 'increment' as const };
    if (!(error instanceof RetryableApiError)) this.log.error(`unexpected error submitting ${row.externalId}`, { error });
    if (error instanceof RetryableApiError && error.maybeDelivered) {
      // The request may have reached Dstny: sending again could create the call twice. Look it up first.
      await this.deps.ledger.update(row.externalId, { state: 'verify', reason: `${reason} (may have been delivered: will be looked up before sending again)`, nextAttemptAt: now, ...done }, lease);
      this.log.warn(`call ${row.externalId}: ${reason}; it may have been delivered, so it will be looked up before it is sent again`);
      return;
    }
    if (attempts >= this.cfg.maxAttempts) {
      const gaveUp = `gave up after ${attempts} attempts: ${reason}`;
      if (await this.deps.ledger.update(row.externalId, { state: 'failed', reason: gaveUp, ...done }, lease)) {
        logStateChange(this.log, {
          externalId: row.externalId,
          to: 'failed',
          reason: gaveUp,
          location: row.location ?? row.sourceId,
          fix: 'once Dstny answers again (submit.maxAttempts is how often the bridge tries)',
        });
      }
      return;
    }
    const wait = Math.max(backoffDelay(attempts, this.cfg.backoff, this.deps.random), error instanceof RetryableApiError ? (error.delayMs ?? 0) : 0);
    await this.deps.ledger.update(row.externalId, { state: 'pending', reason, nextAttemptAt: now + wait, ...done }, lease);
    this.log.warn(`call ${row.externalId}: ${reason}; retry ${attempts}/${this.cfg.maxAttempts - 1} in ${Math.ceil(wait / 1000)} s`);
  }

  /** Hand every queued, not-started row back to the ledger (due at `dueAt`). */
  private async releaseQueued(dueAt: number): Promise<void> {
    const rows = [...this.queued.keys()];
    this.queued.clear();
    for (const id of rows) {
      await this.deps.ledger.update(
        id,
        { state: 'pending', nextAttemptAt: dueAt, leaseOwner: null, leaseUntil: null, sendingAt: null },
        { leaseOwner: this.owner, states: ['submitting'] },
      );
    }
  }

  private halt(reason: string): void {
    if (this.haltReason) {
      this.log.error(`the API token is still refused: ${reason}; next probe in ${Math.round(this.cfg.authProbeIntervalMs / 1000)} s`);
      return;
    }
    this.haltReason = reason;
    this.log.error(
      `SUBMISSION STOPPED: ${reason}. No calls are sent (none are failed or lost) until a request succeeds again; one probe every ${Math.round(this.cfg.authProbeIntervalMs / 1000)} s.`,
    );
    this.probeTimer = setInterval(() => {
      this.probeDue = true;
      void this.pump();
    }, this.cfg.authProbeIntervalMs);
  }

  private resume(): void {
    this.log.info('the API token works again: submission resumed');
    this.haltReason = null;
    this.probeDue = false;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  /**
   * Stop taking work, hand queued rows back, let in-flight requests finish within shutdownTimeoutMs.
   * A request still running after that keeps its lease and becomes `verify` later: nothing is lost or re-sent blindly.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pumpTimer) clearInterval(this.pumpTimer);
    if (this.probeTimer) clearInterval(this.probeTimer);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    if (this.slotTimer) clearTimeout(this.slotTimer);
    this.pumpTimer = this.probeTimer = this.wakeTimer = this.slotTimer = null;
    await this.pumping;
    await this.releaseQueued(Date.now());
    if (this.inFlightIds.size) {
      let timer: NodeJS.Timeout | undefined;
      const timedOut = await Promise.race([
        Promise.allSettled([...this.inFlightIds].map((id) => this.tasks.get(id))).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), this.cfg.shutdownTimeoutMs);
        }),
      ]);
      clearTimeout(timer);
      if (timedOut) this.log.warn(`${this.inFlightIds.size} request(s) still in flight at shutdown; they will be looked up before being sent again`);
    }
  }

  /** Resolves when nothing is due, queued or in flight (tests, benchmarks, `callbridge start --once`). */
  async idle(pollMs = 50): Promise<void> {
    for (;;) {
      await this.pump();
      if (this.queued.size === 0 && this.inFlightIds.size === 0) {
        const due = (await this.deps.ledger.stats()).oldestDue;
        if (!due || due.state !== 'pending' || due.nextAttemptAt > Date.now() || this.haltReason || this.stopped) return;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
}

/** When the call ended: its end time, else its start plus its length; null when neither can be read. */
function hangupMs(payload: ConversationPayload): number | null {
  const end = payload.call_end_time ? Date.parse(payload.call_end_time) : Date.parse(payload.call_start_time) + (payload.call_duration ?? Number.NaN) * 1000;
  return Number.isNaN(end) ? null : end;
}
