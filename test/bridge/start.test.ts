import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import { bridgeParts, startBridge } from '../../src/bridge/start.js';
import { validateConfig } from '../../src/config/load.js';
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
