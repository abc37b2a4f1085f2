import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { IANAZone } from 'luxon';
import { parseDocument } from 'yaml';
import { safeParse, type z } from 'zod';
import { adapters } from '../../adapters/registry.js';
import type { AdapterDefinition } from '../../adapters/types.js';
import { ConfigError } from '../errors.js';
import { registerSecret } from '../log/redact.js';
import { type Config, configSchema } from './schema.js';

export const DEFAULT_CONFIG_FILE = 'config/callbridge.yaml';

/** Environment variables that override the file (secrets and endpoints belong in the environment). */
export const envOverrides: ReadonlyArray<{ env: string; path: string[]; type: 'string' | 'number' }> = [
  { env: 'DSTNY_API_TOKEN', path: ['dstny', 'token'], type: 'string' },
  { env: 'DSTNY_BASE_URL', path: ['dstny', 'baseUrl'], type: 'string' },
  { env: 'CALLBRIDGE_DATA_DIR', path: ['dataDir'], type: 'string' },
  { env: 'CALLBRIDGE_HTTP_PORT', path: ['http', 'port'], type: 'number' },
  { env: 'CALLBRIDGE_PUBLIC_BASE_URL', path: ['http', 'publicBaseUrl'], type: 'string' },
  { env: 'CALLBRIDGE_SIGNING_SECRET', path: ['recordings', 'signingSecret'], type: 'string' },
  { env: 'CALLBRIDGE_WEBHOOK_SECRET', path: ['webhook', 'secret'], type: 'string' },
  { env: 'LOG_LEVEL', path: ['log', 'level'], type: 'string' },
];

export interface LoadedConfig {
  file: string;
  config: Config;
}

/** Read, interpolate, override and validate. Throws ConfigError listing every problem by path. */
export function loadConfig(file: string = DEFAULT_CONFIG_FILE, env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const raw = readConfigFile(file);
  const missing: Array<{ at: string; name: string }> = [];
  const input = applyEnv(interpolate(raw, env, missing), env);
  let config: Config;
  try {
    config = validateConfig(input, file);
    if (missing.length) throw new ConfigError(file, []);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(file, [
      ...missing.map((m) => `${m.at || '(root)'}: environment variable ${m.name} is not set`),
      // A value left empty by a missing variable is not a second problem.
      ...error.problems.filter((p) => !missing.some((m) => isAtOrUnder(p, m.at))).map((p) => withEnvSource(p, env)),
    ]);
  }
  registerConfigSecrets(config);
  config.dataDir = path.resolve(config.dataDir);
  return { file, config };
}

function readConfigFile(file: string): unknown {
  if (!existsSync(file)) {
    if (file === DEFAULT_CONFIG_FILE) return {};
    throw new ConfigError(file, [`cannot read ${file}: no such file`]);
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(file, [`cannot read ${file}: ${(error as Error).message}`]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  const first = doc.errors[0];
  if (first) {
    // Only the first: the rest of a YAML error is usually its cascade, one line per token after it. yaml quotes the
    // offending token in its message, which may be a secret: the position says where, the token is not repeated.
    const pos = first.linePos?.[0];
    let message = (first.message.split('\n')[0] ?? first.message).replace(/ at line \d+, column \d+:?$/, '').replace(/: ".*"$/, '');
    const source = pos ? (text.split('\n')[pos.line - 1] ?? '') : '';
    if (/\{[^}]*\$\{/.test(source)) message += "; inside { } a ${VAR} must be quoted: '${VAR}'";
    throw new ConfigError(file, [pos ? `line ${pos.line}, column ${pos.col}: ${message}` : message]);
  }
  const value: unknown = doc.toJS() ?? {};
  // A lone scalar ("hello", a pasted token) is not a configuration; without this it became an empty one.
  if (typeof value !== 'object') throw new ConfigError(file, [`(root): expected a mapping of sections (dataDir, dstny, sources, ...), got ${typeof value === 'string' ? 'text' : `a ${typeof value}`}`]);
  return value;
}

/** `submit.rateLimit: bad` is at or under `submit`, `sources[0].auth` is under `sources[0]`. */
function isAtOrUnder(problem: string, at: string): boolean {
  if (!at) return true;
  return problem.startsWith(at) && /^[:.[]/.test(problem.slice(at.length));
}

/** A problem with a value the environment set names the variable: the file may not mention it at all. */
function withEnvSource(problem: string, env: NodeJS.ProcessEnv): string {
  const o = envOverrides.find((o) => env[o.env] !== undefined && env[o.env] !== '' && problem.startsWith(`${o.path.join('.')}:`));
  return o ? `${problem} (set by environment variable ${o.env})` : problem;
}

/** `${NAME}` (or `${NAME:-default}`) in any string value is replaced by the environment variable NAME. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, missing: Array<{ at: string; name: string }>, at = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
      const found = env[name] || fallback;
      if (found === undefined) {
        missing.push({ at, name });
        return '';
      }
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, missing, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, missing, at ? `${at}.${k}` : k)]),
    );
  }
  return value;
}

function applyEnv(value: unknown, env: NodeJS.ProcessEnv): unknown {
  const root = (value && typeof value === 'object' ? structuredClone(value) : {}) as Record<string, unknown>;
  for (const o of envOverrides) {
    const v = env[o.env];
    if (v === undefined || v === '') continue;
    let node = root;
    for (const key of o.path.slice(0, -1)) {
      if (!node[key] || typeof node[key] !== 'object') node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    const last = o.path[o.path.length - 1] as string;
    node[last] = o.type === 'number' && /^\d+$/.test(v) ? Number(v) : v;
  }
  return root;
}

/** The pure validation phase: no I/O. Every problem is listed with its path and, where known, a valid value. */
export function validateConfig(input: unknown, file = '(config)'): Config {
  const parsed = configSchema.safeParse(input, { reportInput: true });
  const problems: string[] = [];
  if (!parsed.success) {
    const defaults = configSchema.parse({});
    for (const issue of withoutFollowUps(parsed.error.issues)) problems.push(formatIssue(issue, defaults));
  }
  unknownKeys(configSchema, input, [], problems);
  // Adapter options and the checks across fields read the raw input, so one run lists every problem.
  const rawSources = (input as { sources?: unknown } | null)?.sources;
  const sources: unknown[] = Array.isArray(rawSources) ? rawSources : [];
  const adapterOptions = sources.map((source, i) => checkAdapterOptions(source, i, problems));
  const ids = new Set<string>();
  sources.forEach((source, i) => {
    const { id, type, adapter } = (isPlainObject(source) ? source : {}) as { id?: unknown; type?: unknown; adapter?: unknown };
    if (typeof id === 'string' && ids.has(id)) problems.push(`sources[${i}].id: "${id}" is used by another source; ids must be unique`);
    if (typeof id === 'string') ids.add(id);
    checkZone((source as { timezone?: unknown }).timezone, `sources[${i}].timezone`, problems);
    const known = adapters.find((a) => a.id === adapter);
    if (type === 'tail' && known && !known.inputs.tail) {
      problems.push(`sources[${i}].type: adapter "${known.id}" cannot be tailed; use type "drop" or "hook"`);
    }
  });
  const normalize = (input as { normalize?: unknown } | null)?.normalize;
  if (isPlainObject(normalize)) checkZone(normalize.timezone, 'normalize.timezone', problems);
  for (const list of ['internalNumbers', 'trunkPatterns'] as const) {
    const patterns = isPlainObject(normalize) ? normalize[list] : undefined;
    if (!Array.isArray(patterns)) continue;
    patterns.forEach((pattern: unknown, i) => {
      if (typeof pattern !== 'string') return;
      try {
        new RegExp(pattern);
      } catch (error) {
        problems.push(`normalize.${list}[${i}]: not a valid regular expression: ${(error as Error).message}`);
      }
    });
  }
  if (!parsed.success || problems.length) throw new ConfigError(file, problems);
  const config = parsed.data;
  config.sources.forEach((source, i) => {
    const checked = adapterOptions[i];
    if (checked) source.options = checked.options;
  });
  return config;
}

/** A misspelt zone would otherwise reject every call at run time ("unknown time zone"). */
function checkZone(zone: unknown, where: string, problems: string[]): void {
  if (typeof zone === 'string' && !IANAZone.isValidZone(zone)) {
    problems.push(`${where}: unknown time zone ${describeValue(zone)}; use an IANA name such as "Europe/Stockholm" or "UTC"`);
  }
}

/** One source's adapter and options against the registry; problems are appended, the parsed options returned. */
function checkAdapterOptions(source: unknown, i: number, problems: string[]): { adapter: AdapterDefinition; options: Record<string, unknown> } | null {
  if (!source || typeof source !== 'object') return null;
  const { adapter: id, options = {} } = source as { adapter?: unknown; options?: unknown };
  if (typeof id !== 'string') return null;
  const adapter = adapters.find((a) => a.id === id);
  if (!adapter) {
    problems.push(`sources[${i}].adapter: unknown adapter "${id}"; use one of ${adapters.map((a) => `"${a.id}"`).join(', ')}`);
    return null;
  }
  const parsed = adapter.configSchema.safeParse(options, { reportInput: true });
  unknownKeys(adapter.configSchema, options, ['sources', i, 'options'], problems);
  if (!parsed.success) {
    for (const issue of withoutFollowUps(parsed.error.issues)) problems.push(formatIssue(issue, adapter.example, ['sources', i, 'options']));
    return null;
  }
  return { adapter, options: parsed.data as Record<string, unknown> };
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
}

/** zod goes on checking a value of the wrong type (a list given for a string is also "too small"): keep the type error only. */
function withoutFollowUps(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const wrongType = new Set(issues.filter((i) => i.code === 'invalid_type').map((i) => formatPath(i.path)));
  return issues.filter((i) => i.code === 'invalid_type' || !wrongType.has(formatPath(i.path)));
}

/** The parts of a zod 4 definition the unknown-key walk reads. */
interface WalkDef {
  type: string;
  shape?: Record<string, z.core.$ZodType>;
  catchall?: z.core.$ZodType;
  innerType?: z.core.$ZodType;
  in?: z.core.$ZodType;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
  options?: z.core.$ZodType[];
  discriminator?: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Keys that a plain (non-strict) zod object would silently drop. A typo such as `submit.rateLimt` must be an
 * error, not a quiet fallback to the default. Strict objects report their own unknown keys and are only descended.
 */
function unknownKeys(schema: z.core.$ZodType, value: unknown, at: PropertyKey[], problems: string[]): void {
  const def = schema._zod.def as unknown as WalkDef;
  switch (def.type) {
    case 'object': {
      const shape = def.shape;
      if (!shape || !isPlainObject(value)) return;
      const extra = Object.keys(value).filter((k) => !Object.hasOwn(shape, k));
      if (extra.length && !def.catchall) {
        problems.push(`${formatPath(at) || '(root)'}: unknown key${extra.length > 1 ? 's' : ''} ${extra.map((k) => `"${k}"`).join(', ')}`);
      }
      for (const [key, child] of Object.entries(shape)) {
        if (Object.hasOwn(value, key)) unknownKeys(child, value[key], [...at, key], problems);
      }
      return;
    }
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      if (def.innerType) unknownKeys(def.innerType, value, at, problems);
      return;
    case 'pipe':
      if (def.in) unknownKeys(def.in, value, at, problems);
      return;
    case 'array':
      if (def.element && Array.isArray(value)) value.forEach((item, i) => unknownKeys(def.element as z.core.$ZodType, item, [...at, i], problems));
      return;
    case 'record':
      if (def.valueType && isPlainObject(value)) {
        for (const [key, item] of Object.entries(value)) unknownKeys(def.valueType, item, [...at, key], problems);
      }
      return;
    case 'union': {
      const option = unionOption(def, value);
      if (option) unknownKeys(option, value, at, problems);
      return;
    }
    default:
      return;
  }
}

/** The option a value belongs to: by its discriminator (so a value with other errors is still walked), else the first that accepts it. */
function unionOption(def: WalkDef, value: unknown): z.core.$ZodType | undefined {
  const options = def.options ?? [];
  if (def.discriminator && isPlainObject(value)) {
    const tag = value[def.discriminator];
    return options.find((o) => {
      const field = (o._zod.def as unknown as WalkDef).shape?.[def.discriminator as string];
      return field !== undefined && safeParse(field, tag).success;
    });
  }
  return options.find((o) => safeParse(o, value).success);
}

function lookup(value: unknown, p: ReadonlyArray<PropertyKey>): unknown {
  let node = value;
  for (const key of p) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return node;
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value, (key, v: unknown) => (key && SECRET_PATH.test(key) ? hidden(v) : v));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/**
 * Keys whose values are secrets: a problem with one never echoes the value, whatever its type (it is not
 * registered for redaction yet). `auth` too: `auth: "Bearer abc…"` written as one string is a credential.
 */
const SECRET_PATH = /(token|secret|password|^auth)$/i;

const hidden = (v: unknown): string => (typeof v === 'string' ? `<${v.length} characters, not shown>` : '<not shown>');

function formatIssue(issue: z.core.$ZodIssue, examples: unknown, prefix: PropertyKey[] = []): string {
  const where = formatPath([...prefix, ...issue.path]) || '(root)';
  if (SECRET_PATH.test(String(issue.path[issue.path.length - 1] ?? '')) && 'input' in issue && issue.input !== undefined) {
    issue = { ...issue, input: hidden(issue.input) } as z.core.$ZodIssue;
  }
  let message: string;
  if (issue.code === 'invalid_type') {
    message = `expected ${article(issue.expected)}, got ${describeValue(issue.input)}`;
  } else if (issue.code === 'unrecognized_keys') {
    message = `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  } else {
    message = issue.message;
    if ('input' in issue && issue.input !== undefined && issue.code !== 'invalid_union') message += `, got ${describeValue(issue.input)}`;
  }
  const example = lookup(examples, issue.path);
  if (example !== undefined && typeof example !== 'object') message += ` (valid: ${JSON.stringify(example)})`;
  return `${where}: ${message}`;
}

function registerConfigSecrets(config: Config): void {
  registerSecret(config.dstny.token);
  registerSecret(config.recordings.signingSecret);
  registerSecret(config.webhook.secret);
  registerSecret(config.webhook.signingSecret);
  for (const source of config.sources) {
    if (source.type !== 'hook') continue;
    const auth = source.auth;
    if (auth.type === 'bearer') registerSecret(auth.token);
    if (auth.type === 'basic') registerSecret(auth.password);
    if (auth.type === 'hmac') registerSecret(auth.secret);
    if (auth.type === 'twilio') registerSecret(auth.authToken);
  }
}
