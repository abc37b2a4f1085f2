import type { RowState } from '../ledger/ledger.js';
import { load, openConfiguredLedger, type Out } from './config-file.js';

/**
 * `callbridge confirm <external id> <conversation id>`: an operator says which Dstny conversation a call is (a row
 * the reconciler kept because several listed conversations could be it). The row becomes confirmed; nothing is sent.
 */
export async function runConfirm(file: string, out: Out, opts: { externalId: string; conversationId: string }): Promise<number> {
  const loaded = load(file, out);
  if (typeof loaded === 'number') return loaded;
  const ledger = await openConfiguredLedger(loaded.config, out, ': nothing to confirm');
  if (typeof ledger === 'number') return ledger;
  try {
    const row = await ledger.get(opts.externalId);
    if (!row) {
      out.write(`no call with external id "${opts.externalId}" in the ledger\n`);
      return 1;
    }
    const [owner] = await ledger.query({ conversationIds: [opts.conversationId] });
    if (owner && owner.externalId !== row.externalId) {
      out.write(`conversation ${opts.conversationId} already belongs to call ${owner.externalId} (${owner.state}); not confirmed\n`);
      return 1;
    }
    const now = Date.now();
    const ok = await ledger.update(
      row.externalId,
      { state: 'confirmed', conversationId: opts.conversationId, confirmedAt: now, submittedAt: row.submittedAt ?? now, reason: 'confirmed by an operator', leaseOwner: null, leaseUntil: null, sendingAt: null },
      { states: CONFIRMABLE },
    );
    if (!ok) {
      out.write(`call ${row.externalId} is ${row.state}: only ${CONFIRMABLE.join(', ')} calls can be confirmed by hand\n`);
      return 1;
    }
    out.write(`${row.externalId}: confirmed as conversation ${opts.conversationId}\n`);
    return 0;
  } finally {
    await ledger.close();
  }
}

const CONFIRMABLE: RowState[] = ['verify', 'submitted', 'missing'];
