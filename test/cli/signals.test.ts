/**
 * The bridge as administrators run it: `npm start` as a real process, stopped with SIGTERM to the PID npm gives
 * (what kill, timeout, supervisord and pm2 do), reloaded with SIGHUP, and surviving the hangup of the terminal
 * it was started from with nohup.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { REPO, tempDir, waitUntil } from '../e2e/support.js';

/** Environment that would change what the bridge does is never inherited from the test runner. */
const CONTROLLED_ENV = /^(DSTNY_|CALLBRIDGE_|LOG_LEVEL$|NODE_OPTIONS$|npm_)/;
const SHUTDOWN_TIMEOUT_MS = 2_000;

interface Started {
  proc: ChildProcess;
  /** The bridge's own PID, from its start line (npm's child). */
  bridgePid: number;
  url: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: ChildProcess[] = [];
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const proc of started.splice(0)) {
    // Only what this test started: its own process group (npm may be gone while the bridge it started is not).
    try {
      process.kill(-proc.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function configFile(extra: Record<string, unknown> = {}): { file: string; write: (c: Record<string, unknown>) => void } {
  const tmp = tempDir('callbridge-signals-');
  cleanups.push(tmp.cleanup);
  const file = path.join(tmp.dir, 'callbridge.yaml');
  const base = {
    dataDir: path.join(tmp.dir, 'data'),
    log: { format: 'json', level: 'info' },
    http: { host: '127.0.0.1', port: 0 },
    submit: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS },
    sources: [{ id: 'pbx', type: 'hook', adapter: 'asterisk-csv' }],
    ...extra,
  };
  const write = (c: Record<string, unknown>) => writeFileSync(file, stringify({ ...base, ...c }));
  write({});
  return { file, write };
}

/** `argv` in its own process group (as a login shell's job would be), waiting for the bridge's start line. */
async function run(argv: string[]): Promise<Started> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONTROLLED_ENV.test(k))) as Record<string, string>;
  const proc = spawn(argv[0]!, argv.slice(1), { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(proc);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  const match = await waitUntil(() => /running \(pid (\d+)\).*HTTP on (http:\/\/127\.0\.0\.1:\d+)/.exec(out), {
    timeoutMs: 30_000,
    what: 'the bridge to start',
    describe: () => out,
  });
  return { proc, bridgePid: Number(match[1]), url: match[2]!, output: () => out, exited };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('signals', () => {
  it('SIGTERM to the PID `npm start` gives stops the bridge cleanly within the shutdown timeout', async () => {
    const { file } = configFile();
    const bridge = await run(['npm', 'start', '--', '--config', file]);
    expect(bridge.bridgePid).not.toBe(bridge.proc.pid);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);

    const termAt = Date.now();
    process.kill(bridge.proc.pid!, 'SIGTERM');
    const exit = await Promise.race([bridge.exited, new Promise((resolve) => setTimeout(() => resolve('still running'), SHUTDOWN_TIMEOUT_MS + 5_000))]);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - termAt).toBeLessThan(SHUTDOWN_TIMEOUT_MS + 5_000);
    expect(bridge.output()).toMatch(/SIGTERM: stopping/);
    await waitUntil(() => !alive(bridge.bridgePid), { timeoutMs: 2_000, what: 'the bridge process to be gone' });
    await expect(fetch(`${bridge.url}/healthz`)).rejects.toThrow();
  });

  it('SIGHUP reloads: an invalid file is refused loudly and the bridge runs on; a valid one is applied', async () => {
    const config = configFile();
    const bridge = await run([process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'start', '--config', config.file]);

    config.write({ submit: { shutdownTimeoutMs: SHUTDOWN_TIMEOUT_MS, rateLimit: { perSecond: 'fast' } } });
    process.kill(bridge.bridgePid, 'SIGHUP');
    await waitUntil(() => /configuration NOT reloaded/.test(bridge.output()), { timeoutMs: 10_000, what: 'the refusal', describe: () => bridge.output() });
    expect(bridge.output()).toMatch(/configuration NOT reloaded; still running on the one applied at \d{4}-\d\d-\d\dT[^.]*\.\d+Z\..*submit\.rateLimit\.perSecond/);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);

    config.write({ log: { format: 'json', level: 'debug' }, sources: [{ id: 'pbx-2', type: 'hook', adapter: 'asterisk-csv' }] });
    process.kill(bridge.bridgePid, 'SIGHUP');
    await waitUntil(() => /reloaded .*applied: log\.level, sources/.test(bridge.output()), { timeoutMs: 10_000, what: 'the reload', describe: () => bridge.output() });
    const status = (await (await fetch(`${bridge.url}/status`)).json()) as { sources: Array<{ id: string }> };
    expect(status.sources.map((s) => s.id)).toEqual(['pbx-2']);

    process.kill(bridge.bridgePid, 'SIGTERM');
    expect(await bridge.exited).toEqual({ code: 0, signal: null });
  });

  it('a bridge started with nohup survives the hangup of its terminal (SIGHUP to the whole job)', async () => {
    const { file } = configFile();
    const bridge = await run(['nohup', 'npm', 'start', '--', '--config', file]);
    // What the terminal's hangup does: SIGHUP to every process of the job.
    process.kill(-bridge.proc.pid!, 'SIGHUP');
    await waitUntil(() => /SIGHUP: .*(no changes|reloaded)/.test(bridge.output()), { timeoutMs: 10_000, what: 'the SIGHUP to be handled', describe: () => bridge.output() });
    expect(alive(bridge.bridgePid)).toBe(true);
    expect((await fetch(`${bridge.url}/healthz`)).status).toBe(200);

    // npm itself (Node resets the ignored SIGHUP nohup gave it) is gone; the bridge it started runs on.
    process.kill(bridge.bridgePid, 'SIGTERM');
    await waitUntil(() => !alive(bridge.bridgePid), { timeoutMs: SHUTDOWN_TIMEOUT_MS + 5_000, what: 'the bridge to stop', describe: () => bridge.output() });
    expect(bridge.output()).toMatch(/"message":"stopped"/);
  });
});
