import { existsSync } from 'node:fs';
import { ledgerFile } from '../bridge/ledger.js';
import { bridgePresence, processGoneLocally } from '../ledger/heartbeat.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { backlogPace, readBacklog } from '../status/backlog.js';
import { quotaToday } from '../status/quota.js';
import { formatStatus, statusReport } from '../status/report.js';
import { VERSION } from '../version.js';
import { load, type Out } from './config-file.js';

/**
 * `callbridge status`: read straight from the ledger, so it works whether or not the bridge runs; the bridge's
 * heartbeat in the ledger says whether one runs on it (its own counters are at GET /status).
 */
export async function runStatus(file: string, out: Out, opts: { json: boolean; now?: number }): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const dbFile = ledgerFile(loaded.config);
  if (!existsSync(dbFile)) {
    out.write(`no ledger at ${dbFile} yet: the bridge has not run with this configuration\n`);
    return 1;
  }
  const ledger = await openSqliteLedger(dbFile);
  try {
    const now = opts.now ?? Date.now();
    const presence = bridgePresence(await ledger.heartbeats(), now, processGoneLocally);
    const report = statusReport({
      version: VERSION,
      mode: presence.running ? 'running' : 'not running',
      apiBaseUrl: null,
      ledger: await ledger.stats(),
      submitter: null,
      api: null,
      quota: await quotaToday(ledger, loaded.config.submit.dailyQuota, now),
      backlog: await readBacklog(ledger, backlogPace(loaded.config), now),
      sources: [],
      bridge: presence,
    });
    out.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, now));
    return 0;
  } finally {
    await ledger.close();
  }
}
