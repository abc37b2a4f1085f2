import {
  arrayElementLines,
  formatBytes,
  isHook,
  isPlainObject,
  locate,
  mediaType,
  parseJsonLocated,
  readAllBounded,
  linesOrDocument,
} from '../shared/input.js';
import { type AdapterInput, type ParseItem, defineAdapter } from '../types.js';
import { callbackToItem } from './callback.js';
import { completeTwilioCall } from './complete.js';
import { mergeTwilioLegs } from './merge.js';
import { type TwilioOptions, twilioOptionsSchema } from './options.js';

const FORM = 'application/x-www-form-urlencoded';
const JSON_TYPE = 'application/json';

/**
 * Twilio Programmable Voice status callbacks and recording status callbacks, as Twilio posts them
 * (form-encoded) or saved to files (one form body per line, a JSON object, a JSON array or NDJSON).
 */
export default defineAdapter({
  id: 'twilio',
  summary: 'Twilio Voice status and recording status callbacks (form posts or saved as files); one call per CallSid',
  configSchema: twilioOptionsSchema,
  example: { recordingExtension: 'mp3', ownerRule: 'own-numbers', ownNumbers: ['+46850001000', 'client:alice'], groupChildCalls: true },
  inputs: {
    filePatterns: ['*.form', '*.json', '*.ndjson', '*.jsonl'],
    contentTypes: [FORM, JSON_TYPE],
    tail: false,
    legsAcrossFiles: true,
  },
  parse: parseTwilio,
  merge: mergeTwilioLegs,
  complete: completeTwilioCall,
});

export { mergeTwilioLegs, NoStatusCallbackError } from './merge.js';

async function* parseTwilio(input: AdapterInput, options: TwilioOptions): AsyncGenerator<ParseItem> {
  const max = options.maxDocumentBytes;
  if (isHook(input)) {
    const declared = mediaType(input.contentType);
    if (declared !== undefined && declared !== FORM && declared !== JSON_TYPE) {
      yield { kind: 'error', location: locate(input), message: `unsupported content type "${declared}"; expected ${FORM} or ${JSON_TYPE}` };
      return;
    }
    const body = await readAllBounded(input.stream, max);
    if (!body.ok) {
      yield { kind: 'error', location: locate(input), message: `body larger than ${formatBytes(max)} (maxDocumentBytes): refused` };
      return;
    }
    // No content type at all: a JSON body opens with { or [, anything else is read as a form.
    const type = declared ?? (/^\s*[[{]/.test(body.text) ? JSON_TYPE : FORM);
    yield* type === FORM ? formItems(body.text, locate(input), options) : jsonItems(body.text, input, input.firstLine ?? 1, options);
    return;
  }

  // Files: each non-empty line is a form body or a JSON object, unless the file is one JSON document
  // spread over lines (pretty-printed object or array), which the first line tells.
  const opensDocument = (text: string) => (text.startsWith('{') || text.startsWith('[')) && !(text.startsWith('{') && parseJsonLocated(text).ok);
  for await (const item of linesOrDocument(input, max, 'maxDocumentBytes', opensDocument)) {
    if (item.kind === 'error') {
      yield item;
      continue;
    }
    const text = item.text.trim();
    if (text.startsWith('{') || text.startsWith('[')) yield* jsonItems(text, input, item.line, options);
    else yield* formItems(text, locate(input, item.line), options);
  }
}

function* formItems(body: string, location: string, options: TwilioOptions): Generator<ParseItem> {
  const text = body.trim();
  if (!text) {
    yield { kind: 'error', location, message: 'empty body: no callback parameters' };
    return;
  }
  if (!/^[^=&\s]+=/.test(text) || /[\u0000-\u0008\u000e-\u001f]/.test(text)) {
    yield { kind: 'error', location, message: 'not a form-encoded callback (expected Name=value&Name=value…)' };
    return;
  }
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(text)) if (!Object.hasOwn(params, name)) params[name] = value;
  yield callbackToItem(params, location, options);
}

function* jsonItems(text: string, input: AdapterInput, firstLine: number, options: TwilioOptions): Generator<ParseItem> {
  const parsed = parseJsonLocated(text);
  if (!parsed.ok) {
    yield { kind: 'error', location: locate(input, firstLine + parsed.line - 1), message: parsed.message };
    return;
  }
  const values = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  const starts = Array.isArray(parsed.value) ? arrayElementLines(text) : [];
  for (const [i, value] of values.entries()) {
    const location = locate(input, firstLine + (starts[i] ?? 1) - 1);
    if (!isPlainObject(value)) {
      yield { kind: 'error', location, message: `callback ${i + 1}: expected a JSON object of callback parameters` };
      continue;
    }
    const params: Record<string, string> = {};
    for (const [name, v] of Object.entries(value)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') params[name] = String(v);
    }
    yield callbackToItem(params, location, options);
  }
}
