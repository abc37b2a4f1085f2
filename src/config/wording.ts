import { z } from 'zod';

/** What a key wants, told from one zod issue. */
export interface Want {
  /** In plain words: "must be at least 8 characters long", "must be one of none, bearer, basic". */
  want: string;
  /** A valid value the rule itself gives, for when the file's defaults and the schema's description have none. */
  example?: unknown;
  /** The values the key may take: a wrong one gets a "did you mean". */
  choices?: string[];
}

const english = z.locales.en().localeError;

/** A message the schema wrote itself (`.regex(re, 'use lower-case letters...')`) is kept: it already says it best. */
export function isOwnMessage(issue: z.core.$ZodIssue): boolean {
  const standard = english?.(issue as unknown as z.core.$ZodRawIssue);
  const text = typeof standard === 'string' ? standard : standard?.message;
  return text !== undefined && text !== issue.message;
}

/** The plain words for every issue code but unrecognized_keys and invalid_union, which need their context. */
export function wantOf(issue: z.core.$ZodIssue): Want {
  const plain = standardWant(issue);
  return issue.code !== 'custom' && isOwnMessage(issue) ? { ...plain, want: issue.message } : plain;
}

function standardWant(issue: z.core.$ZodIssue): Want {
  switch (issue.code) {
    case 'invalid_type':
      return { want: `expected ${typeName(issue.expected)}` };
    case 'too_small':
      return bound(issue.origin, 'min', Number(issue.minimum), issue.inclusive !== false, issue.exact === true);
    case 'too_big':
      return bound(issue.origin, 'max', Number(issue.maximum), issue.inclusive !== false, issue.exact === true);
    case 'invalid_value':
      return oneOf(issue.values);
    case 'invalid_format':
      return format(issue);
    case 'not_multiple_of':
      return { want: `must be a multiple of ${String(issue.divisor)}`, example: issue.divisor };
    default:
      return { want: issue.message };
  }
}

/** "must be one of none, bearer or basic" (just "must be X" for one). */
export function oneOf(values: readonly unknown[]): Want {
  const words = values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
  const list = words.length === 1 ? (words[0] ?? '') : `one of ${words.slice(0, -1).join(', ')} or ${words[words.length - 1] ?? ''}`;
  return { want: `must be ${list}`, example: values[0], choices: words };
}

/** zod's type names as the file's reader knows them. */
export function typeName(expected: string): string {
  const names: Record<string, string> = {
    int: 'a whole number',
    number: 'a number',
    string: 'a string',
    boolean: 'true or false',
    array: 'a list',
    object: 'a mapping (key: value)',
    record: 'a mapping (key: value)',
    null: 'an empty value',
  };
  return names[expected] ?? (/^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`);
}

function bound(origin: string, side: 'min' | 'max', n: number, inclusive: boolean, exact: boolean): Want {
  if (origin === 'string' || origin === 'array' || origin === 'set') {
    const unit = origin === 'string' ? 'character' : 'item';
    const units = `${n} ${unit}${n === 1 ? '' : 's'}`;
    const verb = origin === 'string' ? 'be' : 'list';
    const tail = origin === 'string' ? ' long' : '';
    if (exact) return { want: `must ${verb} exactly ${units}${tail}` };
    if (origin === 'string' && side === 'min' && n === 1) return { want: 'must not be empty' };
    const limit = side === 'min' ? (inclusive ? n : n + 1) : inclusive ? n : n - 1;
    return { want: `must ${verb} ${side === 'min' ? 'at least' : 'at most'} ${limit} ${unit}${limit === 1 ? '' : 's'}${tail}` };
  }
  if (side === 'min') return inclusive ? { want: `must be ${n} or more`, example: n } : { want: `must be more than ${n}`, example: n + 1 };
  return inclusive ? { want: `must be ${n} or less`, example: n } : { want: `must be less than ${n}`, example: n - 1 };
}

function format(issue: z.core.$ZodIssueInvalidStringFormat): Want {
  switch (issue.format) {
    case 'url':
      return { want: 'must be a full URL starting with http:// or https://', example: 'https://callbridge.example.com' };
    case 'email':
      return { want: 'must be an email address', example: 'anna.lindqvist@example.com' };
    case 'regex':
      return { want: `must match the regular expression ${issue.pattern ?? ''}`.trim() };
    case 'datetime':
      return { want: 'must be a date and time in ISO 8601', example: '2024-05-01T12:00:00Z' };
    case 'date':
      return { want: 'must be a date in ISO 8601', example: '2024-05-01' };
    case 'time':
      return { want: 'must be a time of day', example: '12:00:00' };
    default:
      // starts_with, ends_with, includes, uuid...: zod's own words after its "Invalid string:" are plain enough.
      return { want: issue.message.replace(/^Invalid (string|input): /, '').replace(/^Invalid (.*)$/, (_, what: string) => `must be a valid ${what}`) };
  }
}
