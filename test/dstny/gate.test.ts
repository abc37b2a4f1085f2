import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { DstnyClient } from '../../src/dstny/client.js';
import { RateLimitedError } from '../../src/dstny/errors.js';
import { ApiGate, type DstnyApi, GateClosedError } from '../../src/dstny/gate.js';
import type { ConversationPayload } from '../../src/dstny/payload.js';
import { RateLimiter } from '../../src/emulator/limiter.js';
import { type ReceivedRequest, startScriptedApi } from '../support/scripted-api.js';

const TOKEN = 'gate-test-token-0123456789';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  jest.useRealTimers();
  for (const c of cleanups.splice(0).reverse()) await c();
});

const payload = (id: string) => ({ call_external_id: id }) as unknown as ConversationPayload;

describe('ApiGate against a real HTTP server', () => {
  it('a 429 pauses every request through the gate, creations and look-ups alike, for its Retry-After', async () => {
    // Every 12th request is refused with Retry-After: 1; the server notes when each 429 left.
    const refusals: number[] = [];
    const api = await startScriptedApi((req: ReceivedRequest, seen) => {
      if (seen.length % 12 === 0) {
        refusals.push(Date.now());
        return { status: 429, body: { message: 'Too Many Attempts.' }, headers: { 'retry-after': '1' } };
      }
      return req.method === 'POST' ? { status: 200, body: { conversation_id: `c-${seen.length}` } } : { status: 200, body: [] };
    });
    cleanups.push(() => api.close());
    // What the gate controls is when a request leaves: the client is wrapped to note each departure and each 429
    // as the gate receives it. (Server arrival times also carry the loopback's delay, which a loaded machine stretches.)
    const client = new DstnyClient({ baseUrl: api.url, token: TOKEN, timeoutMs: 2_000 });
    const departures: Array<{ what: string; at: number }> = [];
    const seen429: number[] = [];
    const noted =
      <A extends unknown[], R>(what: string, request: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        departures.push({ what, at: Date.now() });
        try {
          return await request(...args);
        } catch (error) {
          if (error instanceof RateLimitedError) seen429.push(Date.now());
          throw error;
        }
      };
    const watched: DstnyApi = {
      createConversation: noted('POST', client.createConversation.bind(client)),
      listConversations: noted('GET', client.listConversations.bind(client)),
      getByPath: noted('GET', client.getByPath.bind(client)),
      listUsers: noted('GET', client.listUsers.bind(client)),
    };
    const gate = new ApiGate(watched, { perSecond: 50, concurrency: 4, adaptive: false });
    cleanups.push(() => gate.close());

    let sawPaused = false;
    const watch = setInterval(() => {
      const s = gate.status();
      if (s.pausedUntil !== null && s.pauseReason?.includes('429')) sawPaused = true;
    }, 20);
    cleanups.push(() => clearInterval(watch));

    const outcomes = await Promise.allSettled([
      ...Array.from({ length: 40 }, (_, i) => gate.createConversation(async () => payload(`call-${i}`))),
      ...Array.from({ length: 8 }, () => gate.listConversations({ global_start: '2025-04-16', global_end: '2025-04-18' })),
    ]);
    const limited = outcomes.filter((o) => o.status === 'rejected' && o.reason instanceof RateLimitedError);
    expect(limited.length).toBe(refusals.length);
    expect(refusals.length).toBe(4);
    expect(sawPaused).toBe(true);

    // From the moment the gate receives each 429 until its Retry-After (1 s) is over, nothing leaves: no creation,
    // no look-up. Only requests already on the wire when it came may still reach the server.
    expect(seen429).toHaveLength(4);
    for (const at of seen429) {
      const inside = departures.filter((d) => d.at > at && d.at < at + 990);
      expect(inside.map((d) => `${d.what} left ${d.at - at} ms after the 429`)).toEqual([]);
    }
    expect(departures).toHaveLength(48);
    // Each request was made once (the gate never retries: that is its caller's decision about its row).
    expect(api.received).toHaveLength(48);
    expect(gate.status().rateLimited).toBe(4);
  });

  it('a longer Retry-After extends the pause and a shorter one never shortens it; close() refuses what still waits', async () => {
    const api = await startScriptedApi((_req, seen) =>
      seen.length === 1
        ? { status: 429, headers: { 'retry-after': '2' } }
        : seen.length === 2
          ? { status: 429, headers: { 'retry-after': '1' } }
          : { status: 200, body: [] },
    );
    cleanups.push(() => api.close());
    const gate = new ApiGate(new DstnyClient({ baseUrl: api.url, token: TOKEN, timeoutMs: 2_000 }), { perSecond: 100, concurrency: 2, adaptive: false });
    // Two look-ups leave together: both are answered 429 (2 s, then 1 s).
    const first = await Promise.allSettled([gate.listUsers(), gate.listUsers()]);
    expect(first.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    const until = gate.status().pausedUntil!;
    expect(until - api.received[0]!.at).toBeGreaterThanOrEqual(1_900);
    const waiting = gate.listUsers();
    gate.close();
    await expect(waiting).rejects.toBeInstanceOf(GateClosedError);
    expect(api.received).toHaveLength(2);
  });
});

/** An in-process API whose only limit is a token bucket (the emulator's), on the fake clock. */
function bucketApi(perSecond: number, burst: number) {
  const limiter = new RateLimiter(perSecond, burst, Date.now());
  const accepted: number[] = [];
  const refused: number[] = [];
  let pausedUntil = 0;
  const startedInPause: number[] = [];
  const answer = async <T>(value: T): Promise<T> => {
    const now = Date.now();
    if (now < pausedUntil) startedInPause.push(now);
    await new Promise((resolve) => setTimeout(resolve, 20)); // 20 ms on the wire
    const retryAfter = limiter.take(Date.now() - 10);
    if (retryAfter !== null) {
      refused.push(now);
      pausedUntil = Math.max(pausedUntil, Date.now() + retryAfter * 1000);
      throw new RateLimitedError(retryAfter * 1000);
    }
    accepted.push(now);
    return value;
  };
  const api: DstnyApi = {
    createConversation: () => answer({ conversationId: 'c' }),
    listConversations: () => answer([]),
    getByPath: () => answer(null),
    listUsers: () => answer([]),
  };
  return { api, accepted, refused, startedInPause };
}

describe('ApiGate: the adaptive rate, ten minutes on a fake clock', () => {
  const MINUTE = 60_000;

  /** A backlog that never runs dry: as each request settles, another takes its place. */
  function backlog(gate: ApiGate) {
    let stopped = false;
    const loop = async () => {
      while (!stopped) await gate.createConversation(async () => payload('x')).catch(() => undefined);
    };
    const loops = Array.from({ length: 4 }, loop);
    return async () => {
      stopped = true;
      gate.close();
      await jest.advanceTimersByTimeAsync(60_000);
      await Promise.all(loops);
    };
  }

  async function drive(gate: ApiGate, minutes: number): Promise<void> {
    const stop = backlog(gate);
    await jest.advanceTimersByTimeAsync(minutes * MINUTE);
    await stop();
  }

  it('with the server at 10/s and the bridge set to 50/s: ≥ 0.9 of the server rate once settled, fewer than one 429 a minute after the first', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const t0 = Date.now();
    const server = bucketApi(10, 10);
    const gate = new ApiGate(server.api, { perSecond: 50, concurrency: 4 });
    await drive(gate, 10);
    const after = (times: number[]) => times.filter((t) => t >= t0 + MINUTE && t < t0 + 10 * MINUTE);
    const acceptedRate = after(server.accepted).length / (9 * 60);
    expect(acceptedRate / 10).toBeGreaterThanOrEqual(0.9);
    expect(after(server.refused).length / 9).toBeLessThan(1);
    // The first minute found the limit (some 429s), and nothing ever started during a pause.
    expect(server.refused.length).toBeGreaterThan(0);
    expect(server.startedInPause).toEqual([]);
    const { rate } = gate.status();
    expect(rate.perSecond).toBeLessThan(12);
    expect(rate.reason).toMatch(/429 at [\d.]+\/s/);
  }, 60_000);

  it('without adaptation the same server keeps answering 429s all along (what the adaptive rate saves)', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const t0 = Date.now();
    const server = bucketApi(10, 10);
    const gate = new ApiGate(server.api, { perSecond: 50, concurrency: 4, adaptive: false });
    await drive(gate, 3);
    expect(server.refused.filter((t) => t >= t0 + MINUTE).length / 2).toBeGreaterThan(20);
    expect(server.startedInPause).toEqual([]);
  }, 60_000);

  it('a 429 storm lowers the rate once (its first 429 looks like any other), not once per pause: nothing is accepted in between', async () => {
    jest.useFakeTimers({ now: 1_700_000_000_000 });
    const server = bucketApi(1_000, 1_000);
    let storm = false;
    const stormy: DstnyApi = {
      ...server.api,
      createConversation: async (body) => {
        if (!storm) return server.api.createConversation(body);
        await new Promise((resolve) => setTimeout(resolve, 20));
        throw new RateLimitedError(1_000);
      },
    };
    const gate = new ApiGate(stormy, { perSecond: 20, concurrency: 2 });
    const stop = backlog(gate);
    await jest.advanceTimersByTimeAsync(30_000);
    const before = server.accepted.length;
    storm = true;
    await jest.advanceTimersByTimeAsync(30_000);
    const { rate, pausedUntil } = gate.status();
    expect(pausedUntil).toEqual(expect.any(Number));
    // Thirty pauses, one cut to 0.8 × 20: the rate is back near 20/s, not 20 × 0.8^30.
    expect(rate.refusedAt).toBe(20);
    expect(rate.perSecond).toBeGreaterThan(19);
    // One request per pause tries again, no more: about 30 in 30 s, never the 600 the rate would allow.
    expect(gate.status().rateLimited).toBeGreaterThan(10);
    expect(gate.status().rateLimited).toBeLessThan(40);
    storm = false;
    await jest.advanceTimersByTimeAsync(10_000);
    expect(server.accepted.length - before).toBeGreaterThan(150);
    await stop();
  }, 60_000);
});
