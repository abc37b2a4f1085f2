import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/** How often the thread copies the write-ahead log into the file when nobody asks it to. */
export const CHECKPOINT_EVERY_MS = 250;

// Plain JavaScript run by the worker: a thread cannot load the TypeScript sources under tsx or jest. It opens its
// own connection to the ledger file and only ever checkpoints (PASSIVE: it never waits for, nor blocks, a writer).
const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // SQLite's own checkpoint on the main connection carries on without this one.
  }
};
const timer = setInterval(checkpoint, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m === 'checkpoint') {
    checkpoint();
    return parentPort.postMessage('done');
  }
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

/**
 * WAL checkpoints in a thread of their own. A checkpoint copies the log's pages into the database file and syncs
 * it: on a ledger of 10,000,000 calls read from disk, that took up to 265 ms, and SQLite runs it inside
 * whichever commit crosses 1,000 pages of log, on the event loop (bench/ledger-scale.ts). This thread copies them
 * every CHECKPOINT_EVERY_MS instead, so a commit rarely finds the log that long. SQLite's own automatic checkpoint
 * stays on behind it: should the thread lag or die, the log is still bounded, as before.
 *
 * A passive checkpoint never catches a writer that keeps committing, and the log only starts over once it has been
 * copied whole; so a long run of writes (retention) waits for `checkpoint()` between batches.
 */
export class SqliteCheckpointer {
  private readonly worker: Worker;
  private readonly waiting: Array<() => void> = [];
  private alive = true;

  constructor(file: string, everyMs = CHECKPOINT_EVERY_MS) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(THREAD, { eval: true, workerData: { file, everyMs, driver } });
    // The thread keeps the process alive only while someone waits for it.
    this.worker.unref();
    this.worker.on('message', () => {
      this.waiting.shift()?.();
      if (!this.waiting.length) this.worker.unref();
    });
    // Nothing to report: SQLite's automatic checkpoint on the main connection carries on without it.
    this.worker.on('error', () => undefined);
    this.worker.on('exit', () => {
      this.alive = false;
      for (const resolve of this.waiting.splice(0)) resolve();
    });
  }

  /** Checkpoints now and resolves when done (at once when the thread is gone). */
  checkpoint(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.worker.ref();
      this.worker.postMessage('checkpoint');
    });
  }

  /** Closes the thread's connection first, so the ledger's own close is the last one and removes the log. */
  async stop(): Promise<void> {
    if (!this.alive) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage('stop');
    await exited;
  }
}
