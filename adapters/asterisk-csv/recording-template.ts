import path from 'node:path';
import type { CallRecord } from '../../src/pipeline/call-record.js';

/**
 * Recording locations from a PBX value or an options template such as
 * `https://rec.example.com/{yyyy}/{mm}/{dd}/{uniqueid}.wav` or `/var/spool/asterisk/monitor/{linkedid}.wav`.
 */

export type Recording = NonNullable<CallRecord['recording']>;

export const DATE_PLACEHOLDERS = ['yyyy', 'mm', 'dd', 'hh', 'mi', 'ss'] as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** The placeholder names used in a template, in order. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

/**
 * Checks a template against the names it may use. Returns a message naming the first problem, or undefined.
 * `allowed` undefined: any well-formed name (the columns are only known per file, e.g. CUCM).
 */
export function templateProblem(template: string, allowed?: ReadonlySet<string>): string | undefined {
  if (!template.trim()) return 'the recording template is empty';
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) return 'the recording template has an unmatched "{" or "}"';
  for (const name of placeholdersOf(template)) {
    if (!NAME.test(name)) return `"{${name}}" is not a placeholder name`;
    if (allowed && !allowed.has(name)) {
      return `unknown placeholder "{${name}}"; use one of ${[...allowed].map((n) => `{${n}}`).join(' ')}`;
    }
  }
  return undefined;
}

export function isUrl(text: string): boolean {
  return /^https?:\/\//i.test(text);
}

/** A PBX-written location: an http(s) URL stays a URL; anything else is a local path (relative ones resolved against `baseDir`). */
export function recordingFromValue(value: string, baseDir?: string): Recording | undefined {
  const text = value.trim();
  if (!text) return undefined;
  if (isUrl(text)) return { url: text };
  return { path: baseDir && !path.isAbsolute(text) ? path.join(baseDir, text) : text };
}

/**
 * Fills a template. Values come from call data (caller numbers are chosen by whoever calls), so each is made
 * safe for where it lands: URL-encoded in a URL, and in a path stripped of separators, control characters and
 * `..`, so that no value can leave the folder the template names. A placeholder without a value gives no
 * recording (undefined) rather than a location that points at the wrong file.
 */
export function renderRecording(template: string, values: Readonly<Record<string, string | undefined>>): Recording | undefined {
  const url = isUrl(template);
  let complete = true;
  const filled = template.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name]?.trim() ?? '';
    if (!value) complete = false;
    return url ? encodeURIComponent(value) : safePathPart(value);
  });
  if (!complete) return undefined;
  return url ? { url: filled } : { path: filled };
}

function safePathPart(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[/\\\u0000-\u001f\u007f]/g, '_').replace(/\.{2,}/g, '_');
}
