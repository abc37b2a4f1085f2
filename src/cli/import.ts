import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { countKnownCalls, ledgerPlace, openLedger } from '../ledger/open.js';
import { buildNormalizer } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError } from '../errors.js';
import type { Ledger, NewRow } from '../ledger/ledger.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { PipelineIngestor } from '../pipeline/ingestor.js';
import { loadOrCreateSigningSecret } from '../recordings/signing-secret.js';
import { stashesLegs } from '../sources/stashes-legs.js';
import { backlogPace, readBacklog } from '../status/backlog.js';
import { backlogText, isoOrNull } from '../status/report.js';
import { timeRange } from '../status/search-query.js';
import { type ImportProgress, importProgress } from './import/progress.js';
import { ImportTally } from './import/tally.js';
import { checkReadable, PARSE_PLACEHOLDER_SECRET, pickAdapterAndSource } from './parse.js';
import type { PreviewSource } from './parse/preview.js';

export interface ImportOptions {
  configFile: string;
  adapterId?: string;
  sourceId?: string;
  since?: string;
  until?: string;
  dryRun: boolean;
  files: string[];
  /** The summary. */
  stdout: NodeJS.WritableStream;
  /** Progress and problems. */
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
  /** stderr is a terminal: a progress bar instead of a line every few seconds. */
  tty: boolean;
  /** Aborted (Ctrl-C): stop reading; what was committed stays. */
  signal?: AbortSignal;
  progressEveryMs?: number;
}

/** Exit code of an import stopped by Ctrl-C (128 + SIGINT), as a shell reports it. */
export const INTERRUPTED = 130;

/**
 * `callbridge import --adapter ID FILE...`: historical CDRs into the ledger, in the import lane: the bridge sends them
 * after every live call and within import.maxShareOfDailyQuota of each day's quota. The files go through the same
 * adapter, grouping and normalizer as the bridge's sources; a call already in the ledger is a duplicate, so running
 * the same command again (after Ctrl-C, or by mistake) sends nothing twice. Exit 0; 1 when a file could not be read;
 * 2 for a usage or configuration problem; 130 when stopped by Ctrl-C.
 */
export async function runImport(opts: ImportOptions): Promise<number> {
  const say = (text: string) => opts.stderr.write(`callbridge import: ${text}\n`);
  let config: Config;
  let range: { since?: number; until?: number };
  try {
    config = loadConfig(opts.configFile).config;
    range = timeRange(opts);
  } catch (error) {
    if (!(error instanceof CallbridgeError)) throw error;
    say(error.message);
    return 2;
  }
  const picked = pickAdapterAndSource(config, opts);
  if (typeof picked === 'string') {
    say(picked);
    return 2;
  }
  if (!opts.files.length) {
    say('no files given: callbridge import --adapter ID FILE...');
    return 2;
  }
  let code = 0;
  const files: Array<{ file: string; size: number }> = [];
  for (const file of opts.files) {
    const readable = await checkReadable(file);
    if (readable === true) files.push({ file, size: (await stat(file)).size });
    else {
      say(`cannot read ${file}: ${readable}`);
      code = 1;
    }
  }

  const { adapter, source } = picked;
  const target = await importLedger(config, opts.dryRun);
  let interrupted: boolean;
  try {
    const tally = new ImportTally();
    const newIds: string[] = [];
    const ingestor = new PipelineIngestor({
      ledger: target.ledger,
      normalizer: buildNormalizer({
        config,
        configDir: path.dirname(path.resolve(opts.configFile)),
        // A dry run writes nothing, not even the bridge's signing secret; the links are signed anew when sent anyway.
        links: recordingLinksFor(config, opts.dryRun ? (config.recordings.signingSecret ?? PARSE_PLACEHOLDER_SECRET) : await loadOrCreateSigningSecret(config)),
        linkClock: 'now',
      }),
      adapterFor: () => adapter,
      windowLegs: config.normalize.groupWindowLegs,
      batchSize: config.normalize.ingestBatchSize,
      lane: 'import',
      ...(range.since !== undefined || range.until !== undefined ? { keep: (row: NewRow) => startsWithin(row, range) } : {}),
      observer: {
        problem: (p) => (p.kind === 'error' ? tally.error(p.location, p.message) : tally.skippedByAdapter()),
        committed: (row, outcome) => {
          tally.committed(row, outcome);
          if (opts.dryRun && outcome === 'inserted' && row.state !== 'skipped' && row.state !== 'rejected') newIds.push(row.externalId);
        },
      },
    });

    const started = Date.now();
    const totalBytes = files.reduce((n, f) => n + f.size, 0);
    const read = await readFiles(files, { ingestor, source, legs: stashesLegs(source.type ?? 'drop', adapter), tally, say, signal: opts.signal }, importProgress(opts.stderr, totalBytes, { tty: opts.tty, ...(opts.progressEveryMs ? { everyMs: opts.progressEveryMs } : {}) }));
    interrupted = read.interrupted;
    if (read.failed) code = 1;
    if (opts.dryRun) tally.alreadyThere(await target.countKnown(newIds));
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const lines = [`import${opts.dryRun ? ' (dry run: nothing was written)' : ''}: ${files.length} file(s), ${(totalBytes / (1024 * 1024)).toFixed(1)} MB, ${tally.calls} calls in ${seconds} s`, ...tally.lines(opts.dryRun)];
    if (!opts.dryRun) {
      const backlog = await readBacklog(target.ledger, backlogPace(config), Date.now());
      if (backlog.waiting) lines.push(`backlog: ${backlogText({ ...backlog, finishAt: isoOrNull(backlog.finishAt) })}`);
    }
    opts.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await target.close();
  }
  if (interrupted) {
    say(
      opts.dryRun
        ? 'stopped by Ctrl-C before the end of the input'
        : 'stopped by Ctrl-C: what was committed stays in the ledger and will be sent. To go on, run the same command again: the calls already in the ledger are recognised and not sent twice',
    );
    return INTERRUPTED;
  }
  return code;
}

/**
 * Every file through the ingestor, in order, counting bytes for the progress; on Ctrl-C the file being read stops at
 * once (what was committed stays). Legs still waiting for their siblings are assembled at the end either way.
 */
async function readFiles(
  files: Array<{ file: string; size: number }>,
  ctx: { ingestor: PipelineIngestor; source: PreviewSource; legs: boolean; tally: ImportTally; say: (text: string) => void; signal: AbortSignal | undefined },
  progress: ImportProgress,
): Promise<{ failed: boolean; interrupted: boolean }> {
  const { ingestor, source, legs, tally, signal } = ctx;
  let bytesBefore = 0;
  let failed = false;
  try {
    for (const { file, size } of files) {
      if (signal?.aborted) break;
      let read = 0;
      const counted = new Transform({
        transform(chunk: Buffer, _encoding, done) {
          read += chunk.length;
          progress.update(bytesBefore + read, tally.calls);
          done(null, chunk);
        },
      });
      const stream = createReadStream(file);
      const stop = () => counted.destroy(new Error('stopped by Ctrl-C'));
      signal?.addEventListener('abort', stop, { once: true });
      try {
        const input = { name: file, stream: stream.pipe(counted) };
        await (legs ? ingestor.ingestLegs(source, input) : ingestor.ingestWhole(source, input));
      } catch (error) {
        if (!signal?.aborted) {
          ctx.say(`${file}: ${error instanceof Error ? error.message : String(error)}`);
          failed = true;
        }
      } finally {
        signal?.removeEventListener('abort', stop);
        stream.destroy();
      }
      bytesBefore += size;
    }
    // Legs waiting for their siblings: at the end of the input every call is as complete as it gets.
    if (legs) await ingestor.flushQuiet(source, Date.now(), Number.MAX_SAFE_INTEGER);
    progress.update(bytesBefore, tally.calls);
  } finally {
    progress.stop();
  }
  return { failed, interrupted: signal?.aborted === true };
}

/** A call whose start the normalizer could not read (skipped, rejected) is kept: the range cannot place it. */
function startsWithin(row: NewRow, range: { since?: number; until?: number }): boolean {
  const start = row.payload ? Date.parse(row.payload.call_start_time) : Number.NaN;
  if (Number.isNaN(start)) return true;
  return (range.since === undefined || start >= range.since) && (range.until === undefined || start < range.until);
}

/**
 * Where an import writes: the configuration's ledger; for a dry run a ledger in a temporary folder, with the real one
 * (when there is one) consulted for the calls it already has.
 */
async function importLedger(config: Config, dryRun: boolean): Promise<{ ledger: Ledger; countKnown(ids: string[]): Promise<number>; close(): Promise<void> }> {
  const place = ledgerPlace(config);
  if (!dryRun) {
    const ledger = await openLedger(place);
    return { ledger, countKnown: async () => 0, close: () => ledger.close() };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'callbridge-import-'));
  const ledger = await openSqliteLedger(path.join(dir, 'dry-run.sqlite'));
  return {
    ledger,
    countKnown: (ids) => countKnownCalls(place, ids),
    async close() {
      await ledger.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
