import type { Logger } from '../log/logger.js';
import type { Ingestor, PipelineSource } from '../pipeline/types.js';
import { describeError } from './files.js';
import { unrefTimer } from './runner.js';

/** One job of a runner (read the file, scan the folder, assemble quiet calls), run by its timer or on demand. */
export interface Loop {
  /**
   * A pass now, or, when one is under way, one more right after it: resolves once a pass begun after this call
   * has ended, so whatever was there when it was called has been seen. Between stop() and start() it only waits
   * for the pass under way.
   */
  runNow(): Promise<void>;
  /** The next pass within `ms`; a pass already due sooner stands. */
  soon(ms: number): void;
}

export interface LoopSpec {
  pass: () => Promise<void>;
  /** From start() to the first pass, ms; without it the first pass waits for runNow() or soon(). */
  firstMs?: number;
  /** From the end of a timed pass to the next one, ms; without it passes run only when asked. */
  everyMs?: number;
  /** What lastProblem says when a pass throws; the next pass is the retry. */
  failed?: (error: unknown) => string;
  /** A pass that ends well clears lastProblem; false when the runner's health is decided by other work. */
  clearsProblem?: boolean;
}

export interface PollingRunnerOptions {
  log: Logger;
  /** The clock passes read; `soon()` compares due times on it. */
  now?: () => number;
  /** Log a problem each time it is hit, not only when it differs from the last one (each names a different file). */
  logRepeatedProblems?: boolean;
}

/**
 * What the drop folder, tail and flush runners share: start and stop, the timers, `running` and `lastProblem`
 * (see SourceRunner). A subclass declares its loops in its constructor and may add to start and stop through
 * beforeStart, interrupt and afterStop.
 *
 * Passes of one loop never overlap, and stop() returns only when none is under way: a pass is cut short only
 * where it checks `stopping` itself (or where interrupt() makes it), so what it committed is all there is.
 */
export abstract class PollingRunner {
  protected readonly log: Logger;
  protected readonly now: () => number;
  /** From stop() to the next start(): no pass begins, and a pass under way ends at its next check. */
  protected stopping = false;
  private started = false;
  private starting: Promise<void> | null = null;
  private problemText: string | null = null;
  private readonly logRepeats: boolean;
  private readonly loops: PassLoop[] = [];

  constructor(opts: PollingRunnerOptions) {
    this.log = opts.log;
    this.now = opts.now ?? Date.now;
    this.logRepeats = opts.logRepeatedProblems ?? false;
  }

  /** True between a successful start() and stop(). */
  get running(): boolean {
    return this.started;
  }

  /** The last problem a pass hit and is retrying, or null. */
  get lastProblem(): string | null {
    return this.problemText;
  }

  /** Calls while a start is under way share it: beforeStart (a watcher, say) must not run twice. */
  async start(): Promise<void> {
    if (this.started) return;
    this.starting ??= (async () => {
      this.stopping = false;
      await this.beforeStart();
      this.started = true;
      for (const loop of this.loops) loop.arm();
    })().finally(() => {
      this.starting = null;
    });
    await this.starting;
  }

  async stop(): Promise<void> {
    // A start under way finishes first, or what it sets up would outlive this stop.
    await this.starting?.catch(() => undefined);
    this.stopping = true;
    for (const loop of this.loops) loop.disarm();
    await this.interrupt();
    // No pass begins from here on, so waiting once for each loop's is enough.
    await Promise.all(this.loops.map((loop) => loop.idle()));
    await this.afterStop();
    this.started = false;
  }

  /** Declare a loop (in the constructor): its timer runs from start() to stop(). */
  protected loop(spec: LoopSpec): Loop {
    const loop = new PassLoop(spec, {
      stopping: () => this.stopping,
      now: () => this.now(),
      problem: (text) => this.problem(text),
      clearProblem: () => this.clearProblem(),
    });
    this.loops.push(loop);
    return loop;
  }

  /**
   * The loop of a source whose legs are stashed (tails, hooks, tables, one-file-per-leg drop folders): every
   * `flushEveryMs`, the calls quiet for the source's groupQuietMs are assembled.
   */
  protected quietCallsLoop(source: PipelineSource & { flushEveryMs: number }, ingestor: Pick<Ingestor, 'flushQuiet'>, opts: { clearsProblem?: boolean } = {}): Loop {
    return this.loop({
      firstMs: source.flushEveryMs,
      everyMs: source.flushEveryMs,
      pass: async () => {
        await ingestor.flushQuiet(source, this.now());
      },
      failed: (error) => `assembling quiet calls failed, will retry: ${describeError(error)}`,
      ...opts,
    });
  }

  /** Before the loops are armed; a throw leaves the runner stopped. */
  protected async beforeStart(): Promise<void> {}

  /** At stop(), before waiting for the passes under way: make a long pass end sooner. */
  protected async interrupt(): Promise<void> {}

  /** At stop(), once no pass is under way: release what the passes held open. */
  protected async afterStop(): Promise<void> {}

  /** Remember a problem being retried; a repeat of the same one is not logged again unless asked. */
  protected problem(text: string): void {
    if (this.logRepeats || text !== this.problemText) this.log.warn(text);
    this.problemText = text;
  }

  protected clearProblem(): void {
    this.problemText = null;
  }
}

interface LoopHost {
  stopping(): boolean;
  now(): number;
  problem(text: string): void;
  clearProblem(): void;
}

class PassLoop implements Loop {
  private timer: NodeJS.Timeout | null = null;
  private dueAt = Infinity;
  private inFlight: Promise<void> | null = null;
  private again = false;
  /** Passes begun so far: how runNow() knows a pass began after it was called. */
  private begun = 0;

  constructor(
    private readonly spec: LoopSpec,
    private readonly host: LoopHost,
  ) {}

  arm(): void {
    if (this.spec.firstMs !== undefined) this.soon(this.spec.firstMs);
  }

  disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = Infinity;
  }

  async idle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  async runNow(): Promise<void> {
    const before = this.begun;
    // The pass under way may have looked already: it goes round once more instead of a second one queueing.
    if (this.inFlight) this.again = true;
    for (;;) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (this.begun > before || this.host.stopping()) return;
      this.inFlight = this.passes().finally(() => {
        this.inFlight = null;
      });
    }
  }

  soon(ms: number): void {
    if (this.host.stopping()) return;
    const at = this.host.now() + ms;
    if (this.timer && at >= this.dueAt) return;
    this.disarm();
    this.dueAt = at;
    this.timer = unrefTimer(() => {
      this.timer = null;
      this.dueAt = Infinity;
      void this.runNow().finally(() => {
        if (this.spec.everyMs !== undefined) this.soon(this.spec.everyMs);
      });
    }, ms);
  }

  private async passes(): Promise<void> {
    do {
      this.again = false;
      this.begun++;
      try {
        await this.spec.pass();
        if (this.spec.clearsProblem) this.host.clearProblem();
      } catch (error) {
        this.host.problem((this.spec.failed ?? describeError)(error));
      }
    } while (this.again && !this.host.stopping());
  }
}
