import { CallbridgeError } from '../errors.js';
import { type RowSearch, type RowState, rowStates } from '../ledger/ledger.js';
import { parseWhen } from './when.js';

/** A search as an operator types it, on the command line (`callbridge search`) or in the page's form (/calls). */
export interface SearchOptions {
  text?: string;
  since?: string;
  until?: string;
  state?: string;
  limit: string;
  now?: number;
}

const CLI_NAMES = { since: '--since', until: '--until', state: '--state', limit: '--limit' };

/** `--since` / `--until` as epoch ms (each only when given), or a CallbridgeError naming the one that is not a time. */
export function timeRange(opts: Pick<SearchOptions, 'since' | 'until' | 'now'>, names: Pick<typeof CLI_NAMES, 'since' | 'until'> = CLI_NAMES): { since?: number; until?: number } {
  const now = opts.now ?? Date.now();
  return {
    ...(opts.since ? { since: parseWhen(names.since, opts.since, now) } : {}),
    ...(opts.until ? { until: parseWhen(names.until, opts.until, now) } : {}),
  };
}

/** The options as a ledger search, or a CallbridgeError naming the option (as `names` calls it) that is wrong. */
export function searchQuery(opts: SearchOptions, names: typeof CLI_NAMES = CLI_NAMES): RowSearch {
  const states = (opts.state ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = states.filter((s) => !rowStates.includes(s as RowState));
  if (unknown.length) throw new CallbridgeError(`${names.state} ${unknown.map((s) => `"${s}"`).join(', ')} is not a state: use ${rowStates.join(', ')}`);
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new CallbridgeError(`${names.limit} "${opts.limit}" is not a whole number of calls, e.g. 200`);
  return {
    ...(opts.text ? { text: opts.text } : {}),
    ...timeRange(opts, names),
    ...(states.length ? { states: states as RowState[] } : {}),
    limit,
  };
}
