/**
 * E2E crash: the bridge is killed with SIGKILL while it submits (slow emulator, many calls) and started again
 * with the same data folder. No call is lost and none is created twice at the emulator: the requests the dead
 * process had in flight are looked up before anything is sent again.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { allConfirmed, BridgeScene, LIST_SHAPES, nonZero, sleep, waitUntil } from './support.js';

const CALLS = 60;

describe.each(LIST_SHAPES)('list shape $listShape', ({ listShape }) => {
  const scene = new BridgeScene('callbridge-e2e-crash-');

  afterAll(() => scene.stop());

  describe('e2e: the bridge killed with SIGKILL while submitting', () => {
    it('started again, it loses no call and creates none twice', async () => {
      await scene.start({
        // Slow answers: at any moment several requests are in flight.
        faults: { appearDelayMs: 300, ratePerSecond: 500, latencyMs: 400, listShape },
        // A dead process's leases expire after 3 s; a request in doubt is sent again only if not listed 1.8 s later.
        overrides: { submit: { leaseMs: 3_000 }, reconcile: { verifyWaitMinutes: 0.03 } },
        bridgeName: 'bridge-1',
      });
      const emu = scene.emulator;
      const first = scene.bridge;
      const { ids } = scene.dropCalls('Master.csv', { count: CALLS, prefix: 'crash' });

      await waitUntil(async () => (await emu.stats()).conversations.accepted >= CALLS / 4, { timeoutMs: 30_000, what: 'a quarter of the calls created' });
      expect(await first.cli.kill()).toEqual({ code: null, signal: 'SIGKILL' });
      const killedAt = await emu.stats();
      expect(killedAt.conversations.accepted).toBeLessThan(CALLS);

      // What the dead process left: requests it had started (sendingAt set) are in doubt.
      const afterKill = await openSqliteLedger(scene.ledgerFile);
      let inDoubt: string[];
      try {
        const rows = await afterKill.query({});
        expect(rows).toHaveLength(CALLS);
        inDoubt = rows.filter((r) => r.state === 'submitting' && r.sendingAt !== null).map((r) => r.externalId);
        expect(inDoubt.length).toBeGreaterThan(0);
      } finally {
        await afterKill.close();
      }

      // The requests in flight reached the emulator, which finished them after the bridge died (latency 0.4 s).
      await sleep(800);
      const beforeRestart = await emu.stats();
      const inDoubtCreated = inDoubt.filter((id) => (beforeRestart.creationsByExternalId ?? {})[id] === 1);
      expect(inDoubtCreated.length).toBeGreaterThan(0);

      const second = await scene.startBridge('bridge-2');
      const final = await allConfirmed(second, CALLS, { timeoutMs: 45_000, what: `all ${CALLS} calls confirmed after the restart` });
      expect(nonZero(final.ledger.counts)).toEqual({ confirmed: CALLS });
      // The restarted bridge recovered the dead leases as calls to look up.
      expect(second.cli.grep(/were in flight when their process stopped/).length).toBeGreaterThan(0);

      const stats = await emu.stats();
      expect(Object.keys(stats.creationsByExternalId ?? {}).sort()).toEqual([...ids].sort());
      expect(Object.entries(stats.creationsByExternalId ?? {}).filter(([, n]) => n !== 1)).toEqual([]);
      expect(stats.conversations).toMatchObject({ accepted: CALLS, live: CALLS, duplicates: 0 });
      // Nothing was refused: the calls in doubt that had not arrived were sent again, whole.
      expect(stats.responses).toMatchObject({ invalid: 0, badRequest: 0 });

      expect(await second.cli.stop()).toEqual({ code: 0, signal: null });
      const ledger = await openSqliteLedger(scene.ledgerFile);
      try {
        const listed = new Map((await emu.conversations()).map((c) => [c.external_id, c.id]));
        for (const row of await ledger.query({})) expect([row.externalId, row.state, row.conversationId]).toEqual([row.externalId, 'confirmed', listed.get(row.externalId)]);
      } finally {
        await ledger.close();
      }
    }, 110_000);
  });
});
