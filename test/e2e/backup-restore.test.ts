/**
 * E2E backup and restore (issue 13): `callbridge backup` copies the ledger while the bridge sends calls read from a
 * tailed Master.csv; more calls are sent after the backup; the bridge stops and `callbridge restore` puts the backup
 * back. The restored ledger has calls that were on their way at the backup, and a tail checkpoint from before the
 * later calls, which the restarted bridge reads again. Every one of them is looked up at Dstny and found: no call is
 * created twice, and every call ends confirmed.
 */
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { allConfirmed, asteriskCalls, BridgeScene, CliProcess, LIST_SHAPES, nonZero, waitUntil } from './support.js';

const FIRST = 30;
const LATER = 10;

describe.each(LIST_SHAPES)('list shape $listShape', ({ listShape }) => {
  const scene = new BridgeScene('callbridge-e2e-backup-');
  afterAll(() => scene.stop());

  it('a backup made while calls are sent, restored after more were sent, sends none of them twice', async () => {
    const master = () => path.join(scene.spool, 'Master.csv');
    await scene.start({
      // Slow answers: at the backup several calls are still on their way.
      faults: { appearDelayMs: 300, ratePerSecond: 500, latencyMs: 300, listShape },
      sources: () => [{ id: 'asterisk', type: 'tail', adapter: 'asterisk-csv', path: master(), pollMs: 100, groupQuietMs: 300, flushEveryMs: 200, options: { userfieldIsRecording: true } }],
      // 3 a second: the calls still to send after the first 6 take 8 s, longer than a loaded machine takes to start
      // the backup process (at 8 a second, a CI run once found all 30 sent by then).
      overrides: { submit: { rateLimit: { perSecond: 3 }, concurrency: 2 } },
    });
    const emu = scene.emulator;
    const first = asteriskCalls({ count: FIRST, prefix: 'before', recordingBase: scene.recordings.url });
    appendFileSync(master(), first.csv);
    await waitUntil(async () => (await emu.stats()).conversations.accepted >= 6, { timeoutMs: 30_000, what: 'some calls created' });

    const backupFile = path.join(scene.dataDir, '..', 'ledger-backup.sqlite');
    const backup = new CliProcess('backup', ['backup', backupFile, '--config', scene.configFile]);
    expect(await backup.exited).toEqual({ code: 0, signal: null });
    expect(backup.stdout).toMatch(new RegExp(`^backed up ${FIRST} call\\(s\\) \\(ledger schema \\d+\\) to ${backupFile.replace(/[.\\]/g, '\\$&')}: [\\d.]+ MB in [\\d.]+ s\\n$`));
    const atBackup = new Database(backupFile, { readonly: true });
    const onTheWay = atBackup.prepare("SELECT COUNT(*) AS n FROM calls WHERE state IN ('pending', 'submitting')").get() as { n: number };
    expect(atBackup.pragma('quick_check', { simple: true })).toBe('ok');
    atBackup.close();
    // Taken mid-way: some calls were still to be sent (they are sent after the backup, by this bridge).
    expect(onTheWay.n).toBeGreaterThan(0);

    await allConfirmed(scene.bridge, FIRST, { timeoutMs: 30_000 });
    const later = asteriskCalls({ count: LATER, prefix: 'after', from: FIRST, recordingBase: scene.recordings.url });
    appendFileSync(master(), later.csv);
    await allConfirmed(scene.bridge, FIRST + LATER, { timeoutMs: 30_000 });
    expect(await scene.bridge.cli.stop()).toEqual({ code: 0, signal: null });

    const restore = new CliProcess('restore', ['restore', backupFile, '--config', scene.configFile]);
    expect(await restore.exited).toEqual({ code: 0, signal: null });
    expect(restore.stdout).toContain(`restored ${FIRST} call(s) from ${backupFile} to ${scene.ledgerFile}; ${onTheWay.n} on their way to Dstny are looked up there before they are sent`);
    // The ledger it replaced is kept, whole.
    const kept = readdirSync(scene.dataDir).filter((f) => f.startsWith('callbridge.sqlite.replaced-'));
    expect(kept).toHaveLength(1);
    const replaced = await openSqliteLedger(path.join(scene.dataDir, kept[0]!));
    expect((await replaced.stats()).counts.confirmed).toBe(FIRST + LATER);
    await replaced.close();

    const second = await scene.startBridge('bridge-2');
    const final = await allConfirmed(second, FIRST + LATER, { timeoutMs: 45_000, what: 'every call confirmed after the restore' });
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: FIRST + LATER });
    const stats = await emu.stats();
    expect(Object.keys(stats.creationsByExternalId ?? {}).sort()).toEqual([...first.ids, ...later.ids].sort());
    expect(Object.entries(stats.creationsByExternalId ?? {}).filter(([, n]) => n !== 1)).toEqual([]);
    expect(stats.conversations).toMatchObject({ accepted: FIRST + LATER, duplicates: 0 });
    expect(existsSync(`${backupFile}.partial`)).toBe(false);
  }, 120_000);
});
