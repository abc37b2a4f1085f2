import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DstnyClient } from '../../src/dstny/client.js';
import { ApiGate } from '../../src/dstny/gate.js';
import type { Ledger, LedgerRow } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { registerSecret } from '../../src/log/redact.js';
import { submitConfigSchema } from '../../src/submit/config.js';
import { Submitter } from '../../src/submit/submitter.js';
import { linesLogger } from '../support/log-lines.js';
import { pendingRow } from '../support/rows.js';
import { type Reply, startScriptedApi } from '../support/scripted-api.js';
import { tempDir } from '../support/tmp.js';

const TOKEN = 'submitter-test-token-0123456789';
registerSecret(TOKEN);

type Api = Awaited<ReturnType<typeof startScriptedApi>>;
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(opts: {
  rows: number;
  reply: Parameters<typeof startScriptedApi>[0];
  submit?: Record<string, unknown>;
  timeoutMs?: number;
  prepare?: ConstructorParameters<typeof Submitter>[0]['prepare'];
}) {
  const api: Api = await startScriptedApi(opts.reply);
  cleanups.push(() => api.close());
  const { dir, cleanup } = tempDir('submit-');
  cleanups.push(cleanup);
  const ledger: Ledger = await openSqliteLedger(path.join(dir, 'callbridge.sqlite'));
  cleanups.push(() => ledger.close());
  await ledger.put(Array.from({ length: opts.rows }, (_, i) => pendingRow(`call-${i}`)));
  const config = submitConfigSchema.parse({
    rateLimit: { perSecond: 50 },
    concurrency: 4,
    pumpIntervalMs: 20,
    backoff: { baseMs: 20, maxMs: 80 },
    maxAttempts: 3,
    dailyQuota: 0,
    ...opts.submit,
  });
  const { logger, lines } = linesLogger();
  const client = new DstnyClient({ baseUrl: api.url, token: TOKEN, timeoutMs: opts.timeoutMs ?? 2000, defaultPauseMs: 500 });
  // When each creation left the bridge: what the gate paces (arrival times also carry the loopback's delay).
  const departures: number[] = [];
  const create = client.createConversation.bind(client);
  client.createConversation = (payload) => {
    departures.push(Date.now());
    return create(payload);
  };
  const gate = new ApiGate(client, { ...config.rateLimit, concurrency: config.concurrency, logger });
  const submitter = new Submitter({ ledger, api: gate, config, logger, ...(opts.prepare ? { prepare: opts.prepare } : {}) });
  cleanups.push(async () => {
    await submitter.stop();
    gate.close();
  });
  return { api, ledger, submitter, gate, lines, departures };
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const created = (id: string): Reply => ({ status: 200, body: { conversation_id: `conv-${id}` } });
const idOf = (r: { body: Record<string, unknown> | null }) => String(r.body?.call_external_id);
const byId = async (ledger: Ledger, n: number) => {
  const rows = await ledger.query({ externalIds: Array.from({ length: n }, (_, i) => `call-${i}`) });
  return new Map(rows.map((r) => [r.externalId, r] as [string, LedgerRow]));
};

describe('Submitter', () => {
  it('never exceeds the configured rate, counted per sliding window of departures', async () => {
    const { api, ledger, submitter, departures } = await setup({
      rows: 1,
      reply: (r) => created(idOf(r)),
      submit: { rateLimit: { perSecond: 10 }, concurrency: 3 },
    });
    submitter.start();
    // One request first: the connection is set up once (it took 100+ ms on a loaded machine), then the steady state is measured.
    await until(async () => (await ledger.stats()).counts.submitted === 1, 5_000, 'the first row');
    await ledger.put(Array.from({ length: 40 }, (_, i) => pendingRow(`rate-${i}`)));
    await until(async () => (await ledger.stats()).counts.submitted === 41, 15_000, 'all rows submitted');
    expect(api.posts()).toHaveLength(41);
    const times = departures.slice(1);
    expect(times).toHaveLength(40);
    let worst = 0;
    for (const t of times) worst = Math.max(worst, times.filter((u) => u >= t && u < t + 1000).length);
    expect(worst).toBeLessThanOrEqual(10);
    // ...and it uses the rate it is given: 40 requests at 10/s take about 4 s, not much more.
    const span = times[times.length - 1]! - times[0]!;
    expect(span).toBeGreaterThanOrEqual(3900);
    expect(span).toBeLessThan(5000);
  });

  it('woken when a call is committed, sends it at once, not at the next pumpIntervalMs; also when woken during a pump', async () => {
    const { api, ledger, submitter } = await setup({ rows: 1, reply: (r) => created(idOf(r)), submit: { pumpIntervalMs: 60_000 } });
    submitter.start();
    await until(async () => (await ledger.stats()).counts.submitted === 1, 5_000, 'the row there at start');
    await ledger.put([pendingRow('woken')]);
    submitter.wake();
    await until(() => api.posts().some((p) => idOf(p) === 'woken'), 5_000, 'the woken row, long before a minute');
    // A wake while a pump is under way, which looked for due rows before this one was there, is not lost: another
    // pump follows. The pump is held after its look until the row is committed and the wake given.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const claim = ledger.claimDue.bind(ledger);
    let looked = false;
    ledger.claimDue = async (o) => {
      const rows = await claim(o);
      ledger.claimDue = claim;
      looked = true;
      await held;
      return rows;
    };
    const pumping = submitter.pump();
    await until(() => looked, 5_000, 'the pump to look for due rows');
    await ledger.put([pendingRow('during-a-pump')]);
    submitter.wake();
    // Wakes start pumps at most every 100 ms: held longer, the wake comes due while this pump is still under way.
    await new Promise((resolve) => setTimeout(resolve, 250));
    release();
    await pumping;
    await until(() => api.posts().some((p) => idOf(p) === 'during-a-pump'), 5_000, 'the row committed during a pump');
  });

  it('posts each row once, with its exact payload and the bearer token, and records the conversation id', async () => {
    const { api, ledger, submitter } = await setup({ rows: 5, reply: (r) => created(idOf(r)) });
    submitter.start();
    await until(async () => (await ledger.stats()).counts.submitted === 5);
    const rows = await byId(ledger, 5);
    for (const [id, row] of rows) {
      expect(row).toMatchObject({ state: 'submitted', conversationId: `conv-${id}`, attempts: 1, leaseOwner: null });
      expect(api.posts().filter((p) => idOf(p) === id)).toHaveLength(1);
      expect(api.posts().find((p) => idOf(p) === id)?.body).toEqual(row.payload);
    }
    expect(new Set(api.posts().map((p) => p.authorization))).toEqual(new Set([`Bearer ${TOKEN}`]));
  });

  it('sends the body prepared at send time (a freshly signed recording link), keeping the stored payload', async () => {
    const { api, ledger, submitter } = await setup({
      rows: 2,
      reply: (r) => created(idOf(r)),
      prepare: (row) => ({ ...row.payload, call_recording_url: `https://bridge.example.com/recordings/fresh-${row.externalId}` }),
    });
    submitter.start();
    await until(async () => (await ledger.stats()).counts.submitted === 2);
    expect(api.posts().map((p) => p.body?.call_recording_url).sort()).toEqual([
      'https://bridge.example.com/recordings/fresh-call-0',
      'https://bridge.example.com/recordings/fresh-call-1',
    ]);
    expect((await ledger.get('call-0'))?.payload?.call_recording_url).toBe('https://recordings.example.com/call-0.wav');
  });

  it('under a mix of 5xx, 429, timeouts and 400s, every row ends where it should, with the right reason', async () => {
    // call-0..5 fine; 6..8 500 twice then fine; 9..10 400; 11 always 503; 12..13 429 once; 14..15 hang once.
    const replies = (r: { body: Record<string, unknown> | null }, seen: Array<{ body: Record<string, unknown> | null }>): Reply => {
      const id = idOf(r);
      const n = Number(id.split('-')[1]);
      const tries = seen.filter((s) => idOf(s) === id).length;
      if (n >= 6 && n <= 8 && tries <= 2) return { status: 500, body: { message: 'internal error' } };
      if (n === 9 || n === 10) return { status: 400, body: { message: 'call_recording_url must answer 200' } };
      if (n === 11) return { status: 503, body: 'maintenance' };
      if ((n === 12 || n === 13) && tries === 1) return { status: 429, body: { message: 'slow down' }, headers: { 'retry-after': '1' } };
      if ((n === 14 || n === 15) && tries === 1) return 'hang';
      return created(id);
    };
    const { api, ledger, submitter } = await setup({ rows: 16, reply: replies, timeoutMs: 300 });
    submitter.start();
    await until(async () => {
      const c = (await ledger.stats()).counts;
      return c.pending + c.submitting === 0;
    }, 20_000, 'every row settled');
    const rows = await byId(ledger, 16);
    const state = (i: number) => rows.get(`call-${i}`)!;
    for (const i of [0, 1, 2, 3, 4, 5, 12, 13]) expect(state(i)).toMatchObject({ state: 'submitted', conversationId: `conv-call-${i}` });
    for (const i of [6, 7, 8]) expect(state(i)).toMatchObject({ state: 'submitted', attempts: 3 });
    for (const i of [9, 10]) expect(state(i)).toMatchObject({ state: 'failed', reason: 'HTTP 400: call_recording_url must answer 200', attempts: 1 });
    expect(state(11)).toMatchObject({ state: 'failed', reason: 'gave up after 3 attempts: HTTP 503: maintenance', attempts: 3 });
    // A timed-out POST may have created the call: it is flagged for a look-up, never blindly re-sent.
    for (const i of [14, 15]) expect(state(i)).toMatchObject({ state: 'verify', reason: expect.stringContaining('may have been delivered') });
    for (const i of [14, 15]) expect(api.posts().filter((p) => idOf(p) === `call-${i}`)).toHaveLength(1);
    // 429 burned no attempt.
    for (const i of [12, 13]) expect(state(i).attempts).toBe(1);
  });

  it('pauses the whole queue for Retry-After after a 429', async () => {
    let first429At = 0;
    const { api, ledger, submitter } = await setup({
      rows: 6,
      reply: (r, seen) => {
        if (seen.length === 2) {
          first429At = Date.now();
          return { status: 429, headers: { 'retry-after': '1' } };
        }
        return created(idOf(r));
      },
      submit: { rateLimit: { perSecond: 50 }, concurrency: 1 },
    });
    submitter.start();
    await until(async () => (await ledger.stats()).counts.submitted === 6);
    const after = api.posts().filter((p) => p.at > first429At);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after.map((p) => p.at)) - first429At).toBeGreaterThanOrEqual(950);
  });

  it('stops all submission on 401 without burning attempts, says so loudly, and resumes when a probe succeeds', async () => {
    let tokenWorks = false;
    const { api, ledger, submitter, lines } = await setup({
      rows: 4,
      reply: (r) => (tokenWorks ? created(idOf(r)) : { status: 401, body: { message: `token ${TOKEN} revoked` } }),
      submit: { authProbeIntervalMs: 300, concurrency: 1 },
    });
    submitter.start();
    await until(() => submitter.status().state === 'halted', 5000, 'halt');
    expect(submitter.status().reason).toContain('HTTP 401');
    const refusedSoFar = api.posts().length;
    await new Promise((r) => setTimeout(r, 650));
    // Only probes, one per interval, while halted.
    expect(api.posts().length - refusedSoFar).toBeLessThanOrEqual(2);
    expect((await ledger.stats()).counts).toMatchObject({ pending: 4, failed: 0 });
    for (const row of (await byId(ledger, 4)).values()) expect(row.attempts).toBe(0);
    tokenWorks = true;
    await until(async () => (await ledger.stats()).counts.submitted === 4, 5000, 'resume');
    expect(submitter.status().state).toBe('running');
    const log = lines.join('');
    expect(log).toContain('SUBMISSION STOPPED');
    expect(log).toContain('submission resumed');
    expect(log).not.toContain(TOKEN);
  });

  it('holds (does not fail) rows beyond the daily quota', async () => {
    const { api, ledger, submitter, lines } = await setup({ rows: 5, reply: (r) => created(idOf(r)), submit: { dailyQuota: 3 } });
    submitter.start();
    await until(() => submitter.status().state === 'quota', 5000, 'quota');
    expect(api.posts()).toHaveLength(3);
    expect((await ledger.stats()).counts).toMatchObject({ submitted: 3, pending: 2, failed: 0 });
    expect(lines.join('')).toContain('daily quota of 3 conversations reached');
  });

  it('on stop, hands queued rows back and lets the in-flight request finish', async () => {
    const { ledger, submitter } = await setup({
      rows: 10,
      reply: (r) => created(idOf(r)),
      submit: { rateLimit: { perSecond: 2 }, concurrency: 1 },
    });
    submitter.start();
    await until(async () => (await ledger.stats()).counts.submitted >= 1, 5000);
    await submitter.stop();
    const c = (await ledger.stats()).counts;
    expect(c.submitting).toBe(0);
    expect(c.submitted + c.pending).toBe(10);
  });
});
