import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { CallRecord } from './call-record.js';

/** Raw input handed to an adapter by a source. */
export interface AdapterInput {
  /** Shown in error locations: a file path, or `hook:<sourceId>`. */
  name: string;
  /** The bytes. Whole files and hook bodies arrive as a stream; tails as a stream of complete lines. */
  stream: Readable;
  /** First line number of this stream in the underlying file (tails resume mid-file). Default 1. */
  firstLine?: number;
  /** HTTP hooks: the request's content type and query (FreeSWITCH sends `?uuid=`). */
  contentType?: string;
  query?: Record<string, string>;
}

/** One row of a CDR table, its columns by name: text as the database gives it (numbers as digits), NULL as null. */
export interface TableRow {
  /** Shown in error locations and kept as the call's location: `<table>:<cursor value>`. */
  location: string;
  values: Readonly<Record<string, string | null>>;
}

/** Rows read from a CDR database by an `sql` source, in the order read (the cursor's). */
export interface TableInput {
  /** The table, as errors name it (`asteriskcdrdb.cdr`). */
  name: string;
  rows: Iterable<TableRow>;
}

/**
 * One item of a parse: a leg of a call (legs sharing `groupKey` are one call), or a located error.
 * `skip` is for records the adapter recognises but that are not calls (CUCM CMR files, in-progress callbacks).
 */
export type ParseItem =
  | { kind: 'leg'; groupKey: string; leg: CallRecord }
  | { kind: 'error'; location: string; message: string }
  | { kind: 'skip'; location: string; reason: string };

export interface AdapterDefinition<S extends z.ZodType = z.ZodType> {
  /** Registry id, e.g. `asterisk-csv`. */
  id: string;
  /** One line for `callbridge adapters` and the README table. */
  summary: string;
  /** Options for this adapter, every field `.describe()`d. */
  configSchema: S;
  /** A valid options object, shown in docs and used by tests. */
  example: z.input<S>;
  inputs: {
    /** Glob-like patterns for drop folders, e.g. `*.csv`. */
    filePatterns: string[];
    /** Content types accepted on HTTP hooks. */
    contentTypes: string[];
    /** True when the format is line-oriented and can be tailed. */
    tail: boolean;
    /**
     * True when the PBX writes the legs of one call to separate files (FreeSWITCH: `a_<uuid>` and `<uuid>`;
     * Twilio callbacks saved one per file). A drop folder then stashes legs and assembles calls quiet for
     * `groupQuietMs`, as hooks do, instead of grouping within one file.
     */
    legsAcrossFiles?: boolean;
  };
  /** Streaming parse: yields legs and located errors; never throws for bad content. */
  parse(input: AdapterInput, options: z.infer<S>): AsyncIterable<ParseItem>;
  /**
   * Rows of a CDR table (FreePBX's asteriskcdrdb.cdr, FusionPBX's v_xml_cdr) read as this format's records, column
   * by name, never re-serialized to text: the same legs the format's files give, with the same located errors.
   * Only formats a PBX also writes to a database have it; an `sql` source needs it.
   */
  parseRows?(input: TableInput, options: z.infer<S>): AsyncIterable<ParseItem>;
  /** Merge the legs of one call (in arrival order) into one record. */
  merge(legs: CallRecord[]): CallRecord;
  /**
   * Whether the legs, in arrival order, are the whole call: no other leg of it can still come. Where the records
   * say so, hooks, tails and one-file-per-leg drop folders assemble the call as soon as its last leg is in instead
   * of waiting `groupQuietMs`. Strict: a wrong `true` sends the call before its last leg (the late leg then only
   * shows as a ledger conflict: a call is never sent twice, and the body stays incomplete). When the legs cannot
   * tell: false, and the call waits for its quiet period. Without it, every call waits.
   */
  complete?(legs: CallRecord[]): boolean;
}

/** Helper that keeps the schema's type attached to the definition. */
export function defineAdapter<S extends z.ZodType>(def: AdapterDefinition<S>): AdapterDefinition<S> {
  return def;
}
