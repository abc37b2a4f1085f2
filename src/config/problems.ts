import type { z } from 'zod';
import { exampleInDescription, yamlScalar } from './example.js';
import { keysOf, type ShapeNode } from './shape.js';
import { closest } from './suggest.js';
import { oneOf, typeName, type Want, wantOf } from './wording.js';

export interface ProblemContext {
  /** Shaped like the input: where it holds a plain value, that value is shown as an example. */
  examples: unknown;
  /** Keys whose values are never shown, whatever their type. */
  isSecretName: (key: string) => boolean;
  /** The schema at a path of the input: the keys allowed there, its default and description. */
  shapeAt?: (path: readonly PropertyKey[]) => ShapeNode[];
}

/**
 * One line per problem, `path: what the key wants, got what it has; for example a valid value`, in words a user of
 * the file understands, never zod's own ("Too small: expected string to have >=8 characters"). A refinement in a
 * part's schema that words its problem in full, the value included where it helps, adds it with
 * `params: { plain: true }`: it is shown as written, nothing appended.
 */
export function describeProblems(issues: readonly z.core.$ZodIssue[], context: ProblemContext): string[] {
  return withoutFollowUps(issues).flatMap((issue) => describeIssue(issue, context));
}

function describeIssue(issue: z.core.$ZodIssue, ctx: ProblemContext): string[] {
  const where = formatPath(issue.path) || '(root)';
  if (issue.code === 'custom' && issue.params?.plain === true) return [`${where}: ${issue.message}`];
  if (issue.code === 'unrecognized_keys') return [`${where}: ${unknownKeys(issue, ctx)}`];
  if (issue.code === 'invalid_union' && !isDiscriminatorIssue(issue)) {
    // One branch took the value's shape (a list where "auto" or a list is allowed): its problems are the ones to tell.
    const fitting = issue.errors.find((branch) => branch.length > 0 && branch.every((i) => i.path.length > 0));
    if (fitting) return describeProblems(fitting.map((i) => ({ ...i, path: [...issue.path, ...i.path] }) as z.core.$ZodIssue), ctx);
  }
  const secret = ctx.isSecretName(String(issue.path[issue.path.length - 1] ?? ''));
  const { want, given, example: derived, choices, hint } = plainWords(issue);
  let message = want;
  // Not registered for redaction yet: a secret with a problem is described, never echoed.
  if (given.shown) message += `, got ${describeValue(secret && given.value !== undefined ? hidden(given.value) : given.value, ctx.isSecretName)}`;
  const meant = typeof given.value === 'string' && choices && !secret ? closest(given.value, choices) : undefined;
  if (meant) message += `; did you mean ${meant}?`;
  const example = meant ? undefined : exampleFor(issue, ctx, derived, secret);
  if (example) message += `; for example ${example}`;
  if (hint) message += `; ${hint}`;
  return [`${where}: ${message}`];
}

interface PlainWords extends Want {
  given: { shown: boolean; value?: unknown };
  hint?: string;
}

function plainWords(issue: z.core.$ZodIssue): PlainWords {
  const input = 'input' in issue ? issue.input : undefined;
  if (isDiscriminatorIssue(issue)) {
    // zod's input here is the whole mapping; the value to tell is the one under the discriminator.
    const key = issue.path[issue.path.length - 1];
    const mapping = isObject(input) ? input : {};
    const value = mapping[String(key)];
    const words = oneOf(issue.options as unknown[]);
    if (value !== undefined) return { ...words, given: { shown: true, value } };
    const near = closest(String(key), Object.keys(mapping));
    return { ...words, want: `is missing; it ${words.want}`, given: { shown: false }, ...(near ? { hint: `is "${near}" meant to be ${String(key)}?` } : {}) };
  }
  if (issue.code === 'invalid_union') return { want: `must be ${issue.errors.map(alternative).join(' or ')}`, given: { shown: input !== undefined, value: input } };
  return { ...wantOf(issue), given: { shown: issue.code === 'invalid_type' || input !== undefined, value: input } };
}

/** What one branch of a union would have taken: "auto", "a list". */
function alternative(branch: readonly z.core.$ZodIssue[]): string {
  const own = branch.find((i) => i.path.length === 0) ?? branch[0];
  if (!own) return 'something else';
  if (own.code === 'invalid_type') return typeName(own.expected);
  if (own.code === 'invalid_value') return own.values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(' or ');
  return wantOf(own).want.replace(/^must be /, '');
}

function isDiscriminatorIssue(issue: z.core.$ZodIssue): issue is z.core.$ZodIssueInvalidUnion & { discriminator: string; options: unknown[] } {
  return issue.code === 'invalid_union' && typeof (issue as { discriminator?: unknown }).discriminator === 'string' && Array.isArray((issue as { options?: unknown }).options);
}

/** `unknown key "rateLimt"; did you mean rateLimit?`, or, with nothing close, the keys allowed there. */
function unknownKeys(issue: z.core.$ZodIssueUnrecognizedKeys, ctx: ProblemContext): string {
  const allowed = ctx.shapeAt ? keysOf(ctx.shapeAt(issue.path)) : [];
  const present = isObject(issue.input) ? Object.keys(issue.input) : [];
  // A key the file already has is not what a misspelt one meant.
  const meant = (key: string) => closest(key, allowed.filter((a) => !present.includes(a)));
  const named = issue.keys.map((key) => ({ key, meant: meant(key) }));
  if (named.length === 1 && named[0]) {
    const { key, meant: m } = named[0];
    return `unknown key "${key}"${m ? `; did you mean ${m}?` : allowedHere(allowed)}`;
  }
  const list = named.map(({ key, meant: m }) => `"${key}"${m ? ` (did you mean ${m}?)` : ''}`).join(', ');
  return `unknown keys ${list}${named.some((n) => n.meant) ? '' : allowedHere(allowed)}`;
}

const allowedHere = (allowed: readonly string[]) => (allowed.length ? `; the keys allowed here are ${allowed.join(', ')}` : '');

/**
 * A valid value to show: the file's defaults, else the schema's default or the example in its description, else
 * one the rule gives. A secret gets a way to make one, never a value.
 */
function exampleFor(issue: z.core.$ZodIssue, ctx: ProblemContext, derived: unknown, secret: boolean): string | undefined {
  if (secret) {
    const stringWanted = issue.code === 'too_small' || issue.code === 'too_big' || (issue.code === 'invalid_type' && issue.expected === 'string');
    return stringWanted ? 'the output of `openssl rand -hex 16`, set through an environment variable' : undefined;
  }
  const shapes = ctx.shapeAt?.(issue.path) ?? [];
  const candidates = [
    lookup(ctx.examples, issue.path),
    ...shapes.map((s) => s.default),
    ...shapes.map((s) => exampleInDescription(s.description)),
    derived,
  ];
  const found = candidates.find((c) => c !== undefined && c !== null && typeof c !== 'object' && c !== ('input' in issue ? issue.input : undefined));
  return found === undefined ? undefined : yamlScalar(found);
}

/** A value as a problem quotes it: JSON, cut short, secret-named keys inside it hidden. */
function describeValue(value: unknown, isSecretName: (key: string) => boolean = () => false): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  const text = JSON.stringify(value, (key, v: unknown) => (key && isSecretName(key) ? hidden(v) : v));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** zod goes on checking a value of the wrong type (a list given for a string is also "too small"): keep the type error only. */
function withoutFollowUps(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)));
  return issues.filter((i) => i.code === 'invalid_type' || !wrongType.has(formatPath(i.path)));
}

function lookup(value: unknown, p: ReadonlyArray<PropertyKey>): unknown {
  let node = value;
  for (const key of p) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return node;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

const hidden = (v: unknown): string => (typeof v === 'string' ? `<${v.length} characters, not shown>` : '<not shown>');
