import type { Logger } from '../log/logger.js';
import type { Locks } from './locks.js';

/** A part that runs only while its process holds a lock: the submitter and reconciler, retention, a source. */
export interface HeldPart {
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** How often a replica without a lock tries to take it (and its holder checks it still has it): a dead holder's role or source is taken over within this. */
export const LOCK_POLL_MS = 2_000;

export interface HeldOptions {
  /** Default LOCK_POLL_MS. */
  pollMs?: number;
  /**
   * After taking over a lock another process may have held until just now, wait this long before starting: what the
   * last holder sent in its last moments still counts against the API's rate (the submitter: one second).
   */
  takeoverWaitMs?: number;
  logger?: Logger;
  /** What the lock guards, for the log ("submitting", "source asterisk"). */
  what: string;
}

/**
 * Runs `part` while this process holds the lock `name`, and only then: the first try at start (so a bridge on its own
 * ledger starts it at once), then every pollMs. A lock lost (the database restarted under it) stops the part; another
 * replica, or this one, takes it up again.
 */
export class Held {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = true;
  private turn: Promise<void> = Promise.resolve();

  constructor(
    private readonly locks: Locks,
    readonly name: string,
    private readonly part: HeldPart,
    private readonly opts: HeldOptions,
  ) {}

  /** Whether the part runs here now. */
  get active(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.check();
    this.timer = setInterval(() => void this.check(), this.opts.pollMs ?? LOCK_POLL_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.turn;
    if (this.running) {
      this.running = false;
      await this.part.stop();
    }
    await this.locks.release(this.name);
  }

  /** One look at the lock, never two at once. */
  private check(): Promise<void> {
    this.turn = this.turn
      .then(() => this.checkNow())
      .catch((error: unknown) => {
        this.opts.logger?.error(`${this.opts.what}: ${(error as Error).message}`, { error });
      });
    return this.turn;
  }

  private async checkNow(): Promise<void> {
    if (this.stopped) return;
    const holds = await this.locks.acquire(this.name);
    if (this.stopped) return;
    if (holds && !this.running) {
      if (this.locks.shared) {
        this.opts.logger?.info(`${this.opts.what}: this replica took it up`);
        if (this.opts.takeoverWaitMs) await new Promise((resolve) => setTimeout(resolve, this.opts.takeoverWaitMs));
        if (this.stopped || !this.locks.holds(this.name)) return;
      }
      this.running = true;
      await this.part.start();
    } else if (!holds && this.running) {
      this.opts.logger?.warn(`${this.opts.what}: the lock was lost (the ledger's database went away); stopped here until this replica holds it again`);
      this.running = false;
      await this.part.stop();
    }
  }
}
