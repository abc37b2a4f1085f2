import { createHash } from 'node:crypto';

/**
 * Signed requests seen recently, by a delivery id or the signature itself, so that the exact same signed request
 * received again while its timestamp is still inside the tolerance window can be told from a new one. Used by the
 * PBX hooks (HMAC sources, keyed by signature) and the Dstny webhook receiver (keyed by X-Webhook-Delivery-Id).
 *
 * Bounded in memory both ways: an entry lives `keepMs` (callers pass twice the timestamp tolerance: a request
 * signed up to one tolerance in the future stays acceptable for two tolerances after it arrives), and at most
 * `maxEntries` are kept, the oldest dropped first. A dropped entry only means that an exact repeat of that request
 * is processed again, which the ledger answers as a duplicate: never a second call. Ids longer than 128 characters
 * (a header a sender controls) are kept as their SHA-256, so the count bounds the memory too.
 *
 * Entries are kept in insertion order, which is expiry order (one `keepMs` for all), so pruning stops at the first
 * live one. A value may be kept with each id (the hooks keep the call ids the first request was answered with).
 */
export class ReplayGuard<V = undefined> {
  private readonly seen = new Map<string, { until: number; value: V | undefined }>();
  /** Entries dropped because `maxEntries` was reached before they expired. */
  evicted = 0;

  constructor(
    private readonly keepMs: number,
    private readonly maxEntries = 10_000,
  ) {
    if (!(keepMs > 0)) throw new RangeError('ReplayGuard: keepMs must be positive');
    if (!(maxEntries >= 1)) throw new RangeError('ReplayGuard: maxEntries must be at least 1');
  }

  /** Whether `id` was added less than keepMs before `now` (and not dropped for room since). */
  has(id: string, now: number): boolean {
    this.prune(now);
    return this.seen.has(key(id));
  }

  /** The value kept with `id`, if it is still remembered. */
  get(id: string, now: number): V | undefined {
    this.prune(now);
    return this.seen.get(key(id))?.value;
  }

  /** Remember `id` (again: its time starts anew) until now + keepMs. */
  add(id: string, now: number, value?: V): void {
    this.prune(now);
    const k = key(id);
    this.seen.delete(k); // re-inserted at the end: insertion order stays expiry order
    this.seen.set(k, { until: now + this.keepMs, value });
    while (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (oldest.done) break;
      this.seen.delete(oldest.value);
      this.evicted++;
    }
  }

  /** Ids remembered now (after pruning the expired ones). */
  size(now: number): number {
    this.prune(now);
    return this.seen.size;
  }

  private prune(now: number): void {
    for (const [id, entry] of this.seen) {
      if (entry.until > now) break;
      this.seen.delete(id);
    }
  }
}

function key(id: string): string {
  // Distinct prefixes: a short id can never equal the hash kept for a long one.
  return id.length > 128 ? `#${createHash('sha256').update(id, 'utf8').digest('hex')}` : `=${id}`;
}
