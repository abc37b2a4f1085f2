/**
 * E2E crash: the bridge is killed with SIGKILL while it submits (slow emulator, many calls) and started again
 * with the same data folder. No call is lost and none is created twice at the emulator: the requests the dead
 * process had in flight are looked up before anything is sent again.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import {
  asteriskCalls,
  asteriskDropSource,
  BridgeProcess,
  bridgeConfig,
  dropFile,
  EmulatorProcess,
  freePort,
  nonZero,
  sleep,
  type RecordingServer,
  startRecordingServer,
  tempDir,
  waitUntil,
  writeConfig,
} from './support.js';

const CALLS = 60;

const tmp = tempDir('callbridge-e2e-crash-');
let emulator: EmulatorProcess | null = null;
const bridges: BridgeProcess[] = [];
let recordings: RecordingServer | null = null;

afterAll(async () => {
  for (const b of bridges) await b.cli.stop(3_000);
  await emulator?.cli.stop(3_000);
  await recordings?.close();
  tmp.cleanup();
});

describe('e2e: the bridge killed with SIGKILL while submitting', () => {
  it('started again, it loses no call and creates none twice', async () => {
    recordings = await startRecordingServer();
    emulator = await EmulatorProcess.start();
    const emu = emulator;
    // Slow answers: at any moment several requests are in flight.
    await emu.faults({ appearDelayMs: 300, ratePerSecond: 500, latencyMs: 400 });

    const spool = path.join(tmp.dir, 'spool');
    mkdirSync(spool, { recursive: true });
    const dataDir = path.join(tmp.dir, 'data');
    const webhookSecret = randomBytes(16).toString('hex');
    const port = await freePort();
    const configFile = writeConfig(
      path.join(tmp.dir, 'callbridge.yaml'),
      bridgeConfig({
        dataDir,
        port,
        sources: [asteriskDropSource('asterisk', spool)],
        // A dead process's leases expire after 3 s; a request in doubt is sent again only if not listed 1.8 s later.
        overrides: { submit: { leaseMs: 3_000 }, reconcile: { verifyWaitMinutes: 0.03 } },
      }),
    );
    const first = await BridgeProcess.start({ configFile, port, emulator, webhookSecret, name: 'bridge-1' });
    bridges.push(first);
    await emu.registerWebhook(`${first.url}/webhooks/dstny/${webhookSecret}`);

    const { csv, ids } = asteriskCalls({ count: CALLS, prefix: 'crash', recordingBase: recordings.url });
    dropFile(spool, 'Master.csv', csv);

    await waitUntil(async () => (await emu.stats()).conversations.accepted >= CALLS / 4, { timeoutMs: 30_000, what: 'a quarter of the calls created' });
    expect(await first.cli.kill()).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = await emu.stats();
    expect(killedAt.conversations.accepted).toBeLessThan(CALLS);

    // What the dead process left: requests it had started (sendingAt set) are in doubt.
    const afterKill = await openSqliteLedger(path.join(dataDir, 'callbridge.sqlite'));
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

    const second = await BridgeProcess.start({ configFile, port, emulator, webhookSecret, name: 'bridge-2' });
    bridges.push(second);
    const final = await waitUntil(
      async () => {
        const s = await second.status();
        return s.ledger.counts.confirmed === CALLS ? s : null;
      },
      {
        timeoutMs: 45_000,
        what: `all ${CALLS} calls confirmed after the restart`,
        describe: async () => `${JSON.stringify(nonZero((await second.status()).ledger.counts))}\n${second.cli.tail(30)}`,
      },
    );
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
    const ledger = await openSqliteLedger(path.join(dataDir, 'callbridge.sqlite'));
    try {
      const listed = new Map((await emu.conversations()).map((c) => [c.external_id, c.id]));
      for (const row of await ledger.query({})) expect([row.externalId, row.state, row.conversationId]).toEqual([row.externalId, 'confirmed', listed.get(row.externalId)]);
    } finally {
      await ledger.close();
    }
  }, 110_000);
});
