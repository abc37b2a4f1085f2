/**
 * Timed waits that can all be cut short at once: the API gate ends them when it closes, the emulator when its
 * faults change (a lowered latency applies to the requests already waiting).
 */
export class Sleepers {
  private readonly waking = new Set<() => void>();

  /** Resolves after `ms`, or at the next wakeAll(), whichever comes first. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.waking.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.waking.add(wake);
    });
  }

  wakeAll(): void {
    for (const wake of [...this.waking]) wake();
  }
}
