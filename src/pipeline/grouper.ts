import type { ParseItem } from '../../adapters/types.js';
import { BatchedIterable } from '../../adapters/batched.js';
import { type CallRecord, callRecordSchema } from '../../adapters/call-record.js';

/** What grouping hands on: a whole call, or an adapter's error/skip passed through. */
export type GroupedItem =
  | { kind: 'call'; call: CallRecord; groupKey: string }
  | { kind: 'error'; location: string; message: string }
  | { kind: 'skip'; location: string; reason: string };

interface OpenGroup {
  key: string;
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
  const grouping = new Grouping(merge, opts.windowLegs);
  const out: GroupedItem[] = [];
  // The read is guarded here rather than by another generator around `items`: every layer of async
  // generators costs a few microtask turns per item, which shows at a million rows. For the same reason an
  // adapter that produces its items in arrays (BatchedIterable) is read an array at a time.
  if (items instanceof BatchedIterable) {
    const batches = (items as BatchedIterable<ParseItem>).batches()[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<ParseItem[]>;
      try {
        next = await batches.next();
      } catch (error) {
        throw opts.readError ? opts.readError(error) : error;
      }
      if (next.done) break;
      for (const item of next.value) grouping.add(item, out);
      for (const item of out) yield item;
      out.length = 0;
    }
  } else {
    const iterator = items[Symbol.asyncIterator]();
    for (;;) {
      let next: IteratorResult<ParseItem>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw opts.readError ? opts.readError(error) : error;
      }
      if (next.done) break;
      grouping.add(next.value, out);
      for (const item of out) yield item;
      out.length = 0;
    }
  }
  yield* grouping.rest();
}

/** The open groups of groupLegs, and the order in which they fall quiet. */
class Grouping {
  private readonly open = new Map<string, OpenGroup>();
  // Every leg appends (its group, its index); the front is the oldest. An entry whose group has a newer leg
  // is stale and dropped when it reaches the front: O(1) per leg, no scan of the open groups. A group leaves
  // at the entry of its last leg, after every other entry of it has left the queue.
  private queueGroups: OpenGroup[] = [];
  private queueSeen: number[] = [];
  private head = 0;
  private seen = 0;

  constructor(
    private readonly merge: (legs: CallRecord[]) => CallRecord,
    private readonly windowLegs: number,
  ) {}

  /** One item in: what leaves because of it (the item itself unless it is a leg; groups that fell quiet) into `out`. */
  add(item: ParseItem, out: GroupedItem[]): void {
    if (item.kind !== 'leg') {
      out.push(item);
      return;
    }
    const seen = ++this.seen;
    let group = this.open.get(item.groupKey);
    if (group) {
      group.legs.push(item.leg);
      group.lastSeen = seen;
    } else {
      group = { key: item.groupKey, legs: [item.leg], firstSeen: seen, lastSeen: seen };
      this.open.set(item.groupKey, group);
    }
    this.queueGroups.push(group);
    this.queueSeen.push(seen);
    while (this.head < this.queueGroups.length && seen - (this.queueSeen[this.head] as number) >= this.windowLegs) {
      const g = this.queueGroups[this.head] as OpenGroup;
      const at = this.queueSeen[this.head] as number;
      this.queueGroups[this.head] = DEPARTED;
      this.head += 1;
      if (g.lastSeen !== at) continue;
      this.open.delete(g.key);
      out.push(assemble(g.key, g.legs, this.merge));
    }
    if (this.head > 4096 && this.head * 2 > this.queueGroups.length) {
      this.queueGroups = this.queueGroups.slice(this.head);
      this.queueSeen = this.queueSeen.slice(this.head);
      this.head = 0;
    }
  }

  /** The end of the input: every open group, in the order of its first leg. */
  *rest(): Generator<GroupedItem> {
    const rest = [...this.open.entries()].sort((a, b) => a[1].firstSeen - b[1].firstSeen);
    this.open.clear();
    for (const [key, g] of rest) yield assemble(key, g.legs, this.merge);
  }
}

/** What a queue slot holds once passed: the group it named is not kept alive by the queue. */
const DEPARTED: OpenGroup = { key: '', legs: [], firstSeen: 0, lastSeen: -1 };

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
    return { kind: 'error', location, message: `cannot make one call of ${legs.length === 1 ? 'the only leg' : `${legs.length} legs`} of call ${groupKey}: ${errorText(error)}` };
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
