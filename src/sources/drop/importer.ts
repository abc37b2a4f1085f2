import { createReadStream, type ReadStream, type Stats } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { LedgerUnavailableError } from '../../errors.js';
import type { Ledger } from '../../ledger/ledger.js';
import type { Logger } from '../../log/logger.js';
import type { IngestSummary, Ingestor, PipelineSource } from '../../pipeline/types.js';
import { describeError, errnoCode, localDate, moveNoClobber, sha256File } from '../files.js';
import { type FileStamp, sameStamp } from './candidates.js';
import { describeImported, encodeImported, importedKey } from './checkpoint.js';
import { errorReport } from './error-report.js';

export const PROCESSED_DIR = 'processed';
export const FAILED_DIR = 'failed';

export type DropOutcome =
  | { kind: 'processed'; movedTo: string; summary: IngestSummary; errorFile: string | null }
  | { kind: 'failed'; movedTo: string; errorFile: string }
  | { kind: 'already-imported'; movedTo: string }
  /**
   * `stillWritten`: a writer was at it, so its quiet period starts again; the stamp it has now, or null when that
   * is not known.
   */
  | { kind: 'left'; reason: string; stillWritten?: FileStamp | null };

export interface DropImporterDeps {
  /** The drop source as the pipeline sees it, and its folder. */
  source: PipelineSource & { path: string };
  ingestor: Pick<Ingestor, 'ingestWhole' | 'ingestLegs'>;
  ledger: Pick<Ledger, 'getCheckpoint' | 'setCheckpoint'>;
  log: Logger;
  now: () => number;
  /** The adapter writes one file per leg: legs are stashed durably and the call is assembled once quiet. */
  legsAcrossFiles: boolean;
}

const STOPPED = 'stopped while it was being read; it is read again at the next start';

/**
 * Imports one complete file of a drop folder, then moves it out of the way:
 * - every record in the ledger (the ingestor resolved) → `processed/YYYY-MM-DD/`; when some lines were bad, the good
 *   calls are in the ledger and `<name>.error.txt` beside the moved file lists the bad lines;
 * - unreadable, or nothing but errors → `failed/` with `<name>.error.txt`;
 * - content imported before (sha256 checkpoint) → `processed/` without importing, with a log line;
 * - the ledger cannot take it → left in place and tried again later (nothing was acknowledged).
 *
 * Cut short (abort), the file stays: the rows already committed come back as duplicates when it is read again
 * (the ledger is unique by external id), so nothing is lost or doubled.
 */
export class DropImporter {
  /** The file being imported, so abort() can cut it short. */
  private reading: { stream: ReadStream; aborted: boolean } | null = null;

  constructor(private readonly deps: DropImporterDeps) {}

  /** A large file must not hold up a shutdown: what was committed stays, the rest is read next time. */
  abort(): void {
    if (!this.reading) return;
    this.reading.aborted = true;
    this.reading.stream.destroy(new Error('callbridge is stopping'));
  }

  /** Import one complete file and move it. Throws only when the file must stay where it is. */
  async importFile(name: string, expected: FileStamp): Promise<DropOutcome> {
    const { source, log } = this.deps;
    const file = path.join(source.path, name);
    let before: Stats;
    try {
      before = await stat(file);
    } catch (error) {
      if (errnoCode(error) === 'ENOENT') return { kind: 'left', reason: 'it disappeared' };
      return this.fail(file, [{ location: file, message: `cannot read the file: ${describeError(error)}` }]);
    }
    if (!sameStamp(before, expected)) return { kind: 'left', reason: 'it is still changing', stillWritten: before };

    let hash: string;
    try {
      hash = await sha256File(file);
    } catch (error) {
      return this.fail(file, [{ location: file, message: `cannot read the file: ${describeError(error)}` }]);
    }
    const key = importedKey(source.id, hash);
    const previous = await this.deps.ledger.getCheckpoint(key);
    if (previous !== null) {
      const movedTo = await moveNoClobber(file, this.processedDir());
      log.info(`${name}: this content was imported before (${describeImported(previous)}); moved to processed/ without importing it again`);
      return { kind: 'already-imported', movedTo };
    }

    let summary: IngestSummary;
    const stream = createReadStream(file);
    const reading = { stream, aborted: false };
    this.reading = reading;
    try {
      summary = this.deps.legsAcrossFiles
        ? await this.deps.ingestor.ingestLegs(source, { name: file, stream })
        : await this.deps.ingestor.ingestWhole(source, { name: file, stream });
    } catch (error) {
      if (reading.aborted) return { kind: 'left', reason: STOPPED };
      if (error instanceof LedgerUnavailableError) throw error;
      return this.fail(file, [{ location: file, message: `cannot import the file: ${describeError(error)}` }], 1, null);
    } finally {
      this.reading = null;
      stream.destroy();
    }
    // Stopped mid-file, the parse may have ended quietly with part of the file: never count that as done.
    if (reading.aborted) return { kind: 'left', reason: STOPPED };

    const after = await stat(file).catch(() => null);
    if (!after || !sameStamp(after, before)) {
      // A writer was still at it despite the quiet period: what was read is in the ledger (deduplicated by id);
      // read it again, whole, once it is stable.
      log.warn(`${name} changed while it was being imported; it will be read again once it is stable`);
      return { kind: 'left', reason: 'it changed while it was read', stillWritten: null };
    }

    if (summary.ids.length === 0 && summary.errors.length > 0) return this.fail(file, summary.errors, summary.errorCount);

    await this.deps.ledger.setCheckpoint({ key, value: encodeImported({ file: name, importedAt: new Date(this.deps.now()).toISOString(), calls: summary.ids.length }) });
    const movedTo = await moveNoClobber(file, this.processedDir());
    let errorFile: string | null = null;
    if (summary.errors.length > 0) {
      errorFile = `${movedTo}.error.txt`;
      await writeFile(errorFile, errorReport(file, source, summary.errors, summary.errorCount, summary.ids.length, this.deps.now()));
      log.warn(`${name}: ${summary.ids.length} call(s) imported, ${summary.errorCount} bad part(s) listed in processed/${path.relative(path.join(source.path, PROCESSED_DIR), errorFile)}`);
    } else {
      log.info(`${name}: ${summary.ids.length} call(s) imported (${summary.inserted} new, ${summary.duplicates} already known)`);
    }
    return { kind: 'processed', movedTo, summary, errorFile };
  }

  private processedDir(): string {
    return path.join(this.deps.source.path, PROCESSED_DIR, localDate(this.deps.now()));
  }

  private async fail(file: string, errors: IngestSummary['errors'], errorCount = errors.length, imported: number | null = 0): Promise<DropOutcome> {
    const movedTo = await moveNoClobber(file, path.join(this.deps.source.path, FAILED_DIR));
    const errorFile = `${movedTo}.error.txt`;
    await writeFile(errorFile, errorReport(file, this.deps.source, errors, errorCount, imported, this.deps.now()));
    const first = errors[0];
    this.deps.log.error(`${path.basename(file)} could not be imported (${first ? first.message : 'no calls'}); moved to failed/ with ${path.basename(errorFile)}`);
    return { kind: 'failed', movedTo, errorFile };
  }
}
