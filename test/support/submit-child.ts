/**
 * A bridge-like child process for the crash test: submits every due row of a ledger file to an API, then exits.
 * argv: <ledger file> <api url> <lease ms>
 */
import { DstnyClient } from '../../src/dstny/client.js';
import { ApiGate } from '../../src/dstny/gate.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { submitConfigSchema } from '../../src/submit/config.js';
import { Submitter } from '../../src/submit/submitter.js';

const [file, url, leaseMs] = process.argv.slice(2);
const ledger = await openSqliteLedger(file!);
const config = submitConfigSchema.parse({ rateLimit: { perSecond: 40 }, concurrency: 3, pumpIntervalMs: 20, leaseMs: Number(leaseMs), dailyQuota: 0 });
const gate = new ApiGate(new DstnyClient({ baseUrl: url!, token: 'crash-test-token', timeoutMs: 5000 }), { ...config.rateLimit, concurrency: config.concurrency });
const submitter = new Submitter({ ledger, api: gate, config, logger: process.env.CHILD_DEBUG ? createLogger({ level: 'debug', format: 'json' }) : silentLogger() });
submitter.start();
process.stdout.write('started\n');
await submitter.idle();
await submitter.stop();
gate.close();
await ledger.close();
process.stdout.write('done\n');
