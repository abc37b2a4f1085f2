import { Worker } from 'node:worker_threads';
import { LedgerDamagedError, LedgerUnavailableError } from '../errors.js';
import type { Ledger } from './ledger.js';
import type { SqliteLedgerOptions } from './sqlite.js';
import { fromWire, LEDGER_CALLS, type LedgerCall, type ThreadReply, type ThreadRequest } from './sqlite-thread-protocol.js';

export type ThreadedSqliteLedgerOptions = Omit<SqliteLedgerOptions, 'trace'>;

/** The thread's entry: the TypeScript source through its loader (a checkout), or the compiled file (a built install). */
function threadEntry(): { file: string | URL; entry?: string } {
  const own = new URL(import.meta.url);
  if (!own.pathname.endsWith('.ts')) return { file: new URL('./sqlite-thread.js', own) };
  return { file: new URL('./sqlite-thread-boot.mjs', own), entry: new URL('./sqlite-thread.ts', own).href };
}

type Pending = { resolve: (value: unknown) => void; reject: (error: Error) => void };

/**
 * The SQLite ledger on a thread of its own. better-sqlite3 is synchronous: on the bridge's thread every page SQLite
 * waits for on a busy disk stalls hooks, the recordings server and the submitter with it (300 ms in the first
 * compaction of 10,000,000 calls read from disk, bench/ledger-scale.ts). Here the thread waits instead, and the
 * bridge's event loop only passes messages.
 *
 * Calls run in the order they are made, one at a time, as on the bridge's thread. Should the thread die, the calls
 * waiting on it fail as the ledger being unavailable (nothing is acknowledged) and the next call opens it again.
 */
export class ThreadedSqliteLedger {
  private thread: Promise<Worker> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  private told = false;

  private constructor(
    readonly file: string,
    private readonly options: ThreadedSqliteLedgerOptions,
  ) {
    for (const call of LEDGER_CALLS) (this as unknown as Record<LedgerCall, unknown>)[call] = (...args: unknown[]) => this.call(call, args);
  }

  static async open(file: string, options: ThreadedSqliteLedgerOptions = {}): Promise<ThreadedSqliteLedger> {
    const ledger = new ThreadedSqliteLedger(file, options);
    await ledger.started();
    return ledger;
  }

  private started(): Promise<Worker> {
    this.thread ??= this.spawn().catch((error: unknown) => {
      this.thread = null;
      throw error;
    });
    return this.thread;
  }

  private spawn(): Promise<Worker> {
    const { onDamaged, checkpointInBackground = false } = this.options;
    const { file, entry } = threadEntry();
    // None of the process's own flags (`--input-type`, a test runner's): the thread needs none, and some stop it.
    const worker = new Worker(file, { execArgv: [], workerData: { file: this.file, options: { checkpointInBackground }, entry } });
    // Like a database handle, the thread keeps the process alive only while a call waits on it.
    worker.unref();
    return new Promise((resolve, reject) => {
      worker.on('message', (reply: ThreadReply) => {
        if ('ready' in reply) return resolve(worker);
        if ('failed' in reply) return reject(fromWire(reply.failed));
        if ('damaged' in reply) {
          if (!this.told) onDamaged?.(fromWire(reply.damaged) as LedgerDamagedError);
          this.told = true;
          return;
        }
        const waiting = this.pending.get(reply.id);
        this.pending.delete(reply.id);
        // A closing thread keeps the process alive until it has exited (its connection closed, the log removed).
        if (!this.pending.size && !this.closed) worker.unref();
        if ('error' in reply) waiting?.reject(fromWire(reply.error));
        else waiting?.resolve(reply.value);
      });
      const gone = (why: string) => {
        this.thread = null;
        const error = new LedgerUnavailableError(`the ledger's thread stopped (${why}): ${this.file}`);
        reject(error);
        for (const waiting of this.pending.values()) waiting.reject(error);
        this.pending.clear();
      };
      worker.on('error', (error) => gone(error.message));
      worker.on('exit', (code) => gone(`exit code ${code}`));
    });
  }

  private async send(request: ThreadRequest): Promise<unknown> {
    const worker = await this.started();
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, { resolve, reject });
      worker.ref();
      worker.postMessage(request);
    });
  }

  private call(call: LedgerCall, args: unknown[]): Promise<unknown> {
    if (this.closed) return Promise.reject(new LedgerUnavailableError('ledger is closed'));
    return this.send({ id: this.nextId++, call, args });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const thread = this.thread;
    if (!thread) return;
    const worker = await thread.catch(() => null);
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    await this.send({ id: this.nextId++, close: true }).catch(() => undefined);
    await exited;
  }
}

// The calls LEDGER_CALLS lists are set in the constructor.
export interface ThreadedSqliteLedger extends Omit<Ledger, 'close'> {}
