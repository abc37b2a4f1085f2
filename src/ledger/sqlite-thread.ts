// The ledger's own thread (see ThreadedSqliteLedger), and only it, loads this file: it opens the SQLite ledger here
// and runs each call it is sent, in the order sent.
import { parentPort, workerData } from 'node:worker_threads';
import type { Ledger } from './ledger.js';
import { openSqliteLedger, type SqliteLedgerOptions } from './sqlite.js';
import { type ThreadReply, type ThreadRequest, toWire } from './sqlite-thread-protocol.js';

const port = parentPort!;
const post = (reply: ThreadReply) => port.postMessage(reply);
const { file, options } = workerData as { file: string; options: Omit<SqliteLedgerOptions, 'trace' | 'onDamaged'> };

async function serve(): Promise<void> {
  let ledger: Ledger;
  try {
    ledger = await openSqliteLedger(file, { ...options, onDamaged: (error) => post({ damaged: toWire(error) }) });
  } catch (error) {
    post({ failed: toWire(error) });
    port.close();
    return;
  }
  port.on('message', (request: ThreadRequest) => {
    if ('close' in request) {
      void ledger.close().finally(() => {
        post({ id: request.id, value: undefined });
        port.close();
      });
      return;
    }
    const run = ledger[request.call] as (...args: unknown[]) => Promise<unknown>;
    run.apply(ledger, request.args).then(
      (value) => post({ id: request.id, value }),
      (error: unknown) => post({ id: request.id, error: toWire(error) }),
    );
  });
  post({ ready: true });
}

await serve();
