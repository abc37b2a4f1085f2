/**
 * `callbridge start` where it cannot work, as an administrator meets it on a new host: a data folder the service
 * user cannot create, a sandbox recordings folder it cannot make. One plain line naming the key and the path,
 * exit 2 (systemd does not restart a configuration problem), no stack trace.
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import { REPO } from '../e2e/support.js';
import { tempDir } from '../support/tmp.js';

const asRoot = process.getuid?.() === 0;
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function start(config: string, scratch: string): Promise<{ code: number | null; stderr: string }> {
  // The service user: nobody, in a clean environment (no token: sandbox); tsx's cache in the test's folder.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', config], { cwd: REPO, env, timeout: 30_000, uid: 65534, gid: 65534 }, (error, _stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stderr }),
    );
  });
}

function scene() {
  const tmp = tempDir('callbridge-start-refusals-');
  cleanups.push(tmp.cleanup);
  chmodSync(tmp.dir, 0o755);
  const locked = path.join(tmp.dir, 'locked');
  const scratch = path.join(tmp.dir, 'scratch');
  mkdirSync(locked, { mode: 0o555 });
  mkdirSync(scratch, { mode: 0o777 });
  chmodSync(scratch, 0o777);
  const config = (yaml: string) => {
    const file = path.join(tmp.dir, 'callbridge.yaml');
    writeFileSync(file, yaml, { mode: 0o644 });
    return file;
  };
  return { locked, scratch, config };
}

(asRoot ? describe : describe.skip)('callbridge start refuses, in plain words, what cannot work (run as root: switches to nobody)', () => {
  it('a data folder the user cannot create: the key, the path, exit 2', async () => {
    const { locked, scratch, config } = scene();
    const file = config(`dataDir: ${locked}/data\nhttp: { host: 127.0.0.1, port: 0 }\nsources: [{ id: pbx, type: hook, adapter: asterisk-csv }]\n`);
    const { code, stderr } = await start(file, scratch);
    expect(code).toBe(2);
    expect(stderr).toContain(`dataDir: the data folder ${locked}/data does not exist and user nobody cannot create it`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it("a sandbox recordings folder it cannot make: the path and the user, exit 2, no stack trace", async () => {
    const { locked, scratch, config } = scene();
    const data = path.join(scratch, 'data');
    const file = config(
      `dataDir: ${data}\nhttp: { host: 127.0.0.1, port: 0 }\nrecordings: { roots: [${locked}/rec] }\nsources: [{ id: pbx, type: hook, adapter: asterisk-csv }]\n`,
    );
    const { code, stderr } = await start(file, scratch);
    expect(code).toBe(2);
    expect(stderr).toContain(`callbridge: cannot mkdir ${locked}/rec: permission denied (running as uid 65534)`);
    expect(stderr).not.toMatch(/\n\s+at /);
  });
});
