import path from 'node:path';
import { z } from 'zod';
import type { CallRecord } from '../call-record.js';

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
 * The `recordingTemplate` option of a CSV adapter: optional, described, and refused at configuration time when
 * `templateProblem` finds one (`allowed`: the placeholder names the adapter knows; all names when the columns
 * are only known from the file).
 */
export function recordingTemplateOption(description: string, allowed?: ReadonlySet<string>) {
  return z
    .string()
    .optional()
    .describe(description)
    .superRefine((t, ctx) => {
      const problem = t === undefined ? undefined : templateProblem(t, allowed);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
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

/**
 * The `pathMap` option: the PBX's recording folders as this bridge sees them, for a bridge that mounts them
 * elsewhere (or runs on another host with a copy).
 */
export function pathMapOption(pbx: string, example: { from: string; to: string }) {
  return z
    .array(
      z.strictObject({
        from: z.string().min(1).describe(`Path prefix as ${pbx} wrote it, e.g. ${example.from}.`),
        to: z.string().describe(`The same folder as this bridge sees it, e.g. ${example.to}.`),
      }),
    )
    .default([])
    .describe('Rewrites recording path prefixes (longest match first), for a bridge that mounts the recordings elsewhere.');
}

export type PathMap = ReadonlyArray<{ from: string; to: string }>;

/** `path` with its longest `pathMap` prefix rewritten (whole folder names only); as it is when none matches. */
export function mapPath(path: string, pathMap: PathMap): string {
  if (!pathMap.length) return path;
  const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
  const rule = pathMap
    .map((r) => ({ from: trim(r.from), to: trim(r.to) }))
    .sort((a, b) => b.from.length - a.from.length)
    .find((r) => path === r.from || path.startsWith(`${r.from}/`));
  return rule ? rule.to + path.slice(rule.from.length) : path;
}

/** A PBX-written location: an http(s) URL stays a URL; anything else is a local path (relative ones resolved against `baseDir`). */
export function recordingFromValue(value: string, baseDir?: string): Recording | undefined {
  const text = value.trim();
  if (!text) return undefined;
  if (isUrl(text)) return { url: text };
  return { path: baseDir && !path.isAbsolute(text) ? path.join(baseDir, text) : text };
}

/** A value source for a template: a record of values, or a function (no per-call object building on hot paths). */
export type TemplateValues = Readonly<Record<string, string | undefined>> | ((name: string) => string | undefined);

/**
 * Fills a template. Values come from call data (caller numbers are chosen by whoever calls), so each is made
 * safe for where it lands: URL-encoded in a URL, and in a path stripped of separators, control characters and
 * `..`, so that no value can leave the folder the template names. A placeholder without a value gives no
 * recording (undefined) rather than a location that points at the wrong file.
 */
export function renderRecording(template: string, values: TemplateValues): Recording | undefined {
  return compileTemplate(template)(values);
}

/** Splits a template once, for rendering it per row. */
export function compileTemplate(template: string): (values: TemplateValues) => Recording | undefined {
  const url = isUrl(template);
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const m of template.matchAll(PLACEHOLDER)) {
    literals.push(template.slice(last, m.index));
    names.push(m[1] ?? '');
    last = (m.index ?? 0) + m[0].length;
  }
  literals.push(template.slice(last));
  // Reused by every render (a render runs to its end before the next): joined, the location is one flat string
  // rather than a chain of concatenations, which is what a leg then holds while its call is assembled.
  const parts: string[] = [];
  return (values) => {
    parts.length = 0;
    parts.push(literals[0] as string);
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as string;
      const value = (typeof values === 'function' ? values(name) : values[name])?.trim();
      if (!value) return undefined;
      parts.push(url ? encodeUriPart(value) : safePathPart(value), literals[i + 1] as string);
    }
    const out = parts.join('');
    parts.length = 0;
    return url ? { url: out } : { path: out };
  };
}

/** Exactly the characters encodeURIComponent leaves as they are. */
const URI_UNRESERVED = /^[\w.!~*'()-]*$/;

/** encodeURIComponent, without a new string for the usual value that has nothing to encode (an id, a date part). */
function encodeUriPart(value: string): string {
  return URI_UNRESERVED.test(value) ? value : encodeURIComponent(value);
}

function safePathPart(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/[/\\\u0000-\u001f\u007f]/g, '_').replace(/\.{2,}/g, '_');
}
