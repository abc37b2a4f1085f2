import { isPlainObject, parseJsonLocated } from '../../../adapters/shared/input.js';
import type { Sample } from './types.js';

export interface JsonRecords {
  /** `document`: one JSON value (an object, or an array of records); `ndjson`: one object per line. */
  form: 'document' | 'ndjson';
  /** The value, or each line's value. */
  values: unknown[];
  /** The JSON does not parse (a cut or broken document): the parser's message with its line. */
  problem?: string;
}

/** Lines of NDJSON looked at; a document is parsed whole (the sample is bounded). */
const MAX_LINES = 2_000;

/**
 * The JSON in a sample: a document, or NDJSON when the first line is a whole object by itself (as the
 * FreeSWITCH and Twilio adapters decide). A sample that ends inside a big array is cut back to its last whole
 * element, so that a long export still shows its records.
 */
export function readJsonRecords(sample: Sample): JsonRecords | undefined {
  const text = sample.text.trimStart();
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined;
  const firstLine = text.split(/\r?\n/, 1)[0]?.trim() ?? '';
  if (firstLine.startsWith('{') && firstLine.endsWith('}') && parseJsonLocated(firstLine).ok) {
    const values: unknown[] = [];
    let problem: string | undefined;
    for (const [i, line] of text.split(/\r?\n/).slice(0, MAX_LINES).entries()) {
      if (!line.trim()) continue;
      const parsed = parseJsonLocated(line);
      if (parsed.ok) values.push(parsed.value);
      else problem ??= `line ${i + 1}: ${parsed.message}`;
    }
    return problem ? { form: 'ndjson', values, problem } : { form: 'ndjson', values };
  }
  const parsed = parseJsonLocated(text);
  if (parsed.ok) return { form: 'document', values: [parsed.value] };
  if (sample.truncated && text.startsWith('[')) {
    const repaired = cutToLastElement(text);
    if (repaired !== undefined) return { form: 'document', values: [repaired] };
  }
  return { form: 'document', values: [], problem: `line ${parsed.line}: ${parsed.message}` };
}

/** `[{...},{...},{..` → the array of the whole elements; tries the last few `}` only (bounded). */
function cutToLastElement(text: string): unknown[] | undefined {
  let end = text.length;
  for (let tries = 0; tries < 50; tries++) {
    end = text.lastIndexOf('}', end - 1);
    if (end < 0) return undefined;
    try {
      const value: unknown = JSON.parse(`${text.slice(0, end + 1)}]`);
      if (Array.isArray(value)) return value;
    } catch {
      // not the end of an element: try the previous brace
    }
  }
  return undefined;
}

/** The records of a JSON value: its array, the array at a property (`data.calls`), or the object itself. */
export function recordsIn(value: unknown): { records: Record<string, unknown>[]; path?: string } {
  if (Array.isArray(value)) return { records: value.filter(isPlainObject) };
  if (!isPlainObject(value)) return { records: [] };
  for (const [key, inner] of Object.entries(value)) {
    if (Array.isArray(inner) && inner.length && inner.every(isPlainObject)) return { records: inner, path: key };
    if (isPlainObject(inner)) {
      for (const [key2, inner2] of Object.entries(inner)) {
        if (Array.isArray(inner2) && inner2.length && inner2.every(isPlainObject)) return { records: inner2, path: `${key}.${key2}` };
      }
    }
  }
  return { records: [value] };
}
