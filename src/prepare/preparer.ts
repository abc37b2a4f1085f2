import { createHash } from 'node:crypto';
import { mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { backoffDelay } from '../backoff.js';
import type { Ledger, LedgerRow, RowPatch } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { logStateChange } from '../log/state-change.js';
import { type AudioTool, AudioConversionError, AudioToolMissingError, audioInput, rawFormatOf } from '../recordings/audio-tool.js';
import { needsConversion, readAudioFormat } from '../recordings/audio.js';
import { BucketError, type RecordingBucket } from '../recordings/bucket.js';
import type { RecordingsConfig } from '../recordings/config.js';
import { audioContentType } from '../recordings/content-type.js';
import { localRecordingPath, locateRecording } from '../recordings/locate.js';
import { pairPaths } from '../recordings/pair.js';
import { safeName } from '../recordings/safe-name.js';

export type UploadBucket = Pick<RecordingBucket, 'describe' | 'keyFor' | 'put' | 'deleteMany'>;

export interface PreparerConfig {
  concurrency: number;
  /** Delete a recording from the bucket this many days after its conversation was confirmed; undefined: never. */
  deleteAfterDays?: number | undefined;
  /** How often to look for rows to prepare besides wakes (ms). */
  pollMs: number;
  /** How often to look for recordings to delete or clean (ms). */
  sweepIntervalMs: number;
  /** Waits after failures: a failing bucket or a missing ffmpeg pauses every row, a file's own trouble only its row. */
  backoff: { baseMs: number; maxMs: number };
  /** At stop, how long work in flight may still finish (ms); what is cut short is done again after the restart. */
  shutdownTimeoutMs: number;
}

/** What the bridge makes of a call's local recording before it is sent: recordings.split, convert, and where it keeps them. */
export interface MakeRules {
  split?: RecordingsConfig['split'];
  convert: RecordingsConfig['convert'];
  tool: AudioTool | null;
  /** Where merged and converted recordings are kept (next to the ledger). */
  cacheDir: string;
  /** A made file is kept this long after its call was confirmed (the life of a link to it), then removed (ms). */
  keepAfterConfirmedMs: number;
}

export interface PreparerStatus {
  state: 'running' | 'failing' | 'stopped';
  /** Why calls are held (the bucket's or ffmpeg's last error); never a credential. */
  reason: string | null;
  retryAt: number | null;
  inFlight: number;
  /** Two-file recordings merged into one stereo file by this process. */
  merged: number;
  /** Recordings converted by this process. */
  converted: number;
  /** Recordings sent to the bucket by this process. */
  uploaded: number;
  /** Recordings found in the bucket already (uploaded before a restart): not sent again. */
  alreadyThere: number;
  bytes: number;
  /** Recordings removed from the bucket by deleteAfterDays. */
  deleted: number;
}

export interface PreparerDeps {
  ledger: Ledger;
  /** recordings.delivery: upload; null: recordings are served by the bridge. */
  bucket: UploadBucket | null;
  make: MakeRules;
  /** recordings.roots: a recording is read only from inside them, as it would be served. */
  roots: readonly string[];
  config: PreparerConfig;
  logger: Logger;
  /** A row became pending: the bridge wakes its submitter with it. */
  onReady?: () => void;
  now?: () => number;
  random?: () => number;
}

/** How many rows a sweep handles per batch, and how many batches per sweep at most. */
const SWEEP_BATCH = 100;
const SWEEP_BATCHES = 10;

/** What a row's recording needs: the file that is delivered, and how it is made when the bridge makes it. */
type Plan =
  | { kind: 'as-is'; file: string }
  | { kind: 'merge'; participant: string; owner: string; channel: 'left' | 'right' }
  | { kind: 'convert'; file: string }
  | { kind: 'gone'; reason: string };

/**
 * Makes the local recordings of `prepare` rows ready, then makes the rows `pending`: merges a call's two mono files
 * into one stereo file (recordings.split), converts telephone encodings (recordings.convert), uploads the result to
 * the bucket (recordings.delivery: upload). The row changes only once all of it is done, so a crash at any point
 * leaves it `prepare`: the next try makes the same file again and finds the object in the bucket (same size and
 * sha256), so nothing is uploaded twice. A failing bucket or a missing ffmpeg holds every call, never fails one:
 * work pauses with a growing wait, and /status says why. Sweeps delete old recordings from the bucket
 * (deleteAfterDays) and remove made files whose links can no longer be used.
 */
export class RecordingPreparer {
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly aborts = new AbortController();
  private stopped = true;
  private pollTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private pumping: Promise<void> | null = null;
  private wokenWhilePumping = false;
  private sweeping: Promise<void> | null = null;
  private failing: string | null = null;
  private failures = 0;
  private pausedUntil = 0;
  private readonly counts = { merged: 0, converted: 0, uploaded: 0, alreadyThere: 0, bytes: 0, deleted: 0 };

  constructor(private readonly deps: PreparerDeps) {
    this.log = deps.logger.child({ component: 'recordings' });
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.pollTimer = setInterval(() => this.wake(), this.deps.config.pollMs);
    this.sweepTimer = setInterval(() => void this.sweep(), this.deps.config.sweepIntervalMs);
    void this.sweep();
    this.wake();
  }

  status(): PreparerStatus {
    const now = this.now();
    return {
      state: this.stopped ? 'stopped' : this.failing ? 'failing' : 'running',
      reason: this.failing,
      retryAt: this.failing && this.pausedUntil > now ? this.pausedUntil : null,
      inFlight: this.inFlight.size,
      ...this.counts,
    };
  }

  /** Rows may be waiting: look now (a look already running is followed by one more). */
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
      this.log.error('looking for recordings to prepare failed; will look again', { error });
      return;
    }
    for (const row of rows.filter((r) => !this.inFlight.has(r.externalId)).slice(0, room)) {
      const task = this.prepare(row)
        .catch((error: unknown) => {
          this.log.error(`recording the preparation of call ${row.externalId} failed; it will be tried again`, { error });
        })
        .finally(() => {
          this.inFlight.delete(row.externalId);
          // A slot is free: the next row need not wait for the poll.
          this.wake();
        });
      this.inFlight.set(row.externalId, task);
    }
  }

  private async prepare(row: LedgerRow): Promise<void> {
    const { ledger, bucket } = this.deps;
    const guard = { states: ['prepare' as const] };
    let plan: Plan;
    let file: string;
    try {
      plan = await this.plan(row);
      if (plan.kind === 'gone') {
        if (await ledger.update(row.externalId, { state: 'rejected', reason: plan.reason }, guard)) {
          logStateChange(this.log, { externalId: row.externalId, to: 'rejected', reason: plan.reason, location: row.location, fix: 'put the file back, then run callbridge retry' });
        }
        return;
      }
      file = await this.make(row, plan);
    } catch (error) {
      if (error instanceof AudioConversionError && !error.retryable) {
        const reason = `recording cannot be made ready: ${error.message}`;
        if (await ledger.update(row.externalId, { state: 'rejected', reason }, guard)) {
          logStateChange(this.log, { externalId: row.externalId, to: 'rejected', reason, location: row.location, fix: 'replace the recording with audio ffmpeg can read, then run callbridge retry' });
        }
        return;
      }
      await this.failed(row, error);
      return;
    }
    const made = plan.kind !== 'as-is';
    const now = this.now();
    const patch: RowPatch = { state: 'pending', reason: null, attempts: 0, nextAttemptAt: now, recordingFile: made ? file : null };
    let stored;
    if (bucket) {
      try {
        stored = await bucket.put(bucket.keyFor(row.externalId, file), file, { contentType: audioContentType(file) });
      } catch (error) {
        await this.failed(row, error);
        return;
      }
      patch.upload = { key: stored.key, etag: stored.etag, size: stored.size, sha256: stored.sha256, uploadedAt: now, deletedAt: null };
      // The bucket has it: a made file is not needed here any more.
      patch.recordingFile = null;
    }
    if (!(await ledger.update(row.externalId, patch, guard))) return;
    if (plan.kind === 'merge') this.counts.merged++;
    if (plan.kind === 'convert') this.counts.converted++;
    if (stored?.uploaded) {
      this.counts.uploaded++;
      this.counts.bytes += stored.size;
    } else if (stored) {
      this.counts.alreadyThere++;
    }
    if (bucket && made) await unlink(file).catch(() => undefined);
    this.failures = 0;
    if (this.failing) {
      this.log.info('recordings are made ready again: calls with local recordings flow');
      this.failing = null;
    }
    this.deps.onReady?.();
  }

  /**
   * What the row's recording needs, decided again from its stored record and payload as the normalizer decided it:
   * a stereo payload whose pair is there is merged; a telephone encoding is converted (recordings.convert).
   */
  private async plan(row: LedgerRow): Promise<Plan> {
    const { make, roots } = this.deps;
    const recordingPath = localRecordingPath(row.raw);
    if (!recordingPath) return { kind: 'gone', reason: 'the call has no local recording to prepare' };
    const payload = row.payload;
    if (make.split && payload?.call_is_stereo) {
      const pair = pairPaths(recordingPath, make.split, payload.call_direction === 'incoming' ? 'incoming' : 'outgoing');
      const [participant, owner] = await Promise.all([locateRecording(pair.participant, roots), locateRecording(pair.owner, roots)]);
      if (participant.kind === 'file' && owner.kind === 'file') {
        return { kind: 'merge', participant: participant.file, owner: owner.file, channel: payload.call_participant_channel === 'right' ? 'right' : 'left' };
      }
    }
    const found = await locateRecording(recordingPath, roots);
    if (found.kind !== 'file') {
      return { kind: 'gone', reason: `recording ${recordingPath} ${found.kind === 'outside' ? 'is outside recordings.roots' : 'is no longer there'}, so it cannot be sent` };
    }
    if (make.convert !== 'off' && (rawFormatOf(found.file) || needsConversion(await readAudioFormat(found.file)))) return { kind: 'convert', file: found.file };
    return { kind: 'as-is', file: found.file };
  }

  /** The file to deliver: the PBX's own, or one made from it in the cache folder (a name the call id gives). */
  private async make(row: LedgerRow, plan: Exclude<Plan, { kind: 'gone' }>): Promise<string> {
    if (plan.kind === 'as-is') return plan.file;
    const { tool, cacheDir, convert } = this.deps.make;
    if (!tool) throw new AudioToolMissingError('this recording needs ffmpeg, and none is configured');
    const format = convert === 'mp3' ? 'mp3' : 'wav';
    await mkdir(cacheDir, { recursive: true });
    const out = path.join(cacheDir, `${cacheName(row.externalId)}.${format}`);
    const signal = this.aborts.signal;
    if (plan.kind === 'merge') {
      await tool.mergeToStereo({ participant: audioInput(plan.participant), owner: audioInput(plan.owner), participantChannel: plan.channel, out, format, signal });
    } else {
      await tool.convert({ input: audioInput(plan.file), out, format, signal });
    }
    return out;
  }

  /**
   * The bucket's or ffmpeg's own failure (unreachable, refused, not installed) pauses every row: the others would
   * fail alike. Any other error (a file that could not be read) waits on its row only. Either way the call stays
   * `prepare`.
   */
  private async failed(row: LedgerRow, error: unknown): Promise<void> {
    const now = this.now();
    const why = error instanceof Error ? error.message : String(error);
    let retryAt: number;
    if (error instanceof BucketError || error instanceof AudioToolMissingError) {
      this.failures++;
      retryAt = now + backoffDelay(this.failures, this.deps.config.backoff, this.deps.random);
      this.pausedUntil = Math.max(this.pausedUntil, retryAt);
      if (this.failing === null) {
        this.log.error(`RECORDINGS HELD: ${why}. Calls with local recordings wait (none are failed); trying again at ${new Date(retryAt).toISOString()} and on, less often while it lasts.`);
      }
      this.failing = why;
    } else {
      retryAt = now + backoffDelay(row.attempts + 1, this.deps.config.backoff, this.deps.random);
      this.log.warn(`the recording of call ${row.externalId} could not be made ready: ${why}; trying again at ${new Date(retryAt).toISOString()}`);
    }
    await this.deps.ledger.update(
      row.externalId,
      { reason: `recording not ready: ${why}; trying again at ${new Date(retryAt).toISOString()}`, nextAttemptAt: retryAt, attempts: 'increment' },
      { states: ['prepare'] },
    );
  }

  /** deleteAfterDays and the made files: a few batches per sweep. */
  sweep(): Promise<void> {
    this.sweeping ??= Promise.all([this.deleteOld(), this.cleanMade()])
      .then(() => undefined)
      .finally(() => {
        this.sweeping = null;
      });
    return this.sweeping;
  }

  /** The recordings of calls confirmed deleteAfterDays ago leave the bucket. */
  private async deleteOld(): Promise<void> {
    const days = this.deps.config.deleteAfterDays;
    const bucket = this.deps.bucket;
    if (days === undefined || !bucket) return;
    try {
      for (let batch = 0; batch < SWEEP_BATCHES && !this.stopped; batch++) {
        const rows = await this.deps.ledger.query({ uploadKeptConfirmedBefore: this.now() - days * 86_400_000, limit: SWEEP_BATCH });
        if (!rows.length) return;
        const gone = new Set(await bucket.deleteMany(rows.map((r) => r.upload?.key as string)));
        for (const row of rows) {
          if (!row.upload || !gone.has(row.upload.key)) continue;
          await this.deps.ledger.update(row.externalId, { upload: { ...row.upload, deletedAt: this.now() } });
          this.counts.deleted++;
        }
        if (rows.length < SWEEP_BATCH || gone.size === 0) return;
      }
    } catch (error) {
      this.log.warn(`deleting old recordings from the bucket failed; the next sweep tries again: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** A made file whose call was confirmed longer ago than a link to it lives is removed: nobody can fetch it any more. */
  private async cleanMade(): Promise<void> {
    try {
      for (let batch = 0; batch < SWEEP_BATCHES && !this.stopped; batch++) {
        const rows = await this.deps.ledger.query({ recordingFileConfirmedBefore: this.now() - this.deps.make.keepAfterConfirmedMs, limit: SWEEP_BATCH });
        for (const row of rows) {
          await unlink(row.recordingFile as string).catch((error: NodeJS.ErrnoException) => {
            if (error.code !== 'ENOENT') throw error;
          });
          await this.deps.ledger.update(row.externalId, { recordingFile: null });
        }
        if (rows.length < SWEEP_BATCH) return;
      }
    } catch (error) {
      this.log.warn(`removing made recordings failed; the next sweep tries again: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Resolves when no row waits for its recording and is due (tests, benchmarks). */
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

  /** Stop looking; work in flight gets shutdownTimeoutMs, then ffmpeg is stopped (what is cut short is done again after a restart). */
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
    if (timedOut) {
      this.log.warn(`${this.inFlight.size} recording(s) still being made ready at shutdown; they are done again after the restart`);
      this.aborts.abort();
    }
  }
}

/** A made file's name: the call id made safe, or its start and a digest when it would be too long for a file name. */
function cacheName(externalId: string): string {
  const safe = safeName(externalId);
  return safe.length <= 180 ? safe : `${safe.slice(0, 100).replace(/%[0-9A-F]?$/, '')}~${createHash('sha256').update(externalId).digest('hex')}`;
}
