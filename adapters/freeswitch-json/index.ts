import {
  arrayElementLines,
  formatBytes,
  isHook,
  locate,
  parseJsonLocated,
  readAllBounded,
  linesOrDocument,
} from '../shared/input.js';
import { type AdapterInput, type ParseItem, defineAdapter } from '../types.js';
import { JSON_CONTENT_TYPES, unwrapCdrBody } from './body.js';
import { completeFreeswitchCall } from './complete.js';
import { fromJsonCdr } from './document.js';
import { extractLeg } from './extract-leg.js';
import { mergeFreeswitchLegs } from './merge.js';
import { type FreeswitchOptions, freeswitchOptionsSchema } from './options.js';
import { parseFreeswitchRows } from './table-row.js';

/**
 * FreeSWITCH mod_json_cdr: one JSON document per channel (leg), posted to a hook (raw JSON, `cdr=`
 * URL-encoded or base64) or written as `<uuid>.cdr.json` files; NDJSON files (one CDR per line) too.
 */
export default defineAdapter({
  id: 'freeswitch-json',
  summary: 'FreeSWITCH mod_json_cdr documents (hook posts or files, NDJSON too); A and B legs become one call',
  configSchema: freeswitchOptionsSchema,
  example: {
    decodeValues: true,
    directionVariable: 'call_direction',
    recording: { variables: ['${record_path}/${record_name}', 'recording_url'], pathMap: [{ from: '/var/lib/freeswitch/recordings', to: '/mnt/fs-recordings' }] },
  },
  inputs: {
    filePatterns: ['*.cdr.json', '*.json', '*.ndjson', '*.jsonl', '*.form'],
    contentTypes: JSON_CONTENT_TYPES,
    tail: true,
    legsAcrossFiles: true,
  },
  parse: parseFreeswitchJson,
  parseRows: parseFreeswitchRows,
  merge: mergeFreeswitchLegs,
  complete: completeFreeswitchCall,
});

async function* parseFreeswitchJson(input: AdapterInput, options: FreeswitchOptions): AsyncGenerator<ParseItem> {
  const max = options.maxDocumentBytes;
  if (isHook(input)) {
    const body = await readAllBounded(input.stream, max);
    if (!body.ok) {
      yield { kind: 'error', location: locate(input), message: `body larger than ${formatBytes(max)} (maxDocumentBytes): refused` };
      return;
    }
    yield* documentItems(body.text, input, options, input.firstLine ?? 1);
    return;
  }

  // Files: one pretty-printed document, or NDJSON: a first line that is a whole JSON object by itself starts
  // NDJSON (one CDR per line, each bounded and located on its own).
  const opensDocument = (text: string) => !(text.startsWith('{') && text.endsWith('}') && parseJsonLocated(text).ok);
  for await (const item of linesOrDocument(input, max, 'maxDocumentBytes', opensDocument)) {
    if (item.kind === 'error') yield item;
    else yield* documentItems(item.text, input, options, item.line);
  }
}

/** One body / file / NDJSON line → its legs (a JSON array of CDRs is accepted too) or one located error. */
function* documentItems(body: string, input: AdapterInput, options: FreeswitchOptions, firstLine: number): Generator<ParseItem> {
  const unwrapped = unwrapCdrBody(body, input.contentType, JSON_CONTENT_TYPES);
  if (!unwrapped.ok) {
    yield { kind: 'error', location: locate(input, firstLine), message: unwrapped.message };
    return;
  }
  if (unwrapped.text.trim() === '') {
    yield { kind: 'error', location: locate(input, firstLine), message: 'empty body: no CDR' };
    return;
  }
  const parsed = parseJsonLocated(unwrapped.text);
  if (!parsed.ok) {
    yield { kind: 'error', location: locate(input, firstLine + parsed.line - 1), message: parsed.message };
    return;
  }
  const documents = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  const starts = Array.isArray(parsed.value) ? arrayElementLines(unwrapped.text) : [];
  for (const [i, value] of documents.entries()) {
    const location = locate(input, firstLine + (starts[i] ?? 1) - 1);
    const doc = fromJsonCdr(value, options.decodeValues);
    if (typeof doc === 'string') {
      yield { kind: 'error', location, message: doc };
      continue;
    }
    const result = extractLeg(doc, options, { location, queryUuid: input.query?.uuid, original: value });
    yield result.ok ? { kind: 'leg', groupKey: result.groupKey, leg: result.leg } : { kind: 'error', location, message: result.message };
  }
}
