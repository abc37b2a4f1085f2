import { FUSIONPBX_DOCUMENTS } from '../../../adapters/freeswitch-json/table-row.js';
import type { CursorKind } from './window.js';

/**
 * The CDR tables callbridge knows: which adapter reads a row, which column is the cursor, what the adapter's options
 * default to for that PBX, and which columns a row must have. A profile is data; the dialect (url scheme) decides
 * how the table is queried.
 */
export interface SqlProfile {
  /** The adapter whose `parseRows` maps a row. */
  adapter: string;
  /** Table read when the source names none. */
  table: string;
  /** Column the reader walks in order (indexed in the PBX's own schema). */
  cursor: string;
  /** `time` unless the cursor is an id handed out in commit order (window.ts, CursorKind). */
  cursorKind?: CursorKind;
  /**
   * Column of the leg's length in seconds when the cursor is the leg's start: a row is written when its leg ends, so
   * rows of long calls appear behind the cursor. With it, the reader looks back `longestCallSec` by the cursor and
   * keeps only rows that ended within the overlap.
   */
  duration?: string;
  /**
   * The columns that name a row, where the PBX may update a row after writing it (FusionPBX marks rows processed):
   * a row read again with other values in other columns is the same row. Default: every column (Asterisk writes a
   * CDR row once and never changes it, and its tables have no key).
   */
  identity?: readonly string[];
  /**
   * A table the PBX writes in the same transaction as each row, holding that row's whole CDR document (FusionPBX's
   * v_xml_cdr_json): looked up by `key` for the rows of each page, its `column` handed to the adapter as
   * `<table>.<column>`. A database without the table (an older PBX) is read without it.
   */
  documents?: DocumentTable;
  /** The adapter's options for this PBX, under what the source sets. */
  options: Record<string, unknown>;
  /** Columns without which a row is no call of this profile: checked at start and by check-config. */
  columns: readonly string[];
}

/** Where a profile's rows keep their documents beside the table (SqlProfile.documents). */
export interface DocumentTable {
  table: string;
  key: string;
  column: string;
}

export const SQL_PROFILES = {
  freepbx: {
    adapter: 'asterisk-csv',
    table: 'cdr',
    cursor: 'calldate',
    duration: 'duration',
    options: { recordingDir: '/var/spool/asterisk/monitor', userfieldIsRecording: 'auto' },
    columns: ['calldate', 'clid', 'src', 'dst', 'dcontext', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'duration', 'billsec', 'disposition', 'uniqueid', 'linkedid', 'sequence', 'recordingfile'],
  },
  'asterisk-pgsql': {
    adapter: 'asterisk-csv',
    table: 'cdr',
    cursor: 'calldate',
    duration: 'duration',
    options: {},
    columns: ['calldate', 'clid', 'src', 'dst', 'dcontext', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'duration', 'billsec', 'disposition', 'uniqueid'],
  },
  fusionpbx: {
    adapter: 'freeswitch-json',
    table: 'v_xml_cdr',
    // The only column FusionPBX writes when it inserts the row (now() of the importer's transaction): a leg's row
    // appears after the leg ended, so insert_date orders rows as they were written. FusionPBX does not index it.
    cursor: 'insert_date',
    identity: ['xml_cdr_uuid'],
    // A current FusionPBX (cdr.format json, cdr.storage db: its defaults) leaves v_xml_cdr.json empty and keeps the
    // leg's CDR here, written in the same transaction as the row.
    documents: FUSIONPBX_DOCUMENTS,
    options: {},
    // Only what the walk needs: the columns a row without any document is read from (row-columns.ts) are read where
    // the table has them, as FusionPBX added some over the years.
    columns: ['xml_cdr_uuid', 'insert_date', 'leg', 'json'],
  },
  // Any other table, its columns mapped by name through the generic adapter: the source names table and cursor.
  generic: {
    adapter: 'generic',
    table: '',
    cursor: '',
    options: {},
    columns: [],
  },
  'asterisk-sqlite': {
    adapter: 'asterisk-csv',
    table: 'cdr',
    cursor: 'AcctId',
    cursorKind: 'serial',
    identity: ['AcctId'],
    options: {},
    columns: ['AcctId', 'calldate', 'clid', 'src', 'dst', 'dcontext', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'duration', 'billsec', 'disposition'],
  },
} as const satisfies Record<string, SqlProfile>;

export type SqlProfileId = keyof typeof SQL_PROFILES;

/** What a source may set over its profile's reading (required for `generic`). */
export interface ReadingOverrides {
  table?: string | undefined;
  query?: string | undefined;
  cursor?: string | undefined;
  cursorType?: CursorKind | undefined;
  durationColumn?: string | undefined;
  keyColumns?: string[] | undefined;
}

/** The profile as this source reads it: its own table, cursor, length and key columns over the profile's. */
export function readingOf(profileId: SqlProfileId, o: ReadingOverrides): SqlProfile {
  const base: SqlProfile = SQL_PROFILES[profileId];
  const cursor = o.cursor ?? base.cursor;
  const duration = o.durationColumn ?? base.duration;
  const identity = o.keyColumns ?? base.identity;
  const reading: SqlProfile = { ...base, table: o.table ?? base.table, cursor, cursorKind: o.cursorType ?? base.cursorKind ?? 'time' };
  if (duration !== undefined) reading.duration = duration;
  if (identity !== undefined) reading.identity = identity;
  // Whatever it walks, measures or names a row by, the table must have.
  reading.columns = [...new Set([...base.columns, cursor, ...(duration ? [duration] : []), ...(identity ?? [])])];
  return reading;
}
export const SQL_PROFILE_IDS = Object.keys(SQL_PROFILES) as [SqlProfileId, ...SqlProfileId[]];
