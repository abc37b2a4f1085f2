import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { describeProblems } from '../../src/config/problems.js';

const schema = z.strictObject({
  port: z.number().int().default(8080),
  name: z.string().min(3).default('abc'),
  token: z.string().min(16).optional(),
  zone: z
    .string()
    .default('UTC')
    .superRefine((v, ctx) => {
      if (v === 'bad') ctx.addIssue({ code: 'custom', message: `"${v}" is worded in full`, params: { plain: true } });
    }),
  nested: z.strictObject({ a: z.string().optional() }).prefault({}),
});
const examples = schema.parse({});
const isSecretName = (key: string) => /token$/i.test(key);

function problems(input: unknown): string[] {
  const parsed = schema.safeParse(input, { reportInput: true });
  return parsed.success ? [] : describeProblems(parsed.error.issues, { examples, isSecretName });
}

describe('describeProblems', () => {
  it('says what was expected, what was given and, where there is one, a valid value', () => {
    expect(problems({ port: 'eighty', name: 'ab' })).toEqual([
      'port: expected a number, got "eighty" (valid: 8080)',
      'name: Too small: expected string to have >=3 characters, got "ab" (valid: "abc")',
    ]);
  });

  it('keeps only the type error of a value of the wrong type', () => {
    expect(problems({ name: ['a'] })).toEqual(['name: expected a string, got ["a"] (valid: "abc")']);
  });

  it('words unknown keys of strict objects, at the root too', () => {
    expect(problems({ nested: { b: 1 }, x: 1, y: 2 })).toEqual(['nested: unknown key "b"', '(root): unknown keys "x", "y"']);
  });

  it('shows a problem a schema worded in full (params.plain) as written, with nothing appended', () => {
    expect(problems({ zone: 'bad' })).toEqual(['zone: "bad" is worded in full']);
  });

  it('cuts a long value short', () => {
    expect(problems({ port: 'x'.repeat(70) })).toEqual([`port: expected a number, got "${'x'.repeat(56)}... (valid: 8080)`]);
  });

  it('never echoes a secret, whatever its type, nor secret-named keys inside a shown value', () => {
    expect(problems({ token: 'short-secret' })).toEqual(['token: Too small: expected string to have >=16 characters, got "<12 characters, not shown>"']);
    expect(problems({ token: ['listed-secret'] })).toEqual(['token: expected a string, got "<not shown>"']);
    expect(problems({ nested: [{ apiToken: 'inner-secret' }] })).toEqual(['nested: expected an object, got [{"apiToken":"<12 characters, not shown>"}]']);
  });
});
