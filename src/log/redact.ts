/**
 * Secrets never reach a log line, an error message or a status page. Every configured secret is
 * registered here at start-up and replaced by `[REDACTED]` wherever it appears, including inside
 * error objects that carry request options (got's `options.headers.authorization`).
 */
const secrets = new Set<string>();
const SECRET_KEY = /^(authorization|token|api[-_]?token|secret|password|hmac[-_]?secret|signing[-_]?secret|x-webhook-signature|cookie)$/i;
export const REDACTED = '[REDACTED]';

export function registerSecret(value: string | undefined | null): void {
  // Very short values would redact ordinary text ("1", "ok"); secrets that short are refused by config.
  if (value && value.length >= 6) secrets.add(value);
}

export function clearSecretsForTests(): void {
  secrets.clear();
}

export function redactString(text: string): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  // Bearer tokens we were never told about (e.g. a token in a request we proxied) are still hidden.
  return out.replace(/(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g, `$1 ${REDACTED}`);
}

/** Deep copy with secrets removed; handles Errors (message, stack, cause, own fields) and cycles. */
export function redact(value: unknown, seen = new WeakMap<object, unknown>(), depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 8) return '[…]';
  if (seen.has(value)) return seen.get(value);
  if (Buffer.isBuffer(value)) return `[Buffer ${value.length} bytes]`;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (const item of value) out.push(redact(item, seen, depth + 1));
    return out;
  }
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  if (value instanceof Error) {
    out.name = value.name;
    out.message = redactString(value.message);
    if (value.stack) out.stack = redactString(value.stack);
    if (value.cause !== undefined) out.cause = redact(value.cause, seen, depth + 1);
  }
  for (const [key, item] of Object.entries(value)) {
    // got errors carry `options`, `request`, `response` with sockets and agents: keep only what helps.
    if (value instanceof Error && (key === 'request' || key === 'timings' || key === 'options' || key === 'response')) {
      continue;
    }
    out[key] = SECRET_KEY.test(key) && item ? REDACTED : redact(item, seen, depth + 1);
  }
  return out;
}
