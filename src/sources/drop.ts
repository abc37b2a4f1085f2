import { createReadStream, type ReadStream, type Stats } from 'node:fs';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { AdapterDefinition } from '../../adapters/types.js';
import { LedgerUnavailableError, SourceUnavailableError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { IngestSummary, Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { errnoCode, localDate, moveNoClobber, sha256File } from './files.js';
import { fileNameMatcher, isTemporaryName } from './patterns.js';
import { type SourceRunner, unrefTimer } from './runner.js';

export type DropSource = Extract<SourceConfig, { type: 'drop' }>;

export interface DropDeps {
  ingestor: Pick<Ingestor, 'ingestWhole' | 'ingestLegs'>;
  ledger: Pick<Ledger, 'getCheckpoint' | 'setCheckpoint'>;
  getAdapter: (id: string) => Pick<AdapterDefinition, 'id' | 'inputs'>;
  logger?: Logger;
  now?: () => number;
  /** Use a file-system watcher besides the periodic rescan (default true). */
  watch?: boolean;
}

export const PROCESSED_DIR = 'processed';
export const FAILED_DIR = 'failed';

/** The checkpoint that says "this exact content was imported": survives renames and re-drops of the same file. */
export function importedKey(sourceId: string, sha256: string): string {
  return `drop:${sourceId}:sha256:${sha256}`;
}

interface Candidate {
  size: number;
  mtimeMs: number;
  dev: number;
  ino: number;
  /** When size/mtime/inode were last seen to change (or first seen). */
  stableSince: number;
  /** Renamed into place from a temporary name we saw being written: complete now. */
  renamed: boolean;
  /** Do not try again before this (ledger unavailable, a move that failed). */
  notBefore: number;
}

export type DropOutcome =
  | { kind: 'processed'; movedTo: string; summary: IngestSummary; errorFile: string | null }
  | { kind: 'failed'; movedTo: string; errorFile: string }
  | { kind: 'already-imported'; movedTo: string }
  | { kind: 'left'; reason: string };

/**
 * A drop folder: whole CDR files appear; each is imported once it is complete, then moved out of the way.
 *
 * Complete means: size, mtime and inode unchanged for `stableMs` as seen by this process (an mtime from a
 * network server's clock is not trusted on first sight), or renamed into place from a temporary name
 * (`.x`, `x.tmp`, `x.part`) whose inode we saw while it was written.
 *
 * Outcomes:
 * - every record in the ledger (ingestWhole resolved) → `processed/YYYY-MM-DD/`; when some lines were bad, the good
 *   calls are in the ledger and `<name>.error.txt` beside the moved file lists the bad lines;
 * - unreadable, or nothing but errors → `failed/` with `<name>.error.txt`;
 * - content imported before (sha256 checkpoint) → `processed/` without importing, with a log line;
 * - the ledger cannot take it → left in place and tried again later (nothing was acknowledged).
 *
 * A restart mid-file reads the file again from the start: the rows already committed come back as duplicates
 * (the ledger is unique by external id), so nothing is lost or doubled. A byte-offset checkpoint is not used for
 * whole files because legs are grouped across the whole file: an offset does not mark a set of complete calls.
 */
export class DropFolderRunner implements SourceRunner {
  readonly sourceId: string;
  readonly kind = 'drop' as const;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly matches: (name: string) => boolean;
  private readonly legsAcrossFiles: boolean;
  private readonly candidates = new Map<string, Candidate>();
  /** dev:ino of temporary files seen, with their size: a later complete file with that inode was renamed into place. */
  private readonly temporaries = new Map<string, { size: number; seenAt: number }>();
  private watcher: FSWatcher | null = null;
  private rescanTimer: NodeJS.Timeout | null = null;
  private soonTimer: NodeJS.Timeout | null = null;
  private soonAt = Infinity;
  private ticking: Promise<void> | null = null;
  /** The file being imported, so stop() can cut it short (what was committed stays; the rest is read next time). */
  private reading: { stream: ReadStream; aborted: boolean } | null = null;
  private tickAgain = false;
  private stopping = false;
  /** See SourceRunner: set by this runner only. */
  running = false;
  lastProblem: string | null = null;

  constructor(
    readonly source: DropSource,
    private readonly deps: DropDeps,
  ) {
    this.sourceId = source.id;
    this.log = (deps.logger ?? silentLogger()).child({ component: 'drop', source: source.id });
    this.now = deps.now ?? Date.now;
    const adapter = deps.getAdapter(source.adapter);
    this.matches = fileNameMatcher(adapter.inputs.filePatterns);
    this.legsAcrossFiles = adapter.inputs.legsAcrossFiles === true;
    if (adapter.inputs.filePatterns.length === 0) {
      this.log.warn(`adapter ${adapter.id} takes no files (no file patterns): drop folder ${source.id} will import nothing`);
    }
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.stopping = false;
    const dir = this.source.path;
    const st = await stat(dir).catch((error: unknown) => {
      throw new SourceUnavailableError(`drop folder ${dir} of source ${this.source.id} cannot be read: ${errnoCode(error) ?? String(error)}`);
    });
    if (!st.isDirectory()) throw new SourceUnavailableError(`drop folder ${dir} of source ${this.source.id} is not a directory`);
    if (this.deps.watch !== false) {
      const skip = new Set([path.join(dir, PROCESSED_DIR), path.join(dir, FAILED_DIR)]);
      this.watcher = watch(dir, {
        depth: 0,
        ignoreInitial: true,
        ignored: (p: string) => skip.has(p) || [...skip].some((s) => p.startsWith(s + path.sep)),
      });
      this.watcher.on('all', () => this.soon(50));
      this.watcher.on('error', (error: unknown) => this.log.warn(`watcher: ${String(error)}; the periodic rescan goes on`));
    }
    this.running = true;
    this.log.info(`watching drop folder for ${this.source.adapter} files`);
    this.scheduleRescan();
    this.soon(0);
  }

  /**
   * Stops watching. A file being imported is cut short and left in place: the calls already committed come back as
   * duplicates at the next start, the rest are imported then (a large file must not hold up a shutdown).
   */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.reading) {
      this.reading.aborted = true;
      this.reading.stream.destroy(new Error('callbridge is stopping'));
    }
    if (this.rescanTimer) clearTimeout(this.rescanTimer);
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.rescanTimer = this.soonTimer = null;
    this.soonAt = Infinity;
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.close();
    while (this.ticking) await this.ticking;
    this.running = false;
  }

  /** One scan now (tests and `callbridge` commands); resolves when the files found ready are handled. */
  async scanNow(): Promise<void> {
    if (this.ticking) {
      this.tickAgain = true;
      while (this.ticking) await this.ticking;
      return;
    }
    await this.tick();
  }

  private scheduleRescan(): void {
    if (this.stopping) return;
    this.rescanTimer = unrefTimer(() => {
      this.soon(0);
      this.scheduleRescan();
    }, this.source.rescanMs);
  }

  /** Run a scan in `ms` (or sooner if one is already due sooner). */
  private soon(ms: number): void {
    if (this.stopping) return;
    const at = this.now() + ms;
    if (this.soonTimer && at >= this.soonAt) return;
    if (this.soonTimer) clearTimeout(this.soonTimer);
    this.soonAt = at;
    this.soonTimer = unrefTimer(() => {
      this.soonTimer = null;
      this.soonAt = Infinity;
      void this.scanNow();
    }, ms);
  }

  private tick(): Promise<void> {
    const run = async () => {
      do {
        this.tickAgain = false;
        try {
          await this.scanOnce();
        } catch (error) {
          this.problem(`scan failed: ${describeError(error)}`);
        }
      } while (this.tickAgain && !this.stopping);
    };
    this.ticking = run().finally(() => {
      this.ticking = null;
    });
    return this.ticking;
  }

  private async scanOnce(): Promise<void> {
    const dir = this.source.path;
    const entries = await readdir(dir, { withFileTypes: true });
    const now = this.now();
    const present = new Set<string>();
    for (const entry of entries) {
      const name = entry.name;
      if (entry.isDirectory() || (!entry.isFile() && !entry.isSymbolicLink())) continue;
      let st: Stats;
      try {
        st = await stat(path.join(dir, name));
      } catch {
        continue; // vanished between readdir and stat, or a dangling link
      }
      if (!st.isFile()) continue;
      if (isTemporaryName(name)) {
        this.temporaries.set(`${st.dev}:${st.ino}`, { size: st.size, seenAt: now });
        continue;
      }
      if (!this.matches(name)) continue;
      present.add(name);
      const known = this.candidates.get(name);
      if (known && known.size === st.size && known.mtimeMs === st.mtimeMs && known.ino === st.ino && known.dev === st.dev) continue;
      const temp = this.temporaries.get(`${st.dev}:${st.ino}`);
      this.candidates.set(name, {
        size: st.size,
        mtimeMs: st.mtimeMs,
        dev: st.dev,
        ino: st.ino,
        stableSince: now,
        renamed: temp !== undefined && temp.size <= st.size,
        notBefore: known?.notBefore ?? 0,
      });
    }
    for (const name of this.candidates.keys()) if (!present.has(name)) this.candidates.delete(name);
    const forget = now - Math.max(10 * 60_000, 3 * this.source.rescanMs);
    for (const [key, t] of this.temporaries) if (t.seenAt < forget) this.temporaries.delete(key);

    const ready = [...this.candidates.entries()]
      .filter(([, c]) => c.notBefore <= now && (c.renamed || now - c.stableSince >= this.source.stableMs))
      .sort(([an, a], [bn, b]) => a.mtimeMs - b.mtimeMs || an.localeCompare(bn));
    for (const [name, candidate] of ready) {
      if (this.stopping) return;
      await this.handle(name, candidate);
    }
    this.scheduleStabilityCheck();
  }

  /** Look again when the next candidate becomes stable (or may be retried). */
  private scheduleStabilityCheck(): void {
    const now = this.now();
    let next = Infinity;
    for (const c of this.candidates.values()) {
      next = Math.min(next, Math.max(c.notBefore, c.renamed ? now : c.stableSince + this.source.stableMs));
    }
    if (next !== Infinity) this.soon(Math.max(10, next - now));
  }

  private async handle(name: string, candidate: Candidate): Promise<void> {
    let outcome: DropOutcome;
    try {
      outcome = await this.importFile(name, candidate);
    } catch (error) {
      // The file stays where it is (a move failed, or the ledger went away): try again later, never lose it.
      outcome = { kind: 'left', reason: describeError(error) };
    }
    if (outcome.kind === 'left') {
      const c = this.candidates.get(name);
      if (c) c.notBefore = this.now() + this.source.rescanMs;
      this.problem(`${name} left in place: ${outcome.reason}`);
      return;
    }
    this.candidates.delete(name);
    this.lastProblem = null;
  }

  /** Import one complete file and move it. Throws only when the file must stay where it is. */
  async importFile(name: string, candidate: Pick<Candidate, 'size' | 'mtimeMs' | 'ino' | 'dev'>): Promise<DropOutcome> {
    const file = path.join(this.source.path, name);
    let before: Stats;
    try {
      before = await stat(file);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { kind: 'left', reason: 'it disappeared' };
      return this.fail(file, [{ location: file, message: `cannot read the file: ${describeError(error)}` }]);
    }
    if (!sameFile(before, candidate)) {
      const c = this.candidates.get(name);
      if (c) Object.assign(c, { size: before.size, mtimeMs: before.mtimeMs, ino: before.ino, dev: before.dev, stableSince: this.now(), renamed: false });
      return { kind: 'left', reason: 'it is still changing' };
    }

    let hash: string;
    try {
      hash = await sha256File(file);
    } catch (error) {
      return this.fail(file, [{ location: file, message: `cannot read the file: ${describeError(error)}` }]);
    }
    const key = importedKey(this.source.id, hash);
    const previous = await this.deps.ledger.getCheckpoint(key);
    if (previous !== null) {
      const movedTo = await moveNoClobber(file, this.processedDir());
      this.log.info(`${name}: this content was imported before (${describeImport(previous)}); moved to processed/ without importing it again`);
      return { kind: 'already-imported', movedTo };
    }

    let summary: IngestSummary;
    const stream = createReadStream(file);
    const reading = { stream, aborted: false };
    this.reading = reading;
    try {
      // One file per leg (FreeSWITCH, Twilio): the legs are stashed durably and the call is assembled once quiet.
      summary = this.legsAcrossFiles
        ? await this.deps.ingestor.ingestLegs(this.source, { name: file, stream })
        : await this.deps.ingestor.ingestWhole(this.source, { name: file, stream });
    } catch (error) {
      if (reading.aborted) return { kind: 'left', reason: 'stopped while it was being read; it is read again at the next start' };
      if (error instanceof LedgerUnavailableError) throw error;
      return this.fail(file, [{ location: file, message: `cannot import the file: ${describeError(error)}` }], 1, null);
    } finally {
      this.reading = null;
      stream.destroy();
    }
    // Stopped mid-file, the parse may have ended quietly with part of the file: never count that as done.
    if (reading.aborted) return { kind: 'left', reason: 'stopped while it was being read; it is read again at the next start' };

    const after = await stat(file).catch(() => null);
    if (!after || !sameFile(after, before)) {
      // A writer was still at it despite the quiet period: what was read is in the ledger (deduplicated by id);
      // read it again, whole, once it is stable.
      const c = this.candidates.get(name);
      if (c) Object.assign(c, { stableSince: this.now(), renamed: false, size: -1 });
      this.log.warn(`${name} changed while it was being imported; it will be read again once it is stable`);
      return { kind: 'left', reason: 'it changed while it was read' };
    }

    if (summary.ids.length === 0 && summary.errors.length > 0) return this.fail(file, summary.errors, summary.errorCount);

    await this.deps.ledger.setCheckpoint({
      key,
      value: JSON.stringify({ file: name, importedAt: new Date(this.now()).toISOString(), calls: summary.ids.length }),
    });
    const movedTo = await moveNoClobber(file, this.processedDir());
    let errorFile: string | null = null;
    if (summary.errors.length > 0) {
      errorFile = `${movedTo}.error.txt`;
      await writeFile(errorFile, errorReport(file, this.source, summary.errors, summary.errorCount, summary.ids.length, this.now()));
      this.log.warn(`${name}: ${summary.ids.length} call(s) imported, ${summary.errorCount} bad part(s) listed in processed/${path.relative(path.join(this.source.path, PROCESSED_DIR), errorFile)}`);
    } else {
      this.log.info(`${name}: ${summary.ids.length} call(s) imported (${summary.inserted} new, ${summary.duplicates} already known)`);
    }
    return { kind: 'processed', movedTo, summary, errorFile };
  }

  private processedDir(): string {
    return path.join(this.source.path, PROCESSED_DIR, localDate(this.now()));
  }

  private async fail(file: string, errors: IngestSummary['errors'], errorCount = errors.length, imported: number | null = 0): Promise<DropOutcome> {
    const movedTo = await moveNoClobber(file, path.join(this.source.path, FAILED_DIR));
    const errorFile = `${movedTo}.error.txt`;
    await writeFile(errorFile, errorReport(file, this.source, errors, errorCount, imported, this.now()));
    const first = errors[0];
    this.log.error(`${path.basename(file)} could not be imported (${first ? first.message : 'no calls'}); moved to failed/ with ${path.basename(errorFile)}`);
    return { kind: 'failed', movedTo, errorFile };
  }

  private problem(text: string): void {
    this.lastProblem = text;
    this.log.warn(text);
  }
}

function sameFile(a: Pick<Stats, 'size' | 'mtimeMs' | 'ino' | 'dev'>, b: Pick<Stats, 'size' | 'mtimeMs' | 'ino' | 'dev'>): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino && a.dev === b.dev;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = errnoCode(error);
    return code ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

function describeImport(value: string): string {
  try {
    const v = JSON.parse(value) as { file?: string; importedAt?: string };
    return `as ${v.file ?? '?'} at ${v.importedAt ?? '?'}`;
  } catch {
    return 'earlier';
  }
}

/** The text of `<name>.error.txt`: what a person needs to fix the file and drop it again. */
export function errorReport(
  file: string,
  source: Pick<SourceConfig, 'id' | 'adapter'>,
  errors: IngestSummary['errors'],
  errorCount: number,
  /** Calls imported, or null when reading stopped part-way (some may have been committed). */
  imported: number | null,
  now: number,
): string {
  const head = [
    `callbridge, source "${source.id}" (adapter ${source.adapter}), ${new Date(now).toISOString()}`,
    `file: ${file}`,
    imported === null
      ? 'The file could not be read to its end. Calls read before the problem may be in the ledger already; fix the file and drop it again (calls already there are recognised, never sent twice).'
      : imported > 0
        ? `${imported} call(s) were imported; ${errorCount} part(s) of the file could not be read. Fix them and drop only those calls again.`
        : 'Nothing was imported from this file. Fix it and drop it again.',
    '',
  ];
  const lines = errors.map((e) => `${e.location}: ${e.message}`);
  // The ingestor keeps only the first errors of a file; say how many more there were.
  if (errorCount > errors.length) lines.push(`... and ${errorCount - errors.length} more`);
  return `${[...head, ...lines].join('\n')}\n`;
}
