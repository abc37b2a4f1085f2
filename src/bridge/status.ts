import type { Config } from '../config/schema.js';
import type { ApiGate } from '../dstny/gate.js';
import { liveHeartbeats, processGoneLocally } from '../ledger/heartbeat.js';
import type { Ledger } from '../ledger/ledger.js';
import type { SourceRunner } from '../sources/index.js';
import { backlogPace, readBacklog } from '../status/backlog.js';
import { quotaToday } from '../status/quota.js';
import { type StatusReport, statusReport } from '../status/report.js';
import type { Submitter } from '../submit/submitter.js';
import type { RecordingPreparer } from '../prepare/preparer.js';
import { VERSION } from '../version.js';

/** What `/status` reports of a running bridge, read afresh at each request. */
export function statusOf(parts: {
  config: Pick<Config, 'sources' | 'submit' | 'import'>;
  api: { mode: 'sandbox' | 'live'; baseUrl: string; gate: Pick<ApiGate, 'status'> };
  ledger: Pick<Ledger, 'stats' | 'countSubmittedSince' | 'countBacklog' | 'heartbeats'>;
  submitter: Pick<Submitter, 'status'>;
  /** Replicas on a shared ledger: whether this one submits (holds the deliver role), and its heartbeat's id. */
  replica?: { shared: boolean; delivering: () => boolean; id: string };
  preparer: Pick<RecordingPreparer, 'status'> | null;
  runners: readonly SourceRunner[];
  /** The last input of each source (the metrics keep it). */
  lastInput?: (sourceId: string) => { name: string; at: number } | null;
}): () => Promise<StatusReport> {
  const { config, api, ledger, submitter, preparer, runners, replica } = parts;
  const submitterStatus = () =>
    replica?.shared && !replica.delivering() ? { ...submitter.status(), state: 'standby' as const, reason: 'another replica submits and reconciles; this one takes over should it stop' } : submitter.status();
  return async () =>
    statusReport({
      version: VERSION,
      mode: api.mode,
      apiBaseUrl: api.baseUrl,
      ledger: await ledger.stats(),
      submitter: submitterStatus(),
      recordings: preparer?.status() ?? null,
      api: api.gate.status(),
      quota: await quotaToday(ledger, config.submit.dailyQuota, Date.now()),
      backlog: await readBacklog(ledger, backlogPace(config), Date.now()),
      sources: runners.map((r) => {
        const s = config.sources.find((source) => source.id === r.sourceId);
        return {
          id: r.sourceId,
          type: s?.type ?? '?',
          adapter: s?.adapter ?? '?',
          running: r.running,
          lastProblem: r.lastProblem,
          lastInput: parts.lastInput?.(r.sourceId) ?? null,
          lagBytes: r.lagBytes ?? null,
          ...(r.standby ? { standby: true } : {}),
        };
      }),
      ...(replica ? { replicas: liveHeartbeats(await ledger.heartbeats(), Date.now(), processGoneLocally).map((h) => ({ ...h, self: h.id === replica.id })) } : {}),
    });
}
