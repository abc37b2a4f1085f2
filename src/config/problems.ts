import type { z } from 'zod';

export interface ProblemContext {
  /** Shaped like the input: where it holds a plain value, that value is shown as a valid one. */
  examples: unknown;
  /** Keys whose values are never shown, whatever their type. */
  isSecretName: (key: string) => boolean;
}

/**
 * One line per problem, `path: what is wrong`, in words a user of the file understands. A refinement in a part's
 * schema that words its problem in full, the value included where it helps, adds it with `params: { plain: true }`:
 * it is shown as written, nothing appended.
 */
export function describeProblems(issues: readonly z.core.$ZodIssue[], context: ProblemContext): string[] {
  return withoutFollowUps(issues).map((issue) => describeIssue(issue, context));
}

/** A value as a problem quotes it: JSON, cut short, secret-named keys inside it hidden. */
function describeValue(value: unknown, isSecretName: (key: string) => boolean = () => false): string {
  if (value === undefined) return 'nothing';
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

function describeIssue(issue: z.core.$ZodIssue, { examples, isSecretName }: ProblemContext): string {
  const where = formatPath(issue.path) || '(root)';
  if (issue.code === 'custom' && issue.params?.plain === true) return `${where}: ${issue.message}`;
  // Not registered for redaction yet: a secret with a problem is described, never echoed.
  if (isSecretName(String(issue.path[issue.path.length - 1] ?? '')) && 'input' in issue && issue.input !== undefined) {
    issue = { ...issue, input: hidden(issue.input) } as z.core.$ZodIssue;
  }
  let message: string;
  if (issue.code === 'invalid_type') {
    message = `expected ${article(issue.expected)}, got ${describeValue(issue.input, isSecretName)}`;
  } else if (issue.code === 'unrecognized_keys') {
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  } else {
    message = issue.message;
    if ('input' in issue && issue.input !== undefined && issue.code !== 'invalid_union') message += `, got ${describeValue(issue.input, isSecretName)}`;
  }
  const example = lookup(examples, issue.path);
  if (example !== undefined && typeof example !== 'object') message += ` (valid: ${JSON.stringify(example)})`;
  return `${where}: ${message}`;
}

function lookup(value: unknown, p: ReadonlyArray<PropertyKey>): unknown {
  let node = value;
  for (const key of p) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return node;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

const hidden = (v: unknown): string => (typeof v === 'string' ? `<${v.length} characters, not shown>` : '<not shown>');
