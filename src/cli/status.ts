import { bridgePresence, liveHeartbeats, processGoneLocally } from '../ledger/heartbeat.js';
import { backlogPace, readBacklog } from '../status/backlog.js';
import { quotaToday } from '../status/quota.js';
import { formatStatus, statusReport } from '../status/report.js';
import { VERSION } from '../version.js';
import { type Out, withLedger } from './config-file.js';

/**
 * `callbridge status`: read straight from the ledger, so it works whether or not the bridge runs; the bridge's
 * heartbeat in the ledger says whether one runs on it (its own counters are at GET /status).
 */
export function runStatus(file: string, out: Out, opts: { json: boolean; now?: number }): Promise<number> {
  return withLedger(file, out, async (ledger, config) => {
    const now = opts.now ?? Date.now();
    const heartbeats = await ledger.heartbeats();
    const presence = bridgePresence(heartbeats, now, processGoneLocally);
    const report = statusReport({
      version: VERSION,
      mode: presence.running ? 'running' : 'not running',
      apiBaseUrl: null,
      ledger: await ledger.stats(),
      submitter: null,
      api: null,
      quota: await quotaToday(ledger, config.submit.dailyQuota, now),
      backlog: await readBacklog(ledger, backlogPace(config), now),
      sources: [],
      bridge: presence,
      replicas: liveHeartbeats(heartbeats, now, processGoneLocally).map((h) => ({ ...h, self: false })),
    });
    out.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report, now));
    return 0;
  });
}
