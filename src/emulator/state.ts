import { type EmulatorFaults, type EmulatorFaultsPatch, emulatorFaultsSchema } from './config.js';
import type { ConversationRecord } from './conversations.js';
import { RateLimiter } from './limiter.js';
import { Sleepers } from '../sleepers.js';

export type ApiRoute = 'create' | 'list' | 'get' | 'users' | 'globalFilters' | 'other';
export const apiRoutes: readonly ApiRoute[] = ['create', 'list', 'get', 'users', 'globalFilters', 'other'];

export type ResponseKind = 'unauthorized' | 'badRequest' | 'invalid' | 'notFound' | 'rateLimited' | 'serverError' | 'timeout' | 'lostResponse';

export interface EmulatorStatsSnapshot {
  requests: {
    /** Every /api/v2 request that arrived (refused ones included). */
    total: number;
    byRoute: Record<ApiRoute, number>;
    firstAt: number | null;
    lastAt: number | null;
    /** Most requests that arrived within one wall-clock second. */
    peakPerSecond: number;
    /** total / (lastAt - firstAt), per second; 0 with fewer than two requests. */
    averagePerSecond: number;
  };
  responses: Record<ResponseKind, number>;
  conversations: {
    /** POSTs answered with a conversation_id (dropped ones included). */
    accepted: number;
    /** Accepted and not dropped: these exist (or will, after the delay). */
    live: number;
    visible: number;
    dropped: number;
    uniqueExternalIds: number;
    /** External ids with more than one live conversation: a second conversation for the same call. */
    duplicateExternalIds: string[];
    /** Live conversations beyond the first per external id. */
    duplicates: number;
  };
  /** Created conversations per second of creation (accepted POSTs). */
  creations: { firstAt: number | null; lastAt: number | null; perSecond: number };
  webhooks: { attempts: number; delivered: number; failed: number; gaveUp: number };
  faults: EmulatorFaults & { stormUntil: number };
}

const PER_SECOND_WINDOW = 3_600;
const REQUEST_LOG_LIMIT = 2_000;

/** One /api/v2 request as it arrived (path with its query), for tests that check what a client asked. */
export interface LoggedRequest {
  at: number;
  method: string;
  url: string;
  route: ApiRoute;
}

/** Everything the emulator received and did, for tests and benchmarks; plus the live fault settings. */
export class EmulatorState {
  readonly conversations = new Map<string, ConversationRecord>();
  private readonly byExternalId = new Map<string, ConversationRecord[]>();
  private readonly perSecond = new Map<number, number>();
  private requestsTotal = 0;
  private readonly byRoute = Object.fromEntries(apiRoutes.map((r) => [r, 0])) as Record<ApiRoute, number>;
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private peak = 0;
  private readonly responseCounts: Record<ResponseKind, number> = {
    unauthorized: 0,
    badRequest: 0,
    invalid: 0,
    notFound: 0,
    rateLimited: 0,
    serverError: 0,
    timeout: 0,
    lostResponse: 0,
  };
  private firstCreateAt: number | null = null;
  private lastCreateAt: number | null = null;
  readonly webhookCounts = { attempts: 0, delivered: 0, failed: 0, gaveUp: 0 };
  /** The last requests (at most 2,000), oldest first. */
  readonly requestLog: LoggedRequest[] = [];
  readonly limiter: RateLimiter;
  faults: EmulatorFaults;
  /** Requests sitting out their latency: woken when the faults change, so that a new latency applies to them too. */
  private readonly latencyWaits = new Sleepers();

  constructor(
    faults: EmulatorFaults,
    private readonly clock: () => number = Date.now,
  ) {
    this.faults = { ...faults };
    this.limiter = new RateLimiter(faults.ratePerSecond, faults.burst ?? faults.ratePerSecond, clock());
  }

  now(): number {
    return this.clock();
  }

  /** Change fault settings at runtime (validated like the config); `storm429Ms` refuses everything for that long. */
  setFaults(patch: EmulatorFaultsPatch): EmulatorFaults {
    const { storm429Ms, ...rest } = patch;
    const next = emulatorFaultsSchema.parse({ ...this.faults, ...rest });
    // A new rate without a new burst: the bucket size follows the rate, as at start.
    if (rest.ratePerSecond !== undefined && rest.burst === undefined) next.burst = undefined;
    this.faults = next;
    this.limiter.configure(next.ratePerSecond, next.burst ?? next.ratePerSecond, this.now());
    if (storm429Ms !== undefined) this.limiter.storm(this.now() + storm429Ms);
    this.latencyWaits.wakeAll();
    return { ...this.faults };
  }

  /**
   * Wait until `latencyMs` has passed since the request arrived, the latency being the one in force at each moment:
   * a test can hold requests with a long latency and let them go at the moment it chooses by lowering it.
   */
  async sitOutLatency(arrivedAt: number): Promise<void> {
    for (;;) {
      const left = arrivedAt + this.faults.latencyMs - Date.now();
      if (left <= 0) return;
      await this.latencyWaits.sleep(left);
    }
  }

  countRequest(route: ApiRoute, method = '', url = ''): void {
    const now = this.now();
    this.requestLog.push({ at: now, method, url, route });
    if (this.requestLog.length > REQUEST_LOG_LIMIT) this.requestLog.shift();
    this.requestsTotal += 1;
    this.byRoute[route] += 1;
    this.firstAt ??= now;
    this.lastAt = now;
    const second = Math.floor(now / 1000);
    const count = (this.perSecond.get(second) ?? 0) + 1;
    this.perSecond.set(second, count);
    if (count > this.peak) this.peak = count;
    if (this.perSecond.size > PER_SECOND_WINDOW) {
      const oldest = this.perSecond.keys().next().value;
      if (oldest !== undefined) this.perSecond.delete(oldest);
    }
  }

  countResponse(kind: ResponseKind): void {
    this.responseCounts[kind] += 1;
  }

  addConversation(rec: ConversationRecord): void {
    this.conversations.set(rec.id, rec);
    const list = this.byExternalId.get(rec.externalId);
    if (list) list.push(rec);
    else this.byExternalId.set(rec.externalId, [rec]);
    this.firstCreateAt ??= rec.createdAt;
    this.lastCreateAt = rec.createdAt;
  }

  isVisible(rec: ConversationRecord, now = this.now()): boolean {
    return !rec.dropped && now >= rec.appearsAt;
  }

  /** Conversations created for one external id (accepted POSTs; `live` leaves out dropped ones). */
  creations(externalId: string, opts: { live?: boolean } = {}): number {
    const list = this.byExternalId.get(externalId) ?? [];
    return opts.live ? list.filter((r) => !r.dropped).length : list.length;
  }

  /** External id → accepted creations, for "exactly once" assertions over a whole run. */
  creationsByExternalId(opts: { live?: boolean } = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, list] of this.byExternalId) out[id] = opts.live ? list.filter((r) => !r.dropped).length : list.length;
    return out;
  }

  recordsFor(externalId: string): ConversationRecord[] {
    return [...(this.byExternalId.get(externalId) ?? [])];
  }

  stats(): EmulatorStatsSnapshot {
    const now = this.now();
    let live = 0;
    let visible = 0;
    let dropped = 0;
    const duplicateExternalIds: string[] = [];
    let duplicates = 0;
    for (const [externalId, list] of this.byExternalId) {
      const liveHere = list.filter((r) => !r.dropped).length;
      if (liveHere > 1) {
        duplicateExternalIds.push(externalId);
        duplicates += liveHere - 1;
      }
    }
    for (const rec of this.conversations.values()) {
      if (rec.dropped) dropped += 1;
      else live += 1;
      if (this.isVisible(rec, now)) visible += 1;
    }
    const span = (a: number | null, b: number | null, n: number) => (a !== null && b !== null && b > a ? (n / (b - a)) * 1000 : 0);
    return {
      requests: {
        total: this.requestsTotal,
        byRoute: { ...this.byRoute },
        firstAt: this.firstAt,
        lastAt: this.lastAt,
        peakPerSecond: this.peak,
        averagePerSecond: span(this.firstAt, this.lastAt, this.requestsTotal),
      },
      responses: { ...this.responseCounts },
      conversations: {
        accepted: this.conversations.size,
        live,
        visible,
        dropped,
        uniqueExternalIds: this.byExternalId.size,
        duplicateExternalIds,
        duplicates,
      },
      creations: {
        firstAt: this.firstCreateAt,
        lastAt: this.lastCreateAt,
        perSecond: span(this.firstCreateAt, this.lastCreateAt, this.conversations.size),
      },
      webhooks: { ...this.webhookCounts },
      faults: { ...this.faults, stormUntil: this.limiter.stormEndsAt },
    };
  }

  /** Forget everything received (not the fault settings). */
  reset(): void {
    this.conversations.clear();
    this.byExternalId.clear();
    this.perSecond.clear();
    this.requestLog.length = 0;
    this.requestsTotal = 0;
    for (const r of apiRoutes) this.byRoute[r] = 0;
    for (const k of Object.keys(this.responseCounts) as ResponseKind[]) this.responseCounts[k] = 0;
    this.firstAt = this.lastAt = this.firstCreateAt = this.lastCreateAt = null;
    this.peak = 0;
    Object.assign(this.webhookCounts, { attempts: 0, delivered: 0, failed: 0, gaveUp: 0 });
  }
}
