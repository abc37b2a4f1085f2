import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { DstnyClient } from '../../src/dstny/client.js';
import { ApiGate } from '../../src/dstny/gate.js';
import type { Ledger, RowPatch, RowGuard } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { RecordingLinks } from '../../src/recordings/links.js';
import { submitConfigSchema } from '../../src/submit/config.js';
import { Submitter } from '../../src/submit/submitter.js';
import { linesLogger } from '../support/log-lines.js';
import { pendingRow } from '../support/rows.js';
import { type Reply, startScriptedApi } from '../support/scripted-api.js';
import { tempDir } from '../support/tmp.js';

/**
 * Issue 10, defect 8: a row the submitter moves to `failed` (or `rejected`) is ONE warn line naming the call, the
 * reason and what to do, written only once the ledger took the change.
 */
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Line {
  level: string;
  message: string;
  externalId?: string;
  state?: string;
}

async function setup(reply: (id: string, tries: number) => Reply, opts: { wrap?: (ledger: Ledger) => Ledger; rows?: Parameters<typeof pendingRow>[] } = {}) {
  const api = await startScriptedApi((r, seen) => {
    const id = String(r.body?.call_external_id);
    return reply(id, seen.filter((s) => s.body?.call_external_id === id).length);
  });
  cleanups.push(() => api.close());
  const { dir, cleanup } = tempDir('submit-lines-');
  cleanups.push(cleanup);
  const real = await openSqliteLedger(path.join(dir, 'callbridge.sqlite'));
  cleanups.push(() => real.close());
  await real.put((opts.rows ?? [['call-0']]).map((args) => pendingRow(...args)));
  const ledger = opts.wrap ? opts.wrap(real) : real;
  const config = submitConfigSchema.parse({ rateLimit: { perSecond: 50 }, concurrency: 2, pumpIntervalMs: 20, backoff: { baseMs: 10, maxMs: 20 }, maxAttempts: 2, dailyQuota: 0 });
  const { logger, lines } = linesLogger();
  const client = new DstnyClient({ baseUrl: api.url, token: 'state-lines-token-0123456789', timeoutMs: 2000, defaultPauseMs: 200 });
  const gate = new ApiGate(client, { ...config.rateLimit, concurrency: config.concurrency, logger });
  const submitter = new Submitter({ ledger, api: gate, config, logger });
  cleanups.push(async () => {
    await submitter.stop();
    gate.close();
  });
  const warns = (id: string) =>
    lines.map((l) => JSON.parse(l) as Line).filter((l) => l.level === 'warn' && l.externalId === id && ['failed', 'rejected', 'missing'].includes(l.state ?? ''));
  const settled = async () => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const c = (await real.stats()).counts;
      if (c.pending + c.submitting === 0) return;
      if (Date.now() > deadline) throw new Error(`rows never settled: ${JSON.stringify(c)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { real, submitter, lines, warns, settled, api };
}

describe('submitter: one warn line per row that becomes failed', () => {
  it('a 4xx: the call, the API message and the retry command, once', async () => {
    const { real, submitter, warns, settled, lines } = await setup(() => ({ status: 422, body: { message: 'owner_email is not a user of this account' } }));
    submitter.start();
    await settled();
    expect(await real.get('call-0')).toMatchObject({ state: 'failed' });
    const found = warns('call-0');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('call call-0 (test.csv:call-0) failed: refused by Dstny: HTTP 422: owner_email is not a user of this account');
    expect(found[0]!.message).toContain('"callbridge retry --state failed --id call-0" sends it again');
    // The one line: no second, differently worded line about the same failure at any level.
    expect(lines.filter((l) => l.includes('owner_email is not a user'))).toHaveLength(1);
  });

  it('retries exhausted: the attempts, the last error and the retry command, once', async () => {
    const { real, submitter, warns, settled } = await setup(() => ({ status: 503, body: 'maintenance' }));
    submitter.start();
    await settled();
    expect(await real.get('call-0')).toMatchObject({ state: 'failed', attempts: 2 });
    const found = warns('call-0');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/^call call-0 \(test\.csv:call-0\) failed: gave up after 2 attempts: HTTP 503: maintenance\. What to do: once Dstny answers again/);
    expect(found[0]!.message).toContain('"callbridge retry --state failed --id call-0"');
  });

  it('no line when the change did not commit (another process took the row meanwhile)', async () => {
    const wrap = (ledger: Ledger): Ledger => {
      const taken = Object.create(ledger) as Ledger;
      taken.update = async (id: string, patch: RowPatch, guard?: RowGuard) => {
        // Between the answer and its record, the row's lease passes to another process (a real commit).
        if (patch.state === 'failed') await ledger.update(id, { leaseOwner: 'another-process' });
        return ledger.update(id, patch, guard);
      };
      return taken;
    };
    const { real, submitter, warns, lines } = await setup(() => ({ status: 400, body: { message: 'bad body' } }), { wrap });
    submitter.start();
    const deadline = Date.now() + 10_000;
    while ((await real.get('call-0'))?.leaseOwner !== 'another-process') {
      if (Date.now() > deadline) throw new Error('the answer was never recorded');
      await new Promise((r) => setTimeout(r, 25));
    }
    await submitter.stop();
    expect(await real.get('call-0')).toMatchObject({ state: 'submitting', leaseOwner: 'another-process' });
    expect(warns('call-0')).toEqual([]);
    // Nor any other line claiming the call failed.
    expect(lines.filter((l) => l.includes('bad body'))).toEqual([]);
  });

  it("an API message that echoes our signed recording link, or a pre-signed URL, shows neither's secret", async () => {
    const links = new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'link-signing-secret-0123456789', ttlHours: 24 });
    const ours = links.url('call-0');
    const token = ours.slice(links.prefix.length);
    const presigned = 'https://s3.example.com/rec/call-0.wav?X-Amz-Signature=abcdef0123456789&X-Amz-Credential=AKIAEXAMPLE';
    const { submitter, warns, settled } = await setup(() => ({ status: 400, body: { message: `cannot fetch ${ours}, nor ${presigned}.` } }));
    submitter.start();
    await settled();
    const [line] = warns('call-0');
    expect(line?.message).toContain('cannot fetch https://bridge.example.com/recordings/…, nor https://s3.example.com/rec/call-0.wav?….');
    expect(line?.message).not.toContain(token.split('.')[1]);
    expect(line?.message).not.toContain('X-Amz-Signature');
    expect(line?.message).not.toContain('AKIAEXAMPLE');
  });

  it('a row claimed without a body becomes rejected: one line saying retry normalizes it again', async () => {
    const { real, submitter, warns, settled, api } = await setup(() => ({ status: 200, body: { conversation_id: 'never' } }), {
      rows: [['call-0', { payload: null }]],
    });
    submitter.start();
    await settled();
    expect(await real.get('call-0')).toMatchObject({ state: 'rejected', reason: 'no payload to send' });
    expect(api.posts()).toHaveLength(0);
    const found = warns('call-0');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toContain('call call-0 (test.csv:call-0) rejected: no payload to send. What to do: fix the cause (retry normalizes it again from its stored CDR), then run "callbridge retry --state rejected --id call-0"');
  });
});
