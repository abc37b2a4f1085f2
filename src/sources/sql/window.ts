import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { readWallClock, wallClockMs, wallClockText } from '../../../adapters/shared/wall-clock.js';

/**
 * Where an `sql` source stands, kept in the ledger and committed in the same transaction as the legs it read.
 *
 * A cursor alone (`calldate > last`) misses rows: a transaction that commits after later rows were read (two
 * writers, cdr_adaptive_odbc batches), and, where the cursor is a leg's start, every leg that ends after later legs
 * began. So each poll reads again behind the newest cursor value read (`at`): the rows that ended within
 * `overlapSec` of it, among those that began within `overlapSec + longestCallSec`. The rows of that window already
 * taken are in `seen` (a hash of each row with the time it ended), so reading them again takes nothing twice; `seen`
 * forgets a row once it ended more than `overlapSec` before `at`, when no poll can return it again.
 */
export interface SqlCheckpoint {
  v: 1;
  /** The highest cursor value read, as the database gave it; null before the first row. */
  at: string | null;
  /** Row hash → the time its leg ended, ms on the cursor's clock (wall-clock text read as if UTC). */
  seen: Record<string, number>;
}

export function sqlCheckpointKey(sourceId: string): string {
  return `sql:${sourceId}`;
}

export function emptyCheckpoint(): SqlCheckpoint {
  return { v: 1, at: null, seen: {} };
}

export function encodeSqlCheckpoint(c: SqlCheckpoint): string {
  return JSON.stringify(c);
}

/** The checkpoint in a ledger value; a fresh one for none or one this version cannot read (the table is read anew: the ledger keeps what was taken). */
export function parseSqlCheckpoint(value: string | null): SqlCheckpoint {
  if (value === null) return emptyCheckpoint();
  try {
    const c = JSON.parse(value) as Partial<SqlCheckpoint> | null;
    if (!c || c.v !== 1 || (c.at !== null && typeof c.at !== 'string') || !c.seen || typeof c.seen !== 'object') return emptyCheckpoint();
    const seen: Record<string, number> = {};
    for (const [key, end] of Object.entries(c.seen)) if (typeof end === 'number' && Number.isFinite(end)) seen[key] = end;
    return { v: 1, at: c.at ?? null, seen };
  } catch {
    return emptyCheckpoint();
  }
}

/**
 * A cursor value as ms: a `YYYY-MM-DD HH:MM:SS[.fff]` text without a zone as if it were UTC (only differences
 * matter), with a zone as the instant. NaN for anything else (MySQL's zero date).
 */
export function cursorMs(text: string): number {
  const at = readWallClock(text);
  return at ? wallClockMs(at) : NaN;
}

export interface ReadWindow {
  /** Rows whose cursor is at least this; null: from the first row. */
  from: string | null;
  /** ...and that ended at or after this (only where the profile knows a leg's length); null: no such bound. */
  endedFrom: string | null;
}

/**
 * How a cursor orders rows: `time` (a DATETIME or timestamp: rows can commit late, so polls overlap) or `serial`
 * (an id a single writer hands out in commit order, as SQLite's: nothing commits behind it).
 */
export type CursorKind = 'time' | 'serial';

/** A cursor value as a number that orders rows (ms for times, the id for serials); NaN when it is neither. */
export function cursorOrder(text: string, kind: CursorKind): number {
  return kind === 'serial' ? (/^-?\d+$/.test(text) ? Number(text) : NaN) : cursorMs(text);
}

export interface WindowOptions {
  overlapSec: number;
  longestCallSec: number;
  hasDuration: boolean;
  kind: CursorKind;
  /** The PBX clock's zone, for cursor values without an offset (a DATETIME): see clocksWentBackMs. */
  zone?: string | undefined;
}

/** What a poll reads, from where the last one stood. */
export function readWindow(c: SqlCheckpoint, opts: WindowOptions): ReadWindow {
  if (c.at === null) return { from: null, endedFrom: null };
  if (opts.kind === 'serial') return { from: c.at, endedFrom: null };
  const at = cursorMs(c.at);
  // A cursor value that is no time (the zero date) cannot be moved: the reader starts at it.
  if (Number.isNaN(at)) return { from: c.at, endedFrom: null };
  const behind = opts.overlapSec * 1000 + clocksWentBackMs(c.at, opts.zone);
  if (!opts.hasDuration) return { from: wallClockText(at - behind), endedFrom: null };
  return { from: wallClockText(at - behind - opts.longestCallSec * 1000), endedFrom: wallClockText(at - behind) };
}

/**
 * How far the PBX's wall clock went back around a cursor value written without an offset: when the clocks go back
 * (the end of summer time), the rows of the repeated hour carry times the reader has already passed. Within two
 * hours of such a change, polls look that much further back (and remember the rows that long); else 0.
 */
export function clocksWentBackMs(at: string, zone: string | undefined): number {
  const wall = readWallClock(at);
  if (!zone || !wall || wall.offset !== undefined) return 0;
  const local = DateTime.fromObject({ year: wall.year, month: wall.month, day: wall.day, hour: wall.hour, minute: wall.minute, second: wall.second }, { zone });
  if (!local.isValid) return 0;
  const before = local.minus({ hours: 2 }).offset;
  const after = local.plus({ hours: 2 }).offset;
  return Math.max(0, before - after) * 60_000;
}

/** One row as the window tracks it. */
export interface WindowRow {
  key: string;
  cursor: string;
  /** When its leg ended, ms on the cursor's clock (the cursor's when unknown). */
  endMs: number;
}

/**
 * A stable name for a row: a hash of its `identity` columns (every column when none are named). The same row read
 * again hashes the same; without an identity, any changed column makes it another row.
 */
export function rowKey(values: Readonly<Record<string, string | null>>, identity?: readonly string[]): string {
  const hash = createHash('sha1');
  for (const name of identity ?? Object.keys(values).sort()) hash.update(`${name}\u0000${values[name] ?? '\u0001'}\u0000`);
  return hash.digest('base64url').slice(0, 16);
}

/**
 * The checkpoint once `rows` (none of them seen before) are committed. For a serial cursor a row's `endMs` is its
 * id, and only the rows at `at` are remembered (a poll reads from `at` on).
 */
export function advanceWindow(c: SqlCheckpoint, rows: readonly WindowRow[], overlapSec: number, kind: CursorKind = 'time', zone?: string): SqlCheckpoint {
  let at = c.at;
  const seen: Record<string, number> = { ...c.seen };
  for (const row of rows) {
    seen[row.key] = row.endMs;
    // A row found behind `at` (committed late) does not move it back.
    if (at === null || laterCursor(row.cursor, at, kind)) at = row.cursor;
  }
  const atOrder = at === null ? NaN : cursorOrder(at, kind);
  if (!Number.isNaN(atOrder)) {
    const keepFrom = kind === 'serial' ? atOrder : atOrder - overlapSec * 1000 - clocksWentBackMs(at as string, zone);
    for (const [key, end] of Object.entries(seen)) if (end < keepFrom) delete seen[key];
  }
  return { v: 1, at, seen };
}

function laterCursor(a: string, b: string, kind: CursorKind): boolean {
  const [x, y] = [cursorOrder(a, kind), cursorOrder(b, kind)];
  return Number.isNaN(x) || Number.isNaN(y) ? a > b : x > y;
}
