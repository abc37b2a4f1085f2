import path from 'node:path';
import { buildNormalizer, sourceLookup } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import type { Config } from '../config/schema.js';
import { describeLedger, ledgerPlace } from '../ledger/open.js';
import { type Ledger, type LedgerRow, type RowState, rowStates } from '../ledger/ledger.js';
import { renormalizeRow } from '../pipeline/renormalize.js';
import { loadOrCreateSigningSecret } from '../recordings/signing-secret.js';
import { load, openConfiguredLedger, type Out } from './config-file.js';

/** `verify` only by an operator's decision: the reconciler never re-sends a call it could not rule out at Dstny. */
const RESENDABLE: readonly RowState[] = ['failed', 'missing', 'verify'];
const RENORMALIZABLE: readonly RowState[] = ['rejected', 'skipped', 'held'];

/** What retry did, counted from the lines it printed, so the summary always agrees with them. */
interface Tally {
  resent: number;
  renormalizedToPending: number;
  stillStuck: number;
  /** The states of the rows normalized again (a failed row without a payload is one of them). */
  normalizedFrom: Set<RowState>;
  unknown: string[];
}

/**
 * `callbridge retry`: failed, missing and verify rows go back to pending (attempts reset); rejected, skipped and held
 * rows are normalized again with the current configuration (say, after an owner mapping was added). One line per
 * call says what happened to it, and the summary counts those lines. An `--id` not in the ledger is an error (exit 1,
 * after the known ones are done); one in a state not retried says so.
 */
export async function runRetry(file: string, out: Out, opts: { states: string[]; ids?: string[] }): Promise<number> {
  const bad = opts.states.filter((s) => !RESENDABLE.includes(s as RowState) && !RENORMALIZABLE.includes(s as RowState));
  if (bad.length) {
    out.write(`cannot retry state ${bad.map((s) => `"${s}"`).join(', ')}: use ${[...RESENDABLE, ...RENORMALIZABLE].join(', ')}${bad.some((s) => rowStates.includes(s as RowState)) ? ' (the others are in progress or done)' : ''}\n`);
    return 2;
  }
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const { config } = loaded;
  const ledger = await openConfiguredLedger(config, out, ': nothing to retry');
  if (typeof ledger === 'number') return ledger;
  try {
    const states = opts.states as RowState[];
    const tally: Tally = { resent: 0, renormalizedToPending: 0, stillStuck: 0, normalizedFrom: new Set(), unknown: [] };
    const rows = opts.ids?.length ? await rowsById(ledger, opts.ids, states, out, tally) : await ledger.query({ states, detailKept: true });
    const now = Date.now();
    // Only a row with a payload can be sent as is; one without (never normalized) is normalized again instead.
    const toSend = rows.filter((r) => RESENDABLE.includes(r.state) && r.payload !== null);
    const toNormalize = rows.filter((r) => !toSend.includes(r));
    if (toSend.length) {
      // The same filter the rows were read with: requeue itself takes only rows with a payload, in a resendable state.
      const filter = { states: states.filter((s) => RESENDABLE.includes(s)), ...(opts.ids?.length ? { externalIds: [...new Set(opts.ids)] } : {}) };
      const moved = new Set(await ledger.requeue(filter, now));
      for (const row of toSend) {
        if (moved.has(row.externalId)) {
          tally.resent++;
          out.write(`${row.externalId}: ${row.state} → pending (will be sent again)\n`);
        } else out.write(`${row.externalId}: ${row.state}, changed meanwhile: left as it is\n`);
      }
    }
    if (toNormalize.length) await renormalize(toNormalize, { config, file, ledger, now, out, tally });
    out.write(summary(tally, states));
    if (tally.unknown.length) {
      out.write(`no call with external id ${tally.unknown.map((id) => `"${id}"`).join(', ')} in the ledger ${describeLedger(ledgerPlace(config))}\n`);
      return 1;
    }
    return 0;
  } finally {
    await ledger.close();
  }
}

/** The rows of the ids asked for that are in a state asked for; says why for every other id. */
async function rowsById(ledger: Ledger, ids: string[], states: RowState[], out: Out, tally: Tally): Promise<LedgerRow[]> {
  const rows: LedgerRow[] = [];
  for (const id of [...new Set(ids)]) {
    const row = await ledger.get(id);
    if (!row) {
      tally.unknown.push(id);
      out.write(`${id}: no such call in the ledger\n`);
    } else if (row.compactedAt !== null) out.write(`${id}: is ${row.state}, and its record is no longer kept (compacted by ledger.retention): nothing to retry\n`);
    else if (states.includes(row.state)) rows.push(row);
    else if (RESENDABLE.includes(row.state) || RENORMALIZABLE.includes(row.state)) {
      out.write(`${id}: is ${row.state}, not one of the states asked for (${states.join(', ')}): add --state ${row.state} to retry it\n`);
    } else out.write(`${id}: is ${row.state}: nothing to retry\n`);
  }
  return rows;
}

async function renormalize(rows: LedgerRow[], ctx: { config: Config; file: string; ledger: Ledger; now: number; out: Out; tally: Tally }): Promise<void> {
  const { config, ledger, now, out, tally } = ctx;
  const links = recordingLinksFor(config, await loadOrCreateSigningSecret(config));
  const normalizer = buildNormalizer({ config, configDir: path.dirname(path.resolve(ctx.file)), links, linkClock: 'now' });
  const sourceFor = sourceLookup(config);
  for (const row of rows) {
    const result = await renormalizeRow(row, { ledger, normalizer, sourceFor }, now);
    if (result.to === 'unchanged') {
      out.write(`${result.externalId}: ${result.from}, changed meanwhile: left as it is\n`);
      continue;
    }
    tally.normalizedFrom.add(result.from);
    // prepare: queued too, once its recording is made ready (merged, converted, uploaded).
    if (result.to === 'pending' || result.to === 'prepare') tally.renormalizedToPending++;
    else tally.stillStuck++;
    out.write(`${result.externalId}: ${result.from} → ${result.to}${result.reason ? ` (${result.reason})` : ''}\n`);
  }
}

/** "3 call(s) queued to be sent again: 0 failed/missing resent, 3 rejected normalized again; 1 still not sendable". */
function summary(tally: Tally, states: RowState[]): string {
  const resend = states.filter((s) => RESENDABLE.includes(s));
  const again = [...new Set([...states.filter((s) => RENORMALIZABLE.includes(s)), ...tally.normalizedFrom])];
  const parts = [
    ...(resend.length ? [`${tally.resent} ${resend.join('/')} resent`] : []),
    ...(again.length ? [`${tally.renormalizedToPending} ${again.join('/')} normalized again`] : []),
  ];
  const queued = tally.resent + tally.renormalizedToPending;
  const stuck = again.length ? `; ${tally.stillStuck} still not sendable` : '';
  const unknown = tally.unknown.length ? `; ${tally.unknown.length} unknown id(s)` : '';
  return `${queued} call(s) queued to be sent again: ${parts.join(', ')}${stuck}${unknown}\n`;
}
