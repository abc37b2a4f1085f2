// Starts the ledger's thread from the TypeScript sources (a checkout, tests): a thread does not inherit the loader
// that bin/callbridge.js registers, so it registers its own first. A built install starts dist/'s JavaScript directly.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
