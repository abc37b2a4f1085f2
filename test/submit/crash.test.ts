import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { pendingRow } from '../support/rows.js';
import { startScriptedApi } from '../support/scripted-api.js';
import { tempDir } from '../support/tmp.js';

const { dir, cleanup } = tempDir('crash-');
afterAll(() => cleanup());

function child(file: string, url: string): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.resolve('test/support/submit-child.ts'), file, url, '300'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

describe('crash while submitting', () => {
  it('a child killed with SIGKILL mid-run and started again loses no row and sends none twice', async () => {
    const file = path.join(dir, 'callbridge.sqlite');
    const ledger = await openSqliteLedger(file);
    await ledger.put(Array.from({ length: 60 }, (_, i) => pendingRow(`call-${i}`)));
    await ledger.close();

    let killAfter = 12;
    let first: ChildProcess | null = null;
    const api = await startScriptedApi((r, seen) => {
      if (first && seen.length === killAfter) first.kill('SIGKILL');
      return { status: 201, body: { conversation_id: `conv-${String(r.body?.call_external_id)}` } };
    });
    try {
      first = child(file, api.url);
      const [code, signal] = (await once(first, 'exit')) as [number | null, string | null];
      expect(signal).toBe('SIGKILL');
      expect(code).toBeNull();
      const seenBeforeCrash = api.posts().length;
      expect(seenBeforeCrash).toBeGreaterThanOrEqual(killAfter);
      expect(seenBeforeCrash).toBeLessThan(60);
      killAfter = Number.POSITIVE_INFINITY;

      const second = child(file, api.url);
      const [code2] = (await once(second, 'exit')) as [number | null];
      expect(code2).toBe(0);

      const after = await openSqliteLedger(file);
      try {
        const rows = await after.query({});
        expect(rows).toHaveLength(60);
        const received = new Map<string, number>();
        for (const p of api.posts()) received.set(String(p.body?.call_external_id), (received.get(String(p.body?.call_external_id)) ?? 0) + 1);
        // Nobody was created twice.
        expect([...received.values()].every((n) => n === 1)).toBe(true);
        for (const row of rows) {
          expect(['submitted', 'verify']).toContain(row.state);
          if (row.state === 'submitted') expect(received.get(row.externalId)).toBe(1);
        }
        // Only the requests the dead process had in flight (concurrency 3, plus one starting) wait for a look-up;
        // rows it had merely queued were sent by the second run.
        const verify = rows.filter((r) => r.state === 'verify');
        expect(verify.length).toBeLessThanOrEqual(4);
        for (const row of verify) expect(row.reason).toContain('look it up before sending again');
        expect(rows.filter((r) => r.state === 'submitted').length + verify.length).toBe(60);
      } finally {
        await after.close();
      }
    } finally {
      await api.close();
    }
  }, 60_000);
});
