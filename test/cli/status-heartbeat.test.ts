import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { ledgerPart } from '../../src/bridge/ledger.js';
import { ledgerFile } from '../../src/ledger/open.js';
import { runStatus } from '../../src/cli/status.js';
import { loadConfig } from '../../src/config/load.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { capture } from '../support/capture.js';
import { tempDir } from '../support/tmp.js';

/** `callbridge status` tells from the heartbeat in the ledger whether a bridge runs on it. */
describe('callbridge status: is a bridge running on this ledger?', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const children: ChildProcess[] = [];

  beforeEach(() => {
    tmp = tempDir('callbridge-heartbeat-');
    file = path.join(tmp.dir, 'callbridge.yaml');
    writeFileSync(file, stringify({ dataDir: path.join(tmp.dir, 'data'), http: { host: '127.0.0.1', port: 18_080 }, sources: [] }));
  });
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    tmp.cleanup();
  });

  /** The ledger part in a child process of its own, as a bridge started apart from `callbridge status` is. */
  async function startChild(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve('test/cli/support/ledger-part-child.mts'), file], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 20_000;
    while (!out.includes('beating')) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`child did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return child;
  }
  const status = async (json = false) => capture((out) => runStatus(file, out, { json }));

  it('says a bridge runs (pid, host, since when, its HTTP address) while it beats, and when it stopped once it stopped cleanly', async () => {
    const child = await startChild();
    const text = await status();
    expect(text.code).toBe(0);
    expect(text.text).toMatch(
      new RegExp(`^bridge running \\(pid ${child.pid} on ${os.hostname()} since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z, last seen \\d+ s ago, http http://127\\.0\\.0\\.1:18080\\)$`, 'm'),
    );
    expect(text.text).not.toContain('offline');
    const json = JSON.parse((await status(true)).text) as { mode: string; bridge: Record<string, unknown> };
    expect(json.mode).toBe('running');
    expect(json.bridge).toMatchObject({ running: true, pid: child.pid, host: os.hostname(), httpUrl: 'http://127.0.0.1:18080', stoppedAt: null });

    child.kill('SIGTERM');
    await once(child, 'exit');
    const after = await status();
    expect(after.text).toMatch(new RegExp(`^no bridge running on this ledger \\(last seen \\d{4}-[\\d-]+T[\\d:.]+Z: pid ${child.pid} on ${os.hostname()}, stopped cleanly\\)$`, 'm'));
    const afterJson = JSON.parse((await status(true)).text) as { mode: string; bridge: { running: boolean; stoppedAt: string } };
    expect(afterJson.mode).toBe('not running');
    expect(afterJson.bridge).toMatchObject({ running: false, stoppedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
  }, 30_000);

  it('a bridge killed without stopping is not running: its process is gone, and its last beat is reported', async () => {
    const child = await startChild();
    expect((await status()).text).toContain(`bridge running (pid ${child.pid}`);
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect((await status()).text).toMatch(new RegExp(`^no bridge running on this ledger \\(last seen [\\dT:.Z-]+: pid ${child.pid} on ${os.hostname()}, it did not stop cleanly\\)$`, 'm'));
  }, 30_000);

  it('a heartbeat older than three beats is not a running bridge, even from a live process on another host', async () => {
    const { config } = loadConfig(file);
    const ledger = await openSqliteLedger(ledgerFile(config));
    const beatAt = Date.now() - 16_000;
    await ledger.beat({ id: 'elsewhere', host: 'other-host', pid: 1, startedAt: beatAt - 60_000, beatAt, intervalMs: 5_000, version: '1.0.0', httpUrl: null });
    await ledger.close();
    const text = await status();
    expect(text.text).toContain(`no bridge running on this ledger (last seen ${new Date(beatAt).toISOString()}: pid 1 on other-host, it did not stop cleanly)`);
  });

  it('with a port of 0 configured, the heartbeat names the real address once the server listens', async () => {
    const { config } = loadConfig(file);
    const part = await ledgerPart.build({ config: { ...config, http: { ...config.http, port: 0 } } });
    try {
      await part.start();
      let json = JSON.parse((await status(true)).text) as { bridge: { httpUrl: string | null; running: boolean } };
      expect(json.bridge).toMatchObject({ running: true, httpUrl: null });
      part.heartbeat.announce('http://127.0.0.1:40123');
      await new Promise((r) => setTimeout(r, 50));
      json = JSON.parse((await status(true)).text) as { bridge: { httpUrl: string | null; running: boolean } };
      expect(json.bridge.httpUrl).toBe('http://127.0.0.1:40123');
    } finally {
      await part.stop();
    }
  });

  it('says so when no bridge has ever run on the ledger', async () => {
    const { config } = loadConfig(file);
    await (await openSqliteLedger(ledgerFile(config))).close();
    const text = await status();
    expect(text.text).toContain('no bridge running on this ledger (none has run on it yet)');
    expect(JSON.parse((await status(true)).text)).toMatchObject({ mode: 'not running', bridge: null });
  });
});
