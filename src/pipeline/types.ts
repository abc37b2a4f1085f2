import type { AdapterInput, TableInput } from '../../adapters/types.js';
import type { ConversationPayload } from '../dstny/payload.js';
import type { Checkpoint } from '../ledger/ledger.js';
import type { CallRecord } from '../../adapters/call-record.js';
import type { ParticipantChannelSetting } from './config.js';

/**
 * What the pipeline knows of a source: the sources' own config satisfies it, and the pipeline needs nothing
 * more (where the bytes come from is the source's business).
 */
export interface PipelineSource {
  id: string;
  /** Adapter id. */
  adapter: string;
  /** The adapter's options. */
  options: Record<string, unknown>;
  /** IANA zone of the PBX clock; default normalize.timezone. */
  timezone?: string | undefined;
  /** Stereo channel of the participant in this source's recordings; default normalize.participantChannel. */
  participantChannel?: ParticipantChannelSetting | undefined;
  /**
   * Tails and hooks: a call is complete when no leg of it arrived for this long, ms; unless the adapter's `complete`
   * says its legs are the whole call, which then leaves at once.
   */
  groupQuietMs: number;
}

/** The outcome of normalizing one call: a body to send, or a visible reason why not (never silent). */
export type NormalizeResult =
  /** `prepare`: the recording is a local file to make ready (upload to the bucket) before the call is sent. */
  | { kind: 'payload'; payload: ConversationPayload; prepare?: true }
  | { kind: 'skipped'; reason: string }
  | { kind: 'rejected'; reason: string }
  /** Something outside is not ready (the recording file): look again at `retryAt` (epoch ms). */
  | { kind: 'held'; reason: string; retryAt: number };

/** What the normalizer reads of the source a call came from: its clock and its recordings' channels. */
export type NormalizeSource = Pick<PipelineSource, 'id' | 'timezone' | 'participantChannel'>;

export interface Normalizer {
  normalize(call: CallRecord, source: NormalizeSource, now?: number): Promise<NormalizeResult>;
}

export interface IngestSummary {
  /** External ids of the calls this input produced (what a hook answers with). */
  ids: string[];
  inserted: number;
  duplicates: number;
  updated: number;
  conflicts: number;
  skipped: number;
  rejected: number;
  held: number;
  /** Legs stashed to wait for siblings (tails and hooks). */
  stashed: number;
  /** Located parse errors: "FILE:LINE" + reason. Parsing goes on after each. Bounded: the first ones only. */
  errors: Array<{ location: string; message: string }>;
  /** How many parse errors there were in all (`errors` keeps only the first ones). */
  errorCount: number;
}

/**
 * Source → adapter → group → normalize → ledger. Sources call this and acknowledge only after it resolves
 * (it resolves after the ledger commit). It rejects with LedgerUnavailableError when the ledger cannot take it.
 */
export interface Ingestor {
  /** A whole input (a dropped file): legs grouped within the input, rows and checkpoints committed in batches. */
  ingestWhole(source: PipelineSource, input: AdapterInput, opts?: { checkpoints?: Checkpoint[] }): Promise<IngestSummary>;
  /**
   * Legs that may have siblings still to come (tails, hooks, CDR tables): stashed with the checkpoints; assembled at once when
   * the adapter's `complete` says the call is whole, else by flushQuiet.
   */
  ingestLegs(source: PipelineSource, input: AdapterInput | TableInput, opts?: { checkpoints?: Checkpoint[] }): Promise<IngestSummary>;
  /** Assemble, normalize and put every stashed group of this source quiet for `source.groupQuietMs`. */
  flushQuiet(source: PipelineSource, now?: number): Promise<IngestSummary>;
}
