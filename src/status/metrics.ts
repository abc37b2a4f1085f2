import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { rowStates } from '../ledger/ledger.js';
import { skipKinds } from '../pipeline/skip-kinds.js';
import type { SubmitterState } from '../submit/submitter.js';
import { type ApiRequestKind, apiRequestKinds, type ConfirmPath, confirmPaths, type OutcomeClass, outcomeClasses, type Telemetry } from '../telemetry.js';
import type { StatusReport } from './report.js';

const SUBMITTER_STATES: readonly SubmitterState[] = ['running', 'paused', 'halted', 'quota', 'stopped'];
const PREPARER_STATES = ['running', 'failing', 'stopped'] as const;
/** From a few seconds (a live call) to a day (a call held by the quota or a long outage). */
const WAIT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1_800, 3_600, 7_200, 21_600, 86_400];
const REQUEST_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

let processRegistry: Registry | null = null;
/** Node's and the process's own metrics (CPU, memory, event loop, GC), collected once per process however many bridges it runs (tests run several). */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * The bridge's Prometheus metrics (README "Metrics"). Counters and histograms count what the parts report as it
 * happens (the Telemetry the bridge hands them); gauges, and the counts the parts keep themselves, are read from the
 * status report at each scrape. Counters start at 0 for every label value known in advance, so `increase()` sees
 * the first call. They count this process's life: Prometheus handles the reset of a restart.
 */
export class BridgeMetrics implements Telemetry {
  private readonly registry = new Registry();
  private report: StatusReport | null = null;
  private readonly adapterOf = new Map<string, string>();
  private readonly lastInputs = new Map<string, { name: string; at: number }>();
  private readonly accepted: Counter<'source' | 'adapter'>;
  private readonly skipped: Counter<'source' | 'reason'>;
  private readonly rejected: Counter<'source'>;
  private readonly parseErrors: Counter<'source'>;
  private readonly submissions: Counter<'outcome'>;
  private readonly requests: Counter<'request' | 'outcome'>;
  private readonly confirmations: Counter<'path'>;
  private readonly served: Counter;
  private readonly requestSeconds: Histogram;
  private readonly hangupToSubmitted: Histogram;
  private readonly submittedToConfirmed: Histogram<'path'>;

  constructor(version: string) {
    const registers = [this.registry];
    this.accepted = new Counter({ name: 'callbridge_calls_accepted_total', help: 'New calls committed to the ledger to be delivered', labelNames: ['source', 'adapter'], registers });
    this.skipped = new Counter({ name: 'callbridge_calls_skipped_total', help: 'Calls skipped, by kind of reason (internal, unanswered, short, ...)', labelNames: ['source', 'reason'], registers });
    this.rejected = new Counter({ name: 'callbridge_calls_rejected_total', help: 'New calls committed as rejected (no owner, invalid payload)', labelNames: ['source'], registers });
    this.parseErrors = new Counter({ name: 'callbridge_parse_errors_total', help: 'Records the adapter could not read', labelNames: ['source'], registers });
    this.submissions = new Counter({ name: 'callbridge_submissions_total', help: 'POST /api/v2/conversations answers by class (2xx, 429, 4xx, 5xx, network: none)', labelNames: ['outcome'], registers });
    this.requests = new Counter({ name: 'callbridge_api_requests_total', help: 'Every Dstny API request by kind and answer class', labelNames: ['request', 'outcome'], registers });
    this.confirmations = new Counter({ name: 'callbridge_confirmations_total', help: 'Submitted calls seen at Dstny, by how (reconciler look-up, webhook)', labelNames: ['path'], registers });
    this.served = new Counter({ name: 'callbridge_recordings_served_total', help: 'Local recordings served through their signed links', registers });
    this.requestSeconds = new Histogram({ name: 'callbridge_submit_request_duration_seconds', help: 'Duration of POST /api/v2/conversations requests', buckets: REQUEST_BUCKETS, registers });
    this.hangupToSubmitted = new Histogram({ name: 'callbridge_hangup_to_submitted_seconds', help: 'From the end of a live call to its creation at Dstny (imported calls are not counted)', buckets: WAIT_BUCKETS, registers });
    this.submittedToConfirmed = new Histogram({
      name: 'callbridge_submitted_to_confirmed_seconds',
      help: 'From a call\'s creation at Dstny to its confirmation, by path',
      labelNames: ['path'],
      buckets: WAIT_BUCKETS,
      registers,
    });
    for (const outcome of outcomeClasses) this.submissions.inc({ outcome }, 0);
    for (const request of apiRequestKinds) for (const outcome of outcomeClasses) this.requests.inc({ request, outcome }, 0);
    for (const path of confirmPaths) {
      this.confirmations.inc({ path }, 0);
      this.submittedToConfirmed.zero({ path });
    }
    this.served.inc(0);
    this.reportGauges(version);
    this.reportCounters();
  }

  /** The configured sources: their counters start at 0 and calls are labelled with their adapter. */
  knowSources(sources: ReadonlyArray<{ id: string; adapter: string }>): void {
    for (const { id, adapter } of sources) {
      this.adapterOf.set(id, adapter);
      this.accepted.inc({ source: id, adapter }, 0);
      this.rejected.inc({ source: id }, 0);
      this.parseErrors.inc({ source: id }, 0);
      for (const reason of skipKinds) this.skipped.inc({ source: id, reason }, 0);
    }
  }

  /** Every metric of ours with its type, labels and help, for the README (process metrics are prom-client's). */
  describe(): Array<{ name: string; type: string; labels: string[]; help: string }> {
    return this.registry.getMetricsAsArray().map((m) => {
      const metric = m as unknown as { name: string; type: string; help: string; labelNames?: string[] };
      return { name: metric.name, type: metric.type, labels: (metric.labelNames ?? []).filter((l) => l !== 'le'), help: metric.help };
    });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text, its gauges read from `report`. */
  async text(report: StatusReport): Promise<string> {
    this.report = report;
    return `${await processMetrics().metrics()}\n${await this.registry.metrics()}`;
  }

  callAccepted(sourceId: string): void {
    this.accepted.inc({ source: sourceId, adapter: this.adapterOf.get(sourceId) ?? 'unknown' });
  }

  callSkipped(sourceId: string, reason: string): void {
    this.skipped.inc({ source: sourceId, reason });
  }

  callRejected(sourceId: string): void {
    this.rejected.inc({ source: sourceId });
  }

  inputRead(sourceId: string, name: string): void {
    this.lastInputs.set(sourceId, { name, at: Date.now() });
  }

  /** The last input of a source since this process started (a file, a hook body), or null. */
  lastInputOf(sourceId: string): { name: string; at: number } | null {
    return this.lastInputs.get(sourceId) ?? null;
  }

  parseError(sourceId: string): void {
    this.parseErrors.inc({ source: sourceId });
  }

  apiAnswered(request: ApiRequestKind, outcome: OutcomeClass, seconds: number): void {
    this.requests.inc({ request, outcome });
    if (request !== 'create') return;
    this.submissions.inc({ outcome });
    this.requestSeconds.observe(seconds);
  }

  callSubmitted(endedAt: number | null, submittedAt: number): void {
    if (endedAt !== null) this.hangupToSubmitted.observe(secondsBetween(endedAt, submittedAt));
  }

  callConfirmed(path: ConfirmPath, submittedAt: number | null, confirmedAt: number): void {
    this.confirmations.inc({ path });
    if (submittedAt !== null) this.submittedToConfirmed.observe({ path }, secondsBetween(submittedAt, confirmedAt));
  }

  recordingServed(): void {
    this.served.inc();
  }

  private reportGauges(version: string): void {
    const registers = [this.registry];
    const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[], collect: (g: Gauge<L>, r: StatusReport) => void) =>
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          if (metrics.report) collect(this, metrics.report);
        },
      });
    const metrics = this;
    gauge('callbridge_build_info', 'The running version (always 1)', ['version'], (g) => g.set({ version }, 1));
    gauge('callbridge_rows', 'Ledger rows by state', ['state'], (g, r) => {
      for (const state of rowStates) g.set({ state }, r.ledger.counts[state] ?? 0);
    });
    gauge('callbridge_oldest_due_seconds', 'How long the oldest due row has been waiting (0 when none is due)', [], (g, r) => {
      const due = r.ledger.oldestDue;
      g.set(due ? Math.max(0, (Date.now() - Date.parse(due.nextAttemptAt)) / 1000) : 0);
    });
    gauge('callbridge_quota_used', 'Conversations created since 00:00 UTC (what submit.dailyQuota counts)', [], (g, r) => g.set(r.quota.used));
    gauge('callbridge_quota_limit', 'submit.dailyQuota (0: no quota)', [], (g, r) => g.set(r.quota.limit));
    gauge('callbridge_submitter_state', 'Submitter state (1 for the current one)', ['state'], (g, r) => {
      for (const state of SUBMITTER_STATES) g.set({ state }, r.submitter?.state === state ? 1 : 0);
    });
    gauge('callbridge_source_up', 'Source running (1) or not (0)', ['source'], (g, r) => {
      for (const s of r.sources) g.set({ source: s.id }, s.running ? 1 : 0);
    });
    gauge('callbridge_source_last_input_timestamp_seconds', 'When the source last handed over an input (a file, a tail chunk, a hook body, table rows), Unix time', ['source'], (g) => {
      for (const [source, input] of metrics.lastInputs) g.set({ source }, input.at / 1000);
    });
    gauge('callbridge_source_lag_bytes', 'Bytes of a tailed file not read yet', ['source'], (g, r) => {
      for (const s of r.sources) if (s.lagBytes !== undefined && s.lagBytes !== null) g.set({ source: s.id }, s.lagBytes);
    });
    gauge('callbridge_api_paused', 'The API gate is paused for a 429 (1) or not (0)', [], (g, r) => g.set(r.api?.pausedUntil ? 1 : 0));
    gauge('callbridge_api_rate_per_second', 'Requests per second the API gate uses now (lowered after 429s, at most the configured rate)', [], (g, r) =>
      g.set(r.api?.rate.perSecond ?? 0),
    );
    gauge(
      'callbridge_recordings_state',
      'State of the recordings made ready before sending (1 for the current one; all 0 when nothing needs making ready)',
      ['state'],
      (g, r) => {
        for (const state of PREPARER_STATES) g.set({ state }, r.recordings?.state === state ? 1 : 0);
      },
    );
  }

  /** Counts the parts keep themselves (since this process started), exposed as counters. */
  private reportCounters(): void {
    const metrics = this;
    const counter = (name: string, help: string, read: (r: StatusReport) => number | undefined) =>
      new Counter({
        name,
        help,
        registers: [this.registry],
        collect() {
          if (!metrics.report) return;
          this.reset();
          this.inc(read(metrics.report) ?? 0);
        },
      });
    counter('callbridge_api_rate_limited_total', '429 answers from Dstny', (r) => r.api?.rateLimited);
    counter('callbridge_recordings_merged_total', 'Two-file recordings merged into one stereo file (recordings.split)', (r) => r.recordings?.merged);
    counter('callbridge_recordings_converted_total', 'Recordings converted (recordings.convert)', (r) => r.recordings?.converted);
    counter('callbridge_recordings_uploaded_total', 'Recordings uploaded to the bucket (those found there already are not counted)', (r) => r.recordings?.uploaded);
    counter('callbridge_recording_upload_bytes_total', 'Bytes of recordings uploaded to the bucket', (r) => r.recordings?.bytes);
    counter('callbridge_recordings_deleted_total', 'Recordings deleted from the bucket (recordings.upload.deleteAfterDays)', (r) => r.recordings?.deleted);
  }
}

/** From one epoch-ms time to a later one, in seconds (0 when the clocks disagree). */
function secondsBetween(from: number, to: number): number {
  return Math.max(0, to - from) / 1000;
}
