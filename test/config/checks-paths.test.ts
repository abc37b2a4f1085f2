import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { runCheckConfig } from '../../src/cli/check-config.js';
import { capture } from '../support/capture.js';
import { tempDir } from '../support/tmp.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TOKEN = 'test-token-not-real-0001';
const OWNERS = '201,anna.lindqvist@example.se\n';

describe('check-config checks every path for what the bridge does with it', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir('callbridge-paths-');
  });
  afterEach(() => {
    tmp.cleanup();
  });

  const at = (...parts: string[]) => path.join(tmp.dir, ...parts);
  const folder = (...parts: string[]) => {
    mkdirSync(at(...parts), { recursive: true });
    return at(...parts);
  };
  const file = (name: string, text = '') => {
    writeFileSync(at(name), text);
    return at(name);
  };
  const check = (yaml: string) => {
    const config = file('callbridge.yaml', yaml);
    return capture((out) => runCheckConfig(config, out));
  };

  it('passes a configuration whose paths work; a tailed file not written yet is a warning naming its full path', async () => {
    folder('drop');
    folder('rec');
    folder('asterisk');
    file('owners.csv', OWNERS);
    const { code, text } = await check(`dataDir: ${at('data', 'new')}
dstny: { token: ${TOKEN} }
sources:
  - { id: d, type: drop, path: ${at('drop')}, adapter: cucm }
  - { id: t, type: tail, path: ${at('asterisk', 'Master.csv')}, adapter: asterisk-csv }
normalize:
  owners: { csv: owners.csv }
recordings:
  roots: [${at('rec')}]
`);
    expect(text.split('\n')[0]).toBe(
      `warning: sources[1].path: the tailed file ${at('asterisk', 'Master.csv')} does not exist yet; the bridge waits for it and reads it from its first line when it appears`,
    );
    expect(text).toContain(`${at('callbridge.yaml')}: OK`);
    expect(code).toBe(0);
  });

  it('refuses each path that cannot work, naming its key and full path, never raw ENOENT (exit 2)', async () => {
    file('plain-file');
    folder('asterisk');
    folder('contacts-folder');
    // On loopback: the output is the paths' alone (no http.admin warning, test/config/checks-http.test.ts).
    const { code, text } = await check(`dataDir: ${at('plain-file', 'data')}
dstny: { token: ${TOKEN} }
http: { host: 127.0.0.1 }
sources:
  - { id: d, type: drop, path: ${at('no-drop')}, adapter: cucm }
  - { id: f, type: drop, path: ${at('plain-file')}, adapter: cucm }
  - { id: t, type: tail, path: ${at('asterisk')}, adapter: asterisk-csv }
  - { id: m, type: tail, path: ${at('nowhere', 'Master.csv')}, adapter: asterisk-csv }
normalize:
  owners: { csv: owners.csv }
  contactsCsv: ${at('contacts-folder')}
recordings:
  roots: [${at('no-rec')}]
ledger:
  path: ${at('plain-file', 'ledger', 'callbridge.sqlite')}
`);
    const dropRole = '(the bridge reads CDR files there and moves them into processed/ and failed/ inside it)';
    expect(text.split('\n')).toEqual(
      [
        `warning: sources[3].path: the tailed file ${at('nowhere', 'Master.csv')} does not exist yet (its folder ${at('nowhere')} does not exist either: is the path right?); the bridge waits for it and reads it from its first line when it appears`,
        `invalid configuration in ${at('callbridge.yaml')}:`,
        `  - sources[0].path: the drop folder ${at('no-drop')} does not exist; create it or fix the path ${dropRole}`,
        `  - sources[1].path: the drop folder ${at('plain-file')} is a file, not a folder ${dropRole}`,
        `  - sources[2].path: ${at('asterisk')} is a folder, not a file; a tail follows one CDR file such as /var/log/asterisk/cdr-csv/Master.csv`,
        `  - recordings.roots[0]: the recordings folder ${at('no-rec')} does not exist; create it or fix the path (local recordings are read and served from it)`,
        expect.stringMatching(new RegExp(`^  - dataDir: the data folder ${esc(at('plain-file', 'data'))} does not exist and user \\S+ cannot create it \\(${esc(at('plain-file'))} is a file\\); `)),
        expect.stringMatching(new RegExp(`^  - ledger\\.path: the ledger folder ${esc(at('plain-file', 'ledger'))} does not exist and user \\S+ cannot create it `)),
        `  - normalize.owners.csv: the owners CSV (extension,email[,name]) ${at('owners.csv')} does not exist (a relative path is read from the config file's folder, ${tmp.dir})`,
        `  - normalize.contactsCsv: the contacts CSV ${at('contacts-folder')} is a folder, not a file`,
        '',
      ],
    );
    expect(text).not.toContain('ENOENT');
    expect(code).toBe(2);
  });

  it('names the key and line of a bad owners CSV line', async () => {
    file('owners.csv', `${OWNERS}202,not-an-email\n`);
    const { code, text } = await check(`dataDir: ${at('data')}\nnormalize:\n  owners: { csv: owners.csv }\n`);
    expect(text).toContain(`  - normalize.owners.csv: ${at('owners.csv')}:2: "not-an-email" is not an email address`);
    expect(code).toBe(2);
  });

  it('in the sandbox, the sample drop folder and first recordings root may be missing (the sandbox makes them); others may not', async () => {
    const { code, text } = await check(`dataDir: ${at('data')}
sources:
  - { id: a, type: drop, path: ${at('spool', 'asterisk')}, adapter: asterisk-csv }
  - { id: c, type: drop, path: ${at('spool', 'cucm')}, adapter: cucm }
recordings:
  roots: [${at('data', 'sandbox', 'recordings')}, ${at('more-recordings')}]
`);
    expect(text).not.toContain('sources[0]');
    expect(text).not.toContain('recordings.roots[0]');
    expect(text).toContain(`  - sources[1].path: the drop folder ${at('spool', 'cucm')} does not exist`);
    expect(text).toContain(`  - recordings.roots[1]: the recordings folder ${at('more-recordings')} does not exist`);
    expect(code).toBe(2);
  });

  it('checks access as the user who runs it: an unprivileged user (nobody, when the test runs as root)', async () => {
    chmodSync(tmp.dir, 0o755);
    const drop = folder('drop');
    const rec = folder('rec');
    const locked = folder('locked');
    folder('asterisk');
    const tailed = file(path.join('asterisk', 'Master.csv'), 'x\n');
    file('owners.csv', OWNERS);
    const config = file(
      'callbridge.yaml',
      `dataDir: ${at('locked', 'data')}
dstny: { token: ${TOKEN} }
sources:
  - { id: d, type: drop, path: ${drop}, adapter: cucm }
  - { id: t, type: tail, path: ${tailed}, adapter: asterisk-csv }
normalize:
  owners: { csv: owners.csv }
recordings:
  roots: [${rec}]
`,
    );
    chmodSync(config, 0o644);
    // Modes that keep out the owner as much as anyone else: the same verdicts for root's "nobody" and for a plain user.
    chmodSync(drop, 0o555);
    chmodSync(rec, 0o111);
    chmodSync(locked, 0o555);
    chmodSync(tailed, 0o000);
    chmodSync(at('owners.csv'), 0o000);
    try {
      const asRoot = process.getuid?.() === 0;
      const user = asRoot ? 'nobody' : os.userInfo().username;
      // tsx keeps a cache under TMPDIR: in the test's folder, so that nothing is left behind.
      const scratch = folder('scratch');
      chmodSync(scratch, 0o777);
      const { code, stdout } = await cli(config, scratch, asRoot ? { uid: 65534, gid: 65534 } : {});
      expect(stdout).toContain(`  - sources[0].path: user ${user} cannot read and write the drop folder ${drop}; give it read and write access`);
      expect(stdout).toContain(`  - sources[1].path: user ${user} cannot read the tailed file ${tailed}; give it read access`);
      expect(stdout).toContain(`  - recordings.roots[0]: user ${user} cannot read the recordings folder ${rec}; give it read access`);
      expect(stdout).toContain(`  - dataDir: the data folder ${at('locked', 'data')} does not exist and user ${user} cannot create it (${locked} is not writable)`);
      expect(stdout).toContain(`  - normalize.owners.csv: user ${user} cannot read the owners CSV (extension,email[,name]) ${at('owners.csv')}; give it read access`);
      expect(code).toBe(2);
    } finally {
      for (const f of [drop, rec, locked]) chmodSync(f, 0o755);
    }
  });
});

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The real CLI under tsx as a child process, optionally as another user; a clean environment (no token). */
function cli(config: string, scratch: string, as: { uid?: number; gid?: number }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: scratch, TMPDIR: scratch };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check-config', '--config', config], { cwd: REPO, env, timeout: 60_000, ...as }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr });
    });
  });
}
