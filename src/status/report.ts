import type { GateStatus } from '../dstny/gate.js';
import type { Presence } from '../ledger/heartbeat.js';
import type { Heartbeat, LedgerStats, RowState } from '../ledger/ledger.js';
import type { SubmitterStatus } from '../submit/submitter.js';
import type { PreparerStatus } from '../prepare/preparer.js';
import type { BacklogFacts } from './backlog.js';
import type { QuotaFacts } from './quota.js';

/** Whether a bridge runs on the ledger, as `callbridge status` tells from the heartbeat. */
export type BridgeFacts = Presence;

/**
 * What a status report is built from, as the parts know it: times in epoch ms. `running` / `not running`: read
 * from the ledger by `callbridge status` (a separate process), with `bridge` saying whether one runs.
 */
export interface StatusFacts {
  version: string;
  mode: 'sandbox' | 'live' | 'running' | 'not running';
  apiBaseUrl: string | null;
  ledger: LedgerStats;
  submitter: SubmitterStatus | null;
  /** Recordings made ready before their calls are sent (merged, converted, uploaded), on a running bridge that does so; null otherwise. */
  recordings?: PreparerStatus | null;
  api: GateStatus | null;
  /** Today's use of the daily quota. */
  quota: QuotaFacts;
  /** Calls loaded with `callbridge import` still to send; absent where unknown. */
  backlog?: BacklogFacts;
  sources: Array<{
    id: string;
    type: string;
    adapter: string;
    running: boolean;
    lastProblem: string | null;
    /** The last input it handed over (a file, a hook body) and when (epoch ms); null when none since the start. */
    lastInput?: { name: string; at: number } | null;
    /** A tail's bytes not read yet. */
    lagBytes?: number | null;
    /** Another replica reads it now. */
    standby?: boolean;
  }>;
  bridge?: BridgeFacts;
  /** The bridges running on a shared ledger (one on its own ledger), `self` the one answering. */
  replicas?: Array<Heartbeat & { self: boolean }>;
}

/** An ISO 8601 UTC time ("2024-05-02T07:14:03.000Z"): every time a status report shows. */
export type IsoTime = string;

export interface BridgeView {
  running: boolean;
  host: string;
  pid: number;
  version: string;
  httpUrl: string | null;
  startedAt: IsoTime;
  lastBeatAt: IsoTime;
  stoppedAt: IsoTime | null;
}

/**
 * What `/status` and `callbridge status` show. Built from counts and reasons only: no secret can reach it.
 * Every time in it is ISO 8601 UTC (`statusReport` converts the parts' epoch ms).
 */
export interface StatusReport {
  version: string;
  mode: StatusFacts['mode'];
  apiBaseUrl: string | null;
  ledger: {
    counts: Record<RowState, number>;
    oldestDue: { externalId: string; nextAttemptAt: IsoTime; state: RowState } | null;
    lastErrors: Array<{ externalId: string; state: RowState; reason: string; updatedAt: IsoTime }>;
  };
  submitter: (Omit<SubmitterStatus, 'pausedUntil'> & { pausedUntil: IsoTime | null }) | null;
  /** Recordings made ready before their calls are sent (merged, converted, uploaded). */
  recordings?: (Omit<PreparerStatus, 'retryAt'> & { retryAt: IsoTime | null }) | null;
  /** The API gate: its pause and the request rate it uses, with why. */
  api: (Omit<GateStatus, 'pausedUntil'> & { pausedUntil: IsoTime | null }) | null;
  quota: Omit<QuotaFacts, 'resetsAt'> & { resetsAt: IsoTime };
  backlog?: Omit<BacklogFacts, 'finishAt'> & { finishAt: IsoTime | null };
  sources: Array<Omit<StatusFacts['sources'][number], 'lastInput'> & { lastInput?: { name: string; at: IsoTime } | null }>;
  /** `callbridge status` only: the bridge running on this ledger, or the last one seen (null: never). */
  bridge?: BridgeView | null;
  /** The bridges running on this ledger, each with the roles and sources it holds. */
  replicas?: ReplicaView[];
}

export type ReplicaView = Omit<BridgeView, 'running' | 'stoppedAt'> & {
  id: string;
  /** deliver (submits and reconciles), retention, source:ID (reads that source). */
  roles: string[];
  /** The bridge that answered. */
  self: boolean;
};

/** What a report shows of a running bridge's heartbeat. */
const beatView = (h: Heartbeat) => ({ host: h.host, pid: h.pid, version: h.version, httpUrl: h.httpUrl, startedAt: iso(h.startedAt), lastBeatAt: iso(h.beatAt) });

export const iso = (ms: number): IsoTime => new Date(ms).toISOString();
export const isoOrNull = (ms: number | null): IsoTime | null => (ms === null ? null : iso(ms));

/** The report as shown: the parts' facts with every epoch-ms time as ISO 8601 UTC. Pure. */
export function statusReport(facts: StatusFacts): StatusReport {
  const { ledger, submitter, recordings, api, quota, backlog, bridge, sources, replicas, ...rest } = facts;
  const hb = bridge?.heartbeat ?? null;
  return {
    ...rest,
    sources: sources.map(({ lastInput, ...s }) => ({ ...s, ...(lastInput !== undefined ? { lastInput: lastInput && { name: lastInput.name, at: iso(lastInput.at) } } : {}) })),
    ledger: {
      counts: ledger.counts,
      oldestDue: ledger.oldestDue ? { ...ledger.oldestDue, nextAttemptAt: iso(ledger.oldestDue.nextAttemptAt) } : null,
      lastErrors: ledger.lastErrors.map((e) => ({ ...e, updatedAt: iso(e.updatedAt) })),
    },
    submitter: submitter ? { ...submitter, pausedUntil: isoOrNull(submitter.pausedUntil) } : null,
    ...(recordings ? { recordings: { ...recordings, retryAt: isoOrNull(recordings.retryAt) } } : {}),
    api: api ? { ...api, pausedUntil: isoOrNull(api.pausedUntil) } : null,
    quota: { ...quota, resetsAt: iso(quota.resetsAt) },
    ...(backlog ? { backlog: { ...backlog, finishAt: isoOrNull(backlog.finishAt) } } : {}),
    ...(replicas
      ? {
          replicas: replicas.map((r) => ({ id: r.id, ...beatView(r), roles: r.roles, self: r.self })),
        }
      : {}),
    ...(bridge
      ? {
          bridge: hb
            ? { running: bridge.running, ...beatView(hb), stoppedAt: isoOrNull(hb.stoppedAt) }
            : null,
        }
      : {}),
  };
}

/** Human-readable status for the terminal. */
export function formatStatus(report: StatusReport, now = Date.now()): string {
  const lines: string[] = [];
  const served = report.mode === 'sandbox' || report.mode === 'live';
  lines.push(`callbridge ${report.version}${served ? ` (${report.mode}${report.apiBaseUrl ? `, API ${report.apiBaseUrl}` : ''})` : ''}`);
  if (report.bridge !== undefined) lines.push(bridgeLine(report.bridge, now));
  if (report.submitter) {
    const s = report.submitter;
    lines.push(`submitter: ${s.state}${s.reason ? ` (${s.reason})` : ''}; queued ${s.queued}, in flight ${s.inFlight}`);
  }
  if (report.recordings) {
    const u = report.recordings;
    const held = u.reason ? ` (${u.reason}${u.retryAt ? `; next try ${u.retryAt}` : ''})` : '';
    lines.push(
      `recordings: ${u.state}${held}; ${u.merged} merged, ${u.converted} converted, ${u.uploaded} uploaded (${formatBytes(u.bytes)}), ${u.alreadyThere} already there, ${u.inFlight} in flight, ${u.deleted} deleted`,
    );
  }
  if (report.api) {
    const a = report.api;
    const pause = a.pausedUntil ? `paused for ${spanText(Date.parse(a.pausedUntil) - now)} (${a.pauseReason ?? '429'}); ` : '';
    lines.push(`api: ${pause}${a.rate.perSecond}/s of ${a.rate.configuredPerSecond}/s configured (${a.rate.reason}); ${a.rateLimited} 429(s) since start`);
  }
  const q = report.quota;
  lines.push(`daily quota: ${q.used} created today${q.limit ? ` of ${q.limit} (${Math.round((100 * q.used) / q.limit)} %); counts again at ${q.resetsAt}` : ' (no quota set)'}`);
  if (report.backlog?.waiting) lines.push(`backlog: ${backlogText(report.backlog)}`);
  lines.push('rows by state:');
  const counts = Object.entries(report.ledger.counts);
  const width = Math.max(...counts.map(([k]) => k.length));
  for (const [state, n] of counts) lines.push(`  ${state.padEnd(width)}  ${n}`);
  const due = report.ledger.oldestDue;
  const dueAt = due ? Date.parse(due.nextAttemptAt) : 0;
  lines.push(
    due
      ? `oldest due: ${due.externalId} (${due.state}) ${dueAt <= now ? `due for ${spanText(now - dueAt)}` : `due in ${spanText(dueAt - now)}`} (${due.nextAttemptAt})`
      : 'oldest due: none',
  );
  if (report.ledger.lastErrors.length) {
    lines.push('last errors:');
    for (const e of report.ledger.lastErrors) lines.push(`  ${e.updatedAt}  ${e.externalId}  ${e.state}: ${e.reason}`);
  }
  for (const s of report.sources) lines.push(`source ${s.id} (${s.type}, ${s.adapter}): ${sourceState(s)}${s.lastProblem ? ` (${s.lastProblem})` : ''}`);
  if (report.replicas && report.replicas.length > 1) {
    lines.push(`replicas: ${report.replicas.length}`);
    for (const r of report.replicas) lines.push(`  ${replicaText(r, now)}`);
  }
  return `${lines.join('\n')}\n`;
}

export function sourceState(s: Pick<StatusReport['sources'][number], 'running' | 'standby'>): string {
  return s.standby ? 'standby (another replica reads it)' : s.running ? 'running' : 'stopped';
}

/** "pid 4242 on pbx1 since …, last beat 2 s ago, holds deliver, source:asterisk (this one)". */
export function replicaText(r: ReplicaView, now: number): string {
  const roles = r.roles.length ? `holds ${r.roles.join(', ')}` : 'holds no role (takes hooks)';
  return `pid ${r.pid} on ${r.host} since ${r.startedAt}, last beat ${spanText(now - Date.parse(r.lastBeatAt))} ago, ${roles}${r.self ? ' (this one)' : ''}`;
}

/** "1200 imported call(s) to send, at most 500 a day after the live calls; done by 2026-12-09T08:00:00.000Z". */
export function backlogText(b: NonNullable<StatusReport['backlog']>, time: (iso: IsoTime) => string = (iso) => iso): string {
  const pace = b.perDay === null ? ' after the live calls' : `, at most ${b.perDay} a day after the live calls`;
  const done = b.finishAt ? `; done by ${time(b.finishAt)}` : b.perDay === 0 ? '; held: import.maxShareOfDailyQuota is 0' : '';
  return `${b.waiting} imported call(s) to send${pace}${done}`;
}

function bridgeLine(bridge: BridgeView | null, now: number): string {
  if (!bridge) return 'no bridge running on this ledger (none has run on it yet)';
  if (!bridge.running) {
    const how = bridge.stoppedAt ? 'stopped cleanly' : 'it did not stop cleanly';
    return `no bridge running on this ledger (last seen ${bridge.stoppedAt ?? bridge.lastBeatAt}: pid ${bridge.pid} on ${bridge.host}, ${how})`;
  }
  const http = bridge.httpUrl ? `, http ${bridge.httpUrl}` : '';
  return `bridge running (pid ${bridge.pid} on ${bridge.host} since ${bridge.startedAt}, last seen ${spanText(now - Date.parse(bridge.lastBeatAt))} ago${http})`;
}

/** "45 s", "12 min", "5 h", "3 days": a span (either sign) in the largest unit that keeps it readable. */
export function spanText(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7_200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3_600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
