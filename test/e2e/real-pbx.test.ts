/**
 * E2E over real PBX output: the Master.csv a real Asterisk 22 wrote (queues, ring groups, transfers, AMI
 * click-to-call, all on Local channels) is dropped into the folder of a running bridge configured the way a new
 * user would (adapter defaults, time zone, internal numbers, owners). Every answered outside call must be created
 * exactly once at the emulator, with the body the README's ground truth gives and the caller row's recording
 * (which the emulator fetches from the bridge), and every other call skipped with its reason.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import type { CallRecord } from '../../src/pipeline/call-record.js';
import { REAL_CONFIG, REAL_DIR, REAL_MASTER, SENT, SKIPPED } from '../adapters/asterisk-real-truth.js';
import { BridgeScene, dropFile, nonZero, REPO, waitUntil } from './support.js';

const scene = new BridgeScene('callbridge-e2e-real-pbx-');
afterAll(() => scene.stop());

/** The fixture config's normalize section and source options: what the user wrote. */
const userConfig = parseYaml(readFileSync(path.join(REPO, REAL_CONFIG), 'utf8')) as {
  normalize: Record<string, unknown>;
  sources: Array<{ timezone: string; options: Record<string, unknown> }>;
};

describe('e2e: real Asterisk CDRs through a drop folder', () => {
  it('every answered outside call is created once with the ground-truth body; the rest are skipped with their reasons', async () => {
    await scene.start({
      faults: { appearDelayMs: 300, ratePerSecond: 200 },
      roots: [path.join(REPO, REAL_DIR, 'rec')],
      overrides: { normalize: userConfig.normalize },
      source: { timezone: userConfig.sources[0]?.timezone, options: userConfig.sources[0]?.options },
    });
    dropFile(scene.spool, 'Master.csv', readFileSync(path.join(REPO, REAL_MASTER)));

    const b = scene.bridge;
    const total = SENT.length + SKIPPED.length;
    const final = await waitUntil(
      async () => {
        const s = await b.status();
        const c = s.ledger.counts;
        return c.confirmed + c.skipped + c.rejected + c.failed + c.missing === total ? s : null;
      },
      { timeoutMs: 40_000, what: 'every call to reach a final state', describe: async () => `${JSON.stringify(nonZero((await b.status()).ledger.counts))}\n${b.cli.tail(40)}` },
    );
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: SENT.length, skipped: SKIPPED.length });

    // Created exactly once each, and nothing else; the emulator fetched each recording link (it refuses one that is not 200).
    const stats = await scene.emulator.stats();
    const ids = SENT.map((t) => t.payload.call_external_id as string).sort();
    expect(stats.creationsByExternalId).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(stats.responses.invalid).toBe(0);

    expect(await b.cli.stop()).toEqual({ code: 0, signal: null });
    const ledger = await openSqliteLedger(scene.ledgerFile);
    try {
      const rows = await ledger.query({ states: ['confirmed', 'skipped'] });
      const byId = new Map(rows.map((r) => [r.externalId, r]));
      for (const truth of SENT) {
        const row = byId.get(truth.payload.call_external_id as string);
        const { call_recording_url: url, ...payload } = (row?.payload ?? {}) as Record<string, unknown>;
        expect({ scenario: truth.scenario, payload }).toEqual({ scenario: truth.scenario, payload: truth.payload });
        expect(url).toMatch(new RegExp(`^${b.url}/recordings/`));
        expect({ scenario: truth.scenario, recording: (row?.raw as CallRecord).recording?.path }).toEqual({
          scenario: truth.scenario,
          recording: `./2026/12/06/${truth.recording}`,
        });
      }
      const skipped = rows.filter((r) => r.state === 'skipped').map((r) => [r.location, r.reason]);
      expect(skipped.sort()).toEqual(SKIPPED.map((s) => [`${path.join(scene.spool, 'Master.csv')}:${s.line}`, s.reason]).sort());
    } finally {
      await ledger.close();
    }
  }, 90_000);
});
