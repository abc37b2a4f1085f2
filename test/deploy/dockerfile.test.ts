/**
 * `docker run -p 8080:8080 IMAGE`, without Docker: the Dockerfile's ENTRYPOINT + CMD, run as its USER, in a temp
 * /app laid out from its COPYs and read-only to that user, with its ENV and a temp folder for each VOLUME. Needs root
 * (to own /app as root and to run as the image's user); CI runs as root.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, REPO, waitUntil } from '../e2e/support.js';
import { readDockerfile, userIds } from './dockerfile.js';
import { changes, layOutApp, rootReadOnly, snapshot } from './image-layout.js';

const image = readDockerfile(path.join(REPO, 'Dockerfile'));
const asRoot = process.getuid?.() === 0;
const describeAsRoot = asRoot ? describe : describe.skip;
const title = `the Docker image's default command${asRoot ? '' : ' (skipped: needs root, to own /app as root and run as the image user)'}`;

/** A child process with its output kept. */
interface Running {
  proc: ChildProcess;
  stdout: string;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(argv: string[], opts: { uid: number; gid: number; cwd: string; env: Record<string, string> }): Running {
  const proc = spawn(argv[0]!, argv.slice(1), { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
  const running: Running = { proc, stdout: '', stderr: '', exited: new Promise((resolve) => proc.once('close', (code, signal) => resolve({ code, signal }))) };
  proc.stdout!.on('data', (c: Buffer) => (running.stdout += c.toString()));
  proc.stderr!.on('data', (c: Buffer) => (running.stderr += c.toString()));
  return running;
}

/** A stack trace line ("    at fn (file:1:2)") or a permission error: what the broken image printed. */
const CRASH = /EACCES|EPERM|^\s+at .+:\d+:\d+\)?$/m;

describeAsRoot(title, () => {
  const { uid, gid } = userIds(image.user);
  let root: string;
  let app: string;
  let home: string;
  const volumes = new Map<string, string>();
  let env: Record<string, string>;
  let bridge: Running | undefined;
  let appBefore: Map<string, string>;
  let homeBefore: Map<string, string>;
  let port: number;
  let buildMs = 0;

  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), 'callbridge-image-'));
    chmodSync(root, 0o755); // mkdtemp's 700 would keep the image user out of everything
    app = path.join(root, 'app');
    const t0 = Date.now();
    await layOutApp(image, REPO, app);
    buildMs = Date.now() - t0;
    process.stderr.write(`test/deploy: /app laid out (tsc build included) in ${buildMs} ms\n`);
    rootReadOnly(app);
    // The user's home exists in the image but nothing needs to write there: read-only here, so a write would show.
    home = path.join(root, 'home');
    mkdirSync(home, { mode: 0o755 });
    for (const volume of image.volumes) {
      const dir = path.join(root, `volume${volume.replaceAll('/', '-')}`);
      mkdirSync(dir);
      chownSync(dir, uid, gid); // the Dockerfile's `chown node:node /data /spool`
      volumes.set(volume, dir);
    }
    // Each volume reaches the app through the ENV variable that names it; the test points that variable at the temp folder.
    const volumeEnv = Object.fromEntries(
      Object.entries(image.env)
        .filter(([, value]) => volumes.has(value))
        .map(([name, value]) => [name, volumes.get(value)!]),
    );
    port = await freePort();
    env = {
      PATH: `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`,
      HOME: home,
      ...image.env,
      ...volumeEnv,
      CALLBRIDGE_HTTP_HOST: '127.0.0.1',
      CALLBRIDGE_HTTP_PORT: String(port),
    };
    appBefore = snapshot(app);
    homeBefore = snapshot(home);
    bridge = start([...image.entrypoint, ...image.cmd], { uid, gid, cwd: app, env });
  }, 120_000);

  afterAll(async () => {
    if (bridge && bridge.proc.exitCode === null && bridge.proc.signalCode === null) {
      bridge.proc.kill('SIGKILL');
      await bridge.exited;
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  /** Waiting on a bridge that has exited fails at once, with its output. */
  const whileRunning = <T>(wait: Promise<T>): Promise<T> =>
    Promise.race([wait, bridge!.exited.then(({ code, signal }) => Promise.reject(new Error(`the bridge exited (code ${code}, signal ${signal})\n${describeBridge()}`)))]);
  const describeBridge = () => `build ${buildMs} ms\n--- stderr ---\n${bridge!.stderr.slice(-3000)}`;

  it('runs as a user other than root, with a volume for every folder the ENV names (/data and /spool)', () => {
    expect(uid).not.toBe(0);
    expect([...volumes.keys()].sort()).toEqual(['/data', '/spool']);
    expect(Object.values(env)).toEqual(expect.arrayContaining([...volumes.values()]));
  });

  it('starts: /healthz answers on the port, with no permission error or stack trace', async () => {
    await whileRunning(waitUntil(async () => (await fetch(url('/healthz'))).ok, { timeoutMs: 30_000, what: 'GET /healthz', describe: describeBridge }));
    expect(bridge!.stderr).not.toMatch(CRASH);
  }, 40_000);

  it('is a sandbox that confirms the sample calls it seeded into the spool', async () => {
    const counts = await whileRunning(waitUntil(
      async () => {
        const status = (await (await fetch(url('/status'))).json()) as { mode: string; ledger: { counts: Record<string, number> } };
        expect(status.mode).toBe('sandbox');
        const c = status.ledger.counts;
        const open = (c.held ?? 0) + (c.pending ?? 0) + (c.submitting ?? 0) + (c.submitted ?? 0) + (c.verify ?? 0);
        return (c.confirmed ?? 0) > 0 && open === 0 ? c : null;
      },
      { timeoutMs: 40_000, what: 'every sandbox call confirmed', pollMs: 500, describe: describeBridge },
    ));
    expect(counts).toMatchObject({ failed: 0, rejected: 0, missing: 0 });
    expect(readdirSync(volumes.get('/spool')!, { recursive: true })).toEqual(expect.arrayContaining([expect.stringMatching(/processed/)]));
  }, 50_000);

  it("the Dockerfile's HEALTHCHECK passes against it", async () => {
    expect(image.healthcheck).not.toBeNull();
    const check = start(image.healthcheck!, { uid, gid, cwd: app, env });
    expect((await check.exited).code).toBe(0);
  }, 15_000);

  it('wrote nothing under /app or the home folder; the ledger and the signing secret are on the /data volume', () => {
    expect(changes(appBefore, snapshot(app))).toEqual([]);
    expect(changes(homeBefore, snapshot(home))).toEqual([]);
    const data = readdirSync(volumes.get('/data')!);
    expect(data).toEqual(expect.arrayContaining([expect.stringMatching(/\.sqlite$/), 'signing-secret']));
  });

  it(`${image.stopSignal} (docker stop) exits 0 within 10 s, and the HEALTHCHECK then fails`, async () => {
    const t0 = Date.now();
    bridge!.proc.kill(image.stopSignal as NodeJS.Signals);
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([bridge!.exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000, 'still running after 10 s')))]);
    clearTimeout(timer);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(bridge!.stderr).not.toMatch(CRASH);
    const check = start(image.healthcheck!, { uid, gid, cwd: app, env });
    expect((await check.exited).code).not.toBe(0);
  }, 20_000);
});
