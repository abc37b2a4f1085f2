/**
 * A source runner brings calls in (a drop folder, a tailed file, the quiet-call flusher of a hook source).
 * `stop()` never loses anything: work in progress is finished or left exactly where the next `start()` finds it.
 */
export interface SourceRunner {
  readonly sourceId: string;
  readonly kind: 'drop' | 'tail' | 'hook' | 'sql';
  /** True between a successful start() and stop(); readiness reports a source that is not running. */
  readonly running: boolean;
  /** The last problem this runner hit and is retrying (no secrets, no request data), or null. */
  readonly lastProblem: string | null;
  /** Replicas on one ledger: another replica reads this source now; this one takes over should it die. */
  readonly standby?: boolean;
  /** A tail: bytes of its file not read yet (null until it has the file); other runners have none. */
  readonly lagBytes?: number | null;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** A setTimeout that does not keep the process alive on its own (the HTTP server and signals do). */
export function unrefTimer(fn: () => void, ms: number): NodeJS.Timeout {
  const t = setTimeout(fn, ms);
  t.unref();
  return t;
}
