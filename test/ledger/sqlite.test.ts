import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { LedgerUnavailableError } from '../../src/errors.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';
import { runLedgerConformance } from './conformance.js';

runLedgerConformance('sqlite (real file)', async () => {
  const { dir, cleanup } = tempDir('ledger-');
  const file = path.join(dir, 'data', 'callbridge.sqlite');
  return { open: () => openSqliteLedger(file), destroy: async () => cleanup() };
});

describe('SQLite ledger specifics', () => {
  it('uses WAL on a file under the data directory', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const file = path.join(dir, 'nested', 'callbridge.sqlite');
    const ledger = await openSqliteLedger(file);
    try {
      await ledger.put([pendingRow('w1')]);
      const mode = execFileSync(process.execPath, [
        '-e',
        `const D=require('better-sqlite3');const d=new D(${JSON.stringify(file)},{readonly:true});process.stdout.write(d.pragma('journal_mode',{simple:true}))`,
      ]).toString();
      expect(mode).toBe('wal');
    } finally {
      await ledger.close();
      cleanup();
    }
  });

  it('two ledgers on one file (two processes or replicas) never claim the same row', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const file = path.join(dir, 'callbridge.sqlite');
    const a = await openSqliteLedger(file);
    const b = await openSqliteLedger(file);
    try {
      await a.put(Array.from({ length: 200 }, (_, i) => pendingRow(`r${i}`)));
      const now = Date.now();
      const claimed: string[] = [];
      for (let round = 0; round < 20; round++) {
        const [x, y] = await Promise.all([
          a.claimDue({ now, limit: 7, owner: 'A', leaseMs: 60_000 }),
          b.claimDue({ now, limit: 7, owner: 'B', leaseMs: 60_000 }),
        ]);
        claimed.push(...x.map((r) => r.externalId), ...y.map((r) => r.externalId));
      }
      expect(claimed).toHaveLength(200);
      expect(new Set(claimed).size).toBe(200);
    } finally {
      await a.close();
      await b.close();
      cleanup();
    }
  });

  it('refuses to open a ledger where no file can be created, with the path in the error', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    try {
      const blocker = path.join(dir, 'not-a-dir');
      writeFileSync(blocker, 'a file where a folder should be');
      const file = path.join(blocker, 'data', 'ledger.sqlite');
      const error = await openSqliteLedger(file).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerUnavailableError);
      expect((error as Error).message).toContain(`cannot open ledger ${file}`);
    } finally {
      cleanup();
    }
  });
});
