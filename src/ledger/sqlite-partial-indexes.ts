import type { RowState } from './ledger.js';

/**
 * The WHERE clauses of migration 10's partial indexes that queries repeat: SQLite uses a partial index only for a
 * query whose WHERE holds the index's own terms, so each is written once here for every query that needs it.
 */
const inStates = (states: readonly RowState[]) => `state IN (${states.map((s) => `'${s}'`).join(', ')})`;

/** calls_trouble: the rows with a reason that an operator may have to act on (the last errors, failed per hour). */
export const TROUBLED = `reason IS NOT NULL AND ${inStates(['failed', 'rejected', 'missing', 'pending', 'held', 'prepare', 'verify'])}`;

/** calls_state_created: the calls in trouble, kept for ever, each state's newest first. */
export const TROUBLE_STATES: readonly RowState[] = ['failed', 'missing', 'rejected'];
export const IN_TROUBLE = inStates(TROUBLE_STATES);
