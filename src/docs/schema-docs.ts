import type { z } from 'zod';
import type { AdapterDefinition } from '../../adapters/types.js';
import { type ShapeNode, shapeOf } from '../config/shape.js';

/** One documented key of a zod schema: dotted path, type, default and description. */
export interface KeyDoc {
  path: string;
  type: string;
  default: string;
  description: string;
}


/** Every key of a schema, depth first, from zod's own JSON Schema export (the docs cannot drift from the code). */
export function documentKeys(schema: z.ZodType): KeyDoc[] {
  const json = shapeOf(schema);
  const out: KeyDoc[] = [];
  walk(json, '', out);
  return out;
}

function walk(node: ShapeNode, at: string, out: KeyDoc[], inheritedDescription?: string): void {
  const variants = node.oneOf ?? node.anyOf;
  if (variants && !node.properties) {
    // A discriminated union (sources, hook auth): document each variant's keys under its discriminator value.
    const objects = variants.filter((v) => v.properties);
    if (objects.length) {
      if (at) out.push({ path: at, type: 'one of', default: fmtDefault(node.default), description: node.description ?? inheritedDescription ?? '' });
      for (const v of objects) {
        const tag = Object.entries(v.properties ?? {}).find(([, p]) => p.const !== undefined);
        const label = tag ? `${at}${at ? ' ' : ''}(${tag[0]}: ${String(tag[1].const)})` : at;
        walk(v, label, out, v.description);
      }
      return;
    }
  }
  if (node.properties) {
    for (const [key, child] of Object.entries(node.properties)) {
      const p = at ? `${at}.${key}` : key;
      if (child.properties || ((child.oneOf ?? child.anyOf)?.some((v) => v.properties) && !child.items)) {
        walk(child, p, out, child.description);
      } else if (child.items?.properties || (child.items?.oneOf ?? child.items?.anyOf)?.some((v) => v.properties)) {
        out.push({ path: `${p}[]`, type: 'list', default: fmtDefault(child.default), description: child.description ?? '' });
        walk(child.items, `${p}[]`, out);
      } else {
        out.push({ path: p, type: typeOf(child), default: fmtDefault(child.default), description: child.description ?? '' });
      }
    }
  }
}

function typeOf(node: ShapeNode): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' \\| ');
  const variants = node.anyOf ?? node.oneOf;
  if (variants) return [...new Set(variants.map(typeOf))].join(' \\| ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'any'}`;
  if (node.type === 'object') return 'map';
  const base = Array.isArray(node.type) ? node.type.join(' \\| ') : (node.type ?? 'any');
  return node.format ? `${base} (${node.format})` : base;
}

function fmtDefault(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (text: string) => (text ? `\`${text.replace(/`/g, "'")}\`` : '');

/** A Markdown table of every key. */
export function keysTable(keys: KeyDoc[], prefix = ''): string {
  const rows = keys.map((k) => `| ${code(prefix + k.path)} | ${k.type.replace(/\|/g, '\\|').replace(/\\\\\|/g, '\\|')} | ${code(k.default)} | ${cell(k.description)} |`);
  return ['| key | type | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The README's adapter table: one line per registered adapter. */
export function adapterTable(adapters: readonly AdapterDefinition[]): string {
  const rows = adapters.map(
    (a) =>
      `| [\`${a.id}\`](adapters/${a.id}/README.md) | ${cell(a.summary)} | ${a.inputs.filePatterns.map((p) => `\`${p}\``).join(' ')} | ${a.inputs.contentTypes.map((t) => `\`${t}\``).join(' ')} | ${a.inputs.tail ? 'yes' : 'no'} |`,
  );
  return ['| adapter | reads | drop-folder files | hook content types | tail |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** `callbridge adapters`: each adapter with its options, for the terminal. */
export function describeAdapters(adapters: readonly AdapterDefinition[]): string {
  const parts: string[] = [];
  for (const a of adapters) {
    parts.push(`${a.id} — ${a.summary}`);
    parts.push(`  files: ${a.inputs.filePatterns.join(' ') || '-'}   hooks: ${a.inputs.contentTypes.join(' ') || '-'}   tail: ${a.inputs.tail ? 'yes' : 'no'}`);
    const keys = documentKeys(a.configSchema);
    if (keys.length) parts.push('  options:');
    for (const k of keys) parts.push(`    ${k.path} (${k.type.replace(/\\\|/g, '|')}${k.default ? `, default ${k.default}` : ''})${k.description ? `: ${k.description}` : ''}`);
    parts.push(`  example: ${JSON.stringify(a.example)}`, '');
  }
  return parts.join('\n');
}
