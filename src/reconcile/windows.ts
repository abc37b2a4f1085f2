/**
 * Date windows for list look-ups: rows are grouped by their call's start date so that ONE
 * `GET /api/v2/conversations?global_start=…&global_end=…` covers many rows.
 */
export interface DateWindow<R> {
  /** YYYY-MM-DD, inclusive. */
  start: string;
  end: string;
  rows: R[];
}

const DAY = 86_400_000;

function dayNumber(iso: string): number {
  return Math.floor(Date.parse(iso) / DAY);
}

function dayString(n: number): string {
  return new Date(n * DAY).toISOString().slice(0, 10);
}

/**
 * Group rows into as few windows as possible. Each row needs its start date ± `padDays` (the API may read
 * dates in another time zone); a window spans at most `maxDays` days (never less than what one row needs).
 * Rows whose start time cannot be read are returned apart.
 */
export function dateWindows<R>(
  rows: R[],
  startTimeOf: (row: R) => string | undefined,
  padDays: number,
  maxDays: number,
): { windows: DateWindow<R>[]; undated: R[] } {
  const undated: R[] = [];
  const dated: Array<{ row: R; day: number }> = [];
  for (const row of rows) {
    const iso = startTimeOf(row);
    const day = iso === undefined ? Number.NaN : dayNumber(iso);
    if (Number.isNaN(day)) undated.push(row);
    else dated.push({ row, day });
  }
  dated.sort((a, b) => a.day - b.day);
  const span = Math.max(maxDays, 1 + 2 * padDays);
  const windows: Array<{ from: number; to: number; rows: R[] }> = [];
  for (const { row, day } of dated) {
    const from = day - padDays;
    const to = day + padDays;
    const current = windows[windows.length - 1];
    if (current && to - current.from + 1 <= span) {
      current.to = Math.max(current.to, to);
      current.rows.push(row);
    } else {
      windows.push({ from, to, rows: [row] });
    }
  }
  return { windows: windows.map((w) => ({ start: dayString(w.from), end: dayString(w.to), rows: w.rows })), undated };
}

/** Read a dotted path ("data.conversation.id") from a listed object; numbers become strings. */
export function fieldAt(value: unknown, path: string): string | undefined {
  if (!path) return undefined;
  let node: unknown = value;
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  if (typeof node === 'string' && node !== '') return node;
  if (typeof node === 'number' && Number.isFinite(node)) return String(node);
  return undefined;
}
