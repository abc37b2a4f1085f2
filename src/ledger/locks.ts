/**
 * Named locks shared by the replicas of one ledger: a role (submitting, reconciling, retention) or a source (a tailed
 * file, a drop folder, a CDR table) is held by one process at a time. A lock is lost when its holder dies, so another
 * replica takes it over.
 */
export interface Locks {
  /** Takes the lock if it is free (or already ours). True while this process holds it. */
  acquire(name: string): Promise<boolean>;
  release(name: string): Promise<void>;
  /** Whether this process still holds it: false once released, or once the connection that held it was lost. */
  holds(name: string): boolean;
  /** Every lock this process holds now, sorted. */
  held(): string[];
  /** Whether another process can hold locks too (a shared database), so that taking one over needs care. */
  readonly shared: boolean;
  close(): Promise<void>;
}

/** One process on its own ledger (SQLite): every lock is always its own. */
export class LocalLocks implements Locks {
  readonly shared = false;
  private readonly names = new Set<string>();

  async acquire(name: string): Promise<boolean> {
    this.names.add(name);
    return true;
  }

  async release(name: string): Promise<void> {
    this.names.delete(name);
  }

  holds(name: string): boolean {
    return this.names.has(name);
  }

  held(): string[] {
    return [...this.names].sort();
  }

  async close(): Promise<void> {
    this.names.clear();
  }
}
