import { execFile } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from '@jest/globals';
import { tempDir } from '../support/tmp.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** check-config as an administrator runs it (the real CLI), on a CDR table source. */
describe('check-config reads each sql source as the bridge will', () => {
  const tmp = tempDir('callbridge-check-sql-');
  afterAll(() => tmp.cleanup());

  function run(name: string, source: string, env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
    const config = path.join(tmp.dir, `${name}.yaml`);
    writeFileSync(config, `dataDir: ${path.join(tmp.dir, 'data')}\nsources:\n  - ${source}\n`);
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'check-config', '--config', config], { cwd: REPO, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: tmp.dir, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, out: stdout + stderr });
      });
    });
  }

  it("passes for Asterisk's own master.db, and names a column its profile reads that the table lacks", async () => {
    const good = path.join(tmp.dir, 'master.db');
    copyFileSync(path.join(REPO, 'test/fixtures/asterisk-real/master.db'), good);
    const ok = await run('ok', `{ id: pbx, type: sql, profile: asterisk-sqlite, url: "sqlite:${good}" }`);
    expect(ok.out).toContain(': OK');
    expect(ok.out).toContain('sources: pbx (sql, asterisk-csv)');
    expect(ok.code).toBe(0);

    const old = path.join(tmp.dir, 'old.db');
    copyFileSync(good, old);
    const db = new Database(old);
    db.exec('ALTER TABLE cdr RENAME COLUMN disposition TO status');
    db.close();
    const renamed = await run('renamed', `{ id: pbx, type: sql, profile: asterisk-sqlite, url: "sqlite:${old}" }`);
    expect(renamed.code).toBe(2);
    expect(renamed.out).toContain(`sources[0].table: cdr in ${old}: the table has no column disposition (renamed by an upgrade?); the asterisk-sqlite profile reads them`);
  });

  it('names a database it cannot reach by host and table, never the password (exit 2)', async () => {
    // A port nobody listens on: the connection is refused at once.
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const down = await run('down', `{ id: freepbx, type: sql, profile: freepbx, url: "mysql://callbridge:\${CDR_DB_PASSWORD}@127.0.0.1:${port}/asteriskcdrdb" }`, { CDR_DB_PASSWORD: 'Very-Secret-77' });
    expect(down.code).toBe(2);
    expect(down.out).toContain(`sources[0].url: asteriskcdrdb.cdr on 127.0.0.1:${port}: nothing answers there (is the database running, and is that its address?)`);
    expect(down.out).not.toContain('Very-Secret-77');
  });
});
