import { setImmediate as yieldToEvents } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import type { RetentionConfig } from './config.js';
import type { Ledger } from './ledger.js';

const DAY = 86_400_000;
/** Rows per compaction or deletion statement: a few milliseconds each on a 2-core machine (bench/ledger-scale.ts). */
export const RETENTION_BATCH = 50;
/** Pages given back to the file system per step (128 KB of 4 KB pages): a few milliseconds, like a batch. */
const RECLAIM_PAGES = 32;
const HOUR = 3_600_000;
/**
 * Batches between two waits for the ledger's upkeep (settle): ten batches leave about 400 pages of log, under the
 * 1,000 at which SQLite would checkpoint inside a commit, on the event loop.
 */
const SETTLE_EVERY = 10;

export interface SweepResult {
  compacted: number;
  deleted: number;
  reclaimedPages: number;
}

/**
 * ledger.retention, applied in small batches: each batch is one short transaction, and the event loop runs between
 * them (hooks, the submitter, the recordings server never wait for more than one batch). A sweep runs soon after the
 * start and then every hour; stop() waits for the batch in progress.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<SweepResult> | null = null;
  private stopped = false;
  private readonly now: () => number;
  private readonly everyMs: number;
  private readonly batch: number;

  constructor(
    private readonly ledger: Pick<Ledger, 'compact' | 'forget' | 'reclaim' | 'settle'>,
    private readonly retention: RetentionConfig,
    private readonly opts: { logger?: Logger; now?: () => number; everyMs?: number; firstAfterMs?: number; batch?: number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.everyMs = opts.everyMs ?? HOUR;
    this.batch = opts.batch ?? RETENTION_BATCH;
  }

  get enabled(): boolean {
    return this.retention.keepDetailDays !== null;
  }

  /** Also after a stop: a replica that takes the role over again. */
  start(): void {
    if (!this.enabled || this.timer) return;
    this.stopped = false;
    this.schedule(this.opts.firstAfterMs ?? 60_000);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One whole sweep: compact, delete, give the space back. Also what a test or `callbridge` command calls. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.sweepAll().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(inMs: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.sweep()
        .catch((error: unknown) => this.opts.logger?.warn(`retention: sweep failed, tried again in an hour: ${(error as Error).message}`))
        .finally(() => {
          if (!this.stopped) this.schedule(this.everyMs);
        });
    }, inMs);
    this.timer.unref();
  }

  private async sweepAll(): Promise<SweepResult> {
    const result: SweepResult = { compacted: 0, deleted: 0, reclaimedPages: 0 };
    const { keepDetailDays, keepIdsDays } = this.retention;
    if (keepDetailDays === null) return result;
    const now = this.now();
    result.compacted = await this.inBatches((limit) => this.ledger.compact({ before: now - keepDetailDays * DAY, limit, now: this.now() }));
    if (keepIdsDays !== null) result.deleted = await this.inBatches((limit) => this.ledger.forget({ before: now - keepIdsDays * DAY, limit }));
    if (result.compacted || result.deleted) result.reclaimedPages = await this.inBatches(() => this.ledger.reclaim(RECLAIM_PAGES), RECLAIM_PAGES);
    if (result.compacted || result.deleted) {
      this.opts.logger?.info(
        `retention: compacted ${result.compacted} call(s) older than ${keepDetailDays} days` +
          (keepIdsDays !== null ? `, deleted ${result.deleted} older than ${keepIdsDays} days` : '') +
          (result.reclaimedPages ? `, gave ${result.reclaimedPages} page(s) back to the disk` : ''),
      );
    }
    return result;
  }

  /**
   * Runs `step` until it does less than a full batch (or the sweeper stops), yielding to the event loop between, and
   * letting the ledger's upkeep catch up every SETTLE_EVERY batches.
   */
  private async inBatches(step: (limit: number) => Promise<number>, limit = this.batch): Promise<number> {
    let total = 0;
    for (let batches = 1; !this.stopped; batches++) {
      const done = await step(limit);
      total += done;
      if (done < limit) break;
      await (batches % SETTLE_EVERY === 0 && this.ledger.settle ? this.ledger.settle() : yieldToEvents());
    }
    await this.ledger.settle?.();
    return total;
  }
}
