import type { Readable } from 'node:stream';
import type { AdapterInput } from '../types.js';

/**
 * Bounded reading of adapter inputs, shared by the generic, twilio and freeswitch adapters.
 *
 * Nothing here holds more than `max` bytes of one line or one document in memory: a 10 MB field, a
 * multi-gigabyte body or a file of binary garbage becomes a located error, never a crash or a hang.
 */

/** `application/json; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string | undefined {
  const base = contentType?.split(';')[0]?.trim().toLowerCase();
  return base || undefined;
}

/** True when the input came from an HTTP hook rather than a file (hooks carry a content type). */
export function isHook(input: AdapterInput): boolean {
  return input.contentType !== undefined;
}

/**
 * "FILE:LINE" for files. Hooks have no meaningful lines: their location is the hook name, with the line
 * only when one is known inside a multi-line body (an XML error, say).
 */
export function locate(input: AdapterInput, line?: number): string {
  if (isHook(input)) return line !== undefined && line > 1 ? `${input.name}:${line}` : input.name;
  return `${input.name}:${line ?? input.firstLine ?? 1}`;
}

export type BoundedText = { ok: true; text: string } | { ok: false; bytes: number };

/**
 * Reads the whole stream as UTF-8, or stops as soon as it exceeds `maxBytes` (the stream is then
 * destroyed: what follows is not wanted and may be endless).
 */
export async function readAllBounded(stream: Readable, maxBytes: number): Promise<BoundedText> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    size += buf.length;
    if (size > maxBytes) {
      stream.destroy();
      return { ok: false, bytes: size };
    }
    parts.push(buf);
  }
  return { ok: true, text: stripBom(Buffer.concat(parts).toString('utf8')) };
}

export type LineItem =
  | { lineNo: number; overflow: false; text: string }
  /** The line was longer than the limit; its content was dropped while reading. */
  | { lineNo: number; overflow: true; bytes: number };

/**
 * Splits a stream into lines (LF or CRLF), numbering them from `firstLine`. A line longer than
 * `maxLineBytes` is not kept: it is reported as an overflow and reading goes on with the next line.
 * A last line without a newline is still yielded (it may be truncated: the caller's parser will say so).
 */
export async function* readLines(stream: Readable, maxLineBytes: number, firstLine = 1): AsyncGenerator<LineItem> {
  let parts: Buffer[] = [];
  let size = 0;
  let overflow = false;
  let lineNo = firstLine;
  let first = true;

  const finish = (): LineItem => {
    const item: LineItem = overflow
      ? { lineNo, overflow: true, bytes: size }
      : { lineNo, overflow: false, text: decodeLine(Buffer.concat(parts), first) };
    parts = [];
    size = 0;
    overflow = false;
    first = false;
    lineNo += 1;
    return item;
  };

  for await (const chunk of stream as AsyncIterable<Buffer | string>) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
    let start = 0;
    while (start <= buf.length) {
      const nl = buf.indexOf(0x0a, start);
      const end = nl === -1 ? buf.length : nl;
      const piece = buf.subarray(start, end);
      size += piece.length;
      if (size > maxLineBytes) {
        overflow = true;
        parts = [];
      } else if (piece.length) {
        parts.push(piece);
      }
      if (nl === -1) break;
      yield finish();
      start = nl + 1;
    }
  }
  if (size > 0 || overflow) yield finish();
}

/** A text `linesOrDocument` found: one line's record, or the whole document; `line` is where it starts. */
export type TextAt = { kind: 'text'; text: string; line: number };

/**
 * A CDR file that is either one document spread over lines (pretty-printed JSON) or one record per line
 * (NDJSON, form bodies): the first non-empty line decides, by `opensDocument(that line, trimmed)`. Records
 * come one per line as they are read, each bounded by `maxBytes` and located on its own; a document comes
 * once, at the end, located at its first line. An overlong line is skipped with an error; a document
 * larger than `maxBytes` is refused. `option` names the limit in the messages.
 */
export async function* linesOrDocument(
  input: AdapterInput,
  maxBytes: number,
  option: string,
  opensDocument: (firstLine: string) => boolean,
): AsyncGenerator<TextAt | { kind: 'error'; location: string; message: string }> {
  let mode: 'undecided' | 'lines' | 'whole' = 'undecided';
  const lines: string[] = [];
  let wholeStart = input.firstLine ?? 1;
  let wholeBytes = 0;
  for await (const item of readLines(input.stream, maxBytes, input.firstLine ?? 1)) {
    if (mode === 'whole') {
      if (item.overflow || (wholeBytes += Buffer.byteLength(item.text) + 1) > maxBytes) {
        yield { kind: 'error', location: locate(input, wholeStart), message: `document larger than ${formatBytes(maxBytes)} (${option}): refused` };
        return;
      }
      lines.push(item.text);
      continue;
    }
    if (item.overflow) {
      yield { kind: 'error', location: locate(input, item.lineNo), message: `line longer than ${formatBytes(maxBytes)} (${option}): skipped` };
      mode = 'lines';
      continue;
    }
    const text = item.text.trim();
    if (text === '') continue;
    if (mode === 'undecided') {
      if (opensDocument(text)) {
        mode = 'whole';
        wholeStart = item.lineNo;
        wholeBytes = Buffer.byteLength(item.text) + 1;
        lines.push(item.text);
        continue;
      }
      mode = 'lines';
    }
    yield { kind: 'text', text: item.text, line: item.lineNo };
  }
  if (mode === 'whole') yield { kind: 'text', text: lines.join('\n'), line: wholeStart };
}

function decodeLine(buf: Buffer, first: boolean): string {
  let text = buf.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  return first ? stripBom(text) : text;
}

export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** 1-based line of a character offset in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  const end = Math.min(offset, text.length);
  for (let i = 0; i < end; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Parses JSON and, on failure, says where: V8 reports a character position for most syntax errors,
 * which becomes a line relative to the start of `text` (1-based).
 */
export function parseJsonLocated(text: string): { ok: true; value: unknown } | { ok: false; line: number; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    const pos = /position (\d+)/.exec(message);
    const line = pos ? lineAt(text, Number(pos[1])) : text.trim() === '' ? 1 : lineAt(text, text.trimEnd().length);
    return { ok: false, line, message: `invalid JSON: ${shorten(message.replace(/\s*\(line \d+ column \d+\)/, ''))}` };
  }
}

/**
 * Makes quoted input fit in a one-line error message: short (an error must not carry a 10 MB field back
 * out), on one line, and without control characters (binary garbage must not reach a terminal or a log raw).
 */
export function shorten(text: string, max = 200): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[\t\r\n]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD');
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * 1-based lines where the elements of a top-level JSON array start, so that each record of a JSON array
 * file can be located (JSON.parse keeps no positions). Call it only on text that parsed as an array.
 */
export function arrayElementLines(text: string): number[] {
  const lines: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let escaped = false;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\n') line++;
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
      continue;
    }
    const blank = c === ' ' || c === '\t' || c === '\r' || c === '\n';
    if (depth === 1 && expecting && !blank && c !== ']') {
      lines.push(line);
      expecting = false;
    }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') {
      if (depth === 0 && c === '[') expecting = true;
      depth++;
    } else if (c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 1) expecting = true;
  }
  return lines;
}

/** `record[key]` for the record's own keys only: a value such as "constructor" must not reach Object.prototype. */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
