import type { CallRecord } from '../call-record.js';

/**
 * Q.850 cause values as CUCM writes them in origCause_value / destCause_value, for calls that never connected.
 * A connected call (dateTimeConnect ≠ 0) is answered whatever its causes say.
 */
const CAUSES: Record<number, { text: string; outcome: CallRecord['outcome'] }> = {
  0: { text: 'no error', outcome: 'no-answer' },
  1: { text: 'unallocated number', outcome: 'failed' },
  3: { text: 'no route to destination', outcome: 'failed' },
  16: { text: 'normal call clearing', outcome: 'no-answer' },
  17: { text: 'user busy', outcome: 'busy' },
  18: { text: 'no user responding', outcome: 'no-answer' },
  19: { text: 'no answer from user', outcome: 'no-answer' },
  21: { text: 'call rejected', outcome: 'busy' },
  27: { text: 'destination out of order', outcome: 'failed' },
  28: { text: 'invalid number format', outcome: 'failed' },
  31: { text: 'normal, unspecified', outcome: 'no-answer' },
  34: { text: 'no circuit/channel available', outcome: 'failed' },
  38: { text: 'network out of order', outcome: 'failed' },
  41: { text: 'temporary failure', outcome: 'failed' },
  42: { text: 'switching equipment congestion', outcome: 'failed' },
  47: { text: 'resource unavailable', outcome: 'failed' },
  57: { text: 'bearer capability not authorized', outcome: 'failed' },
  58: { text: 'bearer capability not available', outcome: 'failed' },
  63: { text: 'service or option not available', outcome: 'failed' },
  65: { text: 'bearer capability not implemented', outcome: 'failed' },
  79: { text: 'service or option not implemented', outcome: 'failed' },
  102: { text: 'recovery on timer expiry', outcome: 'failed' },
  111: { text: 'protocol error', outcome: 'failed' },
  127: { text: 'interworking, unspecified', outcome: 'failed' },
  // CUCM's own values above the Q.850 range
  262144: { text: 'redirected (CUCM)', outcome: 'no-answer' },
  393216: { text: 'call split (CUCM: transfer/redirect)', outcome: 'no-answer' },
  458752: { text: 'conference drop any party (CUCM)', outcome: 'unknown' },
};

/** Outcome and a readable disposition of one CDR. The destination's cause decides when it has one. */
export function cucmOutcome(connected: boolean, origCause: number, destCause: number): { outcome: CallRecord['outcome']; disposition: string } {
  if (connected) return { outcome: 'answered', disposition: 'connected' };
  const [side, cause] = destCause !== 0 ? ['destCause', destCause] : ['origCause', origCause];
  const known = CAUSES[cause];
  return {
    outcome: known?.outcome ?? (cause <= 127 ? 'failed' : 'unknown'),
    disposition: `not connected; ${side} ${cause}${known ? ` (${known.text})` : ''}`,
  };
}
