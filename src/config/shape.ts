import { z } from 'zod';

/** The parts of zod's JSON Schema export that say what a place in the file may hold. */
export interface ShapeNode {
  type?: string | string[];
  properties?: Record<string, ShapeNode>;
  items?: ShapeNode;
  additionalProperties?: ShapeNode | boolean;
  anyOf?: ShapeNode[];
  oneOf?: ShapeNode[];
  allOf?: ShapeNode[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  description?: string;
  format?: string;
  secret?: boolean;
}

const shapes = new WeakMap<z.ZodType, ShapeNode>();

/** A schema as JSON Schema (its input side), made once: a public format, unlike zod's internals. */
export function shapeOf(schema: z.ZodType): ShapeNode {
  let shape = shapes.get(schema);
  if (!shape) {
    shape = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as ShapeNode;
    shapes.set(schema, shape);
  }
  return shape;
}

/**
 * The nodes the value at `path` of `input` is checked against. Of a union, the branches whose constants (a `type:`
 * discriminator) the input matches, or all of them when none does.
 */
export function shapesAt(root: ShapeNode, input: unknown, path: readonly PropertyKey[]): ShapeNode[] {
  let nodes = branches(root, input);
  let value = input;
  for (const key of path) {
    const next: ShapeNode[] = [];
    for (const node of nodes) {
      const child =
        typeof key === 'number' ? node.items : (node.properties?.[String(key)] ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined));
      if (child) next.push(child);
    }
    value = value !== null && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key as string] : undefined;
    nodes = next.flatMap((node) => branches(node, value));
  }
  return nodes;
}

/** The keys a mapping at this place may have. */
export function keysOf(nodes: readonly ShapeNode[]): string[] {
  return [...new Set(nodes.flatMap((node) => Object.keys(node.properties ?? {})))];
}

function branches(node: ShapeNode, value: unknown): ShapeNode[] {
  if (node.allOf) return node.allOf.flatMap((n) => branches(n, value));
  const options = node.anyOf ?? node.oneOf;
  if (!options) return [node];
  const all = options.flatMap((n) => branches(n, value));
  const matching = all.filter((n) => constantsMatch(n, value));
  return matching.length ? matching : all;
}

/** Every property the branch fixes to a constant has that value in the input (and it fixes at least one). */
function constantsMatch(node: ShapeNode, value: unknown): boolean {
  const fixed = Object.entries(node.properties ?? {}).filter(([, p]) => 'const' in p);
  if (!fixed.length || value === null || typeof value !== 'object') return false;
  return fixed.every(([key, p]) => (value as Record<string, unknown>)[key] === p.const);
}
