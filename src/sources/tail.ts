import { createHash } from 'node:crypto';
import { type Stats } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { LedgerUnavailableError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { errnoCode } from './files.js';
import { type SourceRunner, unrefTimer } from './runner.js';

export type TailSource = Extract<SourceConfig, { type: 'tail' }>;

export interface TailDeps {
  ingestor: Pick<Ingestor, 'ingestLegs' | 'flushQuiet'>;
  ledger: Pick<Ledger, 'getCheckpoint' | 'setCheckpoint'>;
  logger?: Logger;
  now?: () => number;
  /** Largest slice handed to the ingestor (and committed) at once, bytes. */
  batchBytes?: number;
}

/**
 * Where the tail stands, kept in the ledger and committed in the same transaction as the rows it produced.
 * The file is recognised by device+inode AND by a fingerprint of its first bytes (up to FP_BYTES of what was
 * already read): an inode alone is reused after deletion, and a fingerprint alone is the same for files that
 * start with the same header.
 */
export interface TailCheckpoint {
  v: 1;
  dev: number;
  ino: number;
  /** Byte offset just after the last line committed. */
  offset: number;
  /** Line number (1-based) of the line that starts at `offset`. */
  line: number;
  /** Number of leading bytes the fingerprint covers: min(offset, FP_BYTES). */
  fpLen: number;
  /** sha256 hex of the first `fpLen` bytes. */
  fp: string;
}

export const FP_BYTES = 512;
const DEFAULT_BATCH_BYTES = 1024 * 1024;
/** A "line" longer than this without a newline is handed over as it is; the adapter reports it as bad. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

export function tailCheckpointKey(sourceId: string): string {
  return `tail:${sourceId}`;
}

interface Cursor {
  handle: FileHandle;
  /** The name the file had when it was opened (error locations). */
  name: string;
  dev: number;
  ino: number;
  offset: number;
  line: number;
  fpLen: number;
  fp: string;
}

/**
 * Follows an append-only CDR file (Asterisk `Master.csv`) by polling every `pollMs`.
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
 */
export class TailRunner implements SourceRunner {
  readonly sourceId: string;
  readonly kind = 'tail' as const;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly key: string;
  private readonly batchBytes: number;
  private cursor: Cursor | null = null;
  /** Rotation seen: the time the old file last grew. */
  private rotatedAt: { lastSize: number; lastGrowth: number } | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private flushing: Promise<void> | null = null;
  private stopping = false;
  /** See SourceRunner: set by this runner only. */
  running = false;
  lastProblem: string | null = null;
  private waitingLogged = false;

  constructor(
    readonly source: TailSource,
    private readonly deps: TailDeps,
  ) {
    this.sourceId = source.id;
    this.log = (deps.logger ?? silentLogger()).child({ component: 'tail', source: source.id });
    this.now = deps.now ?? Date.now;
    this.key = tailCheckpointKey(source.id);
    this.batchBytes = deps.batchBytes ?? DEFAULT_BATCH_BYTES;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    this.running = true;
    this.log.info(`following ${path.basename(this.source.path)}`);
    this.schedulePoll(0);
    this.scheduleFlush();
  }

  /** Stops polling; the batch being committed finishes; the checkpoint already says where the next start resumes. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.pollTimer = this.flushTimer = null;
    while (this.polling || this.flushing) await Promise.all([this.polling, this.flushing]);
    await this.cursor?.handle.close().catch(() => undefined);
    this.cursor = null;
    this.rotatedAt = null;
    this.running = false;
  }

  /** One poll now; resolves when everything complete that is in the file is committed. */
  async pollNow(): Promise<void> {
    while (this.polling) await this.polling;
    this.polling = this.poll().finally(() => {
      this.polling = null;
    });
    await this.polling;
  }

  private schedulePoll(ms: number): void {
    if (this.stopping) return;
    this.pollTimer = unrefTimer(() => {
      void this.pollNow().finally(() => this.schedulePoll(this.source.pollMs));
    }, ms);
  }

  private scheduleFlush(): void {
    if (this.stopping) return;
    this.flushTimer = unrefTimer(() => {
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        this.scheduleFlush();
      });
    }, this.source.flushEveryMs);
  }

  private async flush(): Promise<void> {
    try {
      await this.deps.ingestor.flushQuiet(this.source, this.now());
    } catch (error) {
      this.problem(`assembling quiet calls failed, will retry: ${describe(error)}`);
    }
  }

  private async poll(): Promise<void> {
    if (this.stopping) return;
    try {
      if (!this.cursor) await this.openAtCheckpoint();
      if (this.cursor) await this.follow();
      this.lastProblem = null;
    } catch (error) {
      if (error instanceof LedgerUnavailableError) this.problem(`the ledger cannot take the lines, will retry: ${error.message}`);
      else this.problem(`reading failed, will retry: ${describe(error)}`);
    }
  }

  /** First poll (or after the file was missing): decide where to read from. */
  private async openAtCheckpoint(): Promise<void> {
    const file = this.source.path;
    const st = await statOrNull(file);
    if (!st) {
      if (!this.waitingLogged) this.log.info(`${path.basename(file)} does not exist yet; waiting for it`);
      this.waitingLogged = true;
      return;
    }
    this.waitingLogged = false;
    const saved = parseCheckpoint(await this.deps.ledger.getCheckpoint(this.key));
    const handle = await open(file, 'r');
    let cursor: Cursor;
    try {
      const hst = await handle.stat();
      if (saved && saved.dev === hst.dev && saved.ino === hst.ino && hst.size >= saved.offset && (await fingerprintMatches(handle, saved))) {
        cursor = { handle, name: file, ...pick(saved) };
        this.log.info(`resuming at line ${saved.line} (byte ${saved.offset})`);
      } else {
        if (saved) await this.finishPrevious(saved, hst);
        cursor = await this.freshCursor(handle, file, !saved && this.source.startAt === 'end');
        await this.deps.ledger.setCheckpoint({ key: this.key, value: JSON.stringify(toCheckpoint(cursor)) });
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
  private async finishPrevious(saved: TailCheckpoint, current: Stats): Promise<void> {
    const sameInode = saved.dev === current.dev && saved.ino === current.ino;
    const old = await this.findSibling((st) => st.dev === saved.dev && st.ino === saved.ino, saved);
    const copy = old ?? (await this.findSibling(() => true, saved));
    if (copy) {
      this.log.info(`${path.basename(this.source.path)} was ${sameInode ? 'truncated' : 'rotated'} while callbridge was not running; reading the rest of ${path.basename(copy.name)} first`);
      await this.drainToEnd(copy);
      await copy.handle.close().catch(() => undefined);
    } else if (saved.offset > 0) {
      this.log.warn(
        `${path.basename(this.source.path)} was ${sameInode ? 'truncated' : 'replaced'} and the file read up to line ${saved.line} is not in the folder any more; ` +
          `starting the current file at line 1 (anything written to the old file after that line was not read)`,
      );
    }
  }

  /**
   * A file in the same folder, named like ours (`Master.csv.1`, `Master.csv-20240101`), whose first bytes are the
   * ones we already read and that is at least as long as our offset: the rotated or copied file. Opened at our offset.
   */
  private async findSibling(accept: (st: Stats) => boolean, at: TailCheckpoint): Promise<Cursor | null> {
    if (at.offset === 0) return null;
    const dir = path.dirname(this.source.path);
    const base = path.basename(this.source.path);
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return null;
    }
    const found: Array<{ name: string; st: Stats }> = [];
    for (const name of names) {
      if (name === base || !name.startsWith(base)) continue;
      const full = path.join(dir, name);
      const st = await statOrNull(full);
      if (!st?.isFile() || st.size < at.offset || !accept(st)) continue;
      found.push({ name: full, st });
    }
    found.sort((a, b) => b.st.mtimeMs - a.st.mtimeMs);
    for (const { name, st } of found) {
      const handle = await open(name, 'r').catch(() => null);
      if (!handle) continue;
      if (await fingerprintMatches(handle, at)) return { handle, name, ...pick({ ...at, dev: st.dev, ino: st.ino }) };
      await handle.close().catch(() => undefined);
    }
    return null;
  }

  private async freshCursor(handle: FileHandle, name: string, atEnd: boolean): Promise<Cursor> {
    const st = await handle.stat();
    const cursor: Cursor = { handle, name, dev: st.dev, ino: st.ino, offset: 0, line: 1, fpLen: 0, fp: sha256(Buffer.alloc(0)) };
    if (atEnd) {
      const { offset, lines } = await lastCompleteLine(handle, st.size);
      cursor.offset = offset;
      cursor.line = lines + 1;
      await refreshFingerprint(cursor);
      this.log.info(`no checkpoint yet: starting at the end of the file (line ${cursor.line}), as configured`);
    }
    return cursor;
  }

  /** Regular poll: read what is new; notice rotation and truncation. */
  private async follow(): Promise<void> {
    const cursor = this.cursor as Cursor;
    const onPath = await statOrNull(this.source.path);
    const rotated = !onPath || onPath.dev !== cursor.dev || onPath.ino !== cursor.ino;
    if (rotated) {
      // Finish the old file first (we still hold it open), until it has been quiet for rotatedGraceMs.
      await this.readComplete(cursor, false);
      const size = (await cursor.handle.stat()).size;
      const now = this.now();
      if (!this.rotatedAt || size !== this.rotatedAt.lastSize) {
        if (!this.rotatedAt) this.log.info(`${path.basename(this.source.path)} was rotated; finishing the old file first`);
        this.rotatedAt = { lastSize: size, lastGrowth: now };
        if (this.source.rotatedGraceMs > 0) return;
      }
      if (now - this.rotatedAt.lastGrowth < this.source.rotatedGraceMs) return;
      await this.readComplete(cursor, true);
      if (!onPath) return; // the new file is not there yet; keep the old one until it is
      await cursor.handle.close().catch(() => undefined);
      this.cursor = null;
      this.rotatedAt = null;
      const handle = await open(this.source.path, 'r');
      try {
        this.cursor = await this.freshCursor(handle, this.source.path, false);
        await this.deps.ledger.setCheckpoint({ key: this.key, value: JSON.stringify(toCheckpoint(this.cursor)) });
      } catch (error) {
        await handle.close().catch(() => undefined);
        this.cursor = null;
        throw error;
      }
      this.log.info(`reading the new ${path.basename(this.source.path)} from line 1`);
      await this.readComplete(this.cursor, false);
      return;
    }
    this.rotatedAt = null;
    const size = (await cursor.handle.stat()).size;
    if (size < cursor.offset || !(await fingerprintMatches(cursor.handle, cursor))) {
      await this.restartTruncated(cursor);
    }
    await this.readComplete(this.cursor as Cursor, false);
  }

  /** copytruncate: read the rest from the copy if it is there, then the file from its start. */
  private async restartTruncated(cursor: Cursor): Promise<void> {
    const at = toCheckpoint(cursor);
    const copy = await this.findSibling((st) => !(st.dev === cursor.dev && st.ino === cursor.ino), at);
    if (copy) {
      this.log.info(`${path.basename(this.source.path)} was truncated; reading the rest of its copy ${path.basename(copy.name)} first`);
      try {
        await this.drainToEnd(copy);
      } finally {
        await copy.handle.close().catch(() => undefined);
      }
    } else {
      this.log.warn(`${path.basename(this.source.path)} was truncated; reading it again from line 1`);
    }
    const fresh: Cursor = { ...cursor, offset: 0, line: 1, fpLen: 0, fp: sha256(Buffer.alloc(0)) };
    await this.deps.ledger.setCheckpoint({ key: this.key, value: JSON.stringify(toCheckpoint(fresh)) });
    this.cursor = fresh;
  }

  /**
   * Read a rotated/copied file to its end, the last line even without its newline (nobody will finish it).
   * Its checkpoints name that file, so a crash in the middle finds it again by inode.
   */
  private async drainToEnd(cursor: Cursor): Promise<void> {
    await this.readComplete(cursor, true);
  }

  /**
   * Hand every complete line from the cursor to the ingestor, in batches; each batch's checkpoint is committed
   * with its legs. `final`: the file will not grow, so a last line without newline is complete too.
   */
  private async readComplete(cursor: Cursor, final: boolean): Promise<void> {
    for (;;) {
      if (this.stopping) return;
      const size = (await cursor.handle.stat()).size;
      if (cursor.offset >= size) return;
      const chunk = await readLinesAt(cursor.handle, cursor.offset, size, this.batchBytes, final);
      if (!chunk) return; // only a partial line: wait for its newline
      const lines = countLines(chunk);
      const next: Cursor = { ...cursor, offset: cursor.offset + chunk.length, line: cursor.line + lines };
      await refreshFingerprint(next);
      const summary = await this.deps.ingestor.ingestLegs(
        this.source,
        { name: cursor.name, stream: Readable.from([chunk], { objectMode: false }), firstLine: cursor.line },
        { checkpoints: [{ key: this.key, value: JSON.stringify(toCheckpoint(next)) }] },
      );
      // A tail has no .error.txt: bad lines are logged by FILE:LINE (the good ones are in the ledger).
      for (const e of summary.errors) this.log.warn(`${e.location}: ${e.message}`);
      if (summary.errorCount > summary.errors.length) {
        this.log.warn(`... and ${summary.errorCount - summary.errors.length} more bad line(s) between lines ${cursor.line} and ${next.line - 1}`);
      }
      cursor.offset = next.offset;
      cursor.line = next.line;
      cursor.fpLen = next.fpLen;
      cursor.fp = next.fp;
    }
  }

  private problem(text: string): void {
    if (text !== this.lastProblem) this.log.warn(text);
    this.lastProblem = text;
  }
}

/**
 * The complete lines starting at `offset`: up to `maxBytes` (more when a single line is longer), ending just after
 * a newline; null when there is no complete line yet.
 */
async function readLinesAt(handle: FileHandle, offset: number, size: number, maxBytes: number, final: boolean): Promise<Buffer | null> {
  let want = Math.min(size - offset, maxBytes);
  for (;;) {
    const buf = Buffer.alloc(want);
    const { bytesRead } = await handle.read(buf, 0, want, offset);
    const data = buf.subarray(0, bytesRead);
    const nl = data.lastIndexOf(0x0a);
    const atEnd = offset + bytesRead >= size;
    if (nl >= 0) return data.subarray(0, nl + 1);
    if (atEnd) return final && bytesRead > 0 ? data : null;
    if (want >= MAX_LINE_BYTES) return data; // a runaway line: hand it over so parsing goes on past it
    want = Math.min(size - offset, want * 2, MAX_LINE_BYTES);
  }
}

/** Lines in a chunk of complete lines (a last line without its newline counts too). */
function countLines(chunk: Buffer): number {
  let n = 0;
  let i = -1;
  while ((i = chunk.indexOf(0x0a, i + 1)) !== -1) n++;
  if (chunk.length > 0 && chunk[chunk.length - 1] !== 0x0a) n++;
  return n;
}

/** Offset just after the last newline, and how many lines precede it (startAt: end). */
async function lastCompleteLine(handle: FileHandle, size: number): Promise<{ offset: number; lines: number }> {
  const buf = Buffer.alloc(64 * 1024);
  let offset = 0;
  let lines = 0;
  let lastNl = -1;
  for (let pos = 0; pos < size; ) {
    const { bytesRead } = await handle.read(buf, 0, Math.min(buf.length, size - pos), pos);
    if (bytesRead === 0) break;
    for (let i = buf.indexOf(0x0a); i !== -1 && i < bytesRead; i = buf.indexOf(0x0a, i + 1)) {
      lines++;
      lastNl = pos + i;
    }
    pos += bytesRead;
  }
  if (lastNl >= 0) offset = lastNl + 1;
  return { offset, lines };
}

async function refreshFingerprint(cursor: Cursor): Promise<void> {
  const len = Math.min(cursor.offset, FP_BYTES);
  if (len === cursor.fpLen) return;
  cursor.fp = sha256(await readHead(cursor.handle, len));
  cursor.fpLen = len;
}

async function fingerprintMatches(handle: FileHandle, at: Pick<TailCheckpoint, 'fpLen' | 'fp'>): Promise<boolean> {
  const head = await readHead(handle, at.fpLen);
  return head.length === at.fpLen && sha256(head) === at.fp;
}

async function readHead(handle: FileHandle, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  if (len === 0) return buf;
  const { bytesRead } = await handle.read(buf, 0, len, 0);
  return buf.subarray(0, bytesRead);
}

function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

function toCheckpoint(c: Pick<Cursor, 'dev' | 'ino' | 'offset' | 'line' | 'fpLen' | 'fp'>): TailCheckpoint {
  return { v: 1, dev: c.dev, ino: c.ino, offset: c.offset, line: c.line, fpLen: c.fpLen, fp: c.fp };
}

function pick(c: TailCheckpoint): Omit<Cursor, 'handle' | 'name'> {
  return { dev: c.dev, ino: c.ino, offset: c.offset, line: c.line, fpLen: c.fpLen, fp: c.fp };
}

export function parseCheckpoint(value: string | null): TailCheckpoint | null {
  if (value === null) return null;
  try {
    const c = JSON.parse(value) as Partial<TailCheckpoint>;
    const nums = [c.dev, c.ino, c.offset, c.line, c.fpLen];
    if (c.v !== 1 || nums.some((n) => typeof n !== 'number' || !Number.isFinite(n)) || typeof c.fp !== 'string') return null;
    return c as TailCheckpoint;
  } catch {
    return null;
  }
}

async function statOrNull(file: string): Promise<Stats | null> {
  try {
    return await stat(file);
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = errnoCode(error);
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
