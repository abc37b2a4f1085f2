import { backoffDelay } from '../backoff.js';
import type { Ledger, LedgerRow } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { logStateChange } from '../log/state-change.js';
import { BucketError, type RecordingBucket } from '../recordings/bucket.js';
import { audioContentType } from '../recordings/content-type.js';
import { localRecordingPath, locateRecording } from '../recordings/locate.js';

export type UploadBucket = Pick<RecordingBucket, 'describe' | 'keyFor' | 'put' | 'deleteMany'>;

export interface UploaderConfig {
  concurrency: number;
  /** Delete a recording from the bucket this many days after its conversation was confirmed; undefined: never. */
  deleteAfterDays?: number | undefined;
  /** How often to look for rows waiting for their upload besides wakes (ms). */
  pollMs: number;
  /** How often to look for recordings to delete (ms). */
  sweepIntervalMs: number;
  /** Waits after failed uploads: the bucket's failures pause every upload, a file's own only its row. */
  backoff: { baseMs: number; maxMs: number };
  /** At stop, how long uploads in flight may still finish (ms); one cut short is done again after the restart. */
  shutdownTimeoutMs: number;
}

export interface UploaderStatus {
  state: 'running' | 'failing' | 'stopped';
  /** Why uploads are held (the bucket's last error); never a credential. */
  reason: string | null;
  retryAt: number | null;
  inFlight: number;
  /** Recordings sent to the bucket by this process. */
  uploaded: number;
  /** Recordings found in the bucket already (uploaded before a restart): not sent again. */
  alreadyThere: number;
  bytes: number;
  /** Recordings removed from the bucket by deleteAfterDays. */
  deleted: number;
}

export interface UploaderDeps {
  ledger: Ledger;
  bucket: UploadBucket;
  /** recordings.roots: a recording is uploaded only from inside them, as it would be served. */
  roots: readonly string[];
  config: UploaderConfig;
  logger: Logger;
  /** A row became pending: the bridge wakes its submitter with it. */
  onUploaded?: () => void;
  now?: () => number;
  random?: () => number;
}

/** How many rows a deletion sweep handles per DeleteObjects request, and how many requests per sweep at most. */
const DELETE_BATCH = 100;
const DELETE_BATCHES_PER_SWEEP = 10;

/**
 * Copies the local recordings of `prepare` rows to the bucket, then makes them `pending` with the object in the row
 * (the submitter presigns a link to it when it sends the call). The row changes only after the bucket has the file,
 * so a crash at any point leaves it `prepare`: the next try finds the object there (same size and sha256) and does
 * not send it again. A bucket that fails holds every call, never fails one: uploads pause with a growing wait, and
 * /status says why. deleteAfterDays removes confirmed calls' recordings in small batches.
 */
export class Uploader {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private stopped = true;
  private pollTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private wokenWhilePumping = false;
  private sweeping: Promise<void> | null = null;
  private failing: string | null = null;
  private failures = 0;
  private pausedUntil = 0;
  private readonly counts = { uploaded: 0, alreadyThere: 0, bytes: 0, deleted: 0 };

  constructor(private readonly deps: UploaderDeps) {
    this.log = deps.logger.child({ component: 'upload' });
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pollTimer = setInterval(() => this.wake(), this.deps.config.pollMs);
    if (this.deps.config.deleteAfterDays !== undefined) {
      this.sweepTimer = setInterval(() => void this.sweep(), this.deps.config.sweepIntervalMs);
      void this.sweep();
    }
    this.wake();
  }

  status(): UploaderStatus {
    const now = this.now();
    return {
      state: this.stopped ? 'stopped' : this.failing ? 'failing' : 'running',
      reason: this.failing,
      retryAt: this.failing && this.pausedUntil > now ? this.pausedUntil : null,
      inFlight: this.inFlight.size,
      ...this.counts,
    };
  }

  /** Rows may be waiting for their upload: look now (a look already running is followed by one more). */
  wake(): void {
    if (this.stopped) return;
    if (this.pumping) {
      this.wokenWhilePumping = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.wokenWhilePumping) {
        this.wokenWhilePumping = false;
        this.wake();
      }
    });
  }

  private async pump(): Promise<void> {
    const now = this.now();
    if (this.stopped || now < this.pausedUntil) return;
    const room = this.deps.config.concurrency - this.inFlight.size;
    if (room <= 0) return;
    let rows: LedgerRow[];
    try {
      rows = await this.deps.ledger.query({ states: ['prepare'], dueBy: now, limit: room + this.inFlight.size });
    } catch (error) {
      this.log.error('looking for recordings to upload failed; will look again', { error });
      return;
    }
    for (const row of rows.filter((r) => !this.inFlight.has(r.externalId)).slice(0, room)) {
      const task = this.upload(row)
        .catch((error: unknown) => {
          this.log.error(`recording the upload of call ${row.externalId} failed; it will be tried again`, { error });
        })
        .finally(() => {
          this.inFlight.delete(row.externalId);
          // A slot is free: the next row need not wait for the poll.
          this.wake();
        });
      this.inFlight.set(row.externalId, task);
    }
  }

  private async upload(row: LedgerRow): Promise<void> {
    const { ledger, bucket } = this.deps;
    const guard = { states: ['prepare' as const] };
    const recordingPath = localRecordingPath(row.raw);
    const found = recordingPath ? await locateRecording(recordingPath, this.deps.roots) : ({ kind: 'missing' } as const);
    if (found.kind !== 'file') {
      const reason = `recording ${recordingPath ?? '(none)'} ${found.kind === 'outside' ? 'is outside recordings.roots' : 'is no longer there'}, so it cannot be uploaded`;
      if (await ledger.update(row.externalId, { state: 'rejected', reason }, guard)) {
        logStateChange(this.log, { externalId: row.externalId, to: 'rejected', reason, location: row.location, fix: 'put the file back, then run callbridge retry' });
      }
      return;
    }
    const key = bucket.keyFor(row.externalId, found.file);
    let stored;
    try {
      stored = await bucket.put(key, found.file, { contentType: audioContentType(found.file) });
    } catch (error) {
      await this.failed(row, error);
      return;
    }
    const now = this.now();
    const object = { key: stored.key, etag: stored.etag, size: stored.size, sha256: stored.sha256, uploadedAt: now, deletedAt: null };
    if (!(await ledger.update(row.externalId, { state: 'pending', upload: object, reason: null, attempts: 0, nextAttemptAt: now }, guard))) return;
    if (stored.uploaded) {
      this.counts.uploaded++;
      this.counts.bytes += stored.size;
    } else {
      this.counts.alreadyThere++;
    }
    this.failures = 0;
    if (this.failing) {
      this.log.info(`${bucket.describe} takes recordings again: uploads resumed`);
      this.failing = null;
    }
    this.deps.onUploaded?.();
  }

  /**
   * The bucket's own failure (unreachable, refused, no such bucket) pauses every upload: the other rows would fail
   * alike. Any other error (the file could not be read) waits on its row only. Either way the call stays `prepare`.
   */
  private async failed(row: LedgerRow, error: unknown): Promise<void> {
    const now = this.now();
    const why = error instanceof Error ? error.message : String(error);
    let retryAt: number;
    if (error instanceof BucketError) {
      this.failures++;
      retryAt = now + backoffDelay(this.failures, this.deps.config.backoff, this.deps.random);
      this.pausedUntil = Math.max(this.pausedUntil, retryAt);
      if (this.failing === null) {
        this.log.error(`RECORDING UPLOADS HELD: ${why}. Calls wait for their recordings (none are failed); trying again at ${new Date(retryAt).toISOString()} and on, less often while it lasts.`);
      }
      this.failing = why;
    } else {
      retryAt = now + backoffDelay(row.attempts + 1, this.deps.config.backoff, this.deps.random);
      this.log.warn(`the recording of call ${row.externalId} could not be uploaded: ${why}; trying again at ${new Date(retryAt).toISOString()}`);
    }
    await this.deps.ledger.update(
      row.externalId,
      { reason: `recording upload failed: ${why}; trying again at ${new Date(retryAt).toISOString()}`, nextAttemptAt: retryAt, attempts: 'increment' },
      { states: ['prepare'] },
    );
  }

  /** deleteAfterDays: the recordings of calls confirmed that long ago leave the bucket, a few batches per sweep. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepUnlocked().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  private async sweepUnlocked(): Promise<void> {
    const days = this.deps.config.deleteAfterDays;
    if (days === undefined || this.stopped) return;
    try {
      for (let batch = 0; batch < DELETE_BATCHES_PER_SWEEP && !this.stopped; batch++) {
        const rows = await this.deps.ledger.query({ uploadKeptConfirmedBefore: this.now() - days * 86_400_000, limit: DELETE_BATCH });
        if (!rows.length) return;
        const gone = new Set(await this.deps.bucket.deleteMany(rows.map((r) => r.upload?.key as string)));
        for (const row of rows) {
          if (!row.upload || !gone.has(row.upload.key)) continue;
          await this.deps.ledger.update(row.externalId, { upload: { ...row.upload, deletedAt: this.now() } });
          this.counts.deleted++;
        }
        if (rows.length < DELETE_BATCH || gone.size === 0) return;
      }
    } catch (error) {
      this.log.warn(`deleting old recordings from the bucket failed; the next sweep tries again: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Resolves when no row waits for an upload that is due (tests, benchmarks). */
  async idle(pollMs = 50): Promise<void> {
    for (;;) {
      this.wake();
      await this.pumping;
      if (this.inFlight.size === 0) {
        const due = await this.deps.ledger.query({ states: ['prepare'], dueBy: this.now(), limit: 1 });
        if (!due.length || this.stopped || this.now() < this.pausedUntil) return;
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Stop looking; uploads in flight get shutdownTimeoutMs to finish (one cut short is done again after a restart). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.pollTimer = this.sweepTimer = null;
    await this.pumping;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      Promise.allSettled([...this.inFlight.values(), this.sweeping]).then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.deps.config.shutdownTimeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) this.log.warn(`${this.inFlight.size} recording upload(s) still running at shutdown; they are done again after the restart`);
  }
}
