/** Environment variables that override the file (secrets and endpoints belong in the environment). */
export const envOverrides: ReadonlyArray<{ env: string; path: string[]; type: 'string' | 'number' }> = [
  { env: 'DSTNY_API_TOKEN', path: ['dstny', 'token'], type: 'string' },
  { env: 'DSTNY_BASE_URL', path: ['dstny', 'baseUrl'], type: 'string' },
  { env: 'CALLBRIDGE_DATA_DIR', path: ['dataDir'], type: 'string' },
  { env: 'CALLBRIDGE_HTTP_HOST', path: ['http', 'host'], type: 'string' },
  { env: 'CALLBRIDGE_HTTP_PORT', path: ['http', 'port'], type: 'number' },
  { env: 'CALLBRIDGE_PUBLIC_BASE_URL', path: ['http', 'publicBaseUrl'], type: 'string' },
  { env: 'CALLBRIDGE_SIGNING_SECRET', path: ['recordings', 'signingSecret'], type: 'string' },
  { env: 'CALLBRIDGE_WEBHOOK_SECRET', path: ['webhook', 'secret'], type: 'string' },
  { env: 'LOG_LEVEL', path: ['log', 'level'], type: 'string' },
];

/** A `${NAME}` without a value; `at` is the dotted path of the string that named it ('' for the root). */
export interface MissingVariable {
  at: string;
  name: string;
}

/** `${NAME}` (or `${NAME:-default}`) in any string value is replaced by the environment variable NAME. */
export function interpolate(value: unknown, env: NodeJS.ProcessEnv): { value: unknown; missing: MissingVariable[] } {
  const missing: MissingVariable[] = [];
  const expand = (v: unknown, at: string): unknown => {
    if (typeof v === 'string') {
      return v.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_, name: string, fallback: string | undefined) => {
        const found = env[name] || fallback;
        if (found === undefined) {
          missing.push({ at, name });
          return '';
        }
        return found;
      });
    }
    if (Array.isArray(v)) return v.map((item, i) => expand(item, `${at}[${i}]`));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, expand(item, at ? `${at}.${k}` : k)]));
    return v;
  };
  return { value: expand(value, ''), missing };
}

/** A copy of `value` with every set (non-empty) variable of envOverrides written at its path. */
export function applyEnvOverrides(value: unknown, env: NodeJS.ProcessEnv): unknown {
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

/**
 * Validation problems told in terms of the environment: each unset variable first, then the rest, leaving out what
 * the empty value of an unset variable caused, and naming the variable behind a bad value the file may not mention.
 */
export function withEnvironment(problems: readonly string[], missing: readonly MissingVariable[], env: NodeJS.ProcessEnv): string[] {
  return [
    ...missing.map((m) => `${m.at || '(root)'}: environment variable ${m.name} is not set`),
    ...problems.filter((p) => !missing.some((m) => isAtOrUnder(p, m.at))).map((p) => withEnvSource(p, env)),
  ];
}

/** `submit.rateLimit: bad` is at or under `submit`, `sources[0].auth` is under `sources[0]`. */
function isAtOrUnder(problem: string, at: string): boolean {
  if (!at) return true;
  return problem.startsWith(at) && /^[:.[]/.test(problem.slice(at.length));
}

function withEnvSource(problem: string, env: NodeJS.ProcessEnv): string {
  const o = envOverrides.find((o) => env[o.env] !== undefined && env[o.env] !== '' && problem.startsWith(`${o.path.join('.')}:`));
  return o ? `${problem} (set by environment variable ${o.env})` : problem;
}
