/**
 * The `callbridge` command as the README tells people to run it: its output pipes (nothing but the command's own
 * output on stdout), and it runs from any folder.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from '@jest/globals';
import { ledgerFile } from '../../src/ledger/open.js';
import { loadConfig } from '../../src/config/load.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { REPO } from '../e2e/support.js';
import { tempDir } from '../support/tmp.js';

const exec = promisify(execFile);
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** The environment of a fresh shell: nothing of the test runner's that changes what callbridge does. */
function cleanEnv(extra: Record<string, string>): Record<string, string> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(DSTNY_|CALLBRIDGE_|LOG_LEVEL$|NODE_OPTIONS$|npm_)/.test(k)));
  return { ...(env as Record<string, string>), ...extra };
}

describe('the callbridge command', () => {
  it("the README's piped status command prints JSON only on stdout", async () => {
    const line = readFileSync(path.join(REPO, 'README.md'), 'utf8')
      .split('\n')
      .find((l) => /callbridge(\.js)? status --json \|/.test(l));
    expect(line).toBeDefined();
    const command = line!.split('|')[0]!.trim();
    // A ledger where the default configuration looks for it, in a temp data folder.
    const tmp = tempDir('callbridge-bin-');
    cleanups.push(tmp.cleanup);
    const env = cleanEnv({ CALLBRIDGE_DATA_DIR: tmp.dir });
    const ledger = await openSqliteLedger(ledgerFile(loadConfig(path.join(REPO, 'config/callbridge.yaml'), env).config));
    await ledger.close();

    const { stdout } = await exec('sh', ['-c', command], { cwd: REPO, env, timeout: 60_000 });
    const report = JSON.parse(stdout) as { mode: string; ledger: { counts: Record<string, number> } };
    expect(report.mode).toBe('not running');
    expect(report.ledger.counts.pending).toBe(0);
  });

  it('runs from another folder, by its path (as npm link or npm i -g put it on the PATH)', async () => {
    const { stdout } = await exec(path.join(REPO, 'bin/callbridge.js'), ['--version'], { cwd: os.tmpdir(), env: cleanEnv({}), timeout: 60_000 });
    expect(stdout.trim()).toBe(JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
  });
});
