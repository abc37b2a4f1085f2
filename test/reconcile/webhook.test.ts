import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import express from 'express';
import { startEmulator } from '../../src/emulator/index.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { createWebhookRouter, type WebhookRouterOptions } from '../../src/reconcile/webhook.js';
import { startRecordingServer, type TestServer, waitFor } from '../emulator/support.js';
import { callPayload, putPending, submitDue, type TempLedger, tempLedger } from './support.js';

const SECRET = 'path-secret-0123456789abcdef';
const SIGNING = 'signing-secret-0123456789abcdef';

interface Receiver {
  url: string;
  close(): Promise<void>;
}

/** The router mounted the way the HTTP app mounts it: followed by a plain 404 for anything else. */
async function startReceiver(opts: WebhookRouterOptions): Promise<Receiver> {
  const app = express();
  app.use(createWebhookRouter(opts));
  app.use((_req, res) => {
    res.status(404).json({ error: 'not found' });
  });
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // keep text
  }
  return { status: res.status, body: parsed };
}

const created = (conversationId: unknown) => JSON.stringify({ event_type: 'conversation_created', payload: { conversation_id: conversationId } });

function signed(conversationId: string, opts: { secret?: string; timestamp?: number; deliveryId?: string } = {}) {
  const body = JSON.stringify({ event: 'conversation.completed', data: { conversation: { id: conversationId, title: 'x' } } });
  const signature = createHmac('sha256', opts.secret ?? SIGNING).update(body).digest('hex');
  return {
    body,
    headers: {
      'x-webhook-signature': `sha256=${signature}`,
      'x-webhook-event': 'conversation.completed',
      'x-webhook-delivery-id': opts.deliveryId ?? randomUUID(),
      'x-webhook-timestamp': String(opts.timestamp ?? Math.floor(Date.now() / 1000)),
    },
  };
}

/** Three submitted rows (conv-a, conv-b, conv-c) and one missing row (conv-m). */
async function seedRows(ledger: Ledger): Promise<void> {
  await putPending(ledger, ['a', 'b', 'c', 'm'].map((x) => callPayload(`call-${x}`, '2025-04-17T08:00:00Z', 'http://127.0.0.1:9')));
  const claimed = await ledger.claimDue({ now: Date.now() + 1, limit: 10, owner: 't', leaseMs: 60_000 });
  expect(claimed).toHaveLength(4);
  for (const x of ['a', 'b', 'c', 'm']) {
    await ledger.update(`call-${x}`, { state: x === 'm' ? 'missing' : 'submitted', conversationId: `conv-${x}`, submittedAt: Date.now() - 1000 });
  }
}

describe('webhook receiver', () => {
  let t: TempLedger;
  let receiver: Receiver;
  beforeEach(async () => {
    t = await tempLedger();
    await seedRows(t.ledger);
    receiver = await startReceiver({ ledger: t.ledger, secret: SECRET, signingSecret: SIGNING });
  });
  afterEach(async () => {
    await receiver.close();
    await t.cleanup();
  });

  it('confirms the row at once on the documented conversation_created event', async () => {
    const res = await post(`${receiver.url}/webhooks/dstny/${SECRET}`, created('conv-a'));
    expect(res.status).toBe(200);
    const row = await t.ledger.get('call-a');
    expect(row).toMatchObject({ state: 'confirmed', conversationId: 'conv-a' });
    expect(row!.confirmedAt).toEqual(expect.any(Number));
    expect((await t.ledger.get('call-b'))!.state).toBe('submitted');
    // A repeated event is harmless.
    expect((await post(`${receiver.url}/webhooks/dstny/${SECRET}`, created('conv-a'))).status).toBe(200);
    expect((await t.ledger.get('call-a'))!.state).toBe('confirmed');
  });

  it('confirms a row that was already declared missing when its conversation shows up late', async () => {
    expect((await post(`${receiver.url}/webhooks/dstny/${SECRET}`, created('conv-m'))).status).toBe(200);
    expect((await t.ledger.get('call-m'))!.state).toBe('confirmed');
  });

  it('answers 200 to an unknown conversation id and changes nothing', async () => {
    const res = await post(`${receiver.url}/webhooks/dstny/${SECRET}`, created('conv-nobody'));
    expect(res.status).toBe(200);
    const states = await Promise.all(['a', 'b', 'c', 'm'].map(async (x) => (await t.ledger.get(`call-${x}`))!.state));
    expect(states).toEqual(['submitted', 'submitted', 'submitted', 'missing']);
  });

  it('answers 400 to a malformed payload', async () => {
    const url = `${receiver.url}/webhooks/dstny/${SECRET}`;
    expect((await post(url, '{"event_type": "conversation_created", ')).status).toBe(400);
    expect((await post(url, JSON.stringify({ payload: { conversation_id: 'conv-a' } }))).status).toBe(400);
    expect((await post(url, JSON.stringify({ event_type: 'conversation_created' }))).status).toBe(400);
    expect((await post(url, created(''))).status).toBe(400);
    expect((await post(url, created(42))).status).toBe(400);
    expect((await t.ledger.get('call-a'))!.state).toBe('submitted');
  });

  it('answers 200 to a well-formed event type it does not handle (future events), changing nothing', async () => {
    const res = await post(`${receiver.url}/webhooks/dstny/${SECRET}`, JSON.stringify({ event_type: 'conversation_deleted', payload: { conversation_id: 'conv-a' } }));
    expect(res.status).toBe(200);
    expect((await t.ledger.get('call-a'))!.state).toBe('submitted');
  });

  it('answers a wrong secret exactly like a route that does not exist', async () => {
    const wrong = await post(`${receiver.url}/webhooks/dstny/not-the-secret`, created('conv-a'));
    const nowhere = await post(`${receiver.url}/no/such/route`, created('conv-a'));
    expect(wrong.status).toBe(404);
    expect(wrong.body).toEqual(nowhere.body);
    expect(JSON.stringify(wrong.body)).not.toContain(SECRET);
    expect((await t.ledger.get('call-a'))!.state).toBe('submitted');
  });

  it('accepts the signed conversation.completed event', async () => {
    const s = signed('conv-b');
    const res = await post(`${receiver.url}/webhooks/dstny`, s.body, s.headers);
    expect(res.status).toBe(200);
    expect((await t.ledger.get('call-b'))!.state).toBe('confirmed');
    // Also on the secret URL.
    const s2 = signed('conv-c');
    expect((await post(`${receiver.url}/webhooks/dstny/${SECRET}`, s2.body, s2.headers)).status).toBe(200);
    expect((await t.ledger.get('call-c'))!.state).toBe('confirmed');
  });

  it('refuses a signed event with a bad signature, a tampered body or a stale timestamp', async () => {
    const bad = signed('conv-b', { secret: 'another-secret-0123456789' });
    expect((await post(`${receiver.url}/webhooks/dstny`, bad.body, bad.headers)).status).toBe(401);
    const good = signed('conv-b');
    const tampered = good.body.replace('conv-b', 'conv-c');
    expect((await post(`${receiver.url}/webhooks/dstny`, tampered, good.headers)).status).toBe(401);
    const stale = signed('conv-b', { timestamp: Math.floor(Date.now() / 1000) - 600 });
    expect((await post(`${receiver.url}/webhooks/dstny`, stale.body, stale.headers)).status).toBe(401);
    const future = signed('conv-b', { timestamp: Math.floor(Date.now() / 1000) + 600 });
    expect((await post(`${receiver.url}/webhooks/dstny`, future.body, future.headers)).status).toBe(401);
    const unsigned = await post(`${receiver.url}/webhooks/dstny`, good.body, { 'x-webhook-event': 'conversation.completed' });
    expect(unsigned.status).toBe(401);
    expect((await t.ledger.get('call-b'))!.state).toBe('submitted');
    expect((await t.ledger.get('call-c'))!.state).toBe('submitted');
  });

  it('refuses a replayed delivery id', async () => {
    const s = signed('conv-b', { deliveryId: 'delivery-1' });
    expect((await post(`${receiver.url}/webhooks/dstny`, s.body, s.headers)).status).toBe(200);
    expect((await post(`${receiver.url}/webhooks/dstny`, s.body, s.headers)).status).toBe(409);
    // Another delivery (another id) of an event for a different conversation goes through.
    const other = signed('conv-c', { deliveryId: 'delivery-2' });
    expect((await post(`${receiver.url}/webhooks/dstny`, other.body, other.headers)).status).toBe(200);
  });

  it('answers 503 when the ledger cannot take the write (locked by another process), so the sender retries', async () => {
    // Another connection holds the write lock past the ledger's busy timeout.
    const other = new Database(path.join(t.dir, 'ledger.db'));
    other.exec('BEGIN EXCLUSIVE');
    try {
      const res = await post(`${receiver.url}/webhooks/dstny/${SECRET}`, created('conv-a'));
      expect(res.status).toBe(503);
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect((await t.ledger.get('call-a'))!.state).toBe('submitted');
    // Once the lock is gone, the retried event confirms.
    expect((await post(`${receiver.url}/webhooks/dstny/${SECRET}`, created('conv-a'))).status).toBe(200);
    expect((await t.ledger.get('call-a'))!.state).toBe('confirmed');
  });
});

describe('webhook receiver without secrets', () => {
  let t: TempLedger;
  let receiver: Receiver;
  beforeAll(async () => {
    t = await tempLedger();
    await seedRows(t.ledger);
    receiver = await startReceiver({ ledger: t.ledger });
  });
  afterAll(async () => {
    await receiver.close();
    await t.cleanup();
  });

  it('answers 404 on both routes', async () => {
    expect((await post(`${receiver.url}/webhooks/dstny/${SECRET}`, created('conv-a'))).status).toBe(404);
    const s = signed('conv-a');
    expect((await post(`${receiver.url}/webhooks/dstny`, s.body, s.headers)).status).toBe(404);
    expect((await t.ledger.get('call-a'))!.state).toBe('submitted');
  });
});

describe('webhook receiver fed by the emulator', () => {
  let recordings: TestServer;
  beforeAll(async () => {
    recordings = await startRecordingServer();
  });
  afterAll(async () => {
    await recordings.close();
  });

  it.each(['v2', 'signed'] as const)('confirms calls when the emulator posts %s events', async (style) => {
    const t = await tempLedger();
    const receiver = await startReceiver({ ledger: t.ledger, secret: SECRET, signingSecret: SIGNING });
    const emu = await startEmulator({
      appearDelayMs: 100,
      ratePerSecond: 1000,
      webhooks: [{ url: style === 'v2' ? `${receiver.url}/webhooks/dstny/${SECRET}` : `${receiver.url}/webhooks/dstny`, style, signingSecret: SIGNING }],
    });
    try {
      await putPending(t.ledger, ['w1', 'w2', 'w3'].map((id) => callPayload(id, '2025-04-17T08:00:00Z', recordings.url)));
      await submitDue(t.ledger, emu, Date.now());
      await waitFor(async () => (await t.ledger.stats()).counts.confirmed === 3, 10_000, 'three confirmed rows');
      // The emulator counts a delivery once it has read the answer, a moment after the row is confirmed.
      await waitFor(() => emu.state.webhookCounts.delivered + emu.state.webhookCounts.failed === 3, 5_000, 'delivery answers');
      expect(emu.state.stats().webhooks).toMatchObject({ attempts: 3, delivered: 3, failed: 0 });
    } finally {
      await emu.close();
      await receiver.close();
      await t.cleanup();
    }
  });
});
