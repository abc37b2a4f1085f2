import path from 'node:path';
import { Readable } from 'node:stream';
import type { CallRecord } from '../call-record.js';
import { type AdapterInput, type ParseItem, type TableInput, defineAdapter } from '../types.js';
import { csvRecords } from './csv-records.js';
import type { Row } from './field-ref.js';
import {
  arrayElementLines,
  formatBytes,
  isHook,
  isPlainObject,
  locate,
  mediaType,
  parseJsonLocated,
  readAllBounded,
  readLines,
  shorten,
} from '../shared/input.js';
import { mergeByRootLeg } from '../shared/merge-root-leg.js';
import { type GenericOptions, genericOptionsSchema } from './options.js';
import { type CompiledMapping, compileMapping, mappedSources, rowToLeg } from './row-to-leg.js';

const CONTENT_TYPES: Record<string, 'csv' | 'json' | 'ndjson'> = {
  'text/csv': 'csv',
  'text/tab-separated-values': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
};
const EXTENSIONS: Record<string, 'csv' | 'json' | 'ndjson'> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.json': 'json',
  '.ndjson': 'ndjson',
  '.jsonl': 'ndjson',
};

/** A PBX we have no adapter for: CSV or JSON/NDJSON call records, mapped field by field in the config. */
export default defineAdapter({
  id: 'generic',
  summary: 'Any CSV or JSON/NDJSON call export, mapped to call fields in the config (time format and zone, direction and outcome maps)',
  configSchema: genericOptionsSchema,
  example: {
    format: 'csv',
    csv: { delimiter: ';' },
    fields: {
      externalId: 'call_id',
      startTime: 'started',
      endTime: 'ended',
      talkSec: 'talk_seconds',
      fromNumber: 'caller',
      toNumber: 'callee',
      ownerExtension: 'agent_ext',
      recording: '/var/spool/pbx/rec/{call_id}.wav',
      disposition: 'status',
    },
    time: { format: 'dd.MM.yyyy HH:mm:ss', zone: 'source' },
    direction: { field: 'dir', values: { IN: 'incoming', OUT: 'outgoing', INT: 'internal' } },
    outcome: { values: { ANSWERED: 'answered', 'NO ANSWER': 'no-answer', BUSY: 'busy', FAILED: 'failed' } },
  },
  inputs: {
    filePatterns: ['*.csv', '*.tsv', '*.json', '*.ndjson', '*.jsonl'],
    contentTypes: Object.keys(CONTENT_TYPES),
    tail: true,
  },
  parse: parseGeneric,
  parseRows: parseGenericRows,
  // The leg that started first is the call's root: its externalId names the merged call.
  merge: (legs: CallRecord[]) => mergeByRootLeg(legs),
});

async function* parseGeneric(input: AdapterInput, options: GenericOptions): AsyncGenerator<ParseItem> {
  const mapping = compileMapping(options);
  let stream = input.stream;
  let format = options.format === 'auto' ? formatOf(input) : options.format;
  if (format === undefined) {
    const peeked = await peek(stream);
    stream = peeked.stream;
    const first = peeked.head.toString('utf8').replace(/^\uFEFF/, '').trimStart()[0];
    format = first === '[' ? 'json' : first === '{' ? 'ndjson' : 'csv';
  }
  const source = { ...input, stream };
  if (format === 'csv') yield* parseCsv(source, options, mapping);
  else if (format === 'ndjson') yield* parseNdjson(source, options, mapping);
  else yield* parseJsonDocument(source, options, mapping);
}

/** A table's rows, mapped by column name as a CSV's by header name (format and csv options do not apply). */
async function* parseGenericRows(input: TableInput, options: GenericOptions): AsyncGenerator<ParseItem> {
  const mapping = compileMapping(options);
  for (const { location, values } of input.rows) yield legItem(rowToLeg(values, location, mapping), location);
}

function formatOf(input: AdapterInput): 'csv' | 'json' | 'ndjson' | undefined {
  if (isHook(input)) return CONTENT_TYPES[mediaType(input.contentType) ?? ''];
  return EXTENSIONS[path.extname(input.name).toLowerCase()];
}

async function* parseCsv(input: AdapterInput, options: GenericOptions, mapping: CompiledMapping): AsyncGenerator<ParseItem> {
  const firstLine = input.firstLine ?? 1;
  if (options.csv.header && firstLine > 1) {
    yield {
      kind: 'error',
      location: locate(input, firstLine),
      message: 'this input starts at line ' + firstLine + ', after the header line: a tailed CSV needs csv.header: false and csv.columns',
    };
    return;
  }
  let columns = options.csv.header ? undefined : options.csv.columns;
  if (columns) {
    const problem = headerProblem(columns, mapping, options.csv.delimiter);
    if (problem) {
      yield { kind: 'error', location: locate(input, firstLine), message: problem };
      return;
    }
  }
  const dialect = { delimiter: options.csv.delimiter, quote: options.csv.quote, maxRecordBytes: options.maxRecordBytes, firstLine };
  for await (const item of csvRecords(input.stream, dialect)) {
    const location = locate(input, item.line);
    if ('error' in item) {
      yield { kind: 'error', location, message: item.error };
      if (!columns) return; // no header, no way to read the rows that follow
      continue;
    }
    if (!columns) {
      columns = item.fields.map((c, i) => (i === 0 ? c.replace(/^\uFEFF/, '') : c).trim());
      const problem = headerProblem(columns, mapping, options.csv.delimiter);
      if (problem) {
        yield { kind: 'error', location, message: problem };
        return;
      }
      continue;
    }
    const extra = item.fields.slice(columns.length);
    if (item.fields.length < columns.length || extra.some((f) => f.trim() !== '')) {
      yield {
        kind: 'error',
        location,
        message: `expected ${columns.length} fields (the header's columns), found ${item.fields.length}: wrong delimiter or a broken line?`,
      };
      continue;
    }
    const row: Row = Object.fromEntries(columns.map((c, i) => [c, item.fields[i]]));
    yield legItem(rowToLeg(row, location, mapping), location);
  }
}

/** Every column the mapping reads must be in the header: otherwise no row can be read right. */
function headerProblem(columns: string[], mapping: CompiledMapping, delimiter: string): string | undefined {
  const known = new Set(columns);
  const missing = mappedSources(mapping).filter((s) => !known.has(s.source));
  if (!missing.length) return undefined;
  const list = missing.map((s) => `"${s.source}" (${s.option})`).join(', ');
  if (columns.length === 1 && /[,;\t|]/.test(columns[0] ?? '')) {
    return `the header has one column only, "${shorten(columns[0] ?? '', 80)}": is csv.delimiter "${delimiter}" right? Columns not found: ${list}`;
  }
  const shown = columns.slice(0, 15).join(delimiter) + (columns.length > 15 ? `${delimiter}…` : '');
  return `columns not in the header: ${list}; the header is: ${shorten(shown, 300)}`;
}

async function* parseNdjson(input: AdapterInput, options: GenericOptions, mapping: CompiledMapping): AsyncGenerator<ParseItem> {
  for await (const item of readLines(input.stream, options.maxRecordBytes, input.firstLine ?? 1)) {
    const location = locate(input, item.lineNo);
    if (item.overflow) {
      yield { kind: 'error', location, message: `line longer than ${formatBytes(options.maxRecordBytes)} (maxRecordBytes): skipped` };
      continue;
    }
    if (item.text.trim() === '') continue;
    const parsed = parseJsonLocated(item.text);
    if (!parsed.ok) {
      yield { kind: 'error', location, message: parsed.message };
      continue;
    }
    yield* recordsOf(parsed.value, options, location, mapping, () => location);
  }
}

async function* parseJsonDocument(input: AdapterInput, options: GenericOptions, mapping: CompiledMapping): AsyncGenerator<ParseItem> {
  const firstLine = input.firstLine ?? 1;
  const body = await readAllBounded(input.stream, options.maxDocumentBytes);
  if (!body.ok) {
    yield {
      kind: 'error',
      location: locate(input, firstLine),
      message: `JSON document larger than ${formatBytes(options.maxDocumentBytes)} (maxDocumentBytes): refused; export NDJSON for big files`,
    };
    return;
  }
  const parsed = parseJsonLocated(body.text);
  if (!parsed.ok) {
    yield { kind: 'error', location: locate(input, firstLine + parsed.line - 1), message: parsed.message };
    return;
  }
  const lines = !options.jsonRecords && Array.isArray(parsed.value) ? arrayElementLines(body.text) : [];
  yield* recordsOf(parsed.value, options, locate(input, firstLine), mapping, (i) => locate(input, firstLine + (lines[i] ?? 1) - 1));
}

/** The records of one JSON value: the array at `jsonRecords`, else the value itself (an array, or one record). */
function* recordsOf(
  value: unknown,
  options: GenericOptions,
  location: string,
  mapping: CompiledMapping,
  locationOf: (index: number) => string,
): Generator<ParseItem> {
  let records: unknown = value;
  if (options.jsonRecords) {
    records = options.jsonRecords.split('.').reduce<unknown>((node, key) => (isPlainObject(node) ? node[key] : undefined), value);
    if (!Array.isArray(records)) {
      yield { kind: 'error', location, message: `jsonRecords: "${options.jsonRecords}" is not an array in this document` };
      return;
    }
  }
  const list = Array.isArray(records) ? records : [records];
  const numbered = Array.isArray(records) && list.length > 1;
  for (const [i, record] of list.entries()) {
    const at = locationOf(i);
    const prefix = numbered && at === location ? `record ${i + 1}: ` : '';
    if (!isPlainObject(record)) {
      yield { kind: 'error', location: at, message: `${prefix}expected an object of call fields` };
      continue;
    }
    if (JSON.stringify(record).length > options.maxRecordBytes) {
      yield { kind: 'error', location: at, message: `${prefix}record larger than ${formatBytes(options.maxRecordBytes)} (maxRecordBytes): skipped` };
      continue;
    }
    const result = rowToLeg(record, at, mapping);
    yield result.ok ? { kind: 'leg', groupKey: result.groupKey, leg: result.leg } : { kind: 'error', location: at, message: prefix + result.message };
  }
}

function legItem(result: ReturnType<typeof rowToLeg>, location: string): ParseItem {
  return result.ok ? { kind: 'leg', groupKey: result.groupKey, leg: result.leg } : { kind: 'error', location, message: result.message };
}

/** Reads the first chunk (to sniff the format) and gives back a stream that still starts with it. */
async function peek(stream: Readable): Promise<{ head: Buffer; stream: Readable }> {
  const iterator = (stream as AsyncIterable<Buffer | string>)[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done) return { head: Buffer.alloc(0), stream: Readable.from([]) };
  const head = typeof first.value === 'string' ? Buffer.from(first.value, 'utf8') : first.value;
  async function* rest(): AsyncGenerator<Buffer | string> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  }
  return { head, stream: Readable.from(rest()) };
}
