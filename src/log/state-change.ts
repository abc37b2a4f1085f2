import { withoutLinkSecrets } from './link-secrets.js';
import type { Logger } from './logger.js';

/**
 * The states a row leaves the happy path for, where nothing happens again until an operator acts
 * (README.md "Row states"). Each move into one is ONE warn line, written after the ledger committed it,
 * naming the call, why, and what to do; the remedy per state lives here, so the three places that move
 * rows (pipeline, submitter, reconciler) cannot word it differently.
 */
export type TroubleState = 'rejected' | 'failed' | 'missing';

export interface StateChange {
  /** The call's call_external_id. */
  externalId: string;
  to: TroubleState;
  reason: string;
  /** Where the call was read ("FILE:LINE", "hook:<source>"), when known. */
  location?: string | null;
  /** What to fix before retrying (rejected, failed); the state's general advice when absent. */
  fix?: string;
  /** missing only: the bridge sends it once more by itself (reconcile.resubmitMissing). */
  resubmitting?: boolean;
}

/** An id as a shell word, so the command in the line can be pasted as it is. */
export function shellWord(text: string): string {
  return /^[\w.:@+=%/-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

export function remedyFor(change: Pick<StateChange, 'externalId' | 'to' | 'fix' | 'resubmitting'>): string {
  const id = shellWord(change.externalId);
  const retry = `"callbridge retry --state ${change.to} --id ${id}"`;
  switch (change.to) {
    case 'rejected':
      // retry normalizes a rejected row again from its stored CDR, with the configuration as it is then.
      return `fix the cause (${change.fix ?? 'the CDR, or the normalize settings that read it'}), then run ${retry}`;
    case 'failed':
      // retry sends the same stored body again: only what lies outside the body can have changed.
      return `${change.fix ?? "see the API's message"}; ${retry} sends it again`;
    case 'missing': {
      const confirm = `"callbridge confirm ${id} <conversation id>"`;
      return change.resubmitting
        ? `nothing yet: it is sent once more by itself; should it go missing again, look for it at Dstny and run ${confirm} if it is there, ${retry} if not`
        : `look for it at Dstny: if it is there, run ${confirm}; if not, ${retry} sends it again`;
    }
  }
}

export function stateChangeMessage(change: StateChange): string {
  const where = change.location ? ` (${change.location})` : '';
  return `call ${change.externalId}${where} ${change.to}: ${withoutLinkSecrets(change.reason).replace(/[.\s]+$/, '')}. What to do: ${remedyFor(change)}`;
}

/** The one warn line for a committed move into rejected, failed or missing. */
export function logStateChange(logger: Logger | undefined, change: StateChange): void {
  logger?.warn(stateChangeMessage(change), { externalId: change.externalId, state: change.to });
}
