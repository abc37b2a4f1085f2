import { describe, expect, it } from '@jest/globals';
import { type HttpOutcome, apiMessage, classifyOutcome, outcomeClass, parseRetryAfter } from '../../src/dstny/classify.js';

const now = Date.parse('2026-11-29T10:00:00Z');
const opts = { now, defaultPauseMs: 60_000, maxPauseMs: 3_600_000 };
const response = (status: number, body: unknown = null, headers: Record<string, string> = {}): HttpOutcome => ({ kind: 'response', status, headers, body });

describe('classifyOutcome, status by status', () => {
  it.each([200, 201, 202, 204])('%i is ok', (status) => {
    expect(classifyOutcome(response(status, { conversation_id: 'x' }), opts)).toEqual({ kind: 'ok' });
  });

  it('429 with Retry-After in seconds pauses for that long', () => {
    expect(classifyOutcome(response(429, { message: 'Too Many Requests' }, { 'retry-after': '7' }), opts)).toEqual({
      kind: 'pause',
      reason: 'HTTP 429: Too Many Requests',
      delayMs: 7000,
    });
  });

  it('429 with Retry-After as an HTTP date pauses until then', () => {
    const decision = classifyOutcome(response(429, null, { 'retry-after': 'Sun, 29 Nov 2026 10:00:30 GMT' }), opts);
    expect(decision).toMatchObject({ kind: 'pause', delayMs: 30_000 });
  });

  it('429 without Retry-After (or with garbage) pauses for the default; a huge one is capped', () => {
    expect(classifyOutcome(response(429), opts)).toMatchObject({ kind: 'pause', delayMs: 60_000 });
    expect(classifyOutcome(response(429, null, { 'retry-after': 'soon' }), opts)).toMatchObject({ kind: 'pause', delayMs: 60_000 });
    expect(classifyOutcome(response(429, null, { 'retry-after': '999999' }), opts)).toMatchObject({ kind: 'pause', delayMs: 3_600_000 });
  });

  it.each([401, 403])('%i halts submission with the API message', (status) => {
    expect(classifyOutcome(response(status, { message: 'Invalid token' }), opts)).toEqual({ kind: 'halt', reason: `HTTP ${status}: Invalid token` });
  });

  it.each([500, 502, 503, 504, 408])('%i is retried, not known to be delivered', (status) => {
    expect(classifyOutcome(response(status, 'upstream down'), opts)).toEqual({
      kind: 'retry',
      reason: `HTTP ${status}: upstream down`,
      delayMs: null,
      maybeDelivered: false,
    });
  });

  it('503 with Retry-After retries no sooner than asked', () => {
    expect(classifyOutcome(response(503, null, { 'retry-after': '120' }), opts)).toMatchObject({ kind: 'retry', delayMs: 120_000 });
  });

  it.each([
    [400, { message: 'call_direction is invalid' }, 'HTTP 400: call_direction is invalid'],
    [404, null, 'HTTP 404'],
    [422, { errors: { owner_email: ['No user with this email'] } }, 'HTTP 422: {"owner_email":["No user with this email"]}'],
    [409, { error: 'Conflict', message: 'duplicate call_external_id' }, 'HTTP 409: duplicate call_external_id: Conflict'],
  ])('%i fails at once and keeps what the API said', (status, body, reason) => {
    expect(classifyOutcome(response(status, body), opts)).toEqual({ kind: 'fail', reason });
  });

  it('a timeout is retried but may have been delivered; a refused connection was not', () => {
    expect(classifyOutcome({ kind: 'network', code: 'ETIMEDOUT', message: 'Timeout awaiting request', timeout: true }, opts)).toMatchObject({
      kind: 'retry',
      maybeDelivered: true,
    });
    expect(classifyOutcome({ kind: 'network', code: 'ECONNRESET', message: 'socket hang up', timeout: false }, opts)).toMatchObject({
      kind: 'retry',
      maybeDelivered: true,
    });
    expect(classifyOutcome({ kind: 'network', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED', timeout: false }, opts)).toEqual({
      kind: 'retry',
      reason: 'network error ECONNREFUSED: connect ECONNREFUSED',
      delayMs: null,
      maybeDelivered: false,
    });
  });
});

describe('parseRetryAfter and apiMessage', () => {
  it('reads seconds and dates, and refuses nonsense', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter(' 15 ', now)).toBe(15_000);
    expect(parseRetryAfter('Sun, 29 Nov 2026 09:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('-3', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('bounds a long error page', () => {
    const message = apiMessage('<html>'.padEnd(5000, 'x'));
    expect(message?.length).toBe(500);
    expect(message?.endsWith('...')).toBe(true);
  });
});

describe('outcomeClass', () => {
  const answer = (status: number): HttpOutcome => ({ kind: 'response', status, headers: {}, body: null });
  it.each<[HttpOutcome, string]>([
    [answer(200), '2xx'],
    [answer(201), '2xx'],
    [answer(429), '429'],
    [answer(401), '4xx'],
    [answer(408), '4xx'],
    [answer(422), '4xx'],
    [answer(500), '5xx'],
    [answer(503), '5xx'],
    [{ kind: 'network', code: 'ECONNRESET', message: 'socket hang up', timeout: false }, 'network'],
    [{ kind: 'network', code: 'ETIMEDOUT', message: 'timeout', timeout: true }, 'network'],
  ])('%j is counted as %s', (outcome, cls) => {
    expect(outcomeClass(outcome)).toBe(cls);
  });
});
