import { execFile } from 'node:child_process';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it } from '@jest/globals';
import { LedgerUnavailableError } from '../../src/errors.js';
import { ThreadedSqliteLedger } from '../../src/ledger/sqlite-threaded.js';
import { pendingRow } from '../support/rows.js';
import { tempDir } from '../support/tmp.js';
import { runLedgerConformance } from './conformance.js';

// As the running bridge opens it: the ledger on its own thread, its checkpoints on another.
runLedgerConformance('sqlite on its own thread (real file)', async () => {
  const { dir, cleanup } = tempDir('ledger-');
  const file = path.join(dir, 'data', 'callbridge.sqlite');
  return { open: () => ThreadedSqliteLedger.open(file, { checkpointInBackground: true }), destroy: async () => cleanup() };
});

/** Another process's write transaction on the file (a `callbridge import`, a backup tool), held until released. */
function holdWriteLock(file: string): { release: () => void } {
  const other = new Database(file);
  other.exec('BEGIN IMMEDIATE');
  return {
    release: () => {
      other.exec('COMMIT');
      other.close();
    },
  };
}

const threadOf = (ledger: ThreadedSqliteLedger) => (ledger as unknown as { thread: Promise<Worker> }).thread;

/** A threaded ledger on a new file in a temp folder, closed and removed after `use`. */
async function withLedger(use: (ledger: ThreadedSqliteLedger, file: string) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir('ledger-');
  const file = path.join(dir, 'callbridge.sqlite');
  const ledger = await ThreadedSqliteLedger.open(file);
  try {
    await use(ledger, file);
  } finally {
    await ledger.close();
    cleanup();
  }
}

describe('the SQLite ledger on its own thread', () => {
  it('a call that waits on SQLite waits on the thread: the event loop runs on, and the call completes', () =>
    withLedger(async (ledger, file) => {
      await ledger.put([pendingRow('a')]);
      const lock = holdWriteLock(file);
      const delay = monitorEventLoopDelay({ resolution: 10 });
      delay.enable();
      // Released by a timer on this thread: on the caller's thread the put would block it (busy_timeout, 5 s), the
      // timer could not fire, and the put would fail as unavailable.
      setTimeout(lock.release, 1_000);
      const started = Date.now();
      const results = await ledger.put([pendingRow('b')]);
      const waited = Date.now() - started;
      delay.disable();
      expect(results).toEqual([{ externalId: 'b', outcome: 'inserted' }]);
      expect(waited).toBeGreaterThanOrEqual(900);
      expect(delay.max / 1e6).toBeLessThan(500);
      expect((await ledger.get('b'))?.state).toBe('pending');
    }));

  it('a thread that dies fails the calls waiting on it as unavailable; the next call opens the ledger again, nothing lost', () =>
    withLedger(async (ledger, file) => {
      await ledger.put([pendingRow('a')]);
      // Ended while idle (ending it inside a statement aborts the process: better-sqlite3 cannot throw into a
      // stopping thread), with a call sent to it meanwhile.
      const ended = (await threadOf(ledger)).terminate();
      const error = await ledger.put([pendingRow('b')]).catch((e: unknown) => e as Error);
      await ended;
      expect(error).toBeInstanceOf(LedgerUnavailableError);
      expect((error as Error).message).toBe(`the ledger's thread stopped (exit code 1): ${file}`);
      expect((await ledger.get('a'))?.state).toBe('pending');
      expect(await ledger.get('b')).toBeNull();
      expect(await ledger.put([pendingRow('b')])).toEqual([{ externalId: 'b', outcome: 'inserted' }]);
    }));

  it('a closed ledger refuses calls as unavailable, and its thread is gone', () =>
    withLedger(async (ledger) => {
      const worker = await threadOf(ledger);
      const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
      await ledger.close();
      expect(await exited).toBe(0);
      await expect(ledger.stats()).rejects.toThrow(new LedgerUnavailableError('ledger is closed'));
    }));

  it('an idle thread does not keep a process alive: a command that never closes its ledger still ends', async () => {
    const { dir, cleanup } = tempDir('ledger-');
    const file = path.join(dir, 'callbridge.sqlite');
    const source = fileURLToPath(new URL('../../src/ledger/sqlite-threaded.ts', import.meta.url));
    const script = `
      import { ThreadedSqliteLedger } from ${JSON.stringify(source)};
      const ledger = await ThreadedSqliteLedger.open(${JSON.stringify(file)}, { checkpointInBackground: true });
      await ledger.put([{ externalId: 'x', sourceId: 's', location: null, state: 'skipped', raw: {}, payload: null, reason: 'test' }]);
      console.log((await ledger.stats()).counts.skipped);`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 30_000 });
      expect(stdout.trim()).toBe('1');
    } finally {
      cleanup();
    }
  });
});
