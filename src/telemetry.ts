/**
 * What the parts of a running bridge tell the metrics as it happens (src/status/metrics.ts counts it for
 * /metrics). An interface on the ground floor so the pipeline, the submitter, the reconciler and the HTTP routes
 * can report without knowing Prometheus; `noTelemetry` where nobody counts (parse, tests).
 */
export interface Telemetry {
  /** A new call was committed to the ledger to be delivered (pending, prepare or held). */
  callAccepted(sourceId: string): void;
  /** A call was skipped, by the adapter or by a normalize rule; `reason` is a SkipKind, never free text. */
  callSkipped(sourceId: string, reason: string): void;
  /** A new call was committed as rejected (no owner, an invalid payload). */
  callRejected(sourceId: string): void;
  /** A source handed over an input: a file, a chunk of a tailed file, a hook body, a page of table rows. */
  inputRead(sourceId: string, name: string): void;
  /** A record its adapter could not read (a located parse error). */
  parseError(sourceId: string): void;
  /** One answer (or none: `network`) of the Dstny API, and how long the request took. */
  apiAnswered(request: ApiRequestKind, outcome: OutcomeClass, seconds: number): void;
  /** A live call was created at Dstny (epoch ms); `endedAt` null when its hangup time is unknown. */
  callSubmitted(endedAt: number | null, submittedAt: number): void;
  /** A submitted call was seen at Dstny (epoch ms); `submittedAt` null when unknown. */
  callConfirmed(path: ConfirmPath, submittedAt: number | null, confirmedAt: number): void;
  /** Dstny (or anyone with a valid link) fetched a local recording. */
  recordingServed(): void;
}

/** An API outcome as counted: the status family, 429 on its own, or no answer at all. */
export const outcomeClasses = ['2xx', '429', '4xx', '5xx', 'network'] as const;
export type OutcomeClass = (typeof outcomeClasses)[number];

export const apiRequestKinds = ['create', 'list', 'lookup', 'users'] as const;
export type ApiRequestKind = (typeof apiRequestKinds)[number];

export const confirmPaths = ['reconciler', 'webhook'] as const;
export type ConfirmPath = (typeof confirmPaths)[number];

const nothing = (): void => undefined;

export const noTelemetry: Telemetry = {
  callAccepted: nothing,
  callSkipped: nothing,
  callRejected: nothing,
  inputRead: nothing,
  parseError: nothing,
  apiAnswered: nothing,
  callSubmitted: nothing,
  callConfirmed: nothing,
  recordingServed: nothing,
};
