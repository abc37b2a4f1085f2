import cron, { type ScheduledTask } from 'node-cron';
import { AuthError } from '../dstny/errors.js';
import { LedgerUnavailableError } from '../errors.js';
import type { Ledger, LedgerRow, RowEvent } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { logStateChange } from '../log/state-change.js';
import type { ReconcileConfig } from './config.js';
import { noTelemetry, type Telemetry } from '../telemetry.js';
import { Sightings, searchTermFor, type Verdict } from './matching.js';
import { type DateWindow, dateWindows } from './windows.js';

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
  /** Sees each call it confirms (the metrics). */
  telemetry?: Pick<Telemetry, 'callConfirmed'>;
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
  /** Rows that several listed conversations (or several of our rows) could be: kept, reported for an operator. */
  ambiguous: number;
  /** API requests made by this run. */
  apiCalls: number;
}

const MINUTE = 60_000;

function emptySummary(): ReconcileSummary {
  return { checked: 0, confirmed: 0, missing: 0, resubmitted: 0, reported: 0, verifyFound: 0, verifyRequeued: 0, inconclusive: 0, ambiguous: 0, apiCalls: 0 };
}

/** Thrown inside a run to stop it after an API error; the rows keep their state for the next run. */
class RunAborted extends Error {}

/**
 * Proves that every submitted call appeared at Dstny. Runs on a node-cron schedule (or `runOnce(now)`):
 * - `submitted` rows older than the grace period are looked up (one list query per date window, or per id);
 *   found → `confirmed`; not found by the deadline → `missing`, then once back to `pending` if configured;
 * - `verify` rows (in flight when a process died, or a POST whose answer was lost) are looked up: found →
 *   `confirmed`, never re-sent; certainly absent `verifyWaitMinutes` after the crash → `pending`; ambiguous →
 *   kept and reported for an operator, never re-sent automatically (the rule: src/reconcile/matching.ts).
 * A row is declared missing only when its look-up succeeded; an API error leaves rows as they are.
 */
export class Reconciler {
  private readonly ledger: Ledger;
  private readonly api: ConversationLookup;
  private readonly config: ReconcileConfig;
  private readonly logger: Logger;
  private readonly isFatal: (error: unknown) => boolean;
  private readonly telemetry: Pick<Telemetry, 'callConfirmed'>;
  private task: ScheduledTask | null = null;
  private running: Promise<ReconcileSummary> | null = null;
  /** Has any listed conversation carried the configured external-id field (since start)? */
  private externalIdsListed = false;
  private warnedShape = false;

  constructor(deps: ReconcilerDeps) {
    this.ledger = deps.ledger;
    this.api = deps.api;
    this.config = deps.config;
    this.logger = (deps.logger ?? silentLogger()).child({ component: 'reconcile' });
    this.isFatal = deps.isFatal ?? ((error) => error instanceof AuthError);
    this.telemetry = deps.telemetry ?? noTelemetry;
    if (!this.config.lookup.externalIdField) {
      this.logger.warn(
        'reconcile.lookup.externalIdField is empty: calls whose answer was lost are matched on their start time and title instead (see "Exactly once" in the README)',
      );
    }
  }

  /** Start the cron schedule, after one look at what the list shows (is our external id in it?). */
  start(): void {
    if (this.task || !this.config.enabled) return;
    const today = new Date().toISOString().slice(0, 10);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    this.api
      .listConversations(this.windowQuery({ start: yesterday, end: today }))
      .then((items) => {
        const seen = new Sightings(this.config.lookup);
        seen.add(items);
        this.noteShape(seen);
      })
      .catch((error: unknown) => this.logger.debug('reconcile: the first look at the list failed; the next run looks again', { error }));
    this.task = cron.createTask(
      this.config.schedule,
      async () => {
        try {
          await this.runOnce();
        } catch (error) {
          if (error instanceof LedgerUnavailableError) this.logger.warn(`reconcile run skipped: ${error.message}; the next run tries again`);
          else this.logger.error('reconcile run failed', { error });
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

    const verdicts = await this.lookUp(submitted, verify, call);
    await this.recordLookups(verdicts, now);

    for (const row of submitted) {
      const verdict = verdicts.get(row.externalId);
      if (!verdict) {
        summary.inconclusive += 1;
      } else if (verdict.kind === 'found') {
        const ok = await this.ledger.update(
          row.externalId,
          { state: 'confirmed', confirmedAt: now, conversationId: row.conversationId ?? verdict.conversationId, reason: null },
          { states: ['submitted'] },
        );
        if (ok) {
          summary.confirmed += 1;
          this.telemetry.callConfirmed('reconciler', row.submittedAt, now);
        }
        if (row.conversationId && verdict.conversationId && verdict.conversationId !== row.conversationId) {
          this.logger.warn('reconcile: found the call under another conversation id than the one we were given', {
            externalId: row.externalId,
            ours: row.conversationId,
            listed: verdict.conversationId,
          });
        }
      } else if (verdict.kind === 'ambiguous') {
        // Dstny said yes to the POST: the call is there. Which listed conversation it is stays open; never "missing".
        summary.ambiguous += 1;
        await this.reportAmbiguous(row, verdict, 'submitted');
      } else if (now - (row.submittedAt ?? row.updatedAt) >= this.config.deadlineMinutes * MINUTE) {
        await this.markMissing(row, now, summary);
      }
    }

    for (const row of verify) {
      const verdict = verdicts.get(row.externalId);
      if (!verdict) continue;
      if (verdict.kind === 'found') {
        const ok = await this.ledger.update(
          row.externalId,
          {
            state: 'confirmed',
            confirmedAt: now,
            submittedAt: row.submittedAt ?? row.updatedAt,
            conversationId: verdict.conversationId ?? row.conversationId,
            reason: null,
            leaseOwner: null,
            leaseUntil: null,
          },
          { states: ['verify'] },
        );
        if (ok) {
          summary.verifyFound += 1;
          this.telemetry.callConfirmed('reconciler', null, now);
          this.logger.info('reconcile: a call whose request was in doubt was created at Dstny; not sending it again', { externalId: row.externalId, matchedBy: verdict.by });
        }
      } else if (verdict.kind === 'ambiguous') {
        summary.ambiguous += 1;
        await this.reportAmbiguous(row, verdict, 'verify');
      } else if (now - row.updatedAt >= this.config.verifyWaitMinutes * MINUTE) {
        const ok = await this.ledger.update(
          row.externalId,
          { state: 'pending', nextAttemptAt: now, reason: `not found at Dstny ${this.config.verifyWaitMinutes} min after its request was in doubt; sending again` },
          { states: ['verify'] },
        );
        if (ok) summary.verifyRequeued += 1;
      }
    }

    if (summary.confirmed || summary.missing || summary.verifyFound || summary.verifyRequeued || summary.inconclusive || summary.ambiguous) {
      this.logger.info('reconcile run', { ...summary });
    } else {
      this.logger.debug('reconcile run', { ...summary });
    }
    return summary;
  }

  /** Each conclusive look-up in its call's history; history only, so a ledger that cannot take it is logged and the run goes on. */
  private async recordLookups(verdicts: Map<string, Verdict>, now: number): Promise<void> {
    const events: RowEvent[] = [...verdicts].map(([externalId, v]) => ({
      externalId,
      at: now,
      kind: 'lookup',
      outcome: v.kind === 'absent' ? 'not-found' : v.kind,
      status: null,
      message: v.kind === 'found' ? `matched by ${v.by}` : v.kind === 'ambiguous' ? v.why : null,
      conversationId: v.kind === 'found' ? v.conversationId : null,
      durationMs: null,
    }));
    try {
      if (events.length) await this.ledger.addEvents(events);
    } catch (error) {
      this.logger.warn('reconcile: the look-ups could not be added to the calls\' histories', { error });
    }
  }

  /**
   * Look rows up at Dstny. Returns a verdict for each row that was conclusively looked up (a row without one
   * must not be judged missing or absent: its list was cut short beyond the search budget, or the run stopped).
   */
  private async lookUp(submitted: LedgerRow[], verify: LedgerRow[], call: <T>(fn: () => Promise<T>) => Promise<T>): Promise<Map<string, Verdict>> {
    const lookup = this.config.lookup;
    const sightings = new Sightings(lookup);
    const verdicts = new Map<string, Verdict>();
    const judged: LedgerRow[] = [];
    // perId mode: rows with a conversation id are fetched one by one; everything else goes through the list.
    const perId = lookup.mode === 'perId' ? submitted.filter((r) => r.conversationId) : [];
    const perIdSet = new Set(perId);
    const listed = [...submitted.filter((r) => !perIdSet.has(r)), ...verify];

    try {
      for (const row of perId) {
        const path = lookup.perIdPath.replace('{id}', encodeURIComponent(row.conversationId!));
        const item = await call(() => this.api.getByPath(path));
        verdicts.set(row.externalId, item === null || item === undefined ? { kind: 'absent' } : { kind: 'found', conversationId: row.conversationId, by: 'conversation id' });
      }

      const { windows, undated } = dateWindows(listed, (r) => r.payload?.call_start_time, lookup.windowPaddingDays, lookup.maxWindowDays);
      for (const row of undated) this.logger.warn('reconcile: row has no readable call_start_time; cannot look it up', { externalId: row.externalId });
      const cutShort: Array<{ window: DateWindow<LedgerRow>; row: LedgerRow }> = [];
      for (const window of windows) {
        const items = await call(() => this.api.listConversations(this.windowQuery(window)));
        sightings.add(items);
        this.noteShape(sightings);
        const truncated = lookup.listPageSize > 0 && items.length >= lookup.listPageSize;
        for (const row of window.rows) (truncated ? cutShort.push({ window, row }) : judged.push(row));
      }
      // A window's answer may have been cut short: what is not already certain there is searched for on its own.
      let searches = 0;
      for (const { window, row } of cutShort) {
        if (sightings.byIdentity(row)) {
          judged.push(row);
          continue;
        }
        const term = searchTermFor(row, this.externalIdsListed);
        if (term === null || searches >= lookup.maxSearchesPerRun) continue;
        searches += 1;
        const results = await call(() => this.api.listConversations({ ...this.windowQuery(window), search: term }));
        sightings.add(results);
        this.noteShape(sightings);
        if (results.length < lookup.listPageSize) judged.push(row);
      }
    } catch (error) {
      if (!(error instanceof RunAborted)) throw error;
    }

    // Conversations another row of ours already owns are no candidates for these rows.
    const candidates = sightings.candidateIds(judged);
    const owned = new Map<string, string>();
    if (candidates.length) {
      for (const row of await this.ledger.query({ conversationIds: candidates })) owned.set(row.conversationId!, row.externalId);
    }
    for (const [id, verdict] of sightings.judge(judged, owned)) verdicts.set(id, verdict);
    return verdicts;
  }

  /** Warn once, loudly, when the list answers conversations but never with the external-id field we were told to read. */
  private noteShape(seen: Sightings): void {
    const field = this.config.lookup.externalIdField;
    if (!field || this.externalIdsListed) return;
    if (seen.withExternalId > 0) {
      this.externalIdsListed = true;
      return;
    }
    if (!seen.listed || this.warnedShape) return;
    this.warnedShape = true;
    this.logger.warn(
      `RECONCILE: Dstny lists conversations without "${field}" (reconcile.lookup.externalIdField), so calls cannot be found by their external id. ` +
        'Calls whose answer was lost are matched on their start time and title instead; a call that two listed conversations could be is kept for an operator (callbridge status), never sent twice. ' +
        'Setting normalize.title makes that match stronger; reconcile.lookup.mode: perId confirms by conversation id.',
    );
  }

  /** Keep the row where it is and say why, once per change of reason: an operator decides (callbridge confirm / retry). */
  private async reportAmbiguous(row: LedgerRow, verdict: Extract<Verdict, { kind: 'ambiguous' }>, state: 'submitted' | 'verify'): Promise<void> {
    // A submitted row was accepted by Dstny: it is one of the candidates, so there is nothing to send again.
    const resend = state === 'verify' ? `, or send it again with "callbridge retry --state verify --id ${row.externalId}"` : '';
    const reason = `needs an operator: ${verdict.why} (${verdict.candidates.join(', ')}); not sent again automatically. Confirm the right one with "callbridge confirm ${row.externalId} <conversation id>"${resend}`;
    if (row.reason === reason) return;
    if (await this.ledger.update(row.externalId, { reason }, { states: [state] })) {
      this.logger.error(`reconcile: call ${row.externalId} ${reason}`, { externalId: row.externalId, candidates: verdict.candidates });
    }
  }

  private windowQuery(window: { start: string; end: string }): Record<string, string | string[]> {
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
      // One line for the move to missing, after both commits, saying which way it went.
      if (back) summary.resubmitted += 1;
      logStateChange(this.logger, { externalId: row.externalId, to: 'missing', reason, location: row.location, resubmitting: back });
      return;
    }
    summary.reported += 1;
    logStateChange(this.logger, { externalId: row.externalId, to: 'missing', reason, location: row.location });
  }
}
