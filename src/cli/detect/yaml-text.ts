/**
 * Block YAML with a comment on any key, and commented-out keys: what a starter config needs and a YAML
 * library's stringify does not do. Scalars are written plain only when nothing in YAML can read them as
 * another type or as syntax; everything else is single-quoted (no escapes: a regular expression stays as written).
 */

export type Comments = Record<string, string>;

/** A key written as a comment (`# key: value # note`): a value the user must supply. */
export interface CommentedKey {
  /** Dotted path below the emitted object, e.g. `fields.recording`. */
  path: string;
  value: unknown;
  note: string;
}

export interface EmitOptions {
  /** Comment for a key by its dotted path (from the object emitted), written after its value. */
  comments?: Comments;
  /** Keys written commented out, placed in the map their path names. */
  commented?: readonly CommentedKey[];
}

/** The lines of `value` (an object) at `indent` spaces, keys in their insertion order. */
export function emitMap(value: Record<string, unknown>, indent: number, opts: EmitOptions = {}, prefix = ''): string[] {
  const pad = ' '.repeat(indent);
  const lines: string[] = [];
  const note = (path: string) => (opts.comments?.[path] ? ` # ${oneLine(opts.comments[path])}` : '');
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined) continue;
    const path = prefix + key;
    if (isMap(item) && Object.keys(item).length) {
      lines.push(`${pad}${scalar(key)}:${note(path)}`);
      lines.push(...emitMap(item, indent + 2, opts, `${path}.`));
    } else {
      lines.push(`${pad}${scalar(key)}: ${inline(item)}${note(path)}`);
    }
  }
  // Commented keys of this map: directly in it, or in a child map it does not have (else that map's call writes them).
  for (const c of opts.commented ?? []) {
    if (!c.path.startsWith(prefix)) continue;
    const parts = c.path.slice(prefix.length).split('.');
    const child = value[parts[0] ?? ''];
    if (parts.length > 1 && isMap(child) && Object.keys(child).length) continue;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      lines.push(`${pad}# ${'  '.repeat(i)}${scalar(part)}:${last ? ` ${inline(c.value)} # ${oneLine(c.note)}` : ''}`);
    });
  }
  return lines;
}

/** A value on one line: a scalar, or a flow sequence / mapping of scalars. */
function inline(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (typeof v === 'string' ? quoted(v) : inline(v))).join(', ')}]`;
  if (isMap(value)) {
    const entries = Object.entries(value);
    return entries.length ? `{ ${entries.map(([k, v]) => `${typeof k === 'string' ? quotedKey(k) : k}: ${typeof v === 'string' ? quoted(v) : inline(v)}`).join(', ')} }` : '{}';
  }
  return scalar(value);
}

/** A scalar in block context. */
function scalar(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return 'null';
  const text = String(value);
  return plainSafe(text) ? text : quoted(text);
}

/** Plain only when it is a word, a path or a URL that no YAML reader takes for a number, boolean, null or syntax. */
function plainSafe(text: string): boolean {
  if (!/^[A-Za-z/][\w./@+:-]*$/.test(text)) return false;
  if (/^(?:true|false|yes|no|on|off|null|y|n)$/i.test(text)) return false;
  // "key: value" inside a scalar, or a trailing colon, reads as a mapping.
  return !/:(?:\s|$)/.test(text);
}

/** In a flow mapping `:` and `/` in a plain key invite misreading: only plain words stay unquoted. */
function quotedKey(key: string): string {
  return /^[A-Za-z_][\w-]*$/.test(key) && plainSafe(key) ? key : quoted(key);
}

/** Single-quoted (a quote doubled), or double-quoted JSON for text with line breaks or control characters. */
function quoted(text: string): string {
  if (/[\u0000-\u001f\u007f]/.test(text)) return JSON.stringify(text);
  return `'${text.replace(/'/g, "''")}'`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ');
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `text` as comment lines at `indent`, wrapped at about `width` columns; a "- " item's lines hang under its text. */
export function commentLines(text: string, indent = 0, width = 110): string[] {
  const pad = `${' '.repeat(indent)}# `;
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    const lead = /^\s*(?:- )?/.exec(paragraph)?.[0] ?? '';
    let prefix = lead;
    let line = '';
    for (const word of paragraph.slice(lead.length).split(' ')) {
      if (line && pad.length + prefix.length + line.length + word.length + 1 > width) {
        out.push(`${pad}${prefix}${line}`.trimEnd());
        prefix = ' '.repeat(lead.length);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(`${pad}${prefix}${line}`.trimEnd());
  }
  return out;
}
