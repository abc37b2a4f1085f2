import path from 'node:path';
import type { ParseItem, TableInput, TableRow } from '../types.js';
import type { AsteriskCsvOptions } from './options.js';
import { type Row, type RowContext, rowToItem, shareRepeatedValues, ValuePool } from './row.js';
import { compileTemplate, mapPath } from '../shared/recording-template.js';
import { readWallClock, wallClockMs, wallClockText } from '../shared/wall-clock.js';

/** Where FreePBX's MixMonitor writes, when the options name no other folder. */
export const FREEPBX_MONITOR_DIR = '/var/spool/asterisk/monitor';

/**
 * A row of an Asterisk CDR table (FreePBX's asteriskcdrdb.cdr through cdr_adaptive_odbc, cdr_sqlite3_custom's
 * master.db) as the cdr_csv row it stands for. The tables keep `calldate` (the leg's start) and, unlike Master.csv,
 * mostly no answer or end: those are calldate + duration − billsec and calldate + duration, exactly what cdr_csv
 * writes for the same leg. Columns only FreePBX has (did, recordingfile, cnum, …) stay in the raw record.
 */
export function asteriskRowOf(values: TableRow['values']): { row: Row; utc: boolean } {
  const row: Record<string, string> = {};
  for (const [name, value] of Object.entries(values)) if (value !== null) row[name] = value;
  let start = row.start || row.calldate || '';
  // cdr_pgsql's timestamptz: an instant with its offset. Spelled in UTC, as Master.csv with usegmtime=yes.
  const utcStart = utcText(start);
  const utc = utcStart !== undefined;
  if (utc) {
    start = utcStart;
    for (const column of ['answer', 'end'] as const) if (row[column]) row[column] = utcText(row[column]) ?? row[column];
  }
  row.start = start;
  const duration = Number(row.duration);
  const billsec = Number(row.billsec) || 0;
  if (!('end' in values) && row.duration && Number.isInteger(duration)) {
    const end = plusSeconds(start, duration);
    if (end !== undefined) row.end = end;
    const answered = billsec > 0 || (row.disposition ?? '').trim().toUpperCase() === 'ANSWERED';
    const answer = answered ? plusSeconds(start, duration - billsec) : undefined;
    if (!('answer' in values) && answer !== undefined) row.answer = answer;
  }
  return { row: row as Row, utc };
}

/** A time with an offset (`2026-12-06 21:03:54+00`) as UTC wall-clock text; undefined for a time without one. */
function utcText(text: string): string | undefined {
  const at = readWallClock(text);
  const ms = at?.offset ? wallClockMs(at) : NaN;
  return Number.isNaN(ms) ? undefined : wallClockText(ms);
}

/** `YYYY-MM-DD HH:MM:SS` moved by whole seconds, as wall-clock text; undefined for any other text (it is reported as not a time). */
function plusSeconds(text: string, seconds: number): string | undefined {
  const at = readWallClock(text);
  if (!at || at.offset !== undefined || text.length !== 19) return undefined;
  return wallClockText(wallClockMs(at) + seconds * 1000);
}

// FreePBX names a recording `<kind>-<to>-<from>-YYYYmmdd-HHMMSS-<uniqueid>.<ext>`: the date of its folder.
const FREEPBX_NAME_DATE = /-(\d{4})(\d{2})(\d{2})-\d{6}-/;

/**
 * FreePBX's `recordingfile`: a file name in the monitor folder's `YYYY/MM/DD` of the day the call began. The name's
 * own date decides (a queue's later attempt has a later calldate, maybe the next day), else the row's calldate.
 * A name that would lead out of the folder is no recording.
 */
export function freepbxRecordingPath(file: string, start: string, monitorDir: string): string | undefined {
  const name = file.trim();
  if (!name) return undefined;
  if (path.isAbsolute(name)) return path.normalize(name);
  const m = FREEPBX_NAME_DATE.exec(name);
  const day = m ? [m[1], m[2], m[3]] : [start.slice(0, 4), start.slice(5, 7), start.slice(8, 10)];
  if (!m && !/^\d{4}-\d{2}-\d{2}/.test(start)) return undefined;
  const folder = path.join(monitorDir, ...(day as string[]));
  const full = path.join(folder, name);
  return full.startsWith(`${folder}${path.sep}`) ? full : undefined;
}

/** The rows of a table as Asterisk legs: the same items its Master.csv lines give, plus FreePBX's recording. */
export async function* parseAsteriskRows(input: TableInput, options: AsteriskCsvOptions): AsyncGenerator<ParseItem> {
  const ctx: RowContext = {
    options,
    extension: options.extensionFromChannel ? new RegExp(options.extensionFromChannel) : undefined,
    template: options.recordingTemplate ? compileTemplate(options.recordingTemplate) : undefined,
    pool: new ValuePool(),
  };
  const utcCtx: RowContext = { ...ctx, options: { ...options, usegmtime: true } };
  for (const { location, values } of input.rows) {
    const { row, utc } = asteriskRowOf(values);
    shareRepeatedValues(row, ctx.pool);
    const item = rowToItem(row, Object.values(values).map((v) => v ?? ''), location, utc ? utcCtx : ctx);
    const file = values.recordingfile;
    if (item.kind === 'leg' && !item.leg.recording && file) {
      const found = freepbxRecordingPath(file, row.start ?? '', options.recordingDir ?? FREEPBX_MONITOR_DIR);
      if (found) item.leg.recording = { path: mapPath(found, options.recordingPathMap) };
    }
    yield item;
  }
}
