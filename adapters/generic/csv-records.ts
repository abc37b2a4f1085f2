import type { Readable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { formatBytes, readLines, shorten } from '../shared/input.js';

export type CsvItem = { line: number; fields: string[] } | { line: number; error: string };

export interface CsvDialect {
  delimiter: string;
  quote: string;
  maxRecordBytes: number;
  firstLine: number;
}

/**
 * CSV records with their first line, each parsed by csv-parse on its own.
 *
 * Why not one streaming csv-parse: its `max_record_size` guard ends the parse (every later record is
 * lost), and one unterminated quote swallows the rest of the file. Here records are framed first (a line
 * ends a record unless a quoted field is open), each frame is bounded, and a bad or oversized record is one
 * located error: the next line starts afresh.
 */
export async function* csvRecords(stream: Readable, dialect: CsvDialect): AsyncGenerator<CsvItem> {
  const { delimiter, quote, maxRecordBytes } = dialect;
  let frame: string[] = [];
  let bytes = 0;
  let open = false;
  let startLine = dialect.firstLine;
  const reset = () => {
    frame = [];
    bytes = 0;
    open = false;
  };

  for await (const item of readLines(stream, maxRecordBytes, dialect.firstLine)) {
    if (frame.length === 0) startLine = item.lineNo;
    if (!item.overflow) bytes += Buffer.byteLength(item.text) + 1;
    if (item.overflow || bytes > maxRecordBytes) {
      yield { line: startLine, error: `record longer than ${formatBytes(maxRecordBytes)} (maxRecordBytes): skipped` };
      reset();
      continue;
    }
    if (frame.length === 0 && item.text.trim() === '') continue;
    open = scanQuotes(item.text, open, frame.length === 0, quote, delimiter);
    frame.push(item.text);
    if (open) continue;
    yield parseFrame(frame.join('\n'), startLine, delimiter, quote);
    reset();
  }
  if (frame.length) yield { line: startLine, error: 'unterminated quoted field at the end of the input (truncated file?)' };
}

/**
 * Whether a quoted field is still open at the end of `line`. A quote opens a field only at its start
 * (RFC 4180); elsewhere it is text. Inside a field a doubled quote is an escaped quote.
 */
function scanQuotes(line: string, open: boolean, recordStart: boolean, quote: string, delimiter: string): boolean {
  let fieldStart = recordStart;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (open) {
      if (c === quote) {
        if (line[i + 1] === quote) i++;
        else open = false;
      }
      continue;
    }
    if (c === quote && fieldStart) {
      open = true;
      fieldStart = false;
      continue;
    }
    if (line.startsWith(delimiter, i)) {
      fieldStart = true;
      i += delimiter.length - 1;
      continue;
    }
    fieldStart = false;
  }
  return open;
}

function parseFrame(text: string, line: number, delimiter: string, quote: string): CsvItem {
  try {
    const rows = parse(text, { delimiter, quote, record_delimiter: '\n', relax_quotes: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
    const fields = rows[0];
    if (rows.length !== 1 || !fields) return { line, error: `invalid CSV: expected one record, found ${rows.length}` };
    return { line, fields };
  } catch (error) {
    const message = (error as Error).message.replace(/\s*at line \d+/gi, '');
    return { line, error: `invalid CSV: ${shorten(message)}` };
  }
}
