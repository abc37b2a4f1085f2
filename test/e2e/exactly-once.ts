/**
 * The exactly-once scenario, shared by test/e2e/exactly-once.test.ts (bounded, in the suite) and bench/bridge.ts
 * (`--faults`, at any size): generated calls through a real bridge process against the emulator answering 10 %
 * of requests 503, never answering 2 % (timeouts), losing the answer of 2 % of creations, and listing
 * conversations in the given shape; the bridge is killed with SIGKILL `kills` times while it submits and started
 * again on the same data folder each time. Counts what a user would check: every call confirmed at Dstny or
 * explicitly reported for an operator, none lost, none created twice.
 */
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { type BridgeScene, nonZero, waitUntil } from './support.js';

export interface ExactlyOnceResult {
  calls: number;
  confirmed: number;
  /** Rows kept for an operator (ambiguous look-ups), with their reason. */
  reported: Array<{ externalId: string; state: string; reason: string | null }>;
  /** Calls neither confirmed nor reported when the run ended. */
  unsettled: Array<{ externalId: string; state: string; reason: string | null }>;
  /** Generated calls never created at the emulator and not reported. */
  lost: string[];
  /** External ids created more than once. */
  duplicates: string[];
  /** Confirmed rows whose conversation id is not the one the emulator made for that call. */
  wrongId: string[];
  kills: number;
  /** Did every call end confirmed or reported within the time allowed? */
  settled: boolean;
  /** Requests whose outcome was in doubt and were looked up (verify rows, from the bridges' logs). */
  inDoubt: number;
  responses: Record<string, number>;
  seconds: number;
}

export async function exactlyOnceUnderFaults(
  scene: BridgeScene,
  opts: { calls: number; kills: number; listShape: 'full' | 'minimal'; timeoutMs: number; progress?: (line: string) => void },
): Promise<ExactlyOnceResult> {
  const t0 = Date.now();
  await scene.start({
    faults: { appearDelayMs: 300, ratePerSecond: 2_000, latencyMs: 40, errorRate: 0.1, timeoutRate: 0.02, lostResponseRate: 0.02, listShape: opts.listShape },
    overrides: {
      log: { level: 'info', format: 'json' },
      dstny: { timeoutMs: 1_000 },
      submit: { rateLimit: { perSecond: 150 }, concurrency: 8, leaseMs: 3_000, maxAttempts: 30 },
      // A call in doubt is sent again only if it is still not listed 1.8 s later (creations appear after 0.3 s).
      reconcile: { verifyWaitMinutes: 0.03, maxRowsPerRun: 100_000 },
    },
  });
  const emu = scene.emulator;
  const { ids } = scene.dropCalls('Master.csv', { count: opts.calls, prefix: 'once' });

  let kills = 0;
  for (let k = 1; k <= opts.kills; k++) {
    const target = Math.floor((opts.calls * k) / (opts.kills + 1));
    await waitUntil(async () => (await emu.stats()).conversations.accepted >= target, {
      timeoutMs: opts.timeoutMs,
      what: `${target} calls created before kill ${k}`,
      describe: () => scene.bridge.cli.tail(20),
    });
    await scene.bridge.cli.kill();
    kills++;
    opts.progress?.(`  kill ${k} after ${((Date.now() - t0) / 1000).toFixed(1)} s (${target}+ created); starting bridge ${k + 1}`);
    await scene.startBridge(`bridge-${k + 1}`);
  }

  const operator = /needs an operator/;
  const settled = await waitUntil(
    async () => {
      const s = await scene.bridge.status();
      const verify = s.ledger.counts.verify;
      const done = s.ledger.counts.confirmed + verify === opts.calls;
      if (!done) return null;
      if (verify === 0) return s;
      // Verify rows are settled only once reported for an operator.
      const ledger = await openSqliteLedger(scene.ledgerFile);
      try {
        const rows = await ledger.query({ states: ['verify'] });
        return rows.every((r) => operator.test(r.reason ?? '')) ? s : null;
      } finally {
        await ledger.close();
      }
    },
    {
      timeoutMs: opts.timeoutMs,
      pollMs: 500,
      what: `all ${opts.calls} calls confirmed or reported`,
      describe: async () => `${JSON.stringify(nonZero((await scene.bridge.status()).ledger.counts))}\n${scene.bridge.cli.tail(20)}`,
    },
  ).then(
    () => true,
    (error: unknown) => {
      opts.progress?.(String(error));
      return false;
    },
  );
  const seconds = (Date.now() - t0) / 1000;

  const stats = await emu.stats();
  const created = stats.creationsByExternalId ?? {};
  const made = new Map((await emu.conversations()).filter((c) => !c.dropped).map((c) => [c.external_id, c.id]));
  const inDoubt = scene.bridges.reduce((n, b) => n + b.cli.grep(/may have been delivered|were in flight when their process stopped/).length, 0);
  await scene.bridge.cli.stop();
  const ledger = await openSqliteLedger(scene.ledgerFile);
  try {
    const rows = await ledger.query({});
    const reported = rows.filter((r) => r.state === 'verify' && operator.test(r.reason ?? '')).map((r) => ({ externalId: r.externalId, state: r.state, reason: r.reason }));
    const reportedIds = new Set(reported.map((r) => r.externalId));
    return {
      calls: opts.calls,
      confirmed: rows.filter((r) => r.state === 'confirmed').length,
      reported,
      unsettled: rows.filter((r) => r.state !== 'confirmed' && !reportedIds.has(r.externalId)).map((r) => ({ externalId: r.externalId, state: r.state, reason: r.reason })),
      lost: ids.filter((id) => !created[id] && !reportedIds.has(id)),
      duplicates: Object.entries(created)
        .filter(([, n]) => n > 1)
        .map(([id]) => id),
      wrongId: rows.filter((r) => r.state === 'confirmed' && r.conversationId !== made.get(r.externalId)).map((r) => r.externalId),
      kills,
      settled,
      inDoubt,
      responses: nonZero(stats.responses as never) as Record<string, number>,
      seconds,
    };
  } finally {
    await ledger.close();
  }
}
