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
  opts: {
    windowLegs: number;
    /** What a throw from `items` becomes (the source failed, not its content); default: rethrown as is. */
    readError?: (error: unknown) => Error;
  },
): AsyncGenerator<GroupedItem> {
  const open = new Map<string, OpenGroup>();
  // Every leg appends (key, its index); the front is the oldest. An entry whose group has a newer leg (or
  // has left) is stale and dropped when it reaches the front: O(1) per leg, no scan of the open groups.
  let queueKeys: string[] = [];
  let queueSeen: number[] = [];
  let head = 0;
  let seen = 0;
  // The read is guarded here rather than by another generator around `items`: every layer of async
  // generators costs a few microtask turns per item, which shows at a million rows.
  const iterator = items[Symbol.asyncIterator]();
  for (;;) {
    let next: IteratorResult<ParseItem>;
    try {
      next = await iterator.next();
    } catch (error) {
      throw opts.readError ? opts.readError(error) : error;
    }
    if (next.done) break;
    const item = next.value;
    if (item.kind !== 'leg') {
      yield item;
      continue;
    }
    seen += 1;
    const group = open.get(item.groupKey);
    if (group) {
      group.legs.push(item.leg);
      group.lastSeen = seen;
    } else {
      open.set(item.groupKey, { legs: [item.leg], firstSeen: seen, lastSeen: seen });
    }
    queueKeys.push(item.groupKey);
    queueSeen.push(seen);
    while (head < queueKeys.length && seen - (queueSeen[head] as number) >= opts.windowLegs) {
      const key = queueKeys[head] as string;
      const at = queueSeen[head] as number;
      head += 1;
      const g = open.get(key);
      if (!g || g.lastSeen !== at) continue;
      open.delete(key);
      yield assemble(key, g.legs, merge);
    }
    if (head > 4096 && head * 2 > queueKeys.length) {
      queueKeys = queueKeys.slice(head);
      queueSeen = queueSeen.slice(head);
      head = 0;
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
