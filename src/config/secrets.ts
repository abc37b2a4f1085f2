import type { z } from 'zod';
import { type ShapeNode, shapeOf } from './shape.js';

declare module 'zod' {
  interface GlobalMeta {
    /**
     * A credential (`.meta({ secret: true })` on a field of a part's schema): registered with the log redactor
     * when the configuration loads, and never echoed in a problem.
     */
    secret?: boolean;
  }
}

/** The string values of the fields a schema marks secret, wherever they are in `value`. */
export function secretValues(schema: z.ZodType, value: unknown): string[] {
  return secretPaths(schema)
    .flatMap((p) => valuesAt(value, p))
    .filter((v): v is string => typeof v === 'string');
}

/**
 * Whether a key names a secret: it is the name of a field marked secret, or, for a credential word, ends like one
 * (`token`, `apiToken`; but a database `url` is secret where it is marked, not every `publicBaseUrl`). By name, not
 * by path, so that it also covers values of the wrong shape and keys the schema does not know.
 */
export function secretNameTest(schema: z.ZodType): (key: string) => boolean {
  const names = [...new Set(secretPaths(schema).map((p) => (p[p.length - 1] ?? '').toLowerCase()))].filter((n) => n && n !== ANY);
  return (key) => {
    const lower = key.toLowerCase();
    return names.some((name) => lower === name || (CREDENTIAL_WORD.test(name) && lower.endsWith(name)));
  };
}

const CREDENTIAL_WORD = /(?:token|secret|password|auth)$/;

/** Stands for any list index or map key in a path. */
const ANY = '*';

const pathsBySchema = new WeakMap<z.ZodType, string[][]>();

/**
 * Where the marked fields are, read from zod's own JSON Schema export: metadata survives `.optional()`,
 * `.describe()` and the other wrappers there, and it is a public format, unlike zod's internals.
 */
export function secretPaths(schema: z.ZodType): string[][] {
  let paths = pathsBySchema.get(schema);
  if (!paths) {
    const found: string[][] = [];
    const walk = (node: ShapeNode, at: string[]): void => {
      if (node.secret) found.push(at);
      for (const [key, child] of Object.entries(node.properties ?? {})) walk(child, [...at, key]);
      if (node.items) walk(node.items, [...at, ANY]);
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, [...at, ANY]);
      for (const variant of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(variant, at);
    };
    walk(shapeOf(schema), []);
    paths = found;
    pathsBySchema.set(schema, paths);
  }
  return paths;
}

function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  const [key, ...rest] = path;
  if (key === undefined) return [value];
  if (value === null || typeof value !== 'object') return [];
  const children = key === ANY ? Object.values(value) : [(value as Record<string, unknown>)[key]];
  return children.flatMap((child) => valuesAt(child, rest));
}
