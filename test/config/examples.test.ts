import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { adapters } from '../../adapters/registry.js';
import { runCheckConfig } from '../../src/cli/check-config.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { tempDir } from '../support/tmp.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const EXAMPLES = path.join(REPO, 'config/examples');
const SANDBOX = path.join(REPO, 'config/callbridge.yaml');

/** What a deployment puts in the environment: the token and the hook secrets the examples name. */
const ENV = {
  DSTNY_API_TOKEN: 'test-token-not-real-0001',
  FS_CDR_PASSWORD: 'fs-cdr-password-not-real',
  TWILIO_HOOK_PASSWORD: 'twilio-password-not-real',
} as const;

interface Expected {
  sources: Array<[id: string, type: string, adapter: string]>;
  /** Environment variables the file's hook secrets come from. */
  secrets: string[];
  /** Recordings are files on this host, served by the bridge (else remote URLs). */
  local: boolean;
}

const EXPECTED: Record<string, Expected> = {
  'asterisk.yaml': { sources: [['asterisk', 'tail', 'asterisk-csv']], secrets: [], local: true },
  'freeswitch.yaml': {
    sources: [
      ['fs-json', 'hook', 'freeswitch-json'],
      ['fs-xml', 'drop', 'freeswitch-xml'],
    ],
    secrets: ['FS_CDR_PASSWORD'],
    local: true,
  },
  'cucm.yaml': { sources: [['cucm', 'drop', 'cucm']], secrets: [], local: false },
  '3cx.yaml': { sources: [['3cx', 'drop', '3cx']], secrets: [], local: true },
  'twilio.yaml': { sources: [['twilio', 'hook', 'twilio']], secrets: ['TWILIO_HOOK_PASSWORD'], local: false },
  'generic.yaml': { sources: [['pbx-export', 'drop', 'generic']], secrets: [], local: true },
};

type Raw = Record<string, unknown>;
const isObject = (v: unknown): v is Raw => v !== null && typeof v === 'object' && !Array.isArray(v);
const readRaw = (file: string): Raw => parseYaml(readFileSync(file, 'utf8')) as Raw;
const obj = (v: unknown): Raw => (isObject(v) ? v : {});

/** Load expecting a ConfigError; returns it (fails the test with the config when it loads). */
function configError(load: () => unknown): ConfigError {
  let result: unknown;
  try {
    result = load();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError, but the configuration loaded: ${JSON.stringify(result).slice(0, 300)}`);
}

/** "submit.rateLimit.perSecond: expected…" → "submit.rateLimit.perSecond" */
const pathOf = (problem: string) => problem.slice(0, problem.indexOf(': '));

/** Every mapping key in a raw YAML value, with its path, skipping the keys of free-form maps (extension → email…). */
const FREE_FORM = new Set(['map', 'directionValues', 'outcomes', 'values']);
function* keyPaths(value: unknown, at: Array<string | number> = []): Generator<Array<string | number>> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) yield* keyPaths(item, [...at, i]);
  } else if (isObject(value)) {
    for (const [key, child] of Object.entries(value)) {
      yield [...at, key];
      if (!FREE_FORM.has(key)) yield* keyPaths(child, [...at, key]);
    }
  }
}

function formatPath(p: ReadonlyArray<string | number>): string {
  return p.reduce<string>((acc, k) => (typeof k === 'number' ? `${acc}[${k}]` : acc ? `${acc}.${k}` : k), '');
}

/** A copy of `raw` with the key at `keyPath` renamed (order kept). */
function renameKey(raw: unknown, keyPath: Array<string | number>, to: string): unknown {
  const copy = structuredClone(raw);
  let node: unknown = copy;
  for (const k of keyPath.slice(0, -1)) node = (node as Record<string | number, unknown>)[k];
  const parent = node as Raw;
  const from = keyPath[keyPath.length - 1] as string;
  const entries = Object.entries(parent).map(([k, v]): [string, unknown] => [k === from ? to : k, v]);
  for (const k of Object.keys(parent)) delete parent[k];
  Object.assign(parent, Object.fromEntries(entries));
  return copy;
}

/** String values of adapter options that name a recording location (folder, template, mapped path). */
function recordingLocations(options: unknown, key = ''): string[] {
  if (Array.isArray(options)) return options.flatMap((v) => recordingLocations(v, key));
  if (isObject(options)) return Object.entries(options).flatMap(([k, v]) => recordingLocations(v, k));
  return typeof options === 'string' && ['recordingDir', 'recordingTemplate', 'recording', 'to'].includes(key) ? [options] : [];
}

const insideRoot = (location: string, roots: string[]) =>
  roots.some((root) => location === root || location.startsWith(`${root.replace(/\/+$/, '')}/`));

/** `callbridge check-config` in this process: the same function the CLI runs, with its output collected. */
async function checkConfigInProcess(file: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      out += chunk.toString();
      done();
    },
  });
  const saved = { ...process.env };
  for (const key of ['DSTNY_API_TOKEN', 'DSTNY_BASE_URL', 'CALLBRIDGE_DATA_DIR', 'CALLBRIDGE_HTTP_PORT', 'CALLBRIDGE_PUBLIC_BASE_URL']) delete process.env[key];
  Object.assign(process.env, env);
  try {
    const code = await runCheckConfig(file, sink);
    return { code, out };
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

/**
 * A copy of an example as it is on a host set up for it: its host paths (/var, /srv, /mnt) under `root`, the drop
 * folders and recordings roots it names made, its owners and contacts CSVs beside it. The tailed file is not made:
 * a PBX that has not written a call yet has none.
 */
function onPreparedHost(file: string, root: string): string {
  const dir = path.join(root, path.basename(file, '.yaml'));
  mkdirSync(dir, { recursive: true });
  const copy = path.join(dir, path.basename(file));
  writeFileSync(copy, readFileSync(file, 'utf8').replace(/(^|[\s[,'"])\/(var|srv|mnt)\//gm, `$1${dir}/$2/`));
  for (const csv of ['owners.csv', 'contacts.csv']) copyFileSync(path.join(EXAMPLES, csv), path.join(dir, csv));
  const { config } = loadConfig(copy, { ...ENV });
  for (const source of config.sources) if (source.type === 'drop') mkdirSync(source.path, { recursive: true });
  for (const folder of config.recordings.roots) mkdirSync(folder, { recursive: true });
  return copy;
}

describe('config/examples', () => {
  const files = readdirSync(EXAMPLES).filter((f) => f.endsWith('.yaml')).sort();
  let host: ReturnType<typeof tempDir>;
  beforeAll(() => {
    host = tempDir('callbridge-host-');
  });
  afterAll(() => {
    host.cleanup();
  });

  it('holds one example per PBX, each checked below', () => {
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(Object.keys(EXPECTED))('%s', (name) => {
    const file = path.join(EXAMPLES, name);
    const expected = EXPECTED[name] as Expected;
    let config: Config;
    let raw: Raw;

    beforeAll(() => {
      raw = readRaw(file);
      config = loadConfig(file, { ...ENV }).config;
    });

    it('loads and validates, with the sources it describes', () => {
      expect(config.sources.map((s) => [s.id, s.type, s.adapter])).toEqual(expected.sources);
    });

    it("passes each source's options through its adapter's schema (defaults filled in)", () => {
      const rawSources = raw.sources as unknown[];
      config.sources.forEach((source, i) => {
        const adapter = adapters.find((a) => a.id === source.adapter);
        expect(adapter).toBeDefined();
        const parsed = adapter?.configSchema.parse(obj(rawSources[i]).options ?? {});
        expect(source.options).toEqual(parsed);
        // the adapter's defaults are there, so the options are the adapter's output, not the raw YAML
        expect(Object.keys(source.options).length).toBeGreaterThanOrEqual(Object.keys(obj(obj(rawSources[i]).options)).length);
      });
    });

    it('is a live configuration: the token comes only from DSTNY_API_TOKEN', () => {
      expect(config.dstny.token).toBe(ENV.DSTNY_API_TOKEN);
      expect(obj(raw.dstny)).not.toHaveProperty('token');
      const { DSTNY_API_TOKEN: _token, ...withoutToken } = ENV;
      expect(loadConfig(file, withoutToken).config.dstny.token).toBeUndefined();
      expect(config.http.publicBaseUrl).toMatch(/^https:\/\//);
    });

    it('takes every hook secret from the environment through ${VAR}, and names a missing one', () => {
      const secrets: string[] = [];
      (raw.sources as unknown[]).forEach((source, i) => {
        const auth = obj(obj(source).auth);
        for (const key of ['token', 'password', 'secret']) {
          if (!(key in auth)) continue;
          // no ${VAR:-fallback}: a fallback would be a secret written in the file
          const match = /^\$\{([A-Z0-9_]+)\}$/.exec(String(auth[key]));
          expect(match).not.toBeNull();
          const variable = match?.[1] as string;
          secrets.push(variable);
          const loaded = config.sources[i] as { auth?: Record<string, unknown> };
          expect(loaded.auth?.[key]).toBe(ENV[variable as keyof typeof ENV]);
          const { [variable as keyof typeof ENV]: _gone, ...without } = ENV;
          const error = configError(() => loadConfig(file, without));
          expect(error.problems).toEqual([`sources[${i}].auth.${key}: environment variable ${variable} is not set`]);
        }
      });
      expect(secrets).toEqual(expected.secrets);
    });

    it('submits conservatively and reconciles', () => {
      // written out in the file, not left to defaults that may change
      expect(obj(obj(raw.submit).rateLimit).perSecond).toBe(1);
      expect(obj(raw.submit).dailyQuota).toBe(1000);
      expect(config.submit.rateLimit.perSecond).toBe(1);
      expect(config.submit.dailyQuota).toBe(1000);
      expect(config.submit.concurrency).toBe(1);
      expect(isObject(raw.reconcile)).toBe(true);
      expect(config.reconcile.enabled).toBe(true);
    });

    it('sets the normalize rules: zone, country, internal numbers, trunks, owners', () => {
      const normalize = obj(raw.normalize);
      for (const key of ['timezone', 'defaultCountry', 'internalNumbers', 'trunkPatterns', 'owners']) expect(normalize).toHaveProperty(key);
      expect(config.normalize.timezone).not.toBe('UTC');
      expect(config.normalize.internalNumbers.length).toBeGreaterThan(0);
      const owners = config.normalize.owners;
      expect(Object.keys(owners.map).length > 0 || owners.csv !== undefined).toBe(true);
    });

    it(expected.local ? 'serves its local recordings: every recording location is under recordings.roots' : 'links remote recordings only', () => {
      const locations = config.sources.flatMap((s) => recordingLocations(s.options));
      const local = locations.filter((l) => !/^https?:\/\//.test(l));
      if (expected.local) {
        expect(config.recordings.roots.length).toBeGreaterThan(0);
        expect(local.length).toBeGreaterThan(0);
        for (const location of local) expect({ location, inside: insideRoot(location, config.recordings.roots) }).toEqual({ location, inside: true });
      } else {
        expect(local).toEqual([]);
      }
    });

    it('passes check-config (paths, owners and contacts CSVs included) in live mode on a host with its folders', async () => {
      const copy = onPreparedHost(file, host.dir);
      const { code, out } = await checkConfigInProcess(copy, { ...ENV });
      expect(out).toContain(`${copy}: OK`);
      expect(out).toContain('mode: live (https://copilot.dstny.se)');
      // A tailed file the PBX has not written yet is a warning naming its full path; the check still passes.
      const tails = loadConfig(copy, { ...ENV }).config.sources.flatMap((s, i) => (s.type === 'tail' ? [[i, s.path] as const] : []));
      for (const [i, tailed] of tails) expect(out).toContain(`warning: sources[${i}].path: the tailed file ${tailed} does not exist yet`);
      // They listen on every address for the PBX's hooks; the admin pages then answer only this host until http.admin is set.
      expect(out).toContain('warning: http.admin: http.host 0.0.0.0 lets other hosts connect, and http.admin is not set: the status page, /status and /metrics answer only clients on this host and refuse the rest (403).');
      expect(out.split('\n').filter((l) => l.startsWith('warning:'))).toHaveLength(tails.length + 1);
      expect(code).toBe(0);
    });

    it('fails check-config on a host without its folders, naming each by its key and full path', async () => {
      const { code, out } = await checkConfigInProcess(file, { ...ENV });
      const absent = [
        ...config.sources.flatMap((s, i) => (s.type === 'drop' && !existsSync(s.path) ? [`  - sources[${i}].path: the drop folder ${s.path} does not exist`] : [])),
        ...config.recordings.roots.flatMap((r, i) => (existsSync(r) ? [] : [`  - recordings.roots[${i}]: the recordings folder ${r} does not exist`])),
      ];
      for (const line of absent) expect(out).toContain(line);
      if (absent.length) expect(code).toBe(2);
      expect(code).toBe(out.includes('invalid configuration in') ? 2 : 0);
    });

    it('would be refused with a typo in any of its keys, naming it', () => {
      const base = structuredClone(raw);
      expect(() => validateConfig(base, name)).not.toThrow();
      let checked = 0;
      for (const keyPath of keyPaths(raw)) {
        const key = keyPath[keyPath.length - 1] as string;
        const parent = formatPath(keyPath.slice(0, -1)) || '(root)';
        const error = configError(() => validateConfig(renameKey(raw, keyPath, `${key}x`), name));
        // a renamed discriminator leaves no option to compare keys against; the missing tag is the error then
        // (and it points at the misspelt key)
        const named = key === 'type' ? `${formatPath(keyPath)}: is missing; it must be one of ` : `${parent}: unknown key "${key}x"; did you mean ${key}?`;
        expect({ key: formatPath(keyPath), named: error.problems.some((p) => p.startsWith(named)) }).toEqual({ key: formatPath(keyPath), named: true });
        checked++;
      }
      expect(checked).toBeGreaterThan(30);
    });
  });
});

describe('config/callbridge.yaml (the sandbox)', () => {
  it('loads without any environment: no token means the built-in emulator', () => {
    const { config } = loadConfig(SANDBOX, {});
    expect(config.dstny.token).toBeUndefined();
    expect(config.sources.map((s) => s.adapter)).toEqual(['asterisk-csv', 'freeswitch-json']);
  });

  it('passes check-config', async () => {
    const { code, out } = await checkConfigInProcess(SANDBOX, {});
    expect(out).toContain('OK');
    expect(out).toContain('mode: sandbox');
    expect(code).toBe(0);
  });
});

describe('loadConfig: the errors a user sees', () => {
  let tmp: ReturnType<typeof tempDir>;
  let n = 0;
  const write = (text: string): string => {
    const file = path.join(tmp.dir, `config-${++n}.yaml`);
    writeFileSync(file, text);
    return file;
  };
  beforeAll(() => {
    tmp = tempDir('callbridge-config-');
  });
  afterAll(() => {
    tmp.cleanup();
  });

  const BROKEN = `dataDir: ./data
submit:
  rateLimit:
    perSecond: ten
  dailyQuotta: 500
sources:
  - id: pbx
    type: drop
    path: /srv/cdr
    adapter: asterisk
  - id: fs
    type: hook
    adapter: freeswitch-json
    auth: { type: bearer, token: tok-SECRET-12 }
    options:
      maxDocumentBytes: -1
      directionVariabel: call_direction
  - id: ast
    type: tail
    path: /var/log/asterisk/cdr-csv/Master.csv
    adapter: asterisk-csv
    options:
      recordingTemplate: /var/spool/asterisk/monitor/{nosuchcolumn}.wav
normalize:
  timezone: Europe/Stokholm
  internalNumbers: ['^(\\d{3}$']
http:
  publicBaseUrl: not a url
recordigns:
  roots: [/tmp]
`;
  const BROKEN_PATHS = [
    '(root)',
    'http.publicBaseUrl',
    'normalize.internalNumbers[0]',
    'normalize.timezone',
    'sources[0].adapter',
    'sources[1].auth.token',
    'sources[1].options',
    'sources[1].options.maxDocumentBytes',
    'sources[2].options.recordingTemplate',
    'submit',
    'submit.rateLimit.perSecond',
  ];

  it('lists every bad path of a broken file in one error, one problem per path', () => {
    const file = write(BROKEN);
    const error = configError(() => loadConfig(file, {}));
    expect(error.file).toBe(file);
    expect(error.problems.map(pathOf).sort()).toEqual(BROKEN_PATHS);
    expect(error.message).toContain(`invalid configuration in ${file}:`);
    const problem = (p: string) => error.problems.find((x) => pathOf(x) === p) ?? '';
    expect(problem('submit.rateLimit.perSecond')).toMatch(/^submit\.rateLimit\.perSecond: expected a number, got "ten"/);
    expect(problem('submit')).toBe('submit: unknown key "dailyQuotta"; did you mean dailyQuota?');
    expect(problem('(root)')).toBe('(root): unknown key "recordigns"; did you mean recordings?');
    expect(problem('sources[0].adapter')).toMatch(/unknown adapter "asterisk"; use one of "asterisk-csv",/);
    expect(problem('sources[1].options')).toBe('sources[1].options: unknown key "directionVariabel"; did you mean directionVariable?');
    expect(problem('sources[2].options.recordingTemplate')).toContain('nosuchcolumn');
    expect(problem('normalize.timezone')).toContain('unknown time zone "Europe/Stokholm"');
    expect(problem('normalize.internalNumbers[0]')).toContain('not a valid regular expression');
    expect(error.message).not.toContain('tok-SECRET-12');
  });

  it('names a YAML syntax error by line, and stops there', () => {
    const error = configError(() => loadConfig(write('http:\n  port: 8080\n  port: 9090\nsubmit: { rateLimit: { perSecond: ten } }\n'), {}));
    expect(error.problems).toEqual(['line 3, column 3: Map keys must be unique']);
    const unclosed = configError(() => loadConfig(write('submit:\n  rateLimit:\n    perSecond: 1\n   dailyQuota: 5\n'), {}));
    expect(unclosed.problems).toHaveLength(1);
    expect(unclosed.problems[0]).toMatch(/^line 4, column \d+: /);
  });

  it('names the first YAML error only, without the token it quotes, with a hint for an unquoted ${VAR} in { }', () => {
    const error = configError(() =>
      loadConfig(
        write(`sources:
  - id: fs
    type: hook
    adapter: freeswitch-json
    auth: { type: basic, username: freeswitch, password: \${FS_CDR_PASSWORD} }
  - { id: tw, type: hook, adapter: twilio, auth: { type: bearer, token: tk-CASCADE-secret } }
`),
        { FS_CDR_PASSWORD: 'fs-password-0001' },
      ),
    );
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^line 5, column \d+: .*; inside \{ \} a \$\{VAR\} must be quoted: '\$\{VAR\}'$/);
    expect(error.message).not.toContain('tk-CASCADE-secret');
  });

  it('refuses a file that is not a mapping, and a file that is not there', () => {
    expect(configError(() => loadConfig(write('just some text\n'), {})).problems[0]).toMatch(/^\(root\): expected a mapping/);
    expect(configError(() => loadConfig(write('- a\n- b\n'), {})).problems[0]).toMatch(/^\(root\): expected a mapping \(key: value\), got \["a","b"\]/);
    const missing = path.join(tmp.dir, 'nope.yaml');
    expect(configError(() => loadConfig(missing, {})).problems).toEqual([`cannot read ${missing}: no such file`]);
  });

  describe('never echoes a secret', () => {
    const cases: Array<[what: string, yaml: string, env: Record<string, string>, secret: string, at: string]> = [
      ['a hook token too short', 'sources:\n  - { id: h, type: hook, adapter: twilio, auth: { type: bearer, token: tk-SHORT-9 } }\n', {}, 'tk-SHORT-9', 'sources[0].auth.token'],
      ['a password written as a number', 'sources:\n  - { id: h, type: hook, adapter: twilio, auth: { type: basic, username: u, password: 987654321012 } }\n', {}, '987654321012', 'sources[0].auth.password'],
      ['a token given as a list', 'dstny:\n  token: [tk-LISTED-secret]\n', {}, 'tk-LISTED-secret', 'dstny.token'],
      ['auth written as one string', 'sources:\n  - { id: h, type: hook, adapter: twilio, auth: "Bearer tk-INLINE-secret-value" }\n', {}, 'tk-INLINE-secret-value', 'sources[0].auth'],
      ['an interpolated secret too short', 'sources:\n  - { id: h, type: hook, adapter: twilio, auth: { type: bearer, token: "${HOOK_TOKEN}" } }\n', { HOOK_TOKEN: 'tk-ENV-short' }, 'tk-ENV-short', 'sources[0].auth.token'],
      ['DSTNY_API_TOKEN too short', 'dstny: {}\n', { DSTNY_API_TOKEN: 'tk-5' }, 'tk-5', 'dstny.token'],
      ['a webhook secret too short', 'webhook: { secret: wh-SHORT }\n', {}, 'wh-SHORT', 'webhook.secret'],
    ];
    it.each(cases)('%s', (_what, yaml, env, secret, at) => {
      const error = configError(() => loadConfig(write(yaml), env));
      expect(error.problems.map(pathOf)).toContain(at);
      expect(error.message).not.toContain(secret);
    });
  });

  it('names every ${VAR} missing from the environment, with the other problems, and nothing the empty value causes', () => {
    const file = write(`dstny:
  baseUrl: \${TEST_DSTNY_URL:-https://copilot.dstny.se}
sources:
  - id: fs
    type: hook
    adapter: freeswitch-json
    auth: { type: basic, username: freeswitch, password: '\${FS_CDR_PASSWORD}' }
  - id: tw
    type: hook
    adapter: twilio
    auth: { type: bearer, token: '\${TWILIO_HOOK_TOKEN}' }
submit:
  rateLimit: { perSecond: ten }
`);
    const error = configError(() => loadConfig(file, { FS_CDR_PASSWORD: '' }));
    expect(error.problems).toHaveLength(3);
    expect(error.problems[0]).toBe('sources[0].auth.password: environment variable FS_CDR_PASSWORD is not set');
    expect(error.problems[1]).toBe('sources[1].auth.token: environment variable TWILIO_HOOK_TOKEN is not set');
    expect(error.problems[2]).toMatch(/^submit\.rateLimit\.perSecond: expected a number, got "ten"/);

    const fixed = file.replace(/\.yaml$/, '-fixed.yaml');
    writeFileSync(fixed, readFileSync(file, 'utf8').replace('perSecond: ten', 'perSecond: 1'));
    const secrets = { FS_CDR_PASSWORD: 'fs-password-0001', TWILIO_HOOK_TOKEN: 'twilio-token-00000001' };
    const { config } = loadConfig(fixed, secrets);
    expect(config.dstny.baseUrl).toBe('https://copilot.dstny.se'); // the fallback
    expect(config.sources.map((s) => (s.type === 'hook' ? s.auth : undefined))).toEqual([
      { type: 'basic', username: 'freeswitch', password: 'fs-password-0001' },
      { type: 'bearer', token: 'twilio-token-00000001' },
    ]);
    expect(loadConfig(fixed, { ...secrets, TEST_DSTNY_URL: 'https://eu.dstny.example' }).config.dstny.baseUrl).toBe('https://eu.dstny.example');
  });

  it('lets DSTNY_API_TOKEN, DSTNY_BASE_URL and CALLBRIDGE_HTTP_PORT win over the file', () => {
    const file = write('dstny:\n  baseUrl: https://file.example.com\n  token: file-token-000000\nhttp:\n  port: 9000\n');
    const fromFile = loadConfig(file, {}).config;
    expect([fromFile.dstny.token, fromFile.dstny.baseUrl, fromFile.http.port]).toEqual(['file-token-000000', 'https://file.example.com', 9000]);
    const env = { DSTNY_API_TOKEN: 'env-token-111111', DSTNY_BASE_URL: 'https://env.example.com', CALLBRIDGE_HTTP_PORT: '9123' };
    const fromEnv = loadConfig(file, env).config;
    expect([fromEnv.dstny.token, fromEnv.dstny.baseUrl, fromEnv.http.port]).toEqual(['env-token-111111', 'https://env.example.com', 9123]);
    // also when the file has no such section at all
    const bare = loadConfig(write('dataDir: ./data\n'), env).config;
    expect([bare.dstny.token, bare.dstny.baseUrl, bare.http.port]).toEqual(['env-token-111111', 'https://env.example.com', 9123]);
    // an empty variable is no override
    expect(loadConfig(file, { DSTNY_API_TOKEN: '' }).config.dstny.token).toBe('file-token-000000');
  });

  it('names the environment variable behind a bad value', () => {
    const error = configError(() => loadConfig(write('http:\n  port: 9000\n'), { CALLBRIDGE_HTTP_PORT: 'eighty' }));
    expect(error.problems).toEqual([expect.stringMatching(/^http\.port: expected a number, got "eighty".*\(set by environment variable CALLBRIDGE_HTTP_PORT\)$/)]);
  });
});

describe('callbridge check-config (the CLI, as a child process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeAll(() => {
    tmp = tempDir('callbridge-cli-');
  });
  afterAll(() => {
    tmp.cleanup();
  });

  /** The real CLI under tsx, with a clean environment (no token, no jest NODE_OPTIONS). */
  function checkConfig(file: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    for (const key of ['HOME', 'TMPDIR']) if (process.env[key]) base[key] = process.env[key] as string;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/main.ts', 'check-config', '--config', file],
        { cwd: REPO, env: { ...base, ...env }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
  }

  it('exits 2 and prints each bad path of a broken file', async () => {
    const file = path.join(tmp.dir, 'broken.yaml');
    writeFileSync(
      file,
      `submit:
  rateLimit:
    perSecond: ten
sources:
  - id: pbx
    type: drop
    path: /srv/cdr
    adapter: asterisk
  - id: fs
    type: hook
    adapter: freeswitch-json
    auth: { type: basic, username: freeswitch, password: '\${FS_CDR_PASSWORD}' }
    options:
      directionVariabel: call_direction
      maxDocumentBytes: -1
  - id: tw
    type: hook
    adapter: twilio
    auth: { type: bearer, token: tk-CLI-SECRET }
unknownSection: true
`,
    );
    const { code, stdout, stderr } = await checkConfig(file, {});
    expect(stderr).toBe('');
    expect(stdout).toContain(`invalid configuration in ${file}:`);
    for (const line of [
      '  - submit.rateLimit.perSecond: expected a number, got "ten"',
      '  - sources[0].adapter: unknown adapter "asterisk"',
      '  - sources[1].auth.password: environment variable FS_CDR_PASSWORD is not set',
      '  - sources[1].options: unknown key "directionVariabel"; did you mean directionVariable?',
      '  - sources[1].options.maxDocumentBytes: ',
      '  - sources[2].auth.token: ',
      '  - (root): unknown key "unknownSection"',
    ]) {
      expect(stdout).toContain(line);
    }
    expect(stdout).not.toContain('tk-CLI-SECRET');
    expect(code).toBe(2);
  });

  it('exits 0 and prints OK for a good file', async () => {
    const copy = onPreparedHost(path.join(EXAMPLES, 'freeswitch.yaml'), tmp.dir);
    const { code, stdout } = await checkConfig(copy, { ...ENV });
    expect(stdout).toContain(`${copy}: OK`);
    expect(stdout).toContain('mode: live');
    expect(stdout).toContain('sources: fs-json (hook, freeswitch-json), fs-xml (drop, freeswitch-xml)');
    expect(stdout).not.toContain(ENV.FS_CDR_PASSWORD);
    expect(stdout).not.toContain(ENV.DSTNY_API_TOKEN);
    expect(code).toBe(0);
  });
});
