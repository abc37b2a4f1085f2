import type { ParseItem } from '../../adapters/types.js';
import { type CallRecord, callRecordSchema } from './call-record.js';

/** What grouping hands on: a whole call, or an adapter's error/skip passed through. */
export type GroupedItem =
  | { kind: 'call'; call: CallRecord; groupKey: string }
  | { kind: 'error'; location: string; message: string }
  | { kind: 'skip'; location: string; reason: string };

interface OpenGroup {
  legs: CallRecord[];
  /** Index of the group's first leg: the order calls leave at the end of the input. */
  firstSeen: number;
  lastSeen: number;
}

/**
 * Streaming grouper for whole inputs, with bounded memory. A group is complete, and leaves, when none of
 * its legs arrived in the last `windowLegs` legs, or at the end of the input. So at most about
 * `windowLegs` legs are held whatever the input's size; legs of one call further apart than that become
 * two calls (the ledger then sees the second with the same id as an update or a duplicate).
 *
 * Errors and skips leave at once, so they appear before the calls still waiting for their siblings.
 */
export async function* groupLegs(
  items: AsyncIterable<ParseItem>,
  merge: (legs: CallRecord[]) => CallRecord,
  opts: { windowLegs: number },
): AsyncGenerator<GroupedItem> {
  // Map order = order of each group's latest leg (a group is re-inserted on every leg), so the
  // stale groups are always at the front.
  const open = new Map<string, OpenGroup>();
  let seen = 0;
  for await (const item of items) {
    if (item.kind !== 'leg') {
      yield item;
      continue;
    }
    seen += 1;
    const group = open.get(item.groupKey);
    if (group) {
      open.delete(item.groupKey);
      group.legs.push(item.leg);
      group.lastSeen = seen;
      open.set(item.groupKey, group);
    } else {
      open.set(item.groupKey, { legs: [item.leg], firstSeen: seen, lastSeen: seen });
    }
    for (const [key, g] of open) {
      if (seen - g.lastSeen < opts.windowLegs) break;
      open.delete(key);
      yield assemble(key, g.legs, merge);
    }
  }
  const rest = [...open.entries()].sort((a, b) => a[1].firstSeen - b[1].firstSeen);
  open.clear();
  for (const [key, g] of rest) yield assemble(key, g.legs, merge);
}

/**
 * One group → one call via the adapter's `merge`, checked against the CallRecord contract. A merge that
 * throws or returns an invalid record becomes a located error (nothing crashes, the legs are named).
 */
export function assemble(groupKey: string, legs: CallRecord[], merge: (legs: CallRecord[]) => CallRecord): GroupedItem {
  const location = legs[0]?.location ?? groupKey;
  let merged: CallRecord;
  try {
    merged = merge(legs);
  } catch (error) {
    return { kind: 'error', location, message: `cannot merge ${legs.length} legs of call ${groupKey}: ${errorText(error)}` };
  }
  const checked = callRecordSchema.safeParse(merged);
  if (!checked.success) {
    const problems = checked.error.issues.map((i) => `${i.path.join('.') || '(record)'}: ${i.message}`).join('; ');
    return { kind: 'error', location, message: `invalid call record: ${problems}` };
  }
  return { kind: 'call', call: checked.data, groupKey };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
