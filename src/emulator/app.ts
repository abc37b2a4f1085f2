import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type Response } from 'express';
import { conversationPayloadSchema, describeIssues } from '../dstny/payload.js';
import type { Logger } from '../log/logger.js';
import { SNIFF_BYTES, sniffAudio } from './audio-sniff.js';
import { emulatorFaultsPatchSchema, emulatorWebhookSchema } from './config.js';
import { type ConversationRecord, generatedTitle, type ListFilter, listAnswer, listedConversation, matchesFilter } from './conversations.js';
import { publicTeam, publicUser, type Seed } from './seed.js';
import type { ApiRoute, EmulatorState } from './state.js';
import type { WebhookDispatcher } from './webhooks.js';

export interface EmulatorAppDeps {
  state: EmulatorState;
  seed: Seed;
  token: string;
  webhooks: WebhookDispatcher;
  logger: Logger;
  random: () => number;
  recordingTimeoutMs: number;
  /** Called for every accepted, non-dropped creation: schedules its appearance (and webhooks). */
  onCreated: (rec: ConversationRecord) => void;
}

const RECORDING_TYPES = ['meeting', 'call', 'live'];
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A named refusal of a list parameter: answered 422 naming the parameter. */
class QueryParamError extends Error {
  constructor(
    readonly param: string,
    message: string,
  ) {
    super(message);
  }
}

function sameSecret(given: string, expected: string): boolean {
  // Hash both so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function classify(method: string, path: string): ApiRoute {
  const p = path.replace(/\/+$/, '');
  if (p === '/conversations') return method === 'POST' ? 'create' : method === 'GET' ? 'list' : 'other';
  if (/^\/conversations\/[^/]+$/.test(p) && method === 'GET') return 'get';
  if (p === '/users' && method === 'GET') return 'users';
  if (p === '/global-filters' && method === 'GET') return 'globalFilters';
  return 'other';
}

/** `name` and `name[]` (the documented array form), in order. */
function params(search: URLSearchParams, name: string): string[] {
  return [...search.getAll(name), ...search.getAll(`${name}[]`)].filter((v) => v !== '');
}

export function parseListFilter(search: URLSearchParams): ListFilter {
  const filter: ListFilter = {};
  const text = search.get('search');
  if (text) filter.search = text;
  for (const [param, key] of [
    ['global_start', 'start'],
    ['global_end', 'end'],
  ] as const) {
    const value = search.get(param);
    if (!value) continue;
    if (!DATE.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
      throw new QueryParamError(param, `${param}: expected a date (YYYY-MM-DD), got "${value}"`);
    }
    filter[key] = value;
  }
  const types = params(search, 'recording_types');
  for (const t of types) {
    if (!RECORDING_TYPES.includes(t)) throw new QueryParamError('recording_types', `recording_types: "${t}" is not one of ${RECORDING_TYPES.join(', ')}`);
  }
  if (types.length) filter.recordingTypes = types;
  const users = params(search, 'global_user_ids');
  for (const u of users) {
    if (!/^\d+$/.test(u)) throw new QueryParamError('global_user_ids', `global_user_ids: expected integers, got "${u}"`);
  }
  if (users.length) filter.userIds = users.map(Number);
  const teams = params(search, 'global_team_ids');
  if (teams.length) filter.teamIds = teams;
  return filter;
}

/** Laravel-style validation body: a message naming the first field, and every problem by field. */
function validationBody(problems: Array<{ field: string; message: string }>): Record<string, unknown> {
  const errors: Record<string, string[]> = {};
  for (const p of problems) (errors[p.field] ??= []).push(p.message);
  const first = problems[0];
  const message = first ? `${first.field}: ${first.message}` : 'invalid request';
  return { message, errors };
}

/**
 * At most `max` bytes from the start of a body, then the rest is cancelled: a recording can be hours long and
 * only its first bytes say whether it is audio. Reads fail as the fetch does when its signal fires.
 */
async function firstBytes(body: ReadableStream<Uint8Array> | null, max: number): Promise<Uint8Array> {
  if (!body) return new Uint8Array(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } finally {
    // Releases the connection; a body that already failed has nothing left to cancel.
    await reader.cancel().catch(() => undefined);
  }
  const bytes = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return bytes.subarray(0, max);
}

async function checkRecording(url: string, timeoutMs: number): Promise<string | null> {
  try {
    const res = await fetch(url, { method: 'GET', redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
    if (res.status !== 200) {
      await res.body?.cancel();
      return `the recording URL answered HTTP ${res.status}; it must answer 200`;
    }
    // Dstny analyses what it downloads: a 200 login page or storage error document is as useless as a 404.
    const sniffed = sniffAudio(await firstBytes(res.body, SNIFF_BYTES));
    if (sniffed.audio) return null;
    const type = res.headers.get('content-type');
    return `the recording URL answered 200 but not with audio: it sent ${sniffed.looksLike}${type ? ` (content-type ${type})` : ''}; Dstny reads WAV, MP3, AAC, Ogg, FLAC, MP4/M4A and WebM recordings`;
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return `the recording URL could not be fetched (${cause ?? (error as Error).name})`;
  }
}

export function createEmulatorApp(deps: EmulatorAppDeps): express.Express {
  const { state, seed, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  // It is a test double and says so on every response.
  app.use((_req, res, next) => {
    res.setHeader('x-emulator', 'callbridge');
    next();
  });

  const authorized = (req: Request): boolean => {
    const header = req.get('authorization') ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    return match !== null && sameSecret(match[1]!.trim(), deps.token);
  };

  const api = express.Router();

  api.use(async (req, res, next) => {
    const route = classify(req.method, req.path);
    state.countRequest(route, req.method, req.originalUrl);
    if (!authorized(req)) {
      state.countResponse('unauthorized');
      res.setHeader('www-authenticate', 'Bearer');
      res.status(401).json({ message: 'Unauthenticated.' });
      return;
    }
    const retryAfter = state.limiter.take(state.now());
    if (retryAfter !== null) {
      state.countResponse('rateLimited');
      res.setHeader('retry-after', retryAfter.toString());
      res.status(429).json({ message: 'Too Many Attempts.' });
      return;
    }
    next();
  });

  // A creation's body is read as it arrives, before the latency: a server that received the whole request goes
  // on with it even if the client gives up meanwhile (the "maybe delivered" case a client must look up).
  const createBody = express.json({ limit: '1mb', type: () => true });
  api.use((req, res, next) => {
    if (classify(req.method, req.path) === 'create') createBody(req, res, next);
    else next();
  });

  api.use(async (req, res, next) => {
    const route = classify(req.method, req.path);
    await state.sitOutLatency(Date.now());
    const f = state.faults;
    if (f.timeoutRate > 0 && deps.random() < f.timeoutRate) {
      // Never answered; the connection is closed when the emulator shuts down (or the client gives up).
      state.countResponse('timeout');
      return;
    }
    if (f.errorRate > 0 && deps.random() < f.errorRate) {
      state.countResponse('serverError');
      res.status(503).json({ message: 'Service Unavailable (injected by the emulator)' });
      return;
    }
    res.locals.route = route;
    next();
  });

  api.post('/conversations', async (req, res) => {
    const parsed = conversationPayloadSchema.safeParse(req.body);
    if (!parsed.success) {
      state.countResponse('invalid');
      const problems = parsed.error.issues.map((issue) => ({
        field: issue.path.length ? issue.path.join('.') : issue.code === 'unrecognized_keys' ? issue.keys.join(',') : '(body)',
        message: issue.message,
      }));
      res.status(422).json(validationBody(problems));
      return;
    }
    const payload = parsed.data;
    const f = state.faults;
    const owner = seed.users.find((u) => u.email.toLowerCase() === payload.owner_email.toLowerCase()) ?? null;
    if (f.requireKnownOwner && !owner) {
      state.countResponse('invalid');
      res.status(422).json(validationBody([{ field: 'owner_email', message: `no user with email ${payload.owner_email} in this account` }]));
      return;
    }
    if (f.fetchRecordings) {
      const problem = await checkRecording(payload.call_recording_url, deps.recordingTimeoutMs);
      if (problem) {
        state.countResponse('invalid');
        res.status(422).json(validationBody([{ field: 'call_recording_url', message: problem }]));
        return;
      }
    }
    const now = state.now();
    const rec: ConversationRecord = {
      id: randomUUID(),
      externalId: payload.call_external_id,
      payload,
      title: generatedTitle(payload),
      ownerUserId: owner?.id ?? null,
      createdAt: now,
      appearsAt: now + f.appearDelayMs,
      dropped: f.dropRate > 0 && deps.random() < f.dropRate,
    };
    const before = state.creations(rec.externalId, { live: true });
    state.addConversation(rec);
    if (before > 0 && !rec.dropped) logger.warn('emulator: duplicate conversation for one call_external_id', { externalId: rec.externalId });
    if (!rec.dropped) deps.onCreated(rec);
    if (f.lostResponseRate > 0 && deps.random() < f.lostResponseRate) {
      // Created, but the client never learns it: the connection is reset before the answer.
      state.countResponse('lostResponse');
      req.socket.destroy();
      return;
    }
    res.status(200).json({ conversation_id: rec.id });
  });

  api.get('/conversations', (req, res) => {
    let filter: ListFilter;
    try {
      filter = parseListFilter(new URL(req.originalUrl, 'http://emulator').searchParams);
    } catch (error) {
      if (!(error instanceof QueryParamError)) throw error;
      state.countResponse('invalid');
      res.status(422).json(validationBody([{ field: error.param, message: error.message.replace(/^[^:]*: /, '') }]));
      return;
    }
    const now = state.now();
    const { listShape, listEnvelope, listLimit } = state.faults;
    const found = [...state.conversations.values()]
      .filter((rec) => state.isVisible(rec, now) && matchesFilter(rec, filter, seed, listShape))
      .sort((a, b) => Date.parse(b.payload.call_start_time) - Date.parse(a.payload.call_start_time) || b.createdAt - a.createdAt);
    const items = (listLimit > 0 ? found.slice(0, listLimit) : found).map((rec) => listedConversation(rec, listShape));
    res.json(listAnswer(items, found.length, listEnvelope));
  });

  api.get('/conversations/:id', (req, res) => {
    const rec = state.conversations.get(req.params.id);
    if (!rec || !state.isVisible(rec)) {
      state.countResponse('notFound');
      res.status(404).json({ message: 'Not found.' });
      return;
    }
    // Same item shape as the list, never enveloped: one conversation is the whole answer.
    res.json(listedConversation(rec, state.faults.listShape));
  });

  api.get('/users', (_req, res) => {
    res.json(seed.users.map((u) => publicUser(u, seed)));
  });

  api.get('/global-filters', (_req, res) => {
    res.json({
      users: seed.users.map((u) => ({ id: u.id, email: u.email, name: `${u.first_name} ${u.last_name}` })),
      teams: seed.teams.map(publicTeam),
      recording_types: RECORDING_TYPES,
      campaigns: [],
      deals_status: [],
    });
  });

  api.use((req, res) => {
    state.countResponse('notFound');
    res.status(404).json({ message: `Not found: the emulator implements only the documented subset (${req.method} ${req.path})` });
  });

  app.use('/api/v2', api);

  // --- administration, for tests and benchmarks (same bearer token; not rate limited, not counted) ---
  const admin = express.Router();
  admin.use((req, res, next) => {
    if (!authorized(req)) {
      res.status(401).json({ message: 'Unauthenticated.' });
      return;
    }
    next();
  });
  admin.get('/stats', (req, res) => {
    const body: Record<string, unknown> = { ...state.stats() };
    if (req.query.creations !== undefined) body.creationsByExternalId = state.creationsByExternalId();
    res.json(body);
  });
  admin.get('/conversations', (req, res) => {
    const externalId = typeof req.query.external_id === 'string' ? req.query.external_id : undefined;
    const now = state.now();
    const recs = externalId ? state.recordsFor(externalId) : [...state.conversations.values()];
    res.json(
      recs.map((r) => ({
        id: r.id,
        external_id: r.externalId,
        created_at: r.createdAt,
        appears_at: r.appearsAt,
        dropped: r.dropped,
        visible: state.isVisible(r, now),
        // The body as received, so a test can compare what was sent with what `callbridge parse` shows.
        payload: r.payload,
      })),
    );
  });
  admin.post('/faults', express.json(), (req, res) => {
    const patch = emulatorFaultsPatchSchema.safeParse(req.body ?? {});
    if (!patch.success) {
      res.status(422).json({ message: describeIssues(patch.error).join('; ') });
      return;
    }
    const faults = state.setFaults(patch.data);
    logger.info('emulator: faults changed', { faults: patch.data });
    res.json(faults);
  });
  admin.get('/webhooks', (_req, res) => {
    res.json(deps.webhooks.list());
  });
  admin.post('/webhooks', express.json(), (req, res) => {
    const parsed = emulatorWebhookSchema.safeParse(req.body ?? {});
    if (!parsed.success) {
      res.status(422).json({ message: describeIssues(parsed.error).join('; ') });
      return;
    }
    try {
      deps.webhooks.register(parsed.data);
    } catch (error) {
      res.status(422).json({ message: (error as Error).message });
      return;
    }
    res.status(201).json(deps.webhooks.list());
  });
  admin.delete('/webhooks', (_req, res) => {
    deps.webhooks.clear();
    res.status(204).end();
  });
  admin.get('/requests', (_req, res) => {
    res.json(state.requestLog);
  });
  admin.get('/deliveries', (_req, res) => {
    res.json(deps.webhooks.deliveries);
  });
  admin.post('/reset', (_req, res) => {
    state.reset();
    res.status(204).end();
  });
  app.use('/_emulator', admin);

  app.use((req, res) => {
    res.status(404).json({ message: `Not found: ${req.method} ${req.path}` });
  });

  // Body parser errors (malformed JSON, too large) keep their status; anything else is our bug: 500.
  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (error as { status?: number }).status ?? 500;
    if (status === 400) state.countResponse('badRequest');
    if (status >= 500) logger.error('emulator: internal error', { error });
    res.status(status).json({ message: status === 400 ? `malformed JSON body: ${(error as Error).message}` : (error as Error).message });
  });

  return app;
}
