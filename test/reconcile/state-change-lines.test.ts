import { beforeEach, describe, expect, it } from '@jest/globals';
import type { Ledger, RowGuard, RowPatch } from '../../src/ledger/ledger.js';
import { reconcileConfigSchema } from '../../src/reconcile/config.js';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { linesLogger } from '../support/log-lines.js';
import { callPayload, clientFor, putPending, reconcileScene, submitDue } from './support.js';

/**
 * Issue 10, defect 8: a row the reconciler declares `missing` is ONE warn line naming the call, why, and what to
 * do, once the ledger took the change; a row that moved on meanwhile (a webhook confirmed it) gets none.
 */
const MIN = 60_000;
const scene = reconcileScene();
let log: ReturnType<typeof linesLogger>;
beforeEach(() => {
  log = linesLogger();
});

function reconciler(overrides: Record<string, unknown> = {}, ledger: Ledger = scene.t.ledger) {
  const config = reconcileConfigSchema.parse({ graceMinutes: 5, deadlineMinutes: 120, verifyWaitMinutes: 30, ...overrides });
  return new Reconciler({ ledger, api: clientFor(scene.emu), config, logger: log.logger });
}

async function submitLost(id: string): Promise<void> {
  scene.emu.setFaults({ dropRate: 1 }); // Dstny answers 201 but the conversation never appears
  await putPending(scene.t.ledger, [callPayload(id, '2025-04-17T08:00:00Z', scene.recordings.url)]);
  await submitDue(scene.t.ledger, scene.emu, Date.now() - 121 * MIN);
}

interface Line {
  level: string;
  message: string;
  externalId?: string;
  state?: string;
}
const missingLines = () => log.lines.map((l) => JSON.parse(l) as Line).filter((l) => l.level === 'warn' && l.state === 'missing');

describe('reconciler: one warn line per row that becomes missing', () => {
  it('resubmitted once: one line saying so; missing again: one line with confirm and retry; later runs: none', async () => {
    await submitLost('lost-1');
    const rec = reconciler();
    expect(await rec.runOnce()).toMatchObject({ missing: 1, resubmitted: 1 });
    let lines = missingLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ externalId: 'lost-1', state: 'missing' });
    expect(lines[0]!.message).toMatch(/^call lost-1 \(test:lost-1\) missing: not found at Dstny 121 min after submission \(conversation [^)]+\)\. What to do: nothing yet: it is sent once more by itself/);
    expect(lines[0]!.message).toContain('"callbridge retry --state missing --id lost-1"');

    await submitDue(scene.t.ledger, scene.emu, Date.now() - 121 * MIN);
    expect(await rec.runOnce()).toMatchObject({ missing: 1, reported: 1 });
    lines = missingLines();
    expect(lines).toHaveLength(2);
    expect(lines[1]!.message).toMatch(/^call lost-1 \(test:lost-1\) missing: not found at Dstny 121 min after submission after its resubmission/);
    expect(lines[1]!.message).toContain(
      'What to do: look for it at Dstny: if it is there, run "callbridge confirm lost-1 <conversation id>"; if not, "callbridge retry --state missing --id lost-1" sends it again',
    );
    // Only one line per change: no second, differently worded line about the same call.
    expect(log.lines.filter((l) => l.includes('never appeared'))).toEqual([]);

    // Already missing: later runs do not look at it, and say nothing more.
    await rec.runOnce();
    expect(missingLines()).toHaveLength(2);
    expect((await scene.t.ledger.get('lost-1'))!.state).toBe('missing');
  });

  it('no line when the row moved on before the change committed (a webhook confirmed it meanwhile)', async () => {
    await submitLost('lost-2');
    const racing = Object.create(scene.t.ledger) as Ledger;
    racing.update = async (id: string, patch: RowPatch, guard?: RowGuard) => {
      if (patch.state === 'missing') await scene.t.ledger.update(id, { state: 'confirmed', confirmedAt: Date.now() }, { states: ['submitted'] });
      return scene.t.ledger.update(id, patch, guard);
    };
    expect(await reconciler({}, racing).runOnce()).toMatchObject({ missing: 0 });
    expect((await scene.t.ledger.get('lost-2'))!.state).toBe('confirmed');
    expect(missingLines()).toEqual([]);
  });
});
