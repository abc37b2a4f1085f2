import type { GateStatus } from '../dstny/gate.js';
import type { LedgerStats } from '../ledger/ledger.js';
import type { SubmitterStatus } from '../submit/submitter.js';

/** What `/status` and `callbridge status` show. Built from counts and reasons only: no secret can reach it. */
export interface StatusReport {
  version: string;
  mode: 'sandbox' | 'live' | 'offline';
  apiBaseUrl: string | null;
  ledger: LedgerStats;
  submitter: SubmitterStatus | null;
  /** The API gate: its pause and the request rate it uses, with why. */
  api: GateStatus | null;
  sources: Array<{ id: string; type: string; adapter: string; running: boolean; lastProblem: string | null }>;
}

/** Human-readable status for the terminal. */
export function formatStatus(report: StatusReport, now = Date.now()): string {
  const lines: string[] = [];
  lines.push(`callbridge ${report.version} (${report.mode}${report.apiBaseUrl ? `, API ${report.apiBaseUrl}` : ''})`);
  if (report.submitter) {
    const s = report.submitter;
    lines.push(`submitter: ${s.state}${s.reason ? ` (${s.reason})` : ''}; queued ${s.queued}, in flight ${s.inFlight}`);
  }
  if (report.api) {
    const a = report.api;
    const pause = a.pausedUntil ? `paused for ${ago(a.pausedUntil - now)} (${a.pauseReason ?? '429'}); ` : '';
    lines.push(`api: ${pause}${a.rate.perSecond}/s of ${a.rate.configuredPerSecond}/s configured (${a.rate.reason}); ${a.rateLimited} 429(s) since start`);
  }
  lines.push('rows by state:');
  const counts = Object.entries(report.ledger.counts);
  const width = Math.max(...counts.map(([k]) => k.length));
  for (const [state, n] of counts) lines.push(`  ${state.padEnd(width)}  ${n}`);
  const due = report.ledger.oldestDue;
  lines.push(
    due
      ? `oldest due: ${due.externalId} (${due.state}) ${due.nextAttemptAt <= now ? `due for ${ago(now - due.nextAttemptAt)}` : `due in ${ago(due.nextAttemptAt - now)}`}`
      : 'oldest due: none',
  );
  if (report.ledger.lastErrors.length) {
    lines.push('last errors:');
    for (const e of report.ledger.lastErrors) lines.push(`  ${new Date(e.updatedAt).toISOString()}  ${e.externalId}  ${e.state}: ${e.reason}`);
  }
  for (const s of report.sources) lines.push(`source ${s.id} (${s.type}, ${s.adapter}): ${s.running ? 'running' : 'stopped'}${s.lastProblem ? ` (${s.lastProblem})` : ''}`);
  return `${lines.join('\n')}\n`;
}

function ago(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}
