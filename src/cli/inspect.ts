import { CallbridgeError } from '../errors.js';
import type { RowSearch } from '../ledger/ledger.js';
import { callView, formatCallView } from '../status/call-view.js';
import { type Out, withLedger } from './config-file.js';
import { type SearchOptions, searchQuery } from '../status/search-query.js';

/** `callbridge inspect ID`: one call end to end (source, record, payload, every attempt and look-up, what to do next). */
export function runInspect(file: string, out: Out, opts: { id: string; json: boolean }): Promise<number> {
  return withLedger(file, out, async (ledger) => {
    const row = await ledger.get(opts.id);
    if (!row) {
      const like = await ledger.search({ text: opts.id, limit: 5 });
      const hint = like.length ? `; calls that match: ${like.map((r) => r.externalId).join(', ')}` : '; `callbridge search TEXT` finds calls by number, email or time';
      out.write(`no call with external id "${opts.id}" in the ledger${hint}\n`);
      return 1;
    }
    const view = callView(row, await ledger.events(row.externalId));
    out.write(opts.json ? `${JSON.stringify(view, null, 2)}\n` : formatCallView(view));
    return 0;
  });
}

/** `callbridge search [TEXT]`: calls by external id, conversation id, phone number or email, and by when they were taken. */
export function runSearch(file: string, out: Out, opts: SearchOptions & { json: boolean }): Promise<number> {
  let query: RowSearch;
  try {
    query = searchQuery(opts);
  } catch (error) {
    if (!(error instanceof CallbridgeError)) throw error;
    out.write(`${error.message}\n`);
    return Promise.resolve(2);
  }
  return withLedger(file, out, async (ledger) => {
    const rows = await ledger.search(query);
    if (opts.json) {
      out.write(`${JSON.stringify(rows.map((r) => ({ externalId: r.externalId, state: r.state, sourceId: r.sourceId, takenAt: new Date(r.createdAt).toISOString(), reason: r.reason, conversationId: r.conversationId })), null, 2)}\n`);
      return 0;
    }
    if (!rows.length) {
      out.write('no call matches\n');
      return 0;
    }
    for (const r of rows) {
      const start = (r.payload?.call_start_time ?? '').padEnd(20);
      out.write(`${new Date(r.createdAt).toISOString()}  ${r.state.padEnd(9)}  ${r.externalId}  ${start}${r.reason ? `  ${r.reason}` : ''}\n`);
    }
    const limit = query.limit ?? 0;
    out.write(`${rows.length} call(s)${rows.length === limit ? ` (the newest ${limit}; --limit shows more)` : ''}; \`callbridge inspect ID\` shows one whole\n`);
    return 0;
  });
}
