import { createHash } from 'node:crypto';
import type { AdapterDefinition, AdapterInput, ParseItem, TableInput } from '../../adapters/types.js';
import { LedgerUnavailableError, ParseError } from '../errors.js';
import type { Checkpoint, Lane, Ledger, NewRow, PutOutcome, PutResult, StashedLeg } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { logStateChange } from '../log/state-change.js';
import { type CallRecord, callRecordSchema } from '../../adapters/call-record.js';
import { assemble, groupLegs, type GroupedItem } from './grouper.js';
import { rejectedChange } from './rejection-fix.js';
import type { IngestSummary, Ingestor, NormalizeResult, Normalizer, PipelineSource } from './types.js';
import { skipKindOf } from './skip-kinds.js';
import { noTelemetry, type Telemetry } from '../telemetry.js';

export const MAX_LISTED_ERRORS = 100;
/** Stashed groups read per ledger query when quiet calls are assembled. */
const FLUSH_PAGE_GROUPS = 1_000;

export interface IngestorOptions {
  ledger: Ledger;
  normalizer: Normalizer;
  /** normalize.groupWindowLegs */
  windowLegs: number;
  /** normalize.ingestBatchSize: rows per ledger transaction. */
  batchSize: number;
  logger?: Logger;
  /** The adapter of a source, by adapter id (the registry's getAdapter, or one adapter in tests). */
  adapterFor: (id: string) => AdapterDefinition;
  clock?: () => number;
  /** Sees every item as the ingestor handles it, in input order (parse prints them; the bridge needs none). */
  observer?: IngestObserver;
  /**
   * Called after a commit that made calls due: the bridge wakes its submitter with it, so a call leaves as soon as
   * it is committed, not at the submitter's next look.
   */
  onDue?: () => void;
  /** The lane of every row this ingestor puts (default live): `callbridge import` puts its backlog in the import lane. */
  lane?: Lane;
  /** Rows for which this says false are not put at all (`callbridge import --since/--until`). */
  keep?: (row: NewRow) => boolean;
  /** Counts what each commit took, per source (the bridge's metrics). */
  telemetry?: Pick<Telemetry, 'callAccepted' | 'callSkipped' | 'callRejected' | 'parseError' | 'inputRead'>;
}

/**
 * What an ingestion did, item by item: an adapter's located error or skip (never a row), or a row about to be
 * committed (the ledger may still keep an earlier version of it: a duplicate).
 */
export interface IngestObserver {
  problem?(problem: { kind: 'error' | 'skip'; location: string; message: string }): void;
  row?(row: NewRow): void;
  /** What became of each row at its commit; `outside` for one `keep` left out. */
  committed?(row: NewRow, outcome: PutOutcome | 'outside'): void;
}

export function emptySummary(): IngestSummary {
  return { ids: [], inserted: 0, duplicates: 0, updated: 0, conflicts: 0, skipped: 0, rejected: 0, held: 0, stashed: 0, errors: [], errorCount: 0 };
}

/** Adapter → grouped calls for a whole input. A failure to read the input (not bad content) throws ParseError. */
export function parseWhole(adapter: AdapterDefinition, source: Pick<PipelineSource, 'options'>, input: AdapterInput, windowLegs: number): AsyncGenerator<GroupedItem> {
  return groupLegs(adapter.parse(input, source.options), (legs) => adapter.merge(legs), { windowLegs, readError: (error) => readStopped(input, error) });
}

/**
 * The adapter's items, of a stream or of table rows; an adapter that throws (an I/O error, or a bug) stops the input
 * with a located ParseError.
 */
async function* guardedParse(adapter: AdapterDefinition, source: Pick<PipelineSource, 'options'>, input: AdapterInput | TableInput): AsyncGenerator<ParseItem> {
  try {
    if (!('rows' in input)) yield* adapter.parse(input, source.options);
    else if (adapter.parseRows) yield* adapter.parseRows(input, source.options);
    else throw new ParseError(input.name, `the ${adapter.id} adapter cannot read table rows`);
  } catch (error) {
    throw readStopped(input, error);
  }
}

function readStopped(input: Pick<AdapterInput, 'name'>, error: unknown): Error {
  if (error instanceof ParseError) return error;
  return new ParseError(input.name, `reading stopped: ${error instanceof Error ? error.message : String(error)}`);
}

/** A normalize result as the ledger row it becomes (the raw record is kept so it can be normalized again). */
export function toRow(call: CallRecord, source: Pick<PipelineSource, 'id'>, result: NormalizeResult): NewRow {
  const base = { externalId: call.externalId, sourceId: source.id, location: call.location, raw: call };
  switch (result.kind) {
    case 'payload':
      return { ...base, state: result.prepare ? 'prepare' : 'pending', payload: result.payload };
    case 'skipped':
      return { ...base, state: 'skipped', payload: null, reason: result.reason };
    case 'rejected':
      return { ...base, state: 'rejected', payload: null, reason: result.reason };
    case 'held':
      return { ...base, state: 'held', payload: null, reason: result.reason, nextAttemptAt: result.retryAt };
  }
}

/**
 * Source → adapter → group → normalize → ledger (docs/architecture.md, steps 1-4), in batches of `batchSize` rows per
 * transaction. A source's checkpoints travel with the LAST batch of its input, so a checkpoint never runs
 * ahead of the rows it covers. Bad content becomes located errors in the summary; a ledger that cannot
 * take the write rejects with LedgerUnavailableError (a hook then answers 503 and the PBX retries).
 *
 * Within one process, stashing legs and flushing quiet groups of the same source never interleave, so
 * a leg stashed while its group is being flushed is not dropped with the group.
 *
 * Stashed legs wait for their call's quiet period only where the records cannot say the call is whole: an
 * adapter with `complete` has the calls an input completed assembled right after that input's stash commit.
 */
export class PipelineIngestor implements Ingestor {
  private readonly locks = new Map<string, Promise<unknown>>();
  private readonly log: Logger | undefined;
  /** By source id: the calls assembled early, for their quiet period (RecentlyAssembled). */
  private readonly assembledEarly = new Map<string, RecentlyAssembled>();

  constructor(private readonly opts: IngestorOptions) {
    this.log = opts.logger?.child({ component: 'ingest' });
  }

  async ingestWhole(source: PipelineSource, input: AdapterInput, opts: { checkpoints?: Checkpoint[] } = {}): Promise<IngestSummary> {
    const adapter = this.adapter(source);
    this.opts.telemetry?.inputRead(source.id, input.name);
    const summary = emptySummary();
    const now = this.now();
    let batch: NewRow[] = [];
    for await (const item of parseWhole(adapter, source, input, this.opts.windowLegs)) {
      if (item.kind === 'error') this.noteError(summary, source, item.location, item.message);
      else if (item.kind === 'skip') this.noteSkip(summary, source, item.location, item.reason);
      else {
        batch.push(await this.normalizeToRow(item.call, source, now));
        if (batch.length >= this.opts.batchSize) {
          await this.put(summary, batch);
          batch = [];
        }
      }
    }
    await this.put(summary, batch, opts.checkpoints);
    return summary;
  }

  async ingestLegs(source: PipelineSource, input: AdapterInput | TableInput, opts: { checkpoints?: Checkpoint[] } = {}): Promise<IngestSummary> {
    const adapter = this.adapter(source);
    this.opts.telemetry?.inputRead(source.id, input.name);
    return this.exclusive(source.id, async () => {
      const summary = emptySummary();
      const ids = new Set<string>();
      const recent = this.assembledEarly.get(source.id);
      const now = this.now();
      let batch: StashedLeg[] = [];
      // The groups the legs of this batch went to: the calls this input may have completed.
      let touched = new Set<string>();
      for await (const item of guardedParse(adapter, source, input)) {
        if (item.kind === 'error') this.noteError(summary, source, item.location, item.message);
        else if (item.kind === 'skip') this.noteSkip(summary, source, item.location, item.reason);
        else if (recent?.isRepeat(item.groupKey, item.leg, now)) {
          ids.add(item.leg.externalId);
          summary.duplicates += 1;
        } else {
          batch.push({ sourceId: source.id, groupKey: item.groupKey, leg: item.leg });
          ids.add(item.leg.externalId);
          touched.add(item.groupKey);
          if (batch.length >= this.opts.batchSize) {
            await this.stash(summary, batch);
            await this.assembleComplete(summary, adapter, source, touched);
            batch = [];
            touched = new Set();
          }
        }
      }
      await this.stash(summary, batch, opts.checkpoints);
      await this.assembleComplete(summary, adapter, source, touched);
      summary.ids = [...ids];
      return summary;
    });
  }

  /**
   * Assemble the calls whose last leg arrived before `quietBefore` (default: quiet for the source's groupQuietMs).
   * `parse` passes the end of time: at the end of its input every call is as complete as it will get.
   */
  async flushQuiet(source: PipelineSource, now = this.now(), quietBefore = now - source.groupQuietMs): Promise<IngestSummary> {
    const adapter = this.adapter(source);
    return this.exclusive(source.id, async () => {
      const summary = emptySummary();
      // A page of groups at a time (each page's puts unstash it), so a large backlog never sits in memory at once.
      for (;;) {
        const groups = await this.ledgerCall(() => this.opts.ledger.quietGroups(source.id, quietBefore, FLUSH_PAGE_GROUPS));
        await this.assembleGroups(summary, adapter, source, groups, now);
        if (groups.length < FLUSH_PAGE_GROUPS) return summary;
      }
    });
  }

  /**
   * The calls among `groupKeys` whose stashed legs the adapter says are the whole call, assembled now instead of
   * after their quiet period (a hook post or a tailed line that ends a call sends it within the second). Runs in
   * the source's exclusive section right after the stash commit, so it sees every leg stashed so far.
   *
   * The legs are committed before this runs: if it fails, the calls simply wait for flushQuiet, and the input is
   * not refused for it (a hook must not answer 503 for legs it has stored).
   */
  private async assembleComplete(summary: IngestSummary, adapter: AdapterDefinition, source: PipelineSource, groupKeys: Set<string>): Promise<void> {
    if (!adapter.complete || !groupKeys.size) return;
    try {
      const stashed = await this.ledgerCall(() => this.opts.ledger.stashedGroups(source.id, [...groupKeys]));
      const whole = stashed.filter((group) => this.isComplete(adapter, source, group));
      if (!whole.length) return;
      const now = this.now();
      await this.assembleGroups(summary, adapter, source, whole, now);
      let recent = this.assembledEarly.get(source.id);
      if (!recent) this.assembledEarly.set(source.id, (recent = new RecentlyAssembled()));
      for (const group of whole) recent.remember(group.groupKey, group.legs, now, now + source.groupQuietMs);
    } catch (error) {
      this.log?.warn(`assembling complete calls at once failed; they wait for their quiet period: ${error instanceof Error ? error.message : String(error)}`, {
        source: source.id,
      });
    }
  }

  /** The adapter's word on a stashed group. Legs that are no call record, or an adapter that throws: not known to be complete. */
  private isComplete(adapter: AdapterDefinition, source: PipelineSource, group: { groupKey: string; legs: unknown[] }): boolean {
    const legs: CallRecord[] = [];
    for (const leg of group.legs) {
      const parsed = callRecordSchema.safeParse(leg);
      if (!parsed.success) return false;
      legs.push(parsed.data);
    }
    try {
      return adapter.complete?.(legs) === true;
    } catch (error) {
      this.log?.warn(`the ${adapter.id} adapter could not tell whether call ${group.groupKey} is complete; it waits for its quiet period`, { source: source.id, error });
      return false;
    }
  }

  /** Stashed groups → one row each, put `batchSize` at a time, each put dropping the stashed legs it assembled. */
  private async assembleGroups(
    summary: IngestSummary,
    adapter: AdapterDefinition,
    source: PipelineSource,
    groups: Array<{ groupKey: string; legs: unknown[] }>,
    now: number,
  ): Promise<void> {
    let rows: NewRow[] = [];
    let keys: Array<{ sourceId: string; groupKey: string }> = [];
    for (const group of groups) {
      rows.push(await this.assembleStashed(summary, adapter, source, group.groupKey, group.legs, now));
      keys.push({ sourceId: source.id, groupKey: group.groupKey });
      if (rows.length >= this.opts.batchSize) {
        await this.put(summary, rows, undefined, keys);
        rows = [];
        keys = [];
      }
    }
    await this.put(summary, rows, undefined, keys);
  }

  /** Stashed legs → one row. Legs that no longer fit the CallRecord contract are kept as a rejected row. */
  private async assembleStashed(
    summary: IngestSummary,
    adapter: AdapterDefinition,
    source: PipelineSource,
    groupKey: string,
    stored: unknown[],
    now: number,
  ): Promise<NewRow> {
    const legs: CallRecord[] = [];
    const problems: string[] = [];
    for (const leg of stored) {
      const parsed = callRecordSchema.safeParse(leg);
      if (parsed.success) legs.push(parsed.data);
      else problems.push(parsed.error.issues.map((i) => `${i.path.join('.') || '(leg)'}: ${i.message}`).join('; '));
    }
    const item = problems.length ? undefined : assemble(groupKey, legs, (l) => adapter.merge(l));
    if (item?.kind === 'call') return this.normalizeToRow(item.call, source, now);
    const location = legs[0]?.location ?? `${source.id}:${groupKey}`;
    const reason = item?.kind === 'error' ? item.message : `stashed legs of call ${groupKey} are not valid call records: ${problems.join(' | ')}`;
    addError(summary, location, reason);
    const storedId = stored.map((l) => (l as { externalId?: unknown } | null)?.externalId).find((id): id is string => typeof id === 'string' && id !== '');
    const row: NewRow = {
      externalId: legs[0]?.externalId ?? storedId ?? `${source.id}:${groupKey}`,
      sourceId: source.id,
      location,
      state: 'rejected',
      raw: stored,
      payload: null,
      reason,
    };
    this.opts.observer?.row?.(row);
    return row;
  }

  private async normalizeToRow(call: CallRecord, source: PipelineSource, now: number): Promise<NewRow> {
    let result: NormalizeResult;
    try {
      result = await this.opts.normalizer.normalize(call, source, now);
    } catch (error) {
      // A bug must not lose the call: it is kept as rejected, re-runnable once fixed.
      this.opts.logger?.error('normalization failed', { component: 'ingest', source: source.id, location: call.location, error });
      result = { kind: 'rejected', reason: `normalization failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    const row = toRow(call, source, result);
    this.opts.observer?.row?.(row);
    return row;
  }

  private async put(
    summary: IngestSummary,
    rows: NewRow[],
    checkpoints?: Checkpoint[],
    unstash?: Array<{ sourceId: string; groupKey: string }>,
  ): Promise<void> {
    rows = this.admitted(rows);
    if (!rows.length && !checkpoints?.length && !unstash?.length) return;
    const opts: { checkpoints?: Checkpoint[]; unstash?: Array<{ sourceId: string; groupKey: string }> } = {};
    if (checkpoints?.length) opts.checkpoints = checkpoints;
    if (unstash?.length) opts.unstash = unstash;
    const results: PutResult[] = await this.ledgerCall(() => this.opts.ledger.put(rows, opts));
    if (rows.some((row) => row.state === 'pending' || row.state === 'prepare')) this.opts.onDue?.();
    for (const row of rows) {
      summary.ids.push(row.externalId);
      if (row.state === 'skipped') summary.skipped += 1;
      else if (row.state === 'rejected') summary.rejected += 1;
      else if (row.state === 'held') summary.held += 1;
    }
    for (const r of results) {
      if (r.outcome === 'inserted') summary.inserted += 1;
      else if (r.outcome === 'duplicate') summary.duplicates += 1;
      else if (r.outcome === 'updated') summary.updated += 1;
      else summary.conflicts += 1;
    }
    this.logRejections(rows, results);
    this.count(rows, results);
    const committed = this.opts.observer?.committed;
    if (committed) rows.forEach((row, i) => committed(row, results[i]?.outcome ?? 'duplicate'));
  }

  /** The rows `keep` admits, in the ingestor's lane. */
  private admitted(rows: NewRow[]): NewRow[] {
    const { keep, lane, observer } = this.opts;
    const kept = !keep
      ? rows
      : rows.filter((row) => {
          if (keep(row)) return true;
          observer?.committed?.(row, 'outside');
          return false;
        });
    return lane ? kept.map((row) => ({ ...row, lane })) : kept;
  }

  /** New calls only: a duplicate or a replaced version was counted when it first came. */
  private count(rows: NewRow[], results: PutResult[]): void {
    const telemetry = this.opts.telemetry ?? noTelemetry;
    rows.forEach((row, i) => {
      if (results[i]?.outcome !== 'inserted' || results[i]?.externalId !== row.externalId) return;
      if (row.state === 'skipped') telemetry.callSkipped(row.sourceId, skipKindOf(row.reason));
      else if (row.state === 'rejected') telemetry.callRejected(row.sourceId);
      else telemetry.callAccepted(row.sourceId);
    });
  }

  /**
   * One warn line per rejected row the commit just wrote. A duplicate changed nothing and a conflict was dropped:
   * no line. An update replaced the call with new content (a corrected CDR), so its rejection is news even when
   * the version it replaced was rejected too.
   */
  private logRejections(rows: NewRow[], results: PutResult[]): void {
    // One result per row, in order: the same call twice in a batch is inserted once, then a duplicate.
    rows.forEach((row, i) => {
      const result = results[i];
      if (row.state !== 'rejected' || result?.externalId !== row.externalId) return;
      if (result.outcome === 'inserted' || result.outcome === 'updated') logStateChange(this.log, rejectedChange(row));
    });
  }

  private async stash(summary: IngestSummary, legs: StashedLeg[], checkpoints?: Checkpoint[]): Promise<void> {
    if (!legs.length && !checkpoints?.length) return;
    await this.ledgerCall(() => this.opts.ledger.stash(legs, checkpoints?.length ? { checkpoints } : {}));
    summary.stashed += legs.length;
  }

  private async ledgerCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof LedgerUnavailableError) throw error;
      throw new LedgerUnavailableError(`ledger cannot take the write: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  private noteError(summary: IngestSummary, source: PipelineSource, location: string, message: string): void {
    addError(summary, location, message);
    this.opts.telemetry?.parseError(source.id);
    this.opts.observer?.problem?.({ kind: 'error', location, message });
  }

  private noteSkip(summary: IngestSummary, source: PipelineSource, location: string, reason: string): void {
    summary.skipped += 1;
    this.opts.telemetry?.callSkipped(source.id, 'adapter');
    this.opts.observer?.problem?.({ kind: 'skip', location, message: reason });
    this.opts.logger?.info(`skipped ${location}: ${reason}`, { component: 'ingest', source: source.id });
  }

  private adapter(source: PipelineSource): AdapterDefinition {
    return this.opts.adapterFor(source.adapter);
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }

  /** Run `fn` after every earlier exclusive task of this source has settled. */
  private async exclusive<T>(sourceId: string, fn: () => Promise<T>): Promise<T> {
    const before = this.locks.get(sourceId) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.catch(() => undefined);
    this.locks.set(sourceId, settled);
    try {
      return await run;
    } finally {
      if (this.locks.get(sourceId) === settled) this.locks.delete(sourceId);
    }
  }
}

/**
 * The legs of the calls a source assembled early, each kept for the quiet period the call skipped. While a call
 * waits in the stash, a leg posted again (a PBX that missed the answer retries) is kept once; once it left early,
 * such a repeat would wait alone and become a one-leg version of a call already taken, replacing it while unsent.
 * So within that period a leg identical to one of the call's is a repeat, dropped. In memory only: after a restart
 * a repeat is taken as after a quiet-period assembly. Bounded: the oldest calls are forgotten first.
 */
class RecentlyAssembled {
  private static readonly MAX_CALLS = 100_000;
  private readonly calls = new Map<string, { legs: Set<string>; until: number }>();

  remember(groupKey: string, legs: unknown[], now: number, until: number): void {
    this.forgetBefore(now);
    this.calls.delete(groupKey);
    this.calls.set(groupKey, { legs: new Set(legs.map(legIdentity)), until });
    if (this.calls.size > RecentlyAssembled.MAX_CALLS) this.calls.delete(this.calls.keys().next().value as string);
  }

  isRepeat(groupKey: string, leg: unknown, now: number): boolean {
    const call = this.calls.get(groupKey);
    return call !== undefined && call.until > now && call.legs.has(legIdentity(leg));
  }

  /** Oldest first, as remembered: a source's quiet period is one length, so the expired ones lead. */
  private forgetBefore(now: number): void {
    for (const [key, call] of this.calls) {
      if (call.until > now) return;
      this.calls.delete(key);
    }
  }
}

/**
 * A leg as the stash compares it: its content without where it was read from (the same CDR dropped again under
 * another file name is the same leg), serialised; the stash keeps JSON, so a stashed leg serialises alike.
 */
function legIdentity(leg: unknown): string {
  const content = leg && typeof leg === 'object' && !Array.isArray(leg) ? { ...(leg as Record<string, unknown>), location: undefined } : leg;
  return createHash('sha256').update(JSON.stringify(content) ?? 'null').digest('hex');
}

export function addError(summary: IngestSummary, location: string, message: string): void {
  summary.errorCount += 1;
  if (summary.errors.length < MAX_LISTED_ERRORS) summary.errors.push({ location, message });
}
