import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import nock from 'nock';
import { createLogger } from '../../src/log/logger.js';
import { registerSecret } from '../../src/log/redact.js';
import { DstnyClient } from '../../src/dstny/client.js';
import { AuthError, PermanentApiError, RateLimitedError, RetryableApiError, UnexpectedResponseError } from '../../src/dstny/errors.js';
import { payloadFor } from '../support/rows.js';

const BASE = 'https://dstny.test';
const TOKEN = 'tok_live_abcdef123456';
const client = (timeoutMs = 2000) => new DstnyClient({ baseUrl: BASE, token: TOKEN, timeoutMs });

beforeAll(() => {
  nock.disableNetConnect();
});
afterEach(() => {
  nock.cleanAll();
});
afterAll(() => {
  nock.enableNetConnect();
  nock.restore();
});

describe('DstnyClient against nock', () => {
  it('tells the metrics each request kind, its answer class and how long it took', async () => {
    const seen: Array<[string, string, number]> = [];
    const began = performance.now();
    const counted = new DstnyClient({ baseUrl: BASE, token: TOKEN, timeoutMs: 2000, telemetry: { apiAnswered: (kind, outcome, seconds) => seen.push([kind, outcome, seconds]) } });
    nock(BASE).post('/api/v2/conversations').reply(429, {}, { 'retry-after': '1' }).post('/api/v2/conversations').reply(503).get('/api/v2/users').reply(200, []);
    await expect(counted.createConversation(payloadFor('c-1'))).rejects.toBeInstanceOf(RateLimitedError);
    await expect(counted.createConversation(payloadFor('c-1'))).rejects.toBeInstanceOf(RetryableApiError);
    await expect(counted.listUsers()).resolves.toEqual([]);
    nock(BASE).get('/api/v2/conversations/x').replyWithError({ code: 'ECONNRESET', message: 'socket hang up' });
    await expect(counted.getByPath('/api/v2/conversations/x')).rejects.toBeInstanceOf(RetryableApiError);
    expect(seen.map(([kind, outcome]) => `${kind} ${outcome}`)).toEqual(['create 429', 'create 5xx', 'users 2xx', 'lookup network']);
    const whole = (performance.now() - began) / 1000;
    for (const [, , seconds] of seen) expect(seconds).toBeGreaterThanOrEqual(0);
    expect(seen.reduce((sum, [, , seconds]) => sum + seconds, 0)).toBeLessThanOrEqual(whole);
  });

  it('posts the exact body with the bearer token and our user agent, and returns the conversation id', async () => {
    const payload = payloadFor('c-1');
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}`, 'user-agent': /^callbridge\/\d+\.\d+\.\d+/ } })
      .post('/api/v2/conversations', (body) => JSON.stringify(body) === JSON.stringify(payload))
      .reply(201, { conversation_id: '1f07d9fe-b515-6c3e-8fd2-ce54fb85a059' });
    await expect(client().createConversation(payload)).resolves.toEqual({ conversationId: '1f07d9fe-b515-6c3e-8fd2-ce54fb85a059', status: 201 });
    expect(scope.isDone()).toBe(true);
  });

  it('turns a 429 into RateLimitedError carrying Retry-After, and makes no second attempt itself', async () => {
    const scope = nock(BASE).post('/api/v2/conversations').reply(429, { message: 'slow down' }, { 'Retry-After': '3' });
    const error = await client().createConversation(payloadFor('c-2')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(3000);
    expect(scope.isDone()).toBe(true);
  });

  it('turns 5xx into a retryable error', async () => {
    nock(BASE).post('/api/v2/conversations').reply(502, 'Bad Gateway');
    const error = await client().createConversation(payloadFor('c-3')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableApiError);
    expect(error).toMatchObject({ status: 502, maybeDelivered: false });
  });

  it('turns a timeout into a retryable error that may have been delivered', async () => {
    nock(BASE).post('/api/v2/conversations').delay(500).reply(200, { conversation_id: 'late' });
    const error = await client(100).createConversation(payloadFor('c-4')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RetryableApiError);
    expect(error).toMatchObject({ status: null, maybeDelivered: true });
  });

  it.each([400, 422])('does not retry %i and keeps the API message', async (status) => {
    const scope = nock(BASE).post('/api/v2/conversations').once().reply(status, { message: 'owner_email: no such user' });
    const error = await client().createConversation(payloadFor('c-5')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentApiError);
    expect((error as PermanentApiError).apiMessage).toBe(`HTTP ${status}: owner_email: no such user`);
    expect(scope.isDone()).toBe(true);
  });

  it('turns 401 into AuthError; logging it, or a failed request, never shows the token', async () => {
    registerSecret(TOKEN);
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = createLogger({ format: 'json', stream: sink, level: 'debug' });
    nock(BASE).post('/api/v2/conversations').reply(401, { message: `token ${TOKEN} is expired` });
    const authError = await client().createConversation(payloadFor('c-6')).catch((e: unknown) => e);
    expect(authError).toBeInstanceOf(AuthError);
    expect((authError as AuthError).status).toBe(401);
    nock(BASE).post('/api/v2/conversations').replyWithError({ code: 'ECONNRESET', message: `reset while sending Bearer ${TOKEN}` });
    const networkError = await client().createConversation(payloadFor('c-7')).catch((e: unknown) => e);
    expect(networkError).toBeInstanceOf(RetryableApiError);
    logger.error('submission halted', { error: authError });
    logger.warn(`retrying: ${(networkError as Error).message}`, { error: networkError, headers: { authorization: `Bearer ${TOKEN}` } });
    await new Promise((resolve) => setImmediate(resolve));
    const text = lines.join('');
    expect(lines).toHaveLength(2);
    expect(text).toContain('Dstny refused the API token');
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(TOKEN);
  });

  it('lists conversations with array filters as name[]=value and reads {data: [...]} or a bare array', async () => {
    nock(BASE)
      .get('/api/v2/conversations')
      .query({ global_start: '2026-11-01', 'recording_types[]': 'call' })
      .reply(200, { data: [{ id: 'a' }] });
    await expect(client().listConversations({ global_start: '2026-11-01', recording_types: ['call'] })).resolves.toEqual([{ id: 'a' }]);
    nock(BASE).get('/api/v2/users').reply(200, [{ email: 'john.doe@example.com' }]);
    await expect(client().listUsers()).resolves.toEqual([{ email: 'john.doe@example.com' }]);
  });

  it('refuses a list answer it cannot read instead of calling it empty', async () => {
    nock(BASE).get('/api/v2/conversations').reply(200, { total: 3, rows_v3: [{ id: 'a' }] });
    const error = await client().listConversations({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnexpectedResponseError);
    expect((error as Error).message).toBe('GET api/v2/conversations answered an object with keys total, rows_v3, not a list');
  });

  it('answers null for a per-id look-up that is not there yet', async () => {
    nock(BASE).get('/api/v2/conversations/nope').reply(404, { message: 'not found' });
    await expect(client().getByPath('/api/v2/conversations/nope')).resolves.toBeNull();
  });
});
