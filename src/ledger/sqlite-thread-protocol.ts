import { LedgerDamagedError, LedgerUnavailableError } from '../errors.js';
import type { Ledger } from './ledger.js';

/** Every call of the Ledger interface but close(), which ends the thread: the thread runs each by its name. */
export const LEDGER_CALLS = [
  'put',
  'get',
  'query',
  'claimDue',
  'update',
  'renewLeases',
  'recoverExpiredLeases',
  'requeue',
  'stats',
  'countSubmittedSince',
  'countBacklog',
  'addEvents',
  'events',
  'search',
  'hourly',
  'countConfirmedSince',
  'compact',
  'forget',
  'reclaim',
  'findByConversationId',
  'getCheckpoint',
  'setCheckpoint',
  'stash',
  'quietGroups',
  'stashedGroups',
  'beat',
  'endHeartbeat',
  'heartbeats',
  'settle',
  'ping',
] as const satisfies ReadonlyArray<keyof Ledger>;

export type LedgerCall = (typeof LEDGER_CALLS)[number];

// A call added to the Ledger interface and not to the list above fails the type check here.
const everyCall: Exclude<keyof Ledger, LedgerCall | 'close'> extends never ? true : never = true;
void everyCall;

/** What the bridge asks its ledger's thread: a call by name, or to close. */
export type ThreadRequest = { id: number; call: LedgerCall; args: unknown[] } | { id: number; close: true };

/** An error as it crosses between threads (structured clone keeps neither its class nor its cause). */
export interface WireError {
  name: string;
  message: string;
}

export type ThreadReply =
  | { ready: true }
  | { failed: WireError }
  | { damaged: WireError }
  | { id: number; value: unknown }
  | { id: number; error: WireError };

/** The error classes a ledger's callers act on, by the name each gives its errors (CallbridgeError sets it). */
const LEDGER_ERRORS = new Map<string, new (message: string) => Error>([
  ['LedgerDamagedError', LedgerDamagedError],
  ['LedgerUnavailableError', LedgerUnavailableError],
]);

export function toWire(error: unknown): WireError {
  const e = error instanceof Error ? error : new Error(String(error));
  return { name: e.name, message: e.message };
}

/** The ledger's own errors get their classes back (callers act on them); any other is a bug, kept by its name. */
export function fromWire(wire: WireError): Error {
  const Known = LEDGER_ERRORS.get(wire.name);
  if (Known) return new Known(wire.message);
  const error = new Error(wire.message);
  error.name = wire.name;
  return error;
}
