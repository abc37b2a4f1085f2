import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { bridgeParts, startBridge } from '../../src/bridge/start.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { linesLogger } from '../support/log-lines.js';
import { tempDir } from '../support/tmp.js';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function sandboxConfig(port = 0) {
  const tmp = tempDir('callbridge-start-');
  cleanups.push(tmp.cleanup);
  return validateConfig({ dataDir: tmp.dir, http: { host: '127.0.0.1', port }, sources: [{ type: 'hook', id: 'pbx', adapter: 'asterisk-csv' }] });
}

describe('startBridge', () => {
  it('runs the parts the docs list, in that order, and answers /status until stopped (twice is safe)', async () => {
    const { logger } = linesLogger();
    const bridge = await startBridge(sandboxConfig(), { configDir: process.cwd(), logger });
    cleanups.push(() => bridge.stop());
    expect(bridge.parts).toEqual(bridgeParts.map((p) => p.name));
    const status = (await (await fetch(`${bridge.url}/status`)).json()) as { mode: string; sources: Array<{ id: string; running: boolean }> };
    expect(status).toMatchObject({ mode: 'sandbox', sources: [{ id: 'pbx', running: true }] });
    await Promise.all([bridge.stop(), bridge.stop()]);
    await expect(fetch(`${bridge.url}/status`)).rejects.toThrow();
  });

  it('a call whose callbacks show it whole is sent as soon as its last one is posted: not after groupQuietMs, nor at the next pumpIntervalMs', async () => {
    const fixture = loadConfig('test/fixtures/twilio/callbridge.yaml').config;
    const tmp = tempDir('callbridge-start-');
    cleanups.push(tmp.cleanup);
    const config = validateConfig({
      dataDir: tmp.dir,
      http: { host: '127.0.0.1', port: 0 },
      emulator: { fetchRecordings: false, appearDelayMs: 0 },
      submit: { pumpIntervalMs: 600_000 },
      normalize: fixture.normalize,
      sources: [{ type: 'hook', id: 'twilio', adapter: 'twilio', options: fixture.sources[0]?.options, groupQuietMs: 600_000, flushEveryMs: 600_000 }],
    });
    const { logger } = linesLogger();
    const bridge = await startBridge(config, { configDir: process.cwd(), logger });
    cleanups.push(() => bridge.stop());
    // The final status callback and the completed recording's, as Twilio posts them.
    const callbacks = readFileSync('test/fixtures/twilio/inbound-with-recording.form', 'utf8').split('\n').filter(Boolean);
    const posted = Date.now();
    for (const body of callbacks) {
      const res = await fetch(`${bridge.url}/hooks/twilio`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(res.status).toBe(200);
    }
    const id = 'CA2f9d4b61e08c37a5f1b2d3e4c5a6b7d8';
    for (;;) {
      const row = await bridge.ledger.get(id);
      if (row?.state === 'submitted' || row?.state === 'confirmed') break;
      if (Date.now() - posted > 10_000) throw new Error(`the call was not sent within 10 s: ${JSON.stringify(row && { state: row.state, reason: row.reason })}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it('when a part cannot be built, stops the parts already built (the emulator is closed again) and says why', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const { logger, lines } = linesLogger();
    await expect(startBridge(sandboxConfig(port), { configDir: process.cwd(), logger })).rejects.toThrow(`cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
    const emulatorUrl = /EMULATOR at (http:\/\/127\.0\.0\.1:\d+)/.exec(lines.join(''))?.[1];
    expect(emulatorUrl).toBeDefined();
    await expect(fetch(`${emulatorUrl}/api/v2/conversations`)).rejects.toThrow();
  });
});
