import { type FileHandle, open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { type FSWatcher, watch } from 'node:fs';
import { LedgerUnavailableError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { describeError, statOrNull } from './files.js';
import { type Loop, PollingRunner } from './polling-runner.js';
import type { SourceRunner } from './runner.js';
import { encodeCheckpoint, parseCheckpoint, positionOf, type TailCheckpoint, tailCheckpointKey } from './tail/checkpoint.js';
import { advance, type Cursor, endOf, fingerprintMatches, startOf } from './tail/cursor.js';
import { readLinesAt } from './tail/lines.js';
import { judgeTail, type RotatedWatch, rotatedFileQuiet } from './tail/rotation.js';
import { findSibling } from './tail/siblings.js';

/** The tailed file is not there (yet): the source waits for it, and says where it looks. */
class WaitingForFile extends Error {
  constructor(readonly file: string) {
    super(`waiting for ${file}: it does not exist yet`);
  }
}

export type TailSource = Extract<SourceConfig, { type: 'tail' }>;

export interface TailDeps {
  ingestor: Pick<Ingestor, 'ingestLegs' | 'flushQuiet'>;
  ledger: Pick<Ledger, 'getCheckpoint' | 'setCheckpoint'>;
  logger?: Logger;
  now?: () => number;
  /** Largest slice handed to the ingestor (and committed) at once, bytes. */
  batchBytes?: number;
  /** Read as soon as the file changes (a file-system watcher) besides every `pollMs` (default true). */
  watch?: boolean;
}

const DEFAULT_BATCH_BYTES = 1024 * 1024;

/**
 * Follows an append-only CDR file (Asterisk `Master.csv`): read when a watcher sees it change, so a call that just
 * ended is read within milliseconds, and every `pollMs` whatever happens (watch events get lost on network mounts).
 *
 * - Only complete lines are handed to the adapter; a last line without its newline waits.
 * - The checkpoint advances in the same ledger transaction as the legs it produced (ingestLegs), so a crash
 *   either keeps both or neither.
 * - Rotation (the path now names another file): the old file, still open, is read to its end first — until it
 *   has not grown for `rotatedGraceMs`, since the PBX may write a last record before it reopens — then the new
 *   file is read from its start. After a restart the old file is found again by inode among its siblings.
 * - Truncation (copytruncate): a size below our offset, or a changed fingerprint. What we had not read yet is
 *   in the copy, found among the siblings by fingerprint and read first; then the file is read from its start.
 * - Restart: resumes at the checkpoint when inode and fingerprint match.
 *
 * What the checkpoint holds is in tail/checkpoint.ts, how a change of the file is told in tail/rotation.ts.
 */
export class TailRunner extends PollingRunner implements SourceRunner {
  readonly sourceId: string;
  readonly kind = 'tail' as const;
  private readonly key: string;
  private readonly batchBytes: number;
  private readonly polls: Loop;
  private cursor: Cursor | null = null;
  /** Set from the poll that saw a rotation until the old file is left. */
  private rotated: RotatedWatch | null = null;
  private waitingLogged = false;
  private watcher: FSWatcher | null = null;
  private lag: number | null = null;

  constructor(
    readonly source: TailSource,
    private readonly deps: TailDeps,
  ) {
    super({ log: (deps.logger ?? silentLogger()).child({ component: 'tail', source: source.id }), now: deps.now });
    this.sourceId = source.id;
    this.key = tailCheckpointKey(source.id);
    this.batchBytes = deps.batchBytes ?? DEFAULT_BATCH_BYTES;
    this.polls = this.loop({
      firstMs: 0,
      everyMs: source.pollMs,
      pass: () => this.poll(),
      failed: (error) =>
        error instanceof WaitingForFile
          ? error.message
          : error instanceof LedgerUnavailableError
            ? `the ledger cannot take the lines, will retry: ${error.message}`
            : `reading failed, will retry: ${describeError(error)}`,
      clearsProblem: true,
    });
    this.quietCallsLoop(source, deps.ingestor);
  }
  /** Bytes of the file not read yet: how far the bridge is behind the PBX (0 when it has read all). */
  get lagBytes(): number | null {
    return this.lag;
  }


  /** One poll now; resolves when everything complete that is in the file is committed. */
  pollNow(): Promise<void> {
    return this.polls.runNow();
  }

  protected override async beforeStart(): Promise<void> {
    this.log.info(`following ${path.resolve(this.source.path)}`);
    this.watchFolder();
  }

  /**
   * Read as soon as the file changes. The folder is watched, not the file: the file may not exist yet, and rotation
   * puts another file under its name. Node's own watcher (inotify here): chokidar's added a quarter of a second
   * before a line was seen. A folder that is not there yet is watched from the poll that finds it.
   */
  private watchFolder(): void {
    if (this.deps.watch === false || this.watcher || this.stopping) return;
    const file = path.resolve(this.source.path);
    const name = path.basename(file);
    try {
      const watcher = watch(path.dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed.toString() === name) this.polls.soon(0);
      });
      watcher.on('error', () => {
        // The folder went away: the polls go on, and the next one that finds it watches it again.
        watcher.close();
        if (this.watcher === watcher) this.watcher = null;
      });
      this.watcher = watcher;
    } catch {
      // Not there (yet), or not watchable: the file is still read every pollMs.
    }
  }

  protected override async interrupt(): Promise<void> {
    this.watcher?.close();
    this.watcher = null;
  }

  /** The batch being committed has finished; the checkpoint already says where the next start resumes. */
  protected override async afterStop(): Promise<void> {
    await this.cursor?.handle.close().catch(() => undefined);
    this.cursor = null;
    this.rotated = null;
  }

  private async poll(): Promise<void> {
    // Only a started runner watches: one driven by pollNow() alone reads exactly when asked.
    if (this.running) this.watchFolder();
    if (!this.cursor) await this.openAtCheckpoint();
    if (this.cursor) await this.follow();
  }

  /** First poll (or after the file was missing): decide where to read from. */
  private async openAtCheckpoint(): Promise<void> {
    const file = this.source.path;
    if (!(await statOrNull(file))) {
      this.waitingLogged = true;
      // As a problem of the pass: logged at warn once (not at every poll) and shown by /status until the file is there.
      throw new WaitingForFile(path.resolve(file));
    }
    if (this.waitingLogged) this.log.info(`${path.resolve(file)} is there now; reading it`);
    this.waitingLogged = false;
    const saved = parseCheckpoint(await this.deps.ledger.getCheckpoint(this.key));
    const handle = await open(file, 'r');
    let cursor: Cursor;
    try {
      const verdict = saved && judgeTail(saved, await handle.stat(), await fingerprintMatches(handle, saved));
      if (saved && (verdict === 'grown' || verdict === 'unchanged')) {
        cursor = { handle, name: file, ...positionOf(saved) };
        this.log.info(`resuming at line ${saved.line} (byte ${saved.offset})`);
      } else {
        if (saved) await this.finishPrevious(saved, verdict === 'truncated');
        cursor = await this.freshCursor(handle, file, !saved && this.source.startAt === 'end');
        await this.saveStart(cursor);
      }
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
    this.cursor = cursor;
  }

  /**
   * The checkpoint names a file the path no longer is (rotated or truncated while we were not running):
   * read the rest of that file first if it is still in the folder.
   */
  private async finishPrevious(saved: TailCheckpoint, truncated: boolean): Promise<void> {
    const old = await findSibling(this.source.path, saved, (st) => st.dev === saved.dev && st.ino === saved.ino);
    const copy = old ?? (await findSibling(this.source.path, saved, () => true));
    if (copy) {
      this.log.info(`${path.basename(this.source.path)} was ${truncated ? 'truncated' : 'rotated'} while callbridge was not running; reading the rest of ${path.basename(copy.name)} first`);
      await this.drainAndClose(copy);
    } else if (saved.offset > 0) {
      this.log.warn(
        `${path.basename(this.source.path)} was ${truncated ? 'truncated' : 'replaced'} and the file read up to line ${saved.line} is not in the folder any more; ` +
          `starting the current file at line 1 (anything written to the old file after that line was not read)`,
      );
    }
  }

  private async freshCursor(handle: FileHandle, name: string, atEnd: boolean): Promise<Cursor> {
    const st = await handle.stat();
    if (!atEnd) return { handle, name, ...startOf(st) };
    const cursor: Cursor = { handle, name, ...(await endOf(handle, st)) };
    this.log.info(`no checkpoint yet: starting at the end of the file (line ${cursor.line}), as configured`);
    return cursor;
  }

  /** Regular poll: read what is new; notice rotation and truncation. */
  private async follow(): Promise<void> {
    const cursor = this.cursor as Cursor;
    const onPath = await statOrNull(this.source.path);
    const verdict = judgeTail(cursor, onPath, await fingerprintMatches(cursor.handle, cursor));
    if (verdict === 'missing' || verdict === 'rotated') return this.followRotated(cursor, verdict === 'rotated');
    this.rotated = null;
    if (verdict === 'truncated') await this.restartTruncated(cursor);
    await this.readComplete(this.cursor as Cursor, false);
  }

  /** Finish the old file first (we still hold it open), until it has been quiet for rotatedGraceMs; then the new one. */
  private async followRotated(cursor: Cursor, newFileThere: boolean): Promise<void> {
    await this.readComplete(cursor, false);
    if (!this.rotated) this.log.info(`${path.basename(this.source.path)} was rotated; finishing the old file first`);
    const { watch, quiet } = rotatedFileQuiet(this.rotated, (await cursor.handle.stat()).size, this.now(), this.source.rotatedGraceMs);
    this.rotated = watch;
    if (!quiet) return;
    await this.readComplete(cursor, true);
    if (!newFileThere) return; // keep the old one until the new file is there
    await cursor.handle.close().catch(() => undefined);
    this.cursor = null;
    this.rotated = null;
    const handle = await open(this.source.path, 'r');
    try {
      this.cursor = await this.freshCursor(handle, this.source.path, false);
      await this.saveStart(this.cursor);
    } catch (error) {
      await handle.close().catch(() => undefined);
      this.cursor = null;
      throw error;
    }
    this.log.info(`reading the new ${path.basename(this.source.path)} from line 1`);
    await this.readComplete(this.cursor, false);
  }

  /** copytruncate: read the rest from the copy if it is there, then the file from its start. */
  private async restartTruncated(cursor: Cursor): Promise<void> {
    const copy = await findSibling(this.source.path, cursor, (st) => !(st.dev === cursor.dev && st.ino === cursor.ino));
    if (copy) {
      this.log.info(`${path.basename(this.source.path)} was truncated; reading the rest of its copy ${path.basename(copy.name)} first`);
      await this.drainAndClose(copy);
    } else {
      this.log.warn(`${path.basename(this.source.path)} was truncated; reading it again from line 1`);
    }
    const fresh: Cursor = { handle: cursor.handle, name: cursor.name, ...startOf(cursor) };
    await this.saveStart(fresh);
    this.cursor = fresh;
  }

  /**
   * Read a rotated/copied file to its end, the last line even without its newline (nobody will finish it).
   * Its checkpoints name that file, so a crash in the middle finds it again by inode.
   */
  private async drainAndClose(copy: Cursor): Promise<void> {
    try {
      await this.readComplete(copy, true);
    } finally {
      await copy.handle.close().catch(() => undefined);
    }
  }

  /** A file started afresh: no lines go with this checkpoint, so it is set on its own. */
  private async saveStart(cursor: Cursor): Promise<void> {
    await this.deps.ledger.setCheckpoint({ key: this.key, value: encodeCheckpoint(cursor) });
  }

  /**
   * Hand every complete line from the cursor to the ingestor, in batches; each batch's checkpoint is committed
   * with its legs. `final`: the file will not grow, so a last line without newline is complete too.
   */
  private async readComplete(cursor: Cursor, final: boolean): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const size = (await cursor.handle.stat()).size;
      this.lag = Math.max(0, size - cursor.offset);
      if (cursor.offset >= size) return;
      const chunk = await readLinesAt(cursor.handle, cursor.offset, size, this.batchBytes, final);
      if (!chunk) return; // only a partial line: wait for its newline
      const next = await advance(cursor.handle, cursor, chunk);
      const summary = await this.deps.ingestor.ingestLegs(
        this.source,
        { name: cursor.name, stream: Readable.from([chunk], { objectMode: false }), firstLine: cursor.line },
        { checkpoints: [{ key: this.key, value: encodeCheckpoint(next) }] },
      );
      // A tail has no .error.txt: bad lines are logged by FILE:LINE (the good ones are in the ledger).
      for (const e of summary.errors) this.log.warn(`${e.location}: ${e.message}`);
      if (summary.errorCount > summary.errors.length) {
        this.log.warn(`... and ${summary.errorCount - summary.errors.length} more bad line(s) between lines ${cursor.line} and ${next.line - 1}`);
      }
      Object.assign(cursor, next);
    }
  }
}
