/**
 * Reload (SIGHUP) of a running bridge, in process: sources added and removed, owners changed, log level and rate
 * limit applied live; settings held by running parts reported as waiting for a restart; an unusable new
 * configuration refused with the bridge going on as it was.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { stereoWav } from '../../src/bridge/sandbox.js';
import { type Bridge, startBridge } from '../../src/bridge/start.js';
import { validateConfig } from '../../src/config/load.js';
import { CallbridgeError } from '../../src/errors.js';
import { linesLogger } from '../support/log-lines.js';
import { tempDir } from '../support/tmp.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// An incoming call from the trunk answered by extension 202, recorded in call-202.wav (Asterisk cdr_csv columns).
const cdr = (uniqueid: string) =>
  `"","0812345678","46812345600","from-trunk","""Lars Berg"" <0812345678>","PJSIP/telia-00000003","PJSIP/202-00000004","Dial","PJSIP/202,30,tT","2026-11-27 10:02:41","2026-11-27 10:02:55","2026-11-27 10:07:12",271,257,"ANSWERED","DOCUMENTATION","${uniqueid}","call-202.wav"\n`;

function scene() {
  const tmp = tempDir('callbridge-reload-');
  cleanups.push(tmp.cleanup);
  const recordings = path.join(tmp.dir, 'recordings');
  mkdirSync(recordings);
  writeFileSync(path.join(recordings, 'call-202.wav'), stereoWav());
  const base = {
    dataDir: path.join(tmp.dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    log: { level: 'info' },
    submit: { rateLimit: { perSecond: 5 } },
    recordings: { roots: [recordings] },
    normalize: {
      timezone: 'Europe/Stockholm',
      defaultCountry: 'SE',
      internalNumbers: ['^\\d{3}$'],
      trunkPatterns: ['^(?:PJSIP|SIP)/telia-'],
      owners: { map: { '201': 'anna.lindqvist@example.se' } },
    },
    sources: [{ id: 'old-hook', type: 'hook', adapter: 'asterisk-csv', groupQuietMs: 0, flushEveryMs: 100, options: { userfieldIsRecording: true } }],
  };
  const drop = path.join(tmp.dir, 'drop');
  const changed = {
    ...base,
    http: { host: '127.0.0.1', port: 1 },
    log: { level: 'debug' },
    submit: { rateLimit: { perSecond: 2 } },
    normalize: { ...base.normalize, owners: { map: { '201': 'anna.lindqvist@example.se', '202': 'bjorn.ek@example.se' } } },
    sources: [{ id: 'new-drop', type: 'drop', path: drop, adapter: 'asterisk-csv', stableMs: 100, rescanMs: 200, options: { userfieldIsRecording: true } }],
  };
  return { dir: tmp.dir, drop, base: validateConfig(base), changed: validateConfig(changed) };
}

async function started(config: ReturnType<typeof validateConfig>): Promise<{ bridge: Bridge; lines: string[]; logger: ReturnType<typeof linesLogger>['logger'] }> {
  const { logger, lines } = linesLogger();
  logger.level = config.log.level;
  const bridge = await startBridge(config, { configDir: process.cwd(), logger });
  cleanups.push(() => bridge.stop());
  return { bridge, lines, logger };
}

const postCdr = (bridge: Bridge, source: string, body: string) =>
  fetch(`${bridge.url}/hooks/${source}`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body });

async function waitForRow(bridge: Bridge, id: string, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const row = await bridge.ledger.get(id);
    if (row) return row;
    if (Date.now() > end) throw new Error(`no row ${id} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('bridge.reload', () => {
  it('applies sources, owners, log level and rate limit live, and names what waits for a restart', async () => {
    const { base, changed, drop } = scene();
    const { bridge, logger } = await started(base);

    // Before: extension 202 has no owner, so its call cannot be sent.
    expect((await postCdr(bridge, 'old-hook', cdr('before.1'))).status).toBe(200);
    expect((await waitForRow(bridge, 'before.1')).state).toBe('rejected');

    mkdirSync(drop);
    const plan = await bridge.reload(changed, process.cwd());
    expect(plan.live.sort()).toEqual(['log.level', 'normalize.owners.map.202', 'sources', 'submit.rateLimit.perSecond']);
    expect(plan.restart).toEqual(['http.port']);

    // The removed hook source is gone, the added drop folder is read, and the new owner applies.
    expect((await postCdr(bridge, 'old-hook', cdr('after.1'))).status).toBe(404);
    const status = await bridge.status();
    expect(status.sources.map((s) => [s.id, s.running])).toEqual([['new-drop', true]]);
    writeFileSync(path.join(drop, 'Master.csv'), cdr('after.2'));
    const row = await waitForRow(bridge, 'after.2');
    expect(row.state).not.toBe('rejected');
    expect(row.payload).toMatchObject({ owner_email: 'bjorn.ek@example.se' });

    expect(logger.level).toBe('debug');
    expect(status.api?.rate.configuredPerSecond).toBe(2);
    // http.port waits for a restart: the bridge still answers where it listened.
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);
  });

  it('keeps the configuration it runs on when the new one cannot be used (an owners file that is not there)', async () => {
    const { base, changed, dir, drop } = scene();
    const { bridge } = await started(base);
    const missing = path.join(dir, 'no-such-owners.csv');
    const broken = validateConfig({ ...changed, normalize: { ...changed.normalize, owners: { csv: missing } } });

    const refused = bridge.reload(broken, process.cwd());
    await expect(refused).rejects.toThrow(CallbridgeError);
    await expect(refused).rejects.toThrow(missing);

    // Still the old sources and owners: the hook answers, the drop source never started.
    expect((await bridge.status()).sources.map((s) => s.id)).toEqual(['old-hook']);
    expect((await postCdr(bridge, 'old-hook', cdr('still.1'))).status).toBe(200);
    expect((await waitForRow(bridge, 'still.1')).state).toBe('rejected');
    expect((await bridge.status()).api?.rate.configuredPerSecond).toBe(5);

    // A drop folder that is not there cannot start: the sources it replaced run again, with the old owners.
    const failedStart = bridge.reload(changed, process.cwd());
    await expect(failedStart).rejects.toThrow(`drop folder ${drop} of source new-drop cannot be read`);
    expect((await bridge.status()).sources.map((s) => [s.id, s.running])).toEqual([['old-hook', true]]);
    expect((await postCdr(bridge, 'old-hook', cdr('still.2'))).status).toBe(200);
    expect((await waitForRow(bridge, 'still.2')).state).toBe('rejected');

    // A later valid reload still works.
    mkdirSync(drop);
    const plan = await bridge.reload(changed, process.cwd());
    expect(plan.live).toContain('sources');
    expect((await bridge.status()).sources.map((s) => s.id)).toEqual(['new-drop']);
  });
});
