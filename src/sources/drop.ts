import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { type FSWatcher, watch } from 'chokidar';
import type { AdapterDefinition } from '../../adapters/types.js';
import { SourceUnavailableError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceConfig } from './config.js';
import { type Candidate, CandidateTable, type FileStamp } from './drop/candidates.js';
import { type DropOutcome, DropImporter, FAILED_DIR, PROCESSED_DIR } from './drop/importer.js';
import { describeError, errnoCode } from './files.js';
import { fileNameMatcher, isTemporaryName } from './patterns.js';
import { type Loop, PollingRunner } from './polling-runner.js';
import type { SourceRunner } from './runner.js';
import { stashesLegs } from './stashes-legs.js';


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

/**
 * A drop folder: whole CDR files appear; each is imported once it is complete (drop/candidates.ts), then moved
 * out of the way (drop/importer.ts).
 *
 * The folder is scanned when the watcher sees a change, when a file's quiet period ends, and every `rescanMs`
 * whatever happens in between (watch events get lost on network mounts).
 *
 * A restart mid-file reads the file again from the start: the rows already committed come back as duplicates
 * (the ledger is unique by external id), so nothing is lost or doubled.
 */
export class DropFolderRunner extends PollingRunner implements SourceRunner {
  readonly sourceId: string;
  readonly kind = 'drop' as const;
  private readonly matches: (name: string) => boolean;
  private readonly candidates: CandidateTable;
  private readonly importer: DropImporter;
  private readonly scans: Loop;
  private watcher: FSWatcher | null = null;

  constructor(
    readonly source: DropSource,
    private readonly deps: DropDeps,
  ) {
    // Each problem names its file, and one left in place is retried every rescan: all of them are worth a line.
    super({ log: (deps.logger ?? silentLogger()).child({ component: 'drop', source: source.id }), now: deps.now, logRepeatedProblems: true });
    this.sourceId = source.id;
    const adapter = deps.getAdapter(source.adapter);
    this.matches = fileNameMatcher(adapter.inputs.filePatterns);
    if (adapter.inputs.filePatterns.length === 0) {
      this.log.warn(`adapter ${adapter.id} takes no files (no file patterns): drop folder ${source.id} will import nothing`);
    }
    this.candidates = new CandidateTable(source);
    this.importer = new DropImporter({
      source,
      ingestor: deps.ingestor,
      ledger: deps.ledger,
      log: this.log,
      now: this.now,
      legsAcrossFiles: stashesLegs('drop', adapter),
    });
    this.scans = this.loop({ firstMs: 0, pass: () => this.scanOnce(), failed: (error) => `scan failed: ${describeError(error)}` });
    this.loop({
      firstMs: source.rescanMs,
      everyMs: source.rescanMs,
      pass: async () => this.scans.soon(0),
    });
  }

  /** One scan now (tests and `callbridge` commands); resolves when the files found ready are handled. */
  scanNow(): Promise<void> {
    return this.scans.runNow();
  }

  protected override async beforeStart(): Promise<void> {
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
      this.watcher.on('all', () => this.scans.soon(50));
      this.watcher.on('error', (error: unknown) => this.log.warn(`watcher: ${String(error)}; the periodic rescan goes on`));
    }
    this.log.info(`watching drop folder for ${this.source.adapter} files`);
  }

  /**
   * A file being imported is cut short and left in place: the calls already committed come back as duplicates at
   * the next start, the rest are imported then (a large file must not hold up a shutdown).
   */
  protected override async interrupt(): Promise<void> {
    this.importer.abort();
    const watcher = this.watcher;
    this.watcher = null;
    await watcher?.close();
  }

  /** Import one complete file and move it. Throws only when the file must stay where it is. */
  async importFile(name: string, candidate: FileStamp): Promise<DropOutcome> {
    const outcome = await this.importer.importFile(name, candidate);
    if (outcome.kind === 'left' && outcome.stillWritten !== undefined) this.candidates.stillWritten(name, outcome.stillWritten, this.now());
    return outcome;
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
        this.candidates.sawTemporary(st, now);
      } else if (this.matches(name)) {
        present.add(name);
        this.candidates.saw(name, st, now);
      }
    }
    this.candidates.endScan(present, now);

    for (const [name, candidate] of this.candidates.ready(now)) {
      if (this.stopping) return;
      await this.handle(name, candidate);
    }
    // Look again when the next candidate becomes stable (or may be retried).
    const after = this.now();
    const at = this.candidates.nextCheckAt(after);
    if (at !== null) this.scans.soon(Math.max(10, at - after));
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
      this.candidates.retryAt(name, this.now() + this.source.rescanMs);
      this.problem(`${name} left in place: ${outcome.reason}`);
      return;
    }
    this.candidates.done(name);
    this.clearProblem();
  }
}
