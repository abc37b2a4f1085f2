import { isPlainObject } from '../shared/input.js';

export type Row = Record<string, unknown>;

export type FieldValue = { ok: true; value: string | undefined } | { ok: false; message: string };

export interface CompiledRef {
  /** As configured, for messages. */
  text: string;
  /** The source fields it reads (one, or each `{name}` of a template). */
  sources: string[];
  read(row: Row): FieldValue;
}

/**
 * A field reference from the mapping: a plain name reads that field; text with `{name}` placeholders is a
 * template, whose value exists only when every field it names has a value (a half-filled path is no path).
 */
export function compileRef(text: string, escape: (value: string) => string = (v) => v): CompiledRef {
  if (!text.includes('{')) {
    return { text, sources: [text], read: (row) => scalarAt(row, text) };
  }
  const parts = text.split(/(\{[^}]*\})/).filter((p) => p !== '');
  const sources = parts.filter((p) => p.startsWith('{')).map((p) => p.slice(1, -1).trim());
  return {
    text,
    sources,
    read(row) {
      let out = '';
      for (const part of parts) {
        if (!part.startsWith('{')) {
          out += part;
          continue;
        }
        const got = scalarAt(row, part.slice(1, -1).trim());
        if (!got.ok) return got;
        if (got.value === undefined) return { ok: true, value: undefined };
        out += escape(got.value);
      }
      return { ok: true, value: out };
    },
  };
}

/**
 * The value of a field as text: `a.b` is a key of its own when the record has one (CSV headers may
 * contain dots), otherwise a path into nested JSON. Empty text and null are "no value".
 */
export function scalarAt(row: Row, name: string): FieldValue {
  let value: unknown = Object.hasOwn(row, name) ? row[name] : undefined;
  if (value === undefined && name.includes('.')) {
    value = name.split('.').reduce<unknown>((node, key) => (isPlainObject(node) && Object.hasOwn(node, key) ? node[key] : undefined), row);
  }
  if (value === undefined || value === null) return { ok: true, value: undefined };
  if (typeof value === 'string') return { ok: true, value: value.trim() === '' ? undefined : value.trim() };
  if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
  return { ok: false, message: `field "${name}" holds ${Array.isArray(value) ? 'a list' : 'an object'}, not a value` };
}

/**
 * What a value may contribute to a recording location built by a template. Template values are call data
 * (a caller-id number is chosen by whoever calls): in a URL each is URL-encoded, in a path it loses `/`, `\`,
 * control characters and `..`, so that it can name a file but never another folder. A recording mapped from
 * one field (no template) is the PBX's own value and is used as written.
 */
export function recordingEscape(template: string): (value: string) => string {
  if (/^https?:\/\//i.test(template.trim())) return encodeURIComponent;
  return (value) => value.replace(/[/\\\u0000-\u001f\u007f]/g, '').replace(/\.{2,}/g, '');
}
