/**
 * E2E "accepted but never appears": the emulator answers a conversation_id but the conversation never shows.
 * A call whose first creation was dropped becomes `missing`, is resubmitted once and then confirmed; a call
 * dropped both times is reported `missing` after its resubmission and never sent a third time.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { BridgeScene, nonZero, sleep, waitUntil } from './support.js';

const scene = new BridgeScene('callbridge-e2e-missing-');

afterAll(() => scene.stop());

describe('e2e: accepted but never appears', () => {
  it('a dropped call becomes missing, is resubmitted once and confirmed; dropped twice, it is reported missing', async () => {
    await scene.start({
      faults: { appearDelayMs: 300, ratePerSecond: 500, dropRate: 1 },
      // Missing 2.4 s after submission (the emulator shows a conversation 0.3 s after creating it).
      overrides: { reconcile: { graceMinutes: 0.01, deadlineMinutes: 0.04, resubmitMissing: true } },
    });
    const emu = scene.emulator;
    const b = scene.bridge;
    const diagnose = async () => `${JSON.stringify(nonZero((await b.status()).ledger.counts))}\n${b.cli.tail(30)}`;
    const creations = async (id: string) => emu.conversations(id);

    // Calls "never": dropped on their first and on their second submission.
    const never = scene.dropCalls('never.csv', { count: 2, prefix: 'never' });
    await waitUntil(async () => (await Promise.all(never.ids.map(creations))).every((list) => list.length === 2), {
      timeoutMs: 30_000,
      what: 'the "never" calls submitted a second time',
      describe: diagnose,
    });

    // Calls "late": dropped on their first submission only.
    const late = scene.dropCalls('late.csv', { count: 2, prefix: 'late', from: 2 });
    await waitUntil(async () => (await Promise.all(late.ids.map(creations))).every((list) => list.length === 1), {
      timeoutMs: 20_000,
      what: 'the "late" calls submitted once',
      describe: diagnose,
    });
    await emu.faults({ dropRate: 0 });

    const final = await waitUntil(
      async () => {
        const s = await b.status();
        return s.ledger.counts.confirmed === 2 && s.ledger.counts.missing === 2 ? s : null;
      },
      { timeoutMs: 30_000, what: '"late" confirmed and "never" missing', describe: diagnose },
    );
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: 2, missing: 2 });
    // Reported, not sent a third time: a few more reconcile runs change nothing.
    await sleep(2_500);
    expect(nonZero((await b.status()).ledger.counts)).toEqual({ confirmed: 2, missing: 2 });

    // The emulator's records: "never" twice, both dropped; "late" once dropped, then once live. No duplicates.
    for (const id of never.ids) expect((await creations(id)).map((c) => c.dropped)).toEqual([true, true]);
    for (const id of late.ids) expect((await creations(id)).map((c) => c.dropped)).toEqual([true, false]);
    const stats = await emu.stats();
    expect(stats.conversations).toMatchObject({ accepted: 8, live: 2, dropped: 6, duplicates: 0 });

    expect(await b.cli.stop()).toEqual({ code: 0, signal: null });
    const ledger = await openSqliteLedger(scene.ledgerFile);
    try {
      for (const id of never.ids) {
        const row = await ledger.get(id);
        expect(row).toMatchObject({ state: 'missing', resubmits: 1 });
        expect(row?.reason).toMatch(/not found at Dstny \d+ min after submission after its resubmission/);
      }
      for (const id of late.ids) {
        const row = await ledger.get(id);
        const live = (await creations(id)).find((c) => !c.dropped);
        expect(row).toMatchObject({ state: 'confirmed', resubmits: 1, conversationId: live?.id });
      }
    } finally {
      await ledger.close();
    }
  }, 90_000);
});
