import { Held } from '../ledger/held.js';
import type { Locks } from '../ledger/locks.js';
import type { Logger } from '../log/logger.js';
import type { SourceRunner } from './runner.js';

/**
 * A drop folder, tailed file or CDR table read by one replica at a time: the runner starts only while this process
 * holds the lock `source:ID`, from the source's committed checkpoint. A replica standing by counts as running (it is
 * ready to take over); `standby` says it waits.
 */
export class LockedRunner implements SourceRunner {
  private readonly held: Held;
  private started = false;

  constructor(
    private readonly inner: SourceRunner,
    locks: Locks,
    logger?: Logger,
  ) {
    this.held = new Held(locks, `source:${inner.sourceId}`, inner, { what: `source ${inner.sourceId}`, ...(logger ? { logger } : {}) });
  }

  get sourceId(): string {
    return this.inner.sourceId;
  }

  get kind(): SourceRunner['kind'] {
    return this.inner.kind;
  }

  get running(): boolean {
    return this.started && (this.inner.running || !this.held.active);
  }

  /** Another replica reads this source now. */
  get standby(): boolean {
    return this.started && !this.held.active;
  }

  get lastProblem(): string | null {
    return this.held.active ? this.inner.lastProblem : null;
  }

  get lagBytes(): number | null | undefined {
    return this.held.active ? this.inner.lagBytes : undefined;
  }

  async start(): Promise<void> {
    await this.held.start();
    this.started = true;
  }

  async stop(): Promise<void> {
    this.started = false;
    await this.held.stop();
  }
}
