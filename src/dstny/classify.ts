import type { OutcomeClass } from '../telemetry.js';

/**
 * The one place that decides what an API outcome means. Pure: no I/O, no clock except `now`.
 *
 *   2xx            → ok
 *   429            → pause the whole queue for Retry-After (seconds or HTTP date; default when absent)
 *   401, 403       → halt all submission (burn no attempts)
 *   408, 5xx       → retry with backoff (Retry-After honoured when given)
 *   network error  → retry; `maybeDelivered` when the request may have reached the server (timeout, reset)
 *   other 4xx      → fail with the API's message
 */
export type HttpOutcome =
  | { kind: 'response'; status: number; headers: Record<string, string | string[] | undefined>; body: unknown }
  | { kind: 'network'; code: string | undefined; message: string; timeout: boolean };

export type Decision =
  | { kind: 'ok' }
  | { kind: 'retry'; reason: string; delayMs: number | null; maybeDelivered: boolean }
  | { kind: 'pause'; reason: string; delayMs: number }
  | { kind: 'halt'; reason: string }
  | { kind: 'fail'; reason: string };

export interface ClassifyOptions {
  now: number;
  /** Pause used for a 429 without a usable Retry-After, ms. */
  defaultPauseMs: number;
  /** Longest pause honoured, ms (a Retry-After of a week is a misconfiguration, not a plan). */
  maxPauseMs: number;
}

/** Connection errors where the request never left this host: safe to resend. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

export function classifyOutcome(outcome: HttpOutcome, opts: ClassifyOptions): Decision {
  if (outcome.kind === 'network') {
    const what = outcome.timeout ? 'timed out' : `network error ${outcome.code ?? ''}`.trim();
    return {
      kind: 'retry',
      reason: `${what}: ${outcome.message}`,
      delayMs: null,
      maybeDelivered: outcome.timeout || !NOT_SENT_CODES.has(outcome.code ?? ''),
    };
  }
  const { status } = outcome;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const said = apiMessage(outcome.body);
  const message = said === null ? '' : `: ${said}`;
  const retryAfter = parseRetryAfter(header(outcome.headers, 'retry-after'), opts.now);
  if (status === 429) {
    const delayMs = Math.min(retryAfter ?? opts.defaultPauseMs, opts.maxPauseMs);
    return { kind: 'pause', reason: `HTTP 429${message}`, delayMs };
  }
  if (status === 401 || status === 403) return { kind: 'halt', reason: `HTTP ${status}${message}` };
  if (status === 408 || status >= 500) {
    return {
      kind: 'retry',
      reason: `HTTP ${status}${message}`,
      delayMs: retryAfter === null ? null : Math.min(retryAfter, opts.maxPauseMs),
      maybeDelivered: false,
    };
  }
  return { kind: 'fail', reason: `HTTP ${status}${message}` };
}

/** The outcome as the metrics count it (src/telemetry.ts): 429 apart from the other 4xx, `network` when nothing answered. */
export function outcomeClass(outcome: HttpOutcome): OutcomeClass {
  return statusClass(outcome.kind === 'network' ? null : outcome.status);
}

/** The class of an answer's status; null: no answer. */
export function statusClass(status: number | null): OutcomeClass {
  if (status === null) return 'network';
  if (status === 429) return '429';
  if (status >= 500) return '5xx';
  if (status >= 400) return '4xx';
  return '2xx';
}

/** Retry-After is either delay-seconds or an HTTP-date (RFC 9110 §10.2.3). Returns ms, or null when absent/unusable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  // An HTTP-date always names the day or month ("Sun, 06 Nov 1994 08:49:37 GMT"); Date.parse alone accepts "-3".
  const date = /[A-Za-z]{3}/.test(trimmed) ? Date.parse(trimmed) : Number.NaN;
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - now);
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/** What the API said, from the usual error body shapes; bounded so a HTML error page does not flood the ledger. */
export function apiMessage(body: unknown): string | null {
  let text: string | null = null;
  if (typeof body === 'string') text = body.trim() || null;
  else if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of ['message', 'error', 'detail', 'title']) {
      if (typeof b[key] === 'string') parts.push(b[key]);
    }
    if (b.errors !== undefined) parts.push(typeof b.errors === 'string' ? b.errors : JSON.stringify(b.errors));
    text = parts.length ? parts.join(': ') : JSON.stringify(body);
  }
  if (text === null) return null;
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}
