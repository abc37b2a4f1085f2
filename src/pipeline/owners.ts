import { type OwnerEntry, PhoneIndex, ownersFromDstnyUsers } from './directory.js';

export type OwnerLookup =
  | { kind: 'found'; owner: OwnerEntry }
  | { kind: 'missing' }
  /** The Dstny users directory is configured but could not be read yet: try again later, do not reject. */
  | { kind: 'unavailable'; reason: string; retryAt: number };

const MISSING: OwnerLookup = Object.freeze({ kind: 'missing' });
const LOCAL_FOUND_LIMIT = 50_000;

export interface OwnerDirectoryOptions {
  defaultCountry: string;
  /** normalize.owners.map: the most authoritative source. */
  map?: Record<string, string>;
  /** Entries from normalize.owners.csv. */
  csv?: Array<{ extension: string } & OwnerEntry>;
  /** Dstny `GET /api/v2/users` (the API client's `listUsers`); omitted = no Dstny directory (parse mode). */
  fetchUsers?: () => Promise<unknown[]>;
  refreshMinutes?: number;
  /** After a failed fetch, wait this long before asking Dstny again (the API allows ~60 requests a minute). */
  retryAfterFailureMs?: number;
  onRefreshError?: (error: unknown) => void;
}

/**
 * Extension (or number) → owner. Precedence: the config map, then the CSV, then Dstny users.
 * The Dstny list is fetched on first need and again when older than `refreshMinutes`; one fetch at a time.
 * A miss does not trigger a fetch while the list is fresh: unmapped extensions must not hammer the API.
 */
export class OwnerDirectory {
  private readonly local: PhoneIndex<OwnerEntry>;
  private readonly localFound = new Map<string, OwnerLookup>();
  private remote: PhoneIndex<OwnerEntry> | undefined;
  private fetchedAt = -Infinity;
  private failedAt = -Infinity;
  private lastError: string | undefined;
  private inflight: Promise<void> | undefined;

  constructor(private readonly opts: OwnerDirectoryOptions) {
    this.local = new PhoneIndex<OwnerEntry>(opts.defaultCountry);
    for (const [extension, email] of Object.entries(opts.map ?? {})) this.local.add(extension, { email });
    for (const entry of opts.csv ?? []) {
      const { extension, ...owner } = entry;
      this.local.add(extension, owner);
    }
  }

  async lookup(extension: string | undefined, now = Date.now()): Promise<OwnerLookup> {
    const known = this.lookupLocal(extension);
    if (known) return known;
    await this.refreshIfStale(now);
    const remote = this.remote?.get(extension);
    if (remote) return { kind: 'found', owner: remote };
    if (!this.remote) {
      return {
        kind: 'unavailable',
        reason: `owner directory (Dstny users) unavailable: ${this.lastError ?? 'not loaded yet'}`,
        retryAt: this.failedAt + this.retryAfterFailureMs(),
      };
    }
    return { kind: 'missing' };
  }

  /**
   * What `lookup` answers when that needs no Dstny users list (the map or the CSV has the extension, or there is no
   * Dstny directory); undefined when only the Dstny list can tell. Synchronous: the per-call path of whole files.
   */
  lookupLocal(extension: string | undefined): OwnerLookup | undefined {
    if (!extension) return MISSING;
    let found = this.localFound.get(extension);
    if (found === undefined) {
      const local = this.local.get(extension);
      if (local) {
        // The map and the CSV do not change after construction: an extension found once is found again, the same.
        found = Object.freeze({ kind: 'found', owner: local });
        if (this.localFound.size >= LOCAL_FOUND_LIMIT) this.localFound.clear();
        this.localFound.set(extension, found);
      }
    }
    if (found) return found;
    if (!this.opts.fetchUsers) return MISSING;
    return undefined;
  }

  private retryAfterFailureMs(): number {
    return this.opts.retryAfterFailureMs ?? 60_000;
  }

  private async refreshIfStale(now: number): Promise<void> {
    const refreshMs = (this.opts.refreshMinutes ?? 60) * 60_000;
    const fresh = now - this.fetchedAt < refreshMs;
    const backingOff = now - this.failedAt < this.retryAfterFailureMs();
    if (fresh || backingOff) return;
    this.inflight ??= this.fetch(now).finally(() => {
      this.inflight = undefined;
    });
    await this.inflight;
  }

  private async fetch(now: number): Promise<void> {
    const fetchUsers = this.opts.fetchUsers;
    if (!fetchUsers) return;
    try {
      const users = await fetchUsers();
      const index = new PhoneIndex<OwnerEntry>(this.opts.defaultCountry);
      for (const entry of ownersFromDstnyUsers(Array.isArray(users) ? users : [], this.opts.defaultCountry)) {
        const { number, ...owner } = entry;
        index.add(number, owner);
      }
      this.remote = index;
      this.fetchedAt = now;
      this.lastError = undefined;
    } catch (error) {
      // Keep the last good list: a stale directory beats none.
      this.failedAt = now;
      this.lastError = error instanceof Error ? error.message : String(error);
      this.opts.onRefreshError?.(error);
    }
  }
}
