import type { SqlProfileId } from '../../sources/sql/profiles.js';
import type { CallRecord } from '../../../adapters/call-record.js';

/**
 * The words `callbridge detect` uses for how sure it is:
 * - sure: the format's own marks are there AND its adapter read calls from the file;
 * - likely: one of the two only (the marks are there but the adapter cannot read this file as it is, or the
 *   adapter reads it with a mapping that had to be guessed in part);
 * - unsure: a guessed mapping that reads few of the records.
 */
export type Confidence = 'sure' | 'likely' | 'unsure';

/** The first part of one file, decoded: what every detector looks at. */
export interface Sample {
  /** As the user named it: shown in every message. */
  name: string;
  text: string;
  /** The file is longer than the sample; `text` ends at the last whole line. */
  truncated: boolean;
  /** The whole file's size in bytes. */
  size: number;
  /** The file starts with a UTF-8 byte order mark (Excel writes one); `text` has it removed. */
  bom: boolean;
}

/**
 * What a file says about its clock. `absolute`: every time is epoch or carries its offset, so the zone does not
 * change them. `local`: wall-clock times; `pairs` are the same instant written both ways (Asterisk's start column
 * and its uniqueid's epoch), from which the PBX's UTC offset can be read.
 */
export type TimeClue =
  | { kind: 'absolute'; how: string }
  | { kind: 'local'; how: string; pairs: Array<{ wall: string; epochSec: number }> };

/** A comment on one option of the starter config (a TODO, or why the value was chosen). */
export type OptionNotes = Record<string, string>;

export interface UnsetOption {
  key: string;
  value: unknown;
  note: string;
}

/** What one format's detector saw in a sample: its marks, and the options the data suggests. */
export interface Recognition {
  adapter: string;
  /** The format's own marks were seen (CUCM's header names, Asterisk's column layout and values...). */
  strong: boolean;
  evidence: string[];
  options: Record<string, unknown>;
  optionNotes: OptionNotes;
  times: TimeClue;
  /** Options shown commented out: the user must supply the value (an example would be taken for real). */
  unset?: UnsetOption[];
  /** normalize.trunkPatterns the channel names suggest. */
  trunkPatterns?: string[];
  /** recordings.roots the recording paths suggest (folders on the PBX: not set, only shown). */
  recordingFolders?: string[];
  /** Things the user must do or know, said once in the config's header. */
  todo: string[];
  /** Why the adapter cannot read this file as it is, when the detector knows better than the adapter's error. */
  problem?: string;
}

/** The adapter's own parse of the sample: the most honest test of a detection. */
export interface Trial {
  legs: CallRecord[];
  /** Records the adapter recognised but that are not calls (CMR files, in-progress callbacks). */
  skips: number;
  errors: number;
  firstError?: { location: string; message: string };
  firstSkip?: string;
}

export type Verdict =
  | {
      kind: 'detected';
      file: string;
      adapter: string;
      confidence: Confidence;
      evidence: string[];
      options: Record<string, unknown>;
      optionNotes: OptionNotes;
      unset: UnsetOption[];
      times: TimeClue;
      trial: Trial;
      trunkPatterns: string[];
      recordingFolders: string[];
      todo: string[];
      /** The file's name would not be picked up by a drop folder of this adapter. */
      nameNote?: string;
      /** Read from a CDR table, not a file: the source reads that table (its url as a config keeps it). */
      database?: { url: string; profile: SqlProfileId };
    }
  | { kind: 'unknown'; file: string; seen: string; why: string };

export type Detected = Extract<Verdict, { kind: 'detected' }>;
