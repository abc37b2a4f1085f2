import { parse } from 'csv-parse/sync';

/** Lines read for sniffing the dialect; the adapters' trial parses read the whole sample. */
const SNIFF_LINES = 50;
/** Rows kept for reading values (a header's columns, Asterisk's dispositions). */
const SHAPE_ROWS = 2_000;

const DELIMITERS = [',', ';', '\t', '|'] as const;
type Delimiter = (typeof DELIMITERS)[number];

export interface CsvShape {
  delimiter: Delimiter;
  rows: string[][];
  /** The number of fields most rows have. */
  width: number;
  /** Share of the rows with `width` fields (0..1). */
  regular: number;
}

/**
 * The delimiter that splits the lines into the same number of fields most often (two or more), and the rows
 * it gives. Undefined when no delimiter gives a table (free text, one value per line).
 */
export function readCsvShape(text: string): CsvShape | undefined {
  const head = text.split(/\r?\n|\r/).slice(0, SNIFF_LINES).join('\n');
  let best: { delimiter: Delimiter; width: number; regular: number } | undefined;
  for (const delimiter of DELIMITERS) {
    const rows = rowsOf(head, delimiter, SNIFF_LINES);
    if (!rows || rows.length === 0) continue;
    const { width, share } = commonWidth(rows);
    if (width < 2) continue;
    if (!best || share > best.regular || (share === best.regular && width > best.width)) best = { delimiter, width, regular: share };
  }
  if (!best) return undefined;
  const rows = rowsOf(text, best.delimiter) ?? [];
  return { ...best, rows, regular: commonWidth(rows).share };
}

/** The rows of the text; when a broken line stops the parser, line by line without the broken ones. */
function rowsOf(text: string, delimiter: string, maxRows = SHAPE_ROWS): string[][] | undefined {
  const options = { delimiter, bom: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true, to: maxRows };
  try {
    return parse(text, options) as string[][];
  } catch {
    // Each line on its own: a field spanning lines is lost, which a sniff can afford.
    const rows: string[][] = [];
    for (const line of text.split(/\r?\n|\r/)) {
      if (rows.length >= maxRows) break;
      if (!line.trim()) continue;
      try {
        rows.push(...(parse(line, options) as string[][]));
      } catch {
        // a broken line: the adapter's trial parse names it
      }
    }
    return rows.length ? rows : undefined;
  }
}

function commonWidth(rows: string[][]): { width: number; share: number } {
  const counts = new Map<number, number>();
  for (const row of rows) counts.set(row.length, (counts.get(row.length) ?? 0) + 1);
  let width = 0;
  let most = 0;
  for (const [w, n] of counts) if (n > most || (n === most && w > width)) [width, most] = [w, n];
  return { width, share: rows.length ? most / rows.length : 0 };
}

/** How a delimiter is named in messages. */
export function delimiterName(d: string): string {
  return d === '\t' ? 'tab' : `"${d}"`;
}

/**
 * The first row names columns: every cell is a distinct word-like name, not a value (a time, a number, an id).
 * A file of one row only is read as a header when its cells look like names.
 */
export function looksLikeHeader(row: readonly string[] | undefined, next: readonly string[] | undefined): boolean {
  // A trailing delimiter (Excel writes one after an empty last column) leaves empty names at the end.
  const cells = trimEnd(row ?? []).map((c) => c.trim());
  if (cells.length < 2) return false;
  if (cells.some((c) => c === '' || !/\p{L}/u.test(c) || /^\+?\d[\d\s:./-]*$/.test(c))) return false;
  if (new Set(cells.map((c) => c.toLowerCase())).size !== cells.length) return false;
  if (!next) return true;
  // A data row like the header (all names too) means the first row is data as well: a 3CX or Asterisk line.
  return next.some((c) => /\d/.test(c));
}

function trimEnd(row: readonly string[]): readonly string[] {
  let end = row.length;
  while (end > 0 && (row[end - 1] ?? '').trim() === '') end -= 1;
  return row.slice(0, end);
}
