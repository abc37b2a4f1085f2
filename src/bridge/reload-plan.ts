import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/schema.js';

/**
 * What a reload can change without a restart (the routes are built anew on every reload). The rest (the HTTP listener, the ledger, the API token, the
 * submitter's and reconciler's settings, recording links, the grouping window) is held by parts that would have
 * to stop their work in flight: a change there is reported and waits for a restart.
 */
const LIVE: readonly string[] = ['sources', 'normalize', 'log.level', 'submit.rateLimit.perSecond', 'http.admin'];
/** Inside a live section, settings that the running ingestor or timers were built with. */
const RESTART_INSIDE_LIVE: readonly string[] = ['normalize.groupWindowLegs', 'normalize.ingestBatchSize', 'normalize.recordingRetrySeconds'];

export interface ReloadPlan {
  /** Changed settings applied now (paths such as `sources`, `normalize.owners.map`, `log.level`). */
  live: string[];
  /** Changed settings that take effect at the next restart. */
  restart: string[];
  /** The sources differ (added, removed or changed): their runners and the hook routes are built anew. */
  sourcesChanged: boolean;
}

const within = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}.`);

/** The changed settings of two valid configurations, by path; never their values (some are secrets). */
export function planReload(current: Config, next: Config): ReloadPlan {
  const changed = changedPaths(current, next);
  const isLive = (p: string) => LIVE.some((prefix) => within(p, prefix)) && !RESTART_INSIDE_LIVE.some((prefix) => within(p, prefix));
  return {
    live: changed.filter(isLive),
    restart: changed.filter((p) => !isLive(p)),
    sourcesChanged: changed.some((p) => within(p, 'sources')),
  };
}

/** Leaf paths whose values differ; a list is one value (`sources` changes as a whole, its runners are rebuilt). */
function changedPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (!isPlainObject(a) || !isPlainObject(b)) return [prefix || '(root)'];
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.flatMap((key) => changedPaths(a[key], b[key], prefix ? `${prefix}.${key}` : key));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The configuration in effect after a reload: `current` with the live changes of `next` copied in. */
export function effectiveConfig(current: Config, next: Config, live: readonly string[]): Config {
  const result = structuredClone(current) as unknown as Record<string, unknown>;
  for (const path of live) {
    const keys = path.split('.');
    let from: unknown = next;
    let to = result;
    for (const key of keys.slice(0, -1)) {
      from = (from as Record<string, unknown>)[key];
      to[key] ??= {};
      to = to[key] as Record<string, unknown>;
    }
    const last = keys[keys.length - 1]!;
    const value = (from as Record<string, unknown>)[last];
    if (value === undefined) delete to[last];
    else to[last] = structuredClone(value);
  }
  return result as unknown as Config;
}
