import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
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
  const config = validateConfig(applyEnv(interpolate(raw, env, file), env), file);
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
  if (doc.errors.length) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => `line ${(e.linePos?.[0]?.line ?? 0).toString()}: ${e.message.split('\n')[0] ?? e.message}`),
    );
  }
  return doc.toJS() ?? {};
}

/** `${NAME}` (or `${NAME:-default}`) in any string value is replaced by the environment variable NAME. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, file: string, at = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
      const found = env[name] || fallback;
      if (found === undefined) throw new ConfigError(file, [`${at || '(root)'}: environment variable ${name} is not set`]);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, file, `${at}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, interpolate(v, env, file, at ? `${at}.${k}` : k)]),
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
    for (const issue of parsed.error.issues) problems.push(formatIssue(issue, defaults));
  }
  // Adapter options are checked even when the rest is broken, so one run lists every problem.
  const rawSources = (input as { sources?: unknown } | null)?.sources;
  const adapterOptions = Array.isArray(rawSources) ? rawSources.map((source, i) => checkAdapterOptions(source, i, problems)) : [];
  if (!parsed.success || problems.length) throw new ConfigError(file, problems);
  const config = parsed.data;
  const ids = new Set<string>();
  config.sources.forEach((source, i) => {
    if (ids.has(source.id)) problems.push(`sources[${i}].id: "${source.id}" is used by another source; ids must be unique`);
    ids.add(source.id);
    const checked = adapterOptions[i];
    if (checked) source.options = checked.options;
    if (source.type === 'tail' && checked && !checked.adapter.inputs.tail) {
      problems.push(`sources[${i}].type: adapter "${checked.adapter.id}" cannot be tailed; use type "drop" or "hook"`);
    }
  });
  const patterns: Array<[string, string]> = [
    ...config.normalize.internalNumbers.map((p, i): [string, string] => [`internalNumbers[${i}]`, p]),
    ...config.normalize.trunkPatterns.map((p, i): [string, string] => [`trunkPatterns[${i}]`, p]),
  ];
  for (const [where, pattern] of patterns) {
    try {
      new RegExp(pattern);
    } catch (error) {
      problems.push(`normalize.${where}: not a valid regular expression: ${(error as Error).message}`);
    }
  }
  if (problems.length) throw new ConfigError(file, problems);
  return config;
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
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(formatIssue(issue, adapter.example, ['sources', i, 'options']));
    return null;
  }
  return { adapter, options: parsed.data as Record<string, unknown> };
}

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), '');
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
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const article = (t: string) => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);

/** Keys whose values are secrets: a problem with one never echoes the value (it is not registered for redaction yet). */
const SECRET_PATH = /(token|secret|password)$/i;

function formatIssue(issue: z.core.$ZodIssue, examples: unknown, prefix: PropertyKey[] = []): string {
  const where = formatPath([...prefix, ...issue.path]) || '(root)';
  if (SECRET_PATH.test(String(issue.path[issue.path.length - 1] ?? '')) && 'input' in issue) {
    issue = { ...issue, input: typeof issue.input === 'string' ? `<${issue.input.length} characters, not shown>` : issue.input } as z.core.$ZodIssue;
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
  }
}
