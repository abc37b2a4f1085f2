import { existsSync } from 'node:fs';
import path from 'node:path';
import { ledgerFile } from '../bridge/ledger.js';
import { buildNormalizer, sourceLookup } from '../bridge/pipeline.js';
import { recordingLinksFor } from '../bridge/recording-links.js';
import { type RowState, rowStates } from '../ledger/ledger.js';
import { openSqliteLedger } from '../ledger/sqlite.js';
import { renormalizeRow } from '../pipeline/renormalize.js';
import { loadOrCreateSigningSecret } from '../recordings/signing-secret.js';
import { load, type Out } from './config-file.js';

/** `verify` only by an operator's decision: the reconciler never re-sends a call it could not rule out at Dstny. */
const RESENDABLE: readonly RowState[] = ['failed', 'missing', 'verify'];
const RENORMALIZABLE: readonly RowState[] = ['rejected', 'skipped', 'held'];

/**
 * `callbridge retry`: failed, missing and verify rows go back to pending (attempts reset); rejected, skipped and held
 * rows are normalized again with the current configuration (say, after an owner mapping was added).
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
  const dbFile = ledgerFile(config);
  if (!existsSync(dbFile)) {
    out.write(`no ledger at ${dbFile}: nothing to retry\n`);
    return 1;
  }
  const ledger = await openSqliteLedger(dbFile);
  try {
    const states = opts.states as RowState[];
    const filter = { states, ...(opts.ids?.length ? { externalIds: opts.ids } : {}) };
    const now = Date.now();
    const resend = states.filter((s) => RESENDABLE.includes(s));
    const moved = resend.length ? await ledger.requeue({ ...filter, states: resend }, now) : [];
    for (const id of moved) out.write(`${id}: pending (will be sent again)\n`);
    const again = states.filter((s) => RENORMALIZABLE.includes(s));
    let stillStuck = 0;
    if (again.length) {
      const links = recordingLinksFor(config, await loadOrCreateSigningSecret(config));
      const normalizer = buildNormalizer({ config, configDir: path.dirname(path.resolve(file)), links, linkClock: 'now' });
      const sourceFor = sourceLookup(config);
      for (const row of await ledger.query({ ...filter, states: again })) {
        const result = await renormalizeRow(row, { ledger, normalizer, sourceFor }, now);
        if (result.to !== 'pending') stillStuck++;
        out.write(`${result.externalId}: ${result.from} → ${result.to}${result.reason ? ` (${result.reason})` : ''}\n`);
      }
    }
    const requested = opts.ids?.length ?? 0;
    out.write(`${moved.length} row(s) queued to be sent again${again.length ? `, ${stillStuck} still not sendable` : ''}${requested ? ` (of ${requested} id(s) asked for)` : ''}\n`);
    return 0;
  } finally {
    await ledger.close();
  }
}
