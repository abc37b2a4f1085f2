import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { type Bridge, startBridge } from '../../src/bridge/start.js';
import { runSandbox } from '../../src/cli/sandbox.js';
import { loadConfig } from '../../src/config/load.js';
import { capture } from '../support/capture.js';
import { linesLogger } from '../support/log-lines.js';
import { tempDir } from '../support/tmp.js';

/**
 * `npm start` in a sandbox, run again: it says what an earlier run delivered; `callbridge sandbox --reset` removes
 * only what the sandbox made, refuses while a bridge runs or for a live configuration, and the next start delivers again.
 */
describe('callbridge sandbox --reset', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const running: Bridge[] = [];
  const paths = () => ({
    data: path.join(tmp.dir, 'data'),
    ledger: path.join(tmp.dir, 'data', 'callbridge.sqlite'),
    spool: path.join(tmp.dir, 'spool', 'asterisk'),
    recordings: path.join(tmp.dir, 'data', 'sandbox', 'recordings'),
  });

  beforeEach(() => {
    tmp = tempDir('callbridge-sandbox-');
    file = path.join(tmp.dir, 'callbridge.yaml');
    // As config/callbridge.yaml, in a temp folder, quick.
    writeFileSync(
      file,
      stringify({
        dataDir: paths().data,
        sources: [{ id: 'asterisk-drop', type: 'drop', path: paths().spool, adapter: 'asterisk-csv', stableMs: 50, options: { userfieldIsRecording: true } }],
        normalize: { timezone: 'Europe/Stockholm', defaultCountry: 'SE', internalNumbers: ['^\\d{3}$'], trunkPatterns: ['^(?:PJSIP|SIP)/telia-'], owners: { map: { '201': 'anna.lindqvist@example.se', '202': 'bjorn.ek@example.se' } } },
        recordings: { roots: [paths().recordings] },
        http: { host: '127.0.0.1', port: 0 },
        emulator: { appearDelayMs: 0 },
      }),
    );
  });
  afterEach(async () => {
    for (const bridge of running.splice(0)) await bridge.stop();
    tmp.cleanup();
  });

  async function start() {
    const { logger, lines } = linesLogger();
    const { config } = loadConfig(file, {});
    const bridge = await startBridge(config, { configDir: tmp.dir, logger });
    running.push(bridge);
    return { bridge, lines };
  }
  async function delivered(bridge: Bridge, calls: number) {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const { counts } = await bridge.ledger.stats();
      if (counts.submitted + counts.confirmed >= calls) return;
      if (Date.now() > deadline) throw new Error(`not delivered in time: ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const stop = async (bridge: Bridge) => {
    await bridge.stop();
    running.splice(running.indexOf(bridge), 1);
  };

  it('a second start says what the first delivered; reset (refused while a bridge runs) lets the next start deliver the samples again', async () => {
    const first = await start();
    expect(first.lines.join('')).toContain('sandbox: copied the sample CDRs into');
    await delivered(first.bridge, 3);
    await stop(first.bridge);

    const second = await start();
    await new Promise((r) => setTimeout(r, 100));
    expect(second.lines.join('')).toContain('sandbox: 3 call(s) already delivered in an earlier run (the samples are not copied again); `callbridge sandbox --reset` starts over');
    expect(second.lines.join('')).not.toContain('copied the sample CDRs');

    const refused = await capture((out) => runSandbox(file, out, { reset: true }));
    expect(refused.code).toBe(1);
    expect(refused.text).toContain(`a bridge is running on the ledger ${paths().ledger} (pid ${process.pid}`);
    expect(refused.text).toContain('stop it first; nothing was removed');
    expect(existsSync(paths().ledger)).toBe(true);
    await stop(second.bridge);

    // The operator's own file in the drop folder stays; everything the sandbox made goes.
    writeFileSync(path.join(paths().spool, 'mine.txt'), 'notes');
    const reset = await capture((out) => runSandbox(file, out, { reset: true }));
    expect(reset.code).toBe(0);
    expect(reset.text).toContain(`removed ${paths().ledger}\n`);
    expect(reset.text).toContain(`removed ${path.join(paths().spool, 'processed')}\n`);
    expect(reset.text).toContain(`kept ${paths().spool}: mine.txt (not put there by the sandbox)`);
    expect(existsSync(paths().ledger)).toBe(false);
    expect(existsSync(paths().recordings)).toBe(false);
    expect(readdirSync(paths().spool)).toEqual(['mine.txt']);
    // dataDir itself and what else the bridge keeps there (its signing secret) stay.
    expect(existsSync(paths().data)).toBe(true);

    const third = await start();
    expect(third.lines.join('')).toContain(`sandbox: copied the sample CDRs into ${paths().spool}`);
    await delivered(third.bridge, 3);
    expect(existsSync(path.join(paths().recordings, 'sandbox-1.wav'))).toBe(true);
  }, 60_000);

  it('refuses a live configuration (a token is set), naming no token, and removes nothing', async () => {
    const first = await start();
    await delivered(first.bridge, 3);
    await stop(first.bridge);
    process.env.DSTNY_API_TOKEN = 'live-token-do-not-print';
    try {
      const refused = await capture((out) => runSandbox(file, out, { reset: true }));
      expect(refused.code).toBe(1);
      expect(refused.text).toContain('is a live configuration (a Dstny token is set by dstny.token or DSTNY_API_TOKEN): there is no sandbox to reset; nothing was removed');
      expect(refused.text).not.toContain('live-token-do-not-print');
    } finally {
      delete process.env.DSTNY_API_TOKEN;
    }
    expect(existsSync(paths().ledger)).toBe(true);
    expect(existsSync(path.join(paths().spool, 'processed'))).toBe(true);
  }, 60_000);
});
