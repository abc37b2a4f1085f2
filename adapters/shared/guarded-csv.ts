import { finished, pipeline, type Readable, Transform, type TransformCallback } from 'node:stream';
import { parse } from 'csv-parse';
import { z } from 'zod';
import type { AdapterInput } from '../types.js';

/**
 * Line-oriented CSV reading for PBX CDR files, shared by the CSV adapters (asterisk-csv, cucm, 3cx).
 *
 * Every CDR format we read writes one record per physical line. csv-parse alone cannot keep that promise for
 * hostile input: an unbalanced quote makes it swallow every following line into one field, and after a
 * `max_record_size` error in skip mode it drops the rest of the file. So a guard sits in front of it and
 * hands csv-parse only lines that are complete on their own (bounded length, balanced quoting); every other
 * line is replaced by a one-field marker line, which keeps the line count exact and turns into a located error.
 */

export type CsvItem =
  | { kind: 'row'; line: number; fields: string[] }
  | { kind: 'bad'; line: number; message: string };

export interface CsvReadOptions {
  /** One-character field delimiter. */
  delimiter: string;
  /** Lines longer than this (bytes, without the line break) become errors instead of records. */
  maxLineBytes: number;
}

/** The `maxLineBytes` option of a CSV adapter; `note` adds what the PBX itself writes at most. */
export function maxLineBytesOption(note = '') {
  return z
    .number()
    .int()
    .min(1024)
    .max(16 * 1024 * 1024)
    .default(64 * 1024)
    .describe(`A longer line is reported as an error and skipped${note}.`);
}

const NL = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
// Only ever copied out of (Buffer.concat), never handed on itself.
const LINE_BREAK = Buffer.from('\n');
// NUL never appears in a CDR, so a marker cannot be mistaken for data a PBX wrote.
const MARK = '\u0000callbridge-guard:';
const LONG = `${MARK}long:`;
const UNCLOSED = `${MARK}unclosed`;
const AFTER_QUOTE = `${MARK}after-quote:`;

/**
 * Why `line` (no line break) is not complete CSV on its own, or undefined when it is: every quoted field must
 * close, and after a closing quote must come a delimiter or the end. A quote inside an unquoted field is taken
 * literally (csv-parse runs with `relax_quotes`), so only quoting that would spill into the next line or garble
 * the split is refused. Returns `unclosed`, or the byte found after a closing quote.
 */
export function csvLineProblem(line: Uint8Array, delimiter: number): { kind: 'unclosed' } | { kind: 'after-quote'; byte: number } | undefined {
  return csvLineProblemAt(line, 0, line.length, delimiter);
}

/** csvLineProblem for the bytes `start` to `end` of `bytes` (a line inside a chunk, not cut out of it). */
function csvLineProblemAt(
  bytes: Uint8Array,
  start: number,
  end: number,
  delimiter: number,
): { kind: 'unclosed' } | { kind: 'after-quote'; byte: number } | undefined {
  // 0 field start, 1 unquoted field, 2 inside quotes, 3 just after a quote inside quotes (close or escape)
  let state = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    switch (state) {
      case 0:
        state = c === QUOTE ? 2 : c === delimiter ? 0 : 1;
        break;
      case 1:
        if (c === delimiter) state = 0;
        break;
      case 2:
        if (c === QUOTE) state = 3;
        break;
      default:
        if (c === QUOTE) state = 2;
        else if (c === delimiter) state = 0;
        else return { kind: 'after-quote', byte: c };
    }
  }
  return state === 2 ? { kind: 'unclosed' } : undefined;
}

/** Splits bytes into lines, normalises CRLF to LF, drops a leading UTF-8 BOM, and replaces unusable lines by markers. */
export class LineGuard extends Transform {
  private carry: Buffer[] = [];
  private carryLength = 0;
  /** Bytes of the current line when it is already known to be too long (its bytes are not kept). */
  private overlong = -1;
  private firstLine = true;

  constructor(
    private readonly maxLineBytes: number,
    private readonly delimiter: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, done: TransformCallback): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const out: Buffer[] = [];
    // Lines that pass unchanged (the usual case) are not cut out one by one: a run of them goes on as one piece.
    let runStart = -1;
    let runEnd = -1;
    let pos = 0;
    while (pos < buf.length) {
      const nl = buf.indexOf(NL, pos);
      if (nl === -1) {
        if (runStart >= 0) out.push(buf.subarray(runStart, runEnd));
        runStart = -1;
        this.hold(buf.subarray(pos));
        break;
      }
      if (this.passesUnchanged(buf, pos, nl)) {
        if (runStart < 0) runStart = pos;
        runEnd = nl + 1;
      } else {
        if (runStart >= 0) out.push(buf.subarray(runStart, runEnd));
        runStart = -1;
        this.finishLine(buf.subarray(pos, nl), out);
      }
      pos = nl + 1;
    }
    if (runStart >= 0) out.push(buf.subarray(runStart, runEnd));
    if (out.length) this.push(Buffer.concat(out));
    done();
  }

  /** True when finishLine would hand on the line `start`..`end` (its line break not included) exactly as it is. */
  private passesUnchanged(buf: Buffer, start: number, end: number): boolean {
    if (this.carryLength > 0 || this.overlong >= 0 || this.firstLine) return false;
    if (end - start > this.maxLineBytes) return false;
    if (end > start && buf[end - 1] === CR) return false;
    return csvLineProblemAt(buf, start, end, this.delimiter) === undefined;
  }

  override _flush(done: TransformCallback): void {
    if (this.carryLength > 0 || this.overlong >= 0) {
      const out: Buffer[] = [];
      this.finishLine(Buffer.alloc(0), out);
      this.push(Buffer.concat(out));
    }
    done();
  }

  private hold(part: Buffer): void {
    if (this.overlong >= 0) {
      this.overlong += part.length;
      return;
    }
    if (this.carryLength + part.length > this.maxLineBytes + 1) {
      // +1: a CR that will be stripped does not count against the limit
      this.overlong = this.carryLength + part.length;
      this.carry = [];
      this.carryLength = 0;
      return;
    }
    this.carry.push(Buffer.from(part)); // copy: the chunk's memory may be reused by the source
    this.carryLength += part.length;
  }

  private finishLine(part: Buffer, out: Buffer[]): void {
    if (this.overlong >= 0) {
      const total = this.overlong + part.length;
      this.overlong = -1;
      this.firstLine = false;
      out.push(Buffer.from(`${LONG}${total}\n`));
      return;
    }
    let line = this.carryLength > 0 ? Buffer.concat([...this.carry, part]) : part;
    this.carry = [];
    this.carryLength = 0;
    if (this.firstLine) {
      this.firstLine = false;
      if (line.length >= 3 && line[0] === BOM[0] && line[1] === BOM[1] && line[2] === BOM[2]) line = line.subarray(3);
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1);
    if (line.length > this.maxLineBytes) {
      out.push(Buffer.from(`${LONG}${line.length}\n`));
      return;
    }
    const problem = line.includes(QUOTE) ? csvLineProblem(line, this.delimiter) : undefined;
    if (problem) {
      out.push(Buffer.from(`${problem.kind === 'unclosed' ? UNCLOSED : `${AFTER_QUOTE}${problem.byte}`}\n`));
      return;
    }
    out.push(line, LINE_BREAK);
  }
}

function markerMessage(field: string, options: CsvReadOptions): string | undefined {
  if (!field.startsWith(MARK)) return undefined;
  if (field.startsWith(LONG)) {
    return `line is ${field.slice(LONG.length)} bytes, longer than the limit of ${options.maxLineBytes} bytes (maxLineBytes)`;
  }
  if (field.startsWith(AFTER_QUOTE)) {
    const byte = Number(field.slice(AFTER_QUOTE.length));
    const shown = byte >= 0x20 && byte < 0x7f ? JSON.stringify(String.fromCharCode(byte)) : `byte 0x${byte.toString(16).padStart(2, '0')}`;
    const hint = /[;\t|]/.test(String.fromCharCode(byte)) ? ' (wrong delimiter?)' : '';
    return `a quoted field is followed by ${shown} instead of the delimiter ${JSON.stringify(options.delimiter)}${hint}`;
  }
  return 'a quoted field is never closed (unbalanced double quotes, or a truncated line)';
}

/**
 * Streams `input` as CSV rows, one per physical line, each with its absolute line number
 * (`input.firstLine` honoured). Empty lines are skipped. Never loads the whole input.
 * Stream I/O errors propagate; content problems become `bad` items and reading goes on.
 */
export async function* readCsvLines(input: AdapterInput, options: CsvReadOptions): AsyncGenerator<CsvItem> {
  for await (const batch of readCsvBatches(input, options)) yield* batch;
}

/**
 * readCsvLines, in batches: the items of whatever the parser has ready at once (a chunk's worth of lines).
 * Every item that goes through an async generator costs a few promise turns; a file of a million rows
 * passes through here, the adapter and grouping, so the rows travel this first stage in arrays.
 */
export async function* readCsvBatches(input: AdapterInput, options: CsvReadOptions): AsyncGenerator<CsvItem[]> {
  const delimiter = options.delimiter;
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new RangeError(`CSV delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`);
  }
  const guard = new LineGuard(options.maxLineBytes, delimiter.charCodeAt(0));
  // The guard already guarantees one complete record per line, so csv-parse never needs to recover and
  // `info` (which costs a third of the parse time) is not needed: the n-th record is the n-th line.
  const parser = parse({
    delimiter,
    record_delimiter: '\n',
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: false,
    max_record_size: 0,
  });
  let streamError: unknown;
  pipeline(input.stream, guard, parser, (error) => {
    if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') streamError = error;
  });
  let line = (input.firstLine ?? 1) - 1;
  try {
    for await (const records of readableBatches<string[]>(parser)) {
      const items: CsvItem[] = [];
      for (const record of records) {
        line++;
        if (record.length === 1) {
          const only = record[0] ?? '';
          if (only === '') continue;
          const message = markerMessage(only, options);
          if (message) {
            items.push({ kind: 'bad', line, message });
            continue;
          }
        }
        items.push({ kind: 'row', line, fields: record });
      }
      if (items.length) yield items;
    }
  } catch (error) {
    if (streamError === undefined && isCsvParseError(error)) {
      // Not expected after the guard; kept so that a parser surprise is a located error, never a crash.
      yield [{ kind: 'bad', line: line + 1, message: `CSV parser stopped: ${(error as Error).message}` }];
      return;
    }
    throw streamError ?? error;
  }
  if (streamError !== undefined) throw streamError;
}

/**
 * A readable stream's chunks, everything it has buffered at each turn in one array: what `for await` over
 * the stream does (same end, same errors, the stream destroyed when the reader stops), one hop per batch.
 */
async function* readableBatches<T>(stream: Readable): AsyncGenerator<T[]> {
  let wake: (() => void) | undefined;
  const onReadable = (): void => {
    const resume = wake;
    wake = undefined;
    resume?.();
  };
  // undefined while the stream runs; null once it ended cleanly; else why it stopped.
  let outcome: Error | null | undefined;
  stream.on('readable', onReadable);
  const stopWatching = finished(stream, { writable: false }, (error) => {
    outcome = error ?? null;
    onReadable();
  });
  try {
    for (;;) {
      const batch: T[] = [];
      let chunk: T | null;
      while (!stream.destroyed && (chunk = stream.read() as T | null) !== null) batch.push(chunk);
      if (batch.length) yield batch;
      else if (outcome) throw outcome;
      else if (outcome === null) return;
      else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('readable', onReadable);
    stopWatching();
    stream.destroy();
  }
}

function isCsvParseError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(CSV_|INVALID_)/.test(code);
}
