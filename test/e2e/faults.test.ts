/**
 * E2E under faults: the emulator answers 10% of requests 503, never answers 10% (timeouts), loses the answer
 * of 10% of creations (created, connection reset) and, mid-run, refuses everything with 429 for a while.
 * Every call must still end confirmed, created exactly once: the ambiguous failures become `verify` rows that
 * the reconciler looks up before anything is sent again.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { allConfirmed, BridgeScene, LIST_SHAPES, nonZero, waitUntil } from './support.js';

const CALLS = 100;

describe.each(LIST_SHAPES)('list shape $listShape', ({ listShape }) => {
  const scene = new BridgeScene('callbridge-e2e-faults-');

  afterAll(() => scene.stop());

  describe('e2e: 5xx, timeouts, lost answers and a 429 storm', () => {
    it('every call still ends confirmed, exactly once at the emulator; none lost', async () => {
      await scene.start({
        faults: { appearDelayMs: 300, ratePerSecond: 500, errorRate: 0.1, timeoutRate: 0.1, lostResponseRate: 0.1, listShape },
        overrides: {
          dstny: { timeoutMs: 1_000 },
          // A call left in doubt is sent again only if it is still not listed 1.8 s later (it appears after 0.3 s).
          reconcile: { verifyWaitMinutes: 0.03 },
        },
      });
      const { ids } = scene.dropCalls('Master.csv', { count: CALLS, prefix: 'faults' });

      // A 429 storm once a third of the calls were created: everything is refused for 2.5 s.
      const emu = scene.emulator;
      await waitUntil(async () => (await emu.stats()).conversations.accepted >= CALLS / 3, { timeoutMs: 30_000, what: 'a third of the calls created' });
      await emu.faults({ storm429Ms: 2_500 });

      const b = scene.bridge;
      // The pause shows where an administrator looks: /status (submitter paused, the API gate with the 429's reason), the log.
      const paused = await waitUntil(
        async () => {
          const s = await b.status();
          return s.api?.pausedUntil ? s : null;
        },
        { timeoutMs: 5_000, pollMs: 50, what: 'the API gate paused in /status' },
      );
      expect(paused.api).toMatchObject({ pauseReason: expect.stringContaining('429'), rateLimited: expect.any(Number) });
      expect(paused.submitter?.state).toBe('paused');
      await b.cli.waitForLine(/pausing every API request for \d+ s/, 5_000);
      const final = await allConfirmed(b, CALLS, { timeoutMs: 60_000, describe: async () => JSON.stringify((await emu.stats()).responses) });
      expect(nonZero(final.ledger.counts)).toEqual({ confirmed: CALLS });

      const stats = await emu.stats();
      // The faults really happened (each rolled on well over a hundred requests at 10%) ...
      expect(stats.responses.serverError).toBeGreaterThan(0);
      expect(stats.responses.timeout).toBeGreaterThan(0);
      expect(stats.responses.lostResponse).toBeGreaterThan(0);
      expect(stats.responses.rateLimited).toBeGreaterThan(0);
      // ... and the calls in doubt were looked up, not blindly sent again.
      expect(b.cli.grep(/may have been delivered/).length).toBeGreaterThan(0);

      // Exactly once in the emulator's own records.
      expect(Object.keys(stats.creationsByExternalId ?? {}).sort()).toEqual([...ids].sort());
      expect(Object.entries(stats.creationsByExternalId ?? {}).filter(([, n]) => n !== 1)).toEqual([]);
      expect(stats.conversations).toMatchObject({ accepted: CALLS, live: CALLS, dropped: 0, duplicates: 0 });

      // The 429 storm paused the bridge: it did not hammer the emulator while refused (Retry-After is 3 s at most).
      expect(stats.responses.rateLimited).toBeLessThanOrEqual(8);

      const metrics = await (await fetch(`${b.url}/metrics`)).text();
      expect(Number(/^callbridge_api_rate_limited_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
      expect(metrics).toMatch(/^callbridge_api_rate_per_second [\d.]+$/m);

      expect(await b.cli.stop()).toEqual({ code: 0, signal: null });
      const ledger = await openSqliteLedger(scene.ledgerFile);
      try {
        const listed = new Map((await emu.conversations()).map((c) => [c.external_id, c.id]));
        const rows = await ledger.query({});
        expect(rows).toHaveLength(CALLS);
        // Calls whose answer was lost have the id the reconciler found; the others the one they were given.
        for (const row of rows) expect([row.externalId, row.state, row.conversationId]).toEqual([row.externalId, 'confirmed', listed.get(row.externalId)]);
      } finally {
        await ledger.close();
      }
    }, 110_000);
  });
});
