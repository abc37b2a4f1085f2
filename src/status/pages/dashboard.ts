import type { HourCounts, Ledger, RowState } from '../../ledger/ledger.js';
import { withoutLinkSecrets } from '../../log/link-secrets.js';
import { redactPaths, redactStatusReport } from '../redact-paths.js';
import type { StatusReport } from '../report.js';

const HOUR = 3_600_000;
/** The newest calls in trouble the page groups; the rest are counted in the rows per state. */
const PROBLEM_ROWS = 500;
const IDS_PER_GROUP = 5;

export type ProblemState = Extract<RowState, 'failed' | 'missing' | 'rejected'>;
const PROBLEM_STATES: ProblemState[] = ['failed', 'missing', 'rejected'];

/** Calls in trouble with the same reason: one line on the page. */
export interface ProblemGroup {
  state: ProblemState;
  reason: string;
  count: number;
  /** The newest few, each linked to its page. */
  ids: string[];
}

/** What the status page shows, read at each request (and each refresh). Text shown as it may be shown: no paths, no link secrets. */
export interface Dashboard {
  now: number;
  report: StatusReport;
  delivered: { lastHour: number; last24h: number };
  /** The last 24 clock hours (UTC), oldest first. */
  hours: HourCounts[];
  problems: ProblemGroup[];
  /** How many of the calls in trouble the groups cover (at most PROBLEM_ROWS, the newest). */
  problemsShown: number;
}

export type DashboardLedger = Pick<Ledger, 'hourly' | 'countConfirmedSince' | 'search'>;

export async function readDashboard(report: StatusReport, ledger: DashboardLedger, now = Date.now()): Promise<Dashboard> {
  const [lastHour, last24h, hours, troubled] = await Promise.all([
    ledger.countConfirmedSince(now - HOUR),
    ledger.countConfirmedSince(now - 24 * HOUR),
    ledger.hourly(now - 23 * HOUR, now),
    ledger.search({ states: PROBLEM_STATES, limit: PROBLEM_ROWS }),
  ]);
  return {
    now,
    report: redactStatusReport(report),
    delivered: { lastHour, last24h },
    hours,
    problems: groupProblems(troubled.map((r) => ({ externalId: r.externalId, state: r.state as ProblemState, reason: r.reason ?? '(no reason recorded)' }))),
    problemsShown: troubled.length,
  };
}

/** Pure: calls in trouble grouped by state and reason (as shown), the largest group first. */
export function groupProblems(rows: Array<{ externalId: string; state: ProblemState; reason: string }>): ProblemGroup[] {
  const groups = new Map<string, ProblemGroup>();
  for (const row of rows) {
    const reason = shownText(row.reason);
    const key = `${row.state}\n${reason}`;
    const group = groups.get(key) ?? { state: row.state, reason, count: 0, ids: [] };
    group.count += 1;
    if (group.ids.length < IDS_PER_GROUP) group.ids.push(row.externalId);
    groups.set(key, group);
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.state.localeCompare(b.state));
}

/** Text from the ledger as a page shows it: directories and link secrets cut. */
export function shownText(text: string): string {
  return withoutLinkSecrets(redactPaths(text));
}
