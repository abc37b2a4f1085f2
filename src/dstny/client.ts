import got, { type Got, RequestError, TimeoutError } from 'got';
import { USER_AGENT } from '../version.js';
import { type ClassifyOptions, type Decision, type HttpOutcome, classifyOutcome, outcomeClass } from './classify.js';
import { AuthError, PermanentApiError, RateLimitedError, RetryableApiError, UnexpectedResponseError } from './errors.js';
import type { ConversationPayload } from './payload.js';
import { type ApiRequestKind, noTelemetry, type Telemetry } from '../telemetry.js';

export interface DstnyClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  /** Pause for a 429 without Retry-After, ms. */
  defaultPauseMs?: number;
  maxPauseMs?: number;
  /** Sees every request's outcome class and duration (the metrics). */
  telemetry?: Pick<Telemetry, 'apiAnswered'>;
}

type Answer = { statusCode: number; headers: Record<string, string | string[] | undefined>; body: string };

/**
 * The Dstny API over got. It makes exactly one attempt per call, so got's own retry is off: pausing and pacing
 * belong to the API gate (gate.ts) that wraps this client, retrying and halting to the submitter, which records
 * each outcome in the ledger.
 * Failures are thrown as typed errors from classifyOutcome's decision.
 */
export class DstnyClient {
  private readonly http: Got;
  private readonly classify: Omit<ClassifyOptions, 'now'>;
  private readonly telemetry: Pick<Telemetry, 'apiAnswered'>;

  constructor(opts: DstnyClientOptions) {
    this.http = got.extend({
      prefixUrl: opts.baseUrl.replace(/\/+$/, ''),
      headers: { authorization: `Bearer ${opts.token}`, 'user-agent': USER_AGENT, accept: 'application/json' },
      timeout: { request: opts.timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false,
    });
    this.telemetry = opts.telemetry ?? noTelemetry;
    this.classify = { defaultPauseMs: opts.defaultPauseMs ?? 60_000, maxPauseMs: opts.maxPauseMs ?? 3_600_000 };
  }

  /** POST /api/v2/conversations. `conversationId` is null if Dstny answered 2xx without one (the reconciler finds it). */
  async createConversation(payload: ConversationPayload): Promise<{ conversationId: string | null; status?: number }> {
    const outcome = await this.send('create', () => this.http.post('api/v2/conversations', { json: payload }));
    const body = this.decide(outcome);
    const id = body && typeof body === 'object' ? (body as Record<string, unknown>).conversation_id : undefined;
    return { conversationId: typeof id === 'string' && id ? id : null, status: outcome.kind === 'response' ? outcome.status : 200 };
  }

  /** GET /api/v2/conversations with the documented filters; array values are sent as `name[]=v`. */
  async listConversations(query: Record<string, string | string[]>): Promise<unknown[]> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (Array.isArray(value)) for (const v of value) params.append(`${key}[]`, v);
      else params.append(key, value);
    }
    const body = await this.call('list', () => this.http.get('api/v2/conversations', { searchParams: params }));
    return listOf(body, 'GET api/v2/conversations');
  }

  /** GET any API path (e.g. a per-id look-up); 404 → null. */
  async getByPath(apiPath: string): Promise<unknown | null> {
    const response = await this.send('lookup', () => this.http.get(apiPath.replace(/^\/+/, '')));
    if (response.kind === 'response' && response.status === 404) return null;
    return this.decide(response);
  }

  /** GET /api/v2/users (the owner directory). */
  async listUsers(): Promise<unknown[]> {
    return listOf(await this.call('users', () => this.http.get('api/v2/users')), 'GET api/v2/users');
  }

  private async call(kind: ApiRequestKind, request: () => Promise<Answer>): Promise<unknown> {
    return this.decide(await this.send(kind, request));
  }

  private async send(kind: ApiRequestKind, request: () => Promise<Answer>): Promise<HttpOutcome> {
    const started = performance.now();
    const outcome = await this.outcomeOf(request);
    this.telemetry.apiAnswered(kind, outcomeClass(outcome), (performance.now() - started) / 1000);
    return outcome;
  }

  private async outcomeOf(request: () => Promise<Answer>): Promise<HttpOutcome> {
    try {
      const response = await request();
      return { kind: 'response', status: response.statusCode, headers: response.headers, body: parseBody(response.body) };
    } catch (error) {
      if (error instanceof RequestError) {
        return { kind: 'network', code: error.code, message: error.message, timeout: error instanceof TimeoutError };
      }
      throw error;
    }
  }

  private decide(outcome: HttpOutcome): unknown {
    const decision: Decision = classifyOutcome(outcome, { ...this.classify, now: Date.now() });
    const status = outcome.kind === 'response' ? outcome.status : null;
    switch (decision.kind) {
      case 'ok':
        return outcome.kind === 'response' ? outcome.body : null;
      case 'pause':
        throw new RateLimitedError(decision.delayMs);
      case 'halt':
        throw new AuthError(status ?? 401, decision.reason);
      case 'retry':
        throw new RetryableApiError(decision.reason, status, decision.delayMs, decision.maybeDelivered);
      case 'fail':
        throw new PermanentApiError(status ?? 400, decision.reason);
    }
  }
}

function parseBody(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/**
 * The list endpoints' response shape is undocumented: accept a bare array or `{data: [...]}` and the like.
 * Anything else is an error, never an empty list: "not in the list" would make the reconciler declare
 * calls missing and send them again.
 */
function listOf(body: unknown, what: string): unknown[] {
  if (Array.isArray(body)) return body;
  if (body && typeof body === 'object') {
    for (const key of ['data', 'conversations', 'users', 'items', 'results']) {
      const v = (body as Record<string, unknown>)[key];
      if (Array.isArray(v)) return v;
    }
  }
  const shape = body === null ? 'an empty body' : Array.isArray(body) ? 'an array' : typeof body === 'object' ? `an object with keys ${Object.keys(body as object).slice(0, 8).join(', ')}` : `a ${typeof body}`;
  throw new UnexpectedResponseError(`${what} answered ${shape}, not a list`);
}
