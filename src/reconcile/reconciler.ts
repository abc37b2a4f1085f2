import cron, { type ScheduledTask } from 'node-cron';
import { AuthError } from '../dstny/errors.js';
import type { Ledger, LedgerRow } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { ReconcileConfig } from './config.js';
import { type DateWindow, dateWindows, fieldAt } from './windows.js';

/**
 * The part of the Dstny API the reconciler needs (the runtime hands it the API gate, which paces and pauses
 * these look-ups together with the creations):
 * `listConversations` is GET api/v2/conversations with array params sent as `name[]=v`;
 * `getByPath` is a GET whose 404 answers null.
 */
export interface ConversationLookup {
  listConversations(query: Record<string, string | string[]>): Promise<unknown[]>;
  getByPath(path: string): Promise<unknown | null>;
}

export interface ReconcilerDeps {
  ledger: Ledger;
  api: ConversationLookup;
  config: ReconcileConfig;
  logger?: Logger;
  /** Errors that deserve a loud log (default: the client's AuthError). Every API error stops the run. */
  isFatal?: (error: unknown) => boolean;
}

export interface ReconcileSummary {
  /** Submitted rows past the grace period that were looked up. */
  checked: number;
  confirmed: number;
  /** Became missing in this run. */
  missing: number;
  /** Missing rows sent back to pending (first time missing). */
  resubmitted: number;
  /** Missing rows that had already been resubmitted: they stay missing and are reported. */
  reported: number;
  /** Rows left in flight by a crash that were found at Dstny (confirmed, never re-sent). */
  verifyFound: number;
  /** Rows left in flight that were not found after verifyWaitMinutes: back to pending. */
  verifyRequeued: number;
  /** Rows whose look-up could not be done this run (API error, truncated list beyond the search budget). */
  inconclusive: number;
  /** API requests made by this run. */
  apiCalls: number;
}

const MINUTE = 60_000;

function emptySummary(): ReconcileSummary {
  return { checked: 0, confirmed: 0, missing: 0, resubmitted: 0, reported: 0, verifyFound: 0, verifyRequeued: 0, inconclusive: 0, apiCalls: 0 };
}

/** Thrown inside a run to stop it after an API error; the rows keep their state for the next run. */
class RunAborted extends Error {}

interface Found {
  conversationId: string | null;
}

/** What the list answers tell us: conversations by id and by external id. */
class Sightings {
  readonly byId = new Map<string, unknown>();
  readonly byExternalId = new Map<string, unknown[]>();

  constructor(private readonly lookup: ReconcileConfig['lookup']) {}

  add(items: unknown[]): void {
    for (const item of items) {
      const id = fieldAt(item, this.lookup.idField);
      if (id !== undefined) this.byId.set(id, item);
      const ext = fieldAt(item, this.lookup.externalIdField);
      if (ext !== undefined) {
        const list = this.byExternalId.get(ext);
        if (list) list.push(item);
        else this.byExternalId.set(ext, [item]);
      }
    }
  }

  /** By our conversation id first (the one Dstny answered us), else by external id. */
  match(row: LedgerRow): Found | null {
    if (row.conversationId && this.byId.has(row.conversationId)) return { conversationId: row.conversationId };
    const items = this.byExternalId.get(row.externalId);
    if (items?.length) return { conversationId: fieldAt(items[0], this.lookup.idField) ?? null };
    return null;
  }
}

/**
 * Proves that every submitted call appeared at Dstny. Runs on a node-cron schedule (or `runOnce(now)`):
 * - `submitted` rows older than the grace period are looked up (one list query per date window, or per id);
 *   found → `confirmed`; not found by the deadline → `missing`, then once back to `pending` if configured;
 * - `verify` rows (in flight when a process died) are looked up by external id: found → `confirmed`, never
 *   re-sent; not found `verifyWaitMinutes` after the crash → `pending`.
 * A row is declared missing only when its look-up succeeded; an API error leaves rows as they are.
 */
export class Reconciler {
  private readonly ledger: Ledger;
  private readonly api: ConversationLookup;
  private readonly config: ReconcileConfig;
  private readonly logger: Logger;
  private readonly isFatal: (error: unknown) => boolean;
  private task: ScheduledTask | null = null;
  private running: Promise<ReconcileSummary> | null = null;

  constructor(deps: ReconcilerDeps) {
    this.ledger = deps.ledger;
    this.api = deps.api;
    this.config = deps.config;
    this.logger = (deps.logger ?? silentLogger()).child({ component: 'reconcile' });
    this.isFatal = deps.isFatal ?? ((error) => error instanceof AuthError);
    if (!this.config.lookup.externalIdField) {
      this.logger.warn(
        'reconcile.lookup.externalIdField is empty: calls left in flight by a crash cannot be looked up and will be re-sent after verifyWaitMinutes (a duplicate is possible)',
      );
    }
  }

  /** Start the cron schedule. */
  start(): void {
    if (this.task || !this.config.enabled) return;
    this.task = cron.createTask(
      this.config.schedule,
      async () => {
        try {
          await this.runOnce();
        } catch (error) {
          this.logger.error('reconcile run failed', { error });
        }
      },
      { name: 'reconcile', noOverlap: true },
    );
    void this.task.start();
  }

  /** Stop the schedule and wait for a run in progress. */
  async stop(): Promise<void> {
    const task = this.task;
    this.task = null;
    if (task) await task.destroy();
    if (this.running) await this.running.catch(() => undefined);
  }

  /** One reconciliation pass. Concurrent calls share the run in progress. */
  runOnce(now: number = Date.now()): Promise<ReconcileSummary> {
    this.running ??= this.run(now).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async run(now: number): Promise<ReconcileSummary> {
    const summary = emptySummary();
    const graceMs = this.config.graceMinutes * MINUTE;
    const submitted = await this.ledger.query({ states: ['submitted'], before: now - graceMs, limit: this.config.maxRowsPerRun });
    const verify = await this.ledger.query({ states: ['verify'], limit: this.config.maxRowsPerRun });
    if (!submitted.length && !verify.length) return summary;
    summary.checked = submitted.length;

    const call = async <T>(fn: () => Promise<T>): Promise<T> => {
      summary.apiCalls += 1;
      try {
        return await fn();
      } catch (error) {
        if (this.isFatal(error)) this.logger.error('reconcile: the Dstny API refused our credentials; look-ups stopped until the next run', { error });
        else this.logger.warn('reconcile: a look-up failed; the rest of this run is skipped and retried on the next run', { error });
        throw new RunAborted();
      }
    };

    const { found, lookedUp } = await this.lookUp(submitted, verify, call);

    for (const row of submitted) {
      if (!lookedUp.has(row.externalId)) {
        summary.inconclusive += 1;
        continue;
      }
      const hit = found.get(row.externalId);
      if (hit) {
        const ok = await this.ledger.update(
          row.externalId,
          { state: 'confirmed', confirmedAt: now, conversationId: row.conversationId ?? hit.conversationId, reason: null },
          { states: ['submitted'] },
        );
        if (ok) summary.confirmed += 1;
        if (row.conversationId && hit.conversationId && hit.conversationId !== row.conversationId) {
          this.logger.warn('reconcile: found the call under another conversation id than the one we were given', {
            externalId: row.externalId,
            ours: row.conversationId,
            listed: hit.conversationId,
          });
        }
        continue;
      }
      const since = row.submittedAt ?? row.updatedAt;
      if (now - since >= this.config.deadlineMinutes * MINUTE) await this.markMissing(row, now, summary);
    }

    for (const row of verify) {
      if (!lookedUp.has(row.externalId)) continue;
      const hit = found.get(row.externalId);
      if (hit) {
        const ok = await this.ledger.update(
          row.externalId,
          {
            state: 'confirmed',
            confirmedAt: now,
            submittedAt: row.submittedAt ?? row.updatedAt,
            conversationId: hit.conversationId ?? row.conversationId,
            reason: null,
            leaseOwner: null,
            leaseUntil: null,
          },
          { states: ['verify'] },
        );
        if (ok) {
          summary.verifyFound += 1;
          this.logger.info('reconcile: a call left in flight by a crash was created at Dstny; not sending it again', { externalId: row.externalId });
        }
        continue;
      }
      if (now - row.updatedAt >= this.config.verifyWaitMinutes * MINUTE) {
        const ok = await this.ledger.update(
          row.externalId,
          { state: 'pending', nextAttemptAt: now, reason: `not found at Dstny ${this.config.verifyWaitMinutes} min after the crash that interrupted it; sending again` },
          { states: ['verify'] },
        );
        if (ok) summary.verifyRequeued += 1;
      }
    }

    if (summary.confirmed || summary.missing || summary.verifyFound || summary.verifyRequeued || summary.inconclusive) {
      this.logger.info('reconcile run', { ...summary });
    } else {
      this.logger.debug('reconcile run', { ...summary });
    }
    return summary;
  }

  /**
   * Look rows up at Dstny. Returns what was found (by external id) and which rows were conclusively
   * looked up (a row not in `lookedUp` must not be judged missing).
   */
  private async lookUp(
    submitted: LedgerRow[],
    verify: LedgerRow[],
    call: <T>(fn: () => Promise<T>) => Promise<T>,
  ): Promise<{ found: Map<string, Found>; lookedUp: Set<string> }> {
    const found = new Map<string, Found>();
    const lookedUp = new Set<string>();
    const lookup = this.config.lookup;
    const sightings = new Sightings(lookup);
    // perId mode: rows with a conversation id are fetched one by one; everything else goes through the list.
    const perId = lookup.mode === 'perId' ? submitted.filter((r) => r.conversationId) : [];
    const perIdSet = new Set(perId);
    const listed = [...submitted.filter((r) => !perIdSet.has(r)), ...verify];

    try {
      for (const row of perId) {
        const path = lookup.perIdPath.replace('{id}', encodeURIComponent(row.conversationId!));
        const item = await call(() => this.api.getByPath(path));
        lookedUp.add(row.externalId);
        if (item !== null && item !== undefined) found.set(row.externalId, { conversationId: row.conversationId });
      }

      const { windows, undated } = dateWindows(listed, (r) => r.payload?.call_start_time, lookup.windowPaddingDays, lookup.maxWindowDays);
      for (const row of undated) this.logger.warn('reconcile: row has no readable call_start_time; cannot look it up', { externalId: row.externalId });
      let searches = 0;
      for (const window of windows) {
        const items = await call(() => this.api.listConversations(this.windowQuery(window)));
        sightings.add(items);
        const truncated = lookup.listPageSize > 0 && items.length >= lookup.listPageSize;
        for (const row of window.rows) {
          const hit = sightings.match(row);
          if (hit) {
            found.set(row.externalId, hit);
            lookedUp.add(row.externalId);
          } else if (!truncated) {
            lookedUp.add(row.externalId);
          } else if (searches < lookup.maxSearchesPerRun) {
            // The window's answer may have been cut short: ask for this call by its external id.
            searches += 1;
            const results = await call(() => this.api.listConversations({ ...this.windowQuery(window), search: row.externalId }));
            sightings.add(results);
            const again = sightings.match(row);
            if (again) found.set(row.externalId, again);
            lookedUp.add(row.externalId);
          }
        }
      }
    } catch (error) {
      if (!(error instanceof RunAborted)) throw error;
    }
    return { found, lookedUp };
  }

  private windowQuery(window: DateWindow<LedgerRow>): Record<string, string | string[]> {
    const query: Record<string, string | string[]> = { global_start: window.start, global_end: window.end };
    if (this.config.lookup.recordingTypes.length) query.recording_types = [...this.config.lookup.recordingTypes];
    return query;
  }

  private async markMissing(row: LedgerRow, now: number, summary: ReconcileSummary): Promise<void> {
    const minutes = Math.round((now - (row.submittedAt ?? row.updatedAt)) / MINUTE);
    const after = row.resubmits > 0 ? ' after its resubmission' : '';
    const reason = `not found at Dstny ${minutes} min after submission${after}${row.conversationId ? ` (conversation ${row.conversationId})` : ''}`;
    const ok = await this.ledger.update(row.externalId, { state: 'missing', reason }, { states: ['submitted'] });
    if (!ok) return;
    summary.missing += 1;
    if (this.config.resubmitMissing && row.resubmits === 0) {
      const back = await this.ledger.update(
        row.externalId,
        {
          state: 'pending',
          resubmits: 'increment',
          attempts: 0,
          nextAttemptAt: now,
          conversationId: null,
          submittedAt: null,
          reason: `resubmitted once: ${reason}`,
        },
        { states: ['missing'] },
      );
      if (back) {
        summary.resubmitted += 1;
        this.logger.warn('reconcile: call never appeared at Dstny; resubmitting it once', { externalId: row.externalId, reason });
      }
      return;
    }
    summary.reported += 1;
    this.logger.error('reconcile: call never appeared at Dstny; it stays missing (see callbridge status / retry)', { externalId: row.externalId, reason });
  }
}
