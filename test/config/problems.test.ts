import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { validateConfig } from '../../src/config/load.js';
import { describeProblems } from '../../src/config/problems.js';
import { shapeOf, shapesAt } from '../../src/config/shape.js';
import { configProblems } from './support.js';

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

function problems(input: unknown, s: z.ZodType = schema, ex: unknown = examples): string[] {
  const parsed = s.safeParse(input, { reportInput: true });
  return parsed.success ? [] : describeProblems(parsed.error.issues, { examples: ex, isSecretName, shapeAt: (at) => shapesAt(shapeOf(s), input, at) });
}


describe('describeProblems', () => {
  it('says what was expected, what was given and, where there is one, a valid example', () => {
    expect(problems({ port: 'eighty', name: 'ab' })).toEqual([
      'port: expected a number, got "eighty"; for example 8080',
      'name: must be at least 3 characters long, got "ab"; for example abc',
    ]);
  });

  it('keeps only the type error of a value of the wrong type', () => {
    expect(problems({ name: ['a'] })).toEqual(['name: expected a string, got ["a"]; for example abc']);
  });

  it('words unknown keys of strict objects, at the root too: a "did you mean" for a near one, else the keys allowed there', () => {
    expect(problems({ nested: { b: 1 }, x: 1, y: 2 })).toEqual(['nested: unknown key "b"; the keys allowed here are a', '(root): unknown keys "x", "y"; the keys allowed here are port, name, token, zone, nested']);
    expect(problems({ prot: 1, nmae: 'abc' })).toEqual(['(root): unknown keys "prot" (did you mean port?), "nmae" (did you mean name?)']);
  });

  it('shows a problem a schema worded in full (params.plain) as written, with nothing appended', () => {
    expect(problems({ zone: 'bad' })).toEqual(['zone: "bad" is worded in full']);
  });

  it('cuts a long value short', () => {
    expect(problems({ port: 'x'.repeat(70) })).toEqual([`port: expected a number, got "${'x'.repeat(56)}...; for example 8080`]);
  });

  it('never echoes a secret, whatever its type, nor secret-named keys inside a shown value; says how to make one', () => {
    expect(problems({ token: 'short-secret' })).toEqual([
      'token: must be at least 16 characters long, got "<12 characters, not shown>"; for example the output of `openssl rand -hex 16`, set through an environment variable',
    ]);
    expect(problems({ token: ['listed-secret'] })).toEqual([
      'token: expected a string, got "<not shown>"; for example the output of `openssl rand -hex 16`, set through an environment variable',
    ]);
    expect(problems({ nested: [{ apiToken: 'inner-secret' }] })).toEqual(['nested: expected a mapping (key: value), got [{"apiToken":"<12 characters, not shown>"}]']);
  });
});

describe('describeProblems: every zod issue code in plain words, never library text', () => {
  const auth = z.discriminatedUnion('type', [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({ type: z.literal('bearer'), token: z.string().min(16) }),
    z.strictObject({ type: z.literal('basic'), username: z.string().min(1), password: z.string().min(8) }),
  ]);
  const all = z.strictObject({
    short: z.string().min(8).optional(),
    long: z.string().max(3).optional(),
    exact: z.string().length(1).optional(),
    filled: z.string().min(1).optional(),
    count: z.number().int().min(1).max(10).optional(),
    ratio: z.number().positive().optional(),
    below: z.number().lt(5).optional(),
    list: z.array(z.string()).min(1).max(2).optional(),
    mode: z.enum(['first', 'last']).optional(),
    one: z.literal(1).optional(),
    auth: auth.optional(),
    columns: z.union([z.literal('auto'), z.array(z.enum(['src', 'dst'])).min(1)]).optional(),
    url: z.url().optional(),
    email: z.email().optional(),
    id: z.string().regex(/^[a-z]+$/, 'use lower-case letters (e.g. "main")').optional(),
    code: z.string().regex(/^\d+$/).optional(),
    step: z.number().multipleOf(5).optional(),
    flag: z.boolean().optional(),
    whole: z.number().int().optional(),
    title: z
      .string()
      .refine((t) => !t.includes('{'), { error: 'no placeholders here' })
      .optional(),
  });
  const p = (input: Record<string, unknown>) => problems(input, all, {});

  it('strings: too short, too long, exact length, empty', () => {
    expect(p({ short: 'abc', long: 'abcd', exact: 'ab', filled: '' })).toEqual([
      'short: must be at least 8 characters long, got "abc"',
      'long: must be at most 3 characters long, got "abcd"',
      'exact: must be exactly 1 character long, got "ab"',
      'filled: must not be empty, got ""',
    ]);
  });

  it('numbers: bounds inclusive and exclusive, a multiple of, a whole number, each with a valid example', () => {
    expect(p({ count: 0, ratio: 0, below: 5, step: 7, whole: 1.5 })).toEqual([
      'count: must be 1 or more, got 0; for example 1',
      'ratio: must be more than 0, got 0; for example 1',
      'below: must be less than 5, got 5; for example 4',
      'step: must be a multiple of 5, got 7; for example 5',
      'whole: expected a whole number, got 1.5',
    ]);
    expect(p({ count: 11 })).toEqual(['count: must be 10 or less, got 11; for example 10']);
  });

  it('lists: too few, too many items', () => {
    expect(p({ list: [] })).toEqual(['list: must list at least 1 item, got []']);
    expect(p({ list: ['a', 'b', 'c'] })).toEqual(['list: must list at most 2 items, got ["a","b","c"]']);
  });

  it('enums and literals: the values it may take, a "did you mean" for a near miss, "for example" instead of "(valid: …)"', () => {
    expect(p({ mode: 'lats', one: 2 })).toEqual(['mode: must be one of first or last, got "lats"; did you mean last?', 'one: must be 1, got 2; for example 1']);
    expect(p({ mode: 'middle' })).toEqual(['mode: must be one of first or last, got "middle"; for example first']);
  });

  it('discriminated unions: a wrong tag with a "did you mean", a missing tag pointing at the misspelt key, then the chosen branch', () => {
    expect(p({ auth: { type: 'bearr', token: 'x' } })).toEqual(['auth.type: must be one of none, bearer or basic, got "bearr"; did you mean bearer?']);
    expect(p({ auth: { typ: 'bearer' } })).toEqual(['auth.type: is missing; it must be one of none, bearer or basic; for example none; is "typ" meant to be type?']);
    expect(p({ auth: { type: 'basic', username: 'u', password: 'x', pasword: 'y' } })).toEqual([
      'auth.password: must be at least 8 characters long, got "x"',
      'auth: unknown key "pasword"; the keys allowed here are type, username, password',
    ]);
    expect(p({ auth: { type: 'bearer', tokn: 'x'.repeat(16) } })).toEqual([
      'auth.token: expected a string, got nothing; for example the output of `openssl rand -hex 16`, set through an environment variable',
      'auth: unknown key "tokn"; did you mean token?',
    ]);
  });

  it('other unions: what each branch takes, or the problems of the branch the value fits', () => {
    expect(p({ columns: 'bogus' })).toEqual(['columns: must be auto or a list, got "bogus"']);
    expect(p({ columns: ['src', 'dts'] })).toEqual(['columns[1]: must be one of src or dst, got "dts"; did you mean dst?']);
  });

  it("formats: URL, email, a pattern with the schema's own words or without", () => {
    expect(p({ url: 'not a url', email: 'x', id: 'Main', code: 'abc' })).toEqual([
      'url: must be a full URL starting with http:// or https://, got "not a url"; for example https://callbridge.example.com',
      'email: must be an email address, got "x"; for example anna.lindqvist@example.com',
      'id: use lower-case letters (e.g. "main"), got "Main"',
      'code: must match the regular expression /^\\d+$/, got "abc"',
    ]);
  });

  it('booleans, missing values, custom refinements', () => {
    expect(p({ flag: 'yes please', title: '{x}' })).toEqual(['flag: expected true or false, got "yes please"', 'title: no placeholders here, got "{x}"']);
  });
});

describe('the real configuration: plain words and a valid example for what users get wrong', () => {
  it('never shows zod\'s own wording ("Too small", "Invalid …", ">=", "(valid: …)")', () => {
    const lines = configProblems({
      submit: { rateLimit: { perSecond: -1 }, concurency: 2 },
      normalize: { ownerAfterTransfer: 'middle', minDurationSec: -1, skip: { unanswered: 'yes' }, owners: { map: { '201': 'not-an-email' } } },
      http: { port: 99999, publicBaseUrl: 'not a url' },
      webhook: { secret: 'short' },
      sources: [
        { id: 'h', type: 'hook', adapter: 'twilio', auth: { type: 'bearr', token: 'abc' } },
        { id: 'b', type: 'hook', adapter: 'twilio', auth: { type: 'basic', username: '', password: 'abc' } },
        { id: 'c', type: 'drop', path: '/srv/cdr', adapter: 'asterisk-csv', options: { columns: 'bogus' } },
      ],
    });
    expect(lines.length).toBeGreaterThanOrEqual(12);
    for (const line of lines) expect({ line, raw: /Too (small|big)|Invalid |[<>]=|\(valid:|expected string|Unrecognized/.test(line) }).toEqual({ line, raw: false });
    expect(lines).toEqual(
      expect.arrayContaining([
        'submit.rateLimit.perSecond: must be more than 0, got -1; for example 1',
        'submit: unknown key "concurency"; did you mean concurrency?',
        'normalize.ownerAfterTransfer: must be one of first or last, got "middle"; for example first',
        'normalize.minDurationSec: must be 0 or more, got -1; for example 1',
        'normalize.owners.map.201: must be an email address, got "not-an-email"; for example anna.lindqvist@example.com',
        'http.port: must be 65535 or less, got 99999; for example 8080',
        'http.publicBaseUrl: must be a full URL starting with http:// or https://, got "not a url"; for example https://callbridge.example.com',
        'sources[0].auth.type: must be one of none, bearer, basic, hmac or twilio, got "bearr"; did you mean bearer?',
        'sources[1].auth.username: must not be empty, got ""',
        'sources[2].options.columns: must be auto or a list, got "bogus"; for example auto',
      ]),
    );
    expect(lines.find((l) => l.startsWith('sources[1].auth.password:'))).toMatch(/^sources\[1\]\.auth\.password: must be at least 8 characters long, got "<3 characters, not shown>"; for example /);
    expect(lines.find((l) => l.startsWith('webhook.secret:'))).toMatch(/^webhook\.secret: must be at least 16 characters long, got "<5 characters, not shown>"; for example /);
  });

  it('names a misspelt key of an adapter\'s options from that adapter\'s schema', () => {
    expect(configProblems({ sources: [{ id: 'a', type: 'drop', path: '/srv/cdr', adapter: 'asterisk-csv', options: { recordingDirr: '/x' } }] })).toEqual([
      'sources[0].options: unknown key "recordingDirr"; did you mean recordingDir?',
    ]);
  });

  it('defaultCountry: a country libphonenumber knows, in plain words with an example; lower case is fine', () => {
    for (const bad of ['XX', 'SWE', 'Sweden', '']) {
      expect(configProblems({ normalize: { defaultCountry: bad } })).toEqual([
        `normalize.defaultCountry: unknown country ${JSON.stringify(bad)}; use the two-letter ISO 3166 code of the country the PBX is in, for example SE (Sweden), NO, DK, FI, DE or GB`,
      ]);
    }
    expect(validateConfig({ normalize: { defaultCountry: 'se' } }).normalize.defaultCountry).toBe('se');
    expect(validateConfig({ normalize: { defaultCountry: 'GB' } }).normalize.defaultCountry).toBe('GB');
  });
});
