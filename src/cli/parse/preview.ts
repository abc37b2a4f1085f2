import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { AdapterDefinition, AdapterInput } from '../../../adapters/types.js';
import type { ConversationPayload } from '../../dstny/payload.js';
import type { LedgerRow } from '../../ledger/ledger.js';
import { openSqliteLedger, type SqliteLedger } from '../../ledger/sqlite.js';
import { PipelineIngestor } from '../../pipeline/ingestor.js';
import type { Normalizer, PipelineSource } from '../../pipeline/types.js';
import { stashesLegs } from '../../sources/stashes-legs.js';
import type { SourceConfig } from '../../sources/config.js';

/** One NDJSON line of `callbridge parse` (README.md "Command line"). */
export type ParseLine =
  | { payload: ConversationPayload; note?: string }
  | { error: string; source: string; state: 'rejected' | 'skipped' };

/** What parse knows of a source besides the pipeline's view: hooks and tails always stash their legs. */
export type PreviewSource = PipelineSource & { type?: SourceConfig['type'] };

export interface PreviewOptions {
  adapter: AdapterDefinition;
  source: PreviewSource;
  normalizer: Normalizer;
  /** normalize.groupWindowLegs and normalize.ingestBatchSize, as the bridge reads them. */
  windowLegs: number;
  batchSize: number;
  /** The clock of held/waiting decisions. */
  now: number;
}

/**
 * The bridge's own ingestion, minus the submitter: the adapter, the grouping of legs (within a file, or stashed
 * across files for the adapters and sources whose legs arrive apart), the normalizer and a ledger, here in
 * memory. What the ledger holds at the end is what the bridge would send: a call repeated in two files is one
 * call, a corrected CDR replaces the earlier one, legs in separate files are one call.
 *
 * Lines come out in the order the input produced them; a call's line shows its final version.
 */
export class Preview {
  /** An adapter problem as its line, or the external id of a row (printed from the ledger at the end). */
  private readonly entries: Array<ParseLine | string> = [];
  private readonly seen = new Set<string>();
  private readonly ingestor: PipelineIngestor;
  private readonly stashLegs: boolean;

  private constructor(
    private readonly ledger: SqliteLedger,
    /** The ledger's folder, removed at close. */
    private readonly dir: string,
    private readonly opts: PreviewOptions,
  ) {
    const { source, adapter } = opts;
    // Without a configured source (--adapter alone) the files are read as a drop folder would read them.
    this.stashLegs = stashesLegs(source.type ?? 'drop', adapter);
    this.ingestor = new PipelineIngestor({
      ledger,
      normalizer: opts.normalizer,
      adapterFor: () => adapter,
      windowLegs: opts.windowLegs,
      batchSize: opts.batchSize,
      clock: () => opts.now,
      observer: {
        problem: (p) => this.entries.push({ error: p.message, source: p.location, state: p.kind === 'skip' ? 'skipped' : 'rejected' }),
        row: (row) => {
          if (this.seen.has(row.externalId)) return;
          this.seen.add(row.externalId);
          this.entries.push(row.externalId);
        },
      },
    });
  }

  /**
   * The ledger is a file in a temporary folder, not `:memory:`: a month of CDRs is a million rows with their raw
   * records, which on disk cost a page cache, not gigabytes of RAM.
   */
  static async open(opts: PreviewOptions): Promise<Preview> {
    const dir = await mkdtemp(path.join(tmpdir(), 'callbridge-parse-'));
    try {
      return new Preview(await openSqliteLedger(path.join(dir, 'preview.sqlite')), dir, opts);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** One input, read whole. Throws a ParseError when it cannot be read (what was read before stays). */
  async add(input: AdapterInput): Promise<void> {
    if (this.stashLegs) await this.ingestor.ingestLegs(this.opts.source, input);
    else await this.ingestor.ingestWhole(this.opts.source, input);
  }

  /**
   * The end of the input: nothing more can arrive, so every stashed call is as complete as it will get. Each
   * line, and whether it is about the input (an adapter's error or skip) rather than a call.
   */
  async *lines(): AsyncGenerator<{ line: ParseLine; problem: boolean }> {
    if (this.stashLegs) await this.ingestor.flushQuiet(this.opts.source, this.opts.now, Number.MAX_SAFE_INTEGER);
    for (const entry of this.entries) {
      if (typeof entry !== 'string') yield { line: entry, problem: true };
      else {
        const row = await this.ledger.get(entry);
        if (row) yield { line: lineOf(row), problem: false };
      }
    }
  }

  async close(): Promise<void> {
    try {
      await this.ledger.close();
    } finally {
      await rm(this.dir, { recursive: true, force: true });
    }
  }
}

function lineOf(row: LedgerRow): ParseLine {
  const source = row.location ?? row.externalId;
  switch (row.state) {
    case 'skipped':
      return { error: row.reason ?? 'skipped', source, state: 'skipped' };
    case 'held':
      // The bridge would wait and look again; parse does not wait, so it says why it would.
      return { error: `${row.reason ?? 'held'}; not sent in parse mode (the bridge would hold it)`, source, state: 'rejected' };
    case 'prepare': // the bridge sends it once its recording is ready (in the bucket, with the bucket's link)
    case 'pending': {
      const payload = row.payload as ConversationPayload;
      // Why this recording, when the call has more than one: the body cannot say it.
      const note = (row.raw as { recording?: { note?: unknown } } | null)?.recording?.note;
      return typeof note === 'string' && note ? { payload, note: `recording: ${note}` } : { payload };
    }
    default:
      return { error: row.reason ?? row.state, source, state: 'rejected' };
  }
}
