import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { request } from 'node:http';
import { type EmulatorHandle, startEmulator } from '../../src/emulator/index.js';
import { call, payload, sleep, startRecordingServer, startTestServer, type TestServer, waitFor } from './support.js';

const TOKEN = 'emulator-test-token-1234';
let recordings: TestServer;

beforeAll(async () => {
  recordings = await startRecordingServer();
});
afterAll(async () => {
  await recordings.close();
});

describe('emulator: rate limit', () => {
  let emu: EmulatorHandle;
  beforeEach(async () => {
    emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 2 });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('answers 429 with Retry-After in seconds beyond the burst, and lets requests through again after it', async () => {
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await call(emu, 'GET', '/api/v2/conversations'));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 429, 429]);
    const retryAfter = Number(answers[2]!.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(emu.state.stats().responses.rateLimited).toBe(2);
    await sleep(retryAfter * 1000);
    expect((await call(emu, 'GET', '/api/v2/conversations')).status).toBe(200);
  });

  it('never refuses a client that paces itself at the configured rate', async () => {
    emu.setFaults({ ratePerSecond: 20 });
    const statuses: number[] = [];
    // 30 requests at 20/s, spaced 50 ms: 1.5 s.
    for (let i = 0; i < 30; i++) {
      statuses.push((await call(emu, 'GET', '/api/v2/conversations')).status);
      await sleep(50);
    }
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(emu.state.stats().responses.rateLimited).toBe(0);
  });

  it('does not rate-limit or count the admin endpoints', async () => {
    for (let i = 0; i < 5; i++) expect((await call(emu, 'GET', '/_emulator/stats')).status).toBe(200);
    expect(emu.state.stats().requests.total).toBe(0);
  });

  it('answers everything 429 during a storm set at runtime, with Retry-After until its end', async () => {
    emu.setFaults({ ratePerSecond: 1000 });
    const set = await call(emu, 'POST', '/_emulator/faults', { body: { storm429Ms: 1_500 } });
    expect(set.status).toBe(200);
    const during = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) });
    expect(during.status).toBe(429);
    expect(Number(during.headers.get('retry-after'))).toBe(2);
    expect((await call(emu, 'GET', '/api/v2/conversations')).status).toBe(429);
    expect(emu.state.conversations.size).toBe(0);
    await sleep(1_550);
    expect((await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) })).status).toBe(200);
  });
});

describe('emulator: injected faults', () => {
  let emu: EmulatorHandle;
  beforeEach(async () => {
    emu = await startEmulator({ token: TOKEN, appearDelayMs: 100, ratePerSecond: 1000 });
  });
  afterEach(async () => {
    await emu.close();
  });

  it('errorRate 1: every request is a 503 and nothing is created', async () => {
    emu.setFaults({ errorRate: 1 });
    const res = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) });
    expect(res.status).toBe(503);
    expect(emu.state.conversations.size).toBe(0);
    expect(emu.state.stats().responses.serverError).toBe(1);
  });

  it('errorRate 0.3 with a seed: about 30% of many requests fail', async () => {
    await emu.close();
    emu = await startEmulator({ token: TOKEN, ratePerSecond: 10_000, errorRate: 0.3, randomSeed: 42 });
    let failed = 0;
    for (let i = 0; i < 100; i++) if ((await call(emu, 'GET', '/api/v2/users')).status === 503) failed += 1;
    expect(failed).toBeGreaterThan(15);
    expect(failed).toBeLessThan(45);
  });

  it('timeoutRate 1: the request is never answered, and close() does not hang on it', async () => {
    emu.setFaults({ timeoutRate: 1 });
    const pending = call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) }).then(
      (r) => `answered ${r.status}`,
      () => 'connection closed',
    );
    const raced = await Promise.race([pending, sleep(400).then(() => 'still waiting')]);
    expect(raced).toBe('still waiting');
    expect(emu.state.conversations.size).toBe(0);
    const started = Date.now();
    await emu.close();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await pending).toBe('connection closed');
  });

  it('lostResponseRate 1: the conversation is created but the client sees the connection reset', async () => {
    emu.setFaults({ lostResponseRate: 1 });
    const outcome = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_external_id: 'lost-1' }) }).then(
      (r) => `answered ${r.status}`,
      () => 'connection reset',
    );
    expect(outcome).toBe('connection reset');
    expect(emu.state.creations('lost-1')).toBe(1);
    await sleep(150);
    const found = await call(emu, 'GET', '/api/v2/conversations?search=lost-1');
    expect(found.body).toEqual([expect.objectContaining({ external_id: 'lost-1' })]);
  });

  it('dropRate 1: accepted with a conversation_id but never appears', async () => {
    emu.setFaults({ dropRate: 1 });
    const res = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_external_id: 'drop-1' }) });
    expect(res.status).toBe(200);
    const id = (res.body as { conversation_id: string }).conversation_id;
    await sleep(250);
    expect((await call(emu, 'GET', `/api/v2/conversations/${id}`)).status).toBe(404);
    expect((await call(emu, 'GET', '/api/v2/conversations')).body).toEqual([]);
    expect(emu.state.stats().conversations).toMatchObject({ accepted: 1, live: 0, dropped: 1, visible: 0 });
    expect(emu.state.creations('drop-1')).toBe(1);
    expect(emu.state.creations('drop-1', { live: true })).toBe(0);
  });

  it('latencyMs delays every answer', async () => {
    emu.setFaults({ latencyMs: 250 });
    const started = Date.now();
    expect((await call(emu, 'GET', '/api/v2/users')).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('a long latency holds requests until it is lowered: the waiting ones are then answered (and created) at once', async () => {
    emu.setFaults({ latencyMs: 60_000 });
    const held = call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_external_id: 'held-1' }) });
    await waitFor(() => emu.state.stats().requests.byRoute.create === 1);
    await sleep(200);
    expect(emu.state.creations('held-1')).toBe(0);
    const releasedAt = Date.now();
    emu.setFaults({ latencyMs: 100 });
    const res = await held;
    expect(res.status).toBe(200);
    expect(emu.state.creations('held-1')).toBe(1);
    // Its 100 ms had passed long before: answered at once, not after the 60 s it arrived under.
    expect(Date.now() - releasedAt).toBeLessThan(2_000);
  });

  it('faults can be changed over the admin endpoint, which validates them', async () => {
    const bad = await call(emu, 'POST', '/_emulator/faults', { body: { errorRate: 2 } });
    expect(bad.status).toBe(422);
    expect((bad.body as { message: string }).message).toMatch(/errorRate/);
    const unknown = await call(emu, 'POST', '/_emulator/faults', { body: { errorRat: 0.5 } });
    expect(unknown.status).toBe(422);
    const noAuth = await call(emu, 'POST', '/_emulator/faults', { body: { errorRate: 1 }, token: null });
    expect(noAuth.status).toBe(401);

    const ok = await call(emu, 'POST', '/_emulator/faults', { body: { errorRate: 1, appearDelayMs: 0 } });
    expect(ok.status).toBe(200);
    // Only the given fields change; the rest keep their values.
    expect(ok.body).toMatchObject({ errorRate: 1, appearDelayMs: 0, ratePerSecond: 1000, fetchRecordings: true });
    expect((await call(emu, 'GET', '/api/v2/users')).status).toBe(503);
    await call(emu, 'POST', '/_emulator/faults', { body: { errorRate: 0 } });
    expect((await call(emu, 'GET', '/api/v2/users')).status).toBe(200);
  });

  it('keeps counting requests per route and per second', async () => {
    for (let i = 0; i < 3; i++) await call(emu, 'GET', '/api/v2/conversations');
    await call(emu, 'GET', '/api/v2/conversations/abc');
    await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) });
    const stats = (await call(emu, 'GET', '/_emulator/stats')).body as ReturnType<EmulatorHandle['state']['stats']>;
    expect(stats.requests.total).toBe(5);
    expect(stats.requests.byRoute).toMatchObject({ list: 3, get: 1, create: 1 });
    expect(stats.requests.peakPerSecond).toBeGreaterThanOrEqual(1);
    expect(stats.requests.peakPerSecond).toBeLessThanOrEqual(5);
    expect(stats.responses.notFound).toBe(1);
  });
});

describe('emulator: shutdown with idle keep-alive connections', () => {
  it('closes promptly', async () => {
    const emu = await startEmulator({ token: TOKEN });
    await new Promise<void>((resolve, reject) => {
      const req = request(`${emu.url}/api/v2/users`, { headers: { authorization: `Bearer ${TOKEN}`, connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
    const started = Date.now();
    await emu.close();
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('emulator: webhooks', () => {
  let emu: EmulatorHandle;
  afterEach(async () => {
    await emu.close();
  });

  it('posts the documented conversation_created payload when the conversation appears', async () => {
    const receiver = await startTestServer((_req, res) => res.writeHead(200).end());
    try {
      emu = await startEmulator({ token: TOKEN, appearDelayMs: 200, ratePerSecond: 1000, webhooks: [{ url: `${receiver.url}/hook/one` }] });
      const res = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) });
      const id = (res.body as { conversation_id: string }).conversation_id;
      await sleep(100);
      expect(receiver.received).toHaveLength(0);
      await waitFor(() => receiver.received.length === 1, 2_000, 'the webhook');
      const hit = receiver.received[0]!;
      expect(hit.url).toBe('/hook/one');
      expect(hit.headers['content-type']).toBe('application/json');
      expect(JSON.parse(hit.body)).toEqual({ event_type: 'conversation_created', payload: { conversation_id: id } });
      // By the time it is told, the conversation can be found.
      expect((await call(emu, 'GET', `/api/v2/conversations/${id}`)).status).toBe(200);
    } finally {
      await receiver.close();
    }
  });

  it('retries a failing receiver up to 3 times with increasing delay, then gives up', async () => {
    const receiver = await startTestServer((_req, res) => res.writeHead(500).end());
    try {
      emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000, webhookRetryDelaysMs: [50, 150, 300] });
      const reg = await call(emu, 'POST', '/_emulator/webhooks', { body: { url: `${receiver.url}/hook` } });
      expect(reg.status).toBe(201);
      await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) });
      await waitFor(() => emu.state.webhookCounts.gaveUp === 1, 3_000, 'the dispatcher to give up');
      await sleep(400);
      expect(receiver.received).toHaveLength(4);
      const gaps = receiver.received.slice(1).map((r, i) => r.at - receiver.received[i]!.at);
      expect(gaps[0]!).toBeGreaterThanOrEqual(45);
      expect(gaps[1]!).toBeGreaterThan(gaps[0]!);
      expect(gaps[2]!).toBeGreaterThan(gaps[1]!);
      expect(new Set(receiver.received.map((r) => r.body)).size).toBe(1);
      expect(emu.state.stats().webhooks).toEqual({ attempts: 4, delivered: 0, failed: 4, gaveUp: 1 });
      expect(emu.deliveries().map((d) => [d.attempt, d.status])).toEqual([
        [0, 500],
        [1, 500],
        [2, 500],
        [3, 500],
      ]);
    } finally {
      await receiver.close();
    }
  });

  it('stops retrying once the receiver answers 2xx', async () => {
    const receiver = await startTestServer((_req, res, _body, n) => res.writeHead(n < 3 ? 503 : 204).end());
    try {
      emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000, webhookRetryDelaysMs: [30, 60, 90], webhooks: [{ url: receiver.url }] });
      await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) });
      await waitFor(() => emu.state.webhookCounts.delivered === 1, 3_000, 'delivery');
      await sleep(200);
      expect(receiver.received).toHaveLength(3);
      expect(emu.state.stats().webhooks).toEqual({ attempts: 3, delivered: 1, failed: 2, gaveUp: 0 });
    } finally {
      await receiver.close();
    }
  });

  it('sends no webhook for a dropped conversation', async () => {
    const receiver = await startTestServer((_req, res) => res.writeHead(200).end());
    try {
      emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, dropRate: 1, ratePerSecond: 1000, webhooks: [{ url: receiver.url }] });
      await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url) });
      await sleep(200);
      expect(receiver.received).toHaveLength(0);
    } finally {
      await receiver.close();
    }
  });

  it('can send the signed conversation.completed event with an HMAC of the raw body', async () => {
    const secret = 'signing-secret-0123456789';
    const receiver = await startTestServer((_req, res) => res.writeHead(200).end());
    try {
      emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000, webhooks: [{ url: receiver.url, style: 'signed', signingSecret: secret }] });
      const res = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_external_id: 'signed-1' }) });
      const id = (res.body as { conversation_id: string }).conversation_id;
      await waitFor(() => receiver.received.length === 1, 2_000, 'the signed webhook');
      const hit = receiver.received[0]!;
      expect(hit.headers['x-webhook-signature']).toBe(`sha256=${createHmac('sha256', secret).update(hit.body).digest('hex')}`);
      expect(hit.headers['x-webhook-event']).toBe('conversation.completed');
      expect(hit.headers['x-webhook-delivery-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(Math.abs(Number(hit.headers['x-webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(5);
      expect(JSON.parse(hit.body)).toMatchObject({ event: 'conversation.completed', data: { conversation: { id, external_id: 'signed-1' } } });
    } finally {
      await receiver.close();
    }
  });
});
