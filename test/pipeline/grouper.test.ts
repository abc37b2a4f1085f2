import { describe, expect, it } from '@jest/globals';
import type { ParseItem } from '../../adapters/types.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { BatchedIterable } from '../../adapters/batched.js';
import { type GroupedItem, groupLegs } from '../../src/pipeline/grouper.js';

function leg(id: string, line: number, extra: Partial<CallRecord> = {}): ParseItem {
  return {
    kind: 'leg',
    groupKey: id,
    leg: { externalId: id, location: `cdr.csv:${line}`, startTime: '2024-01-01T10:00:00Z', from: {}, to: {}, outcome: 'answered', legs: 1, raw: { line }, ...extra },
  };
}

/** Merge that keeps the first leg and counts legs (what adapters do, minus the PBX specifics). */
const merge = (legs: CallRecord[]): CallRecord => ({ ...(legs[0] as CallRecord), legs: legs.length, raw: legs.map((l) => l.raw) });

async function* from(items: ParseItem[], consumed?: { n: number }): AsyncGenerator<ParseItem> {
  for (const item of items) {
    if (consumed) consumed.n += 1;
    yield item;
  }
}

async function collect(items: AsyncIterable<GroupedItem>): Promise<GroupedItem[]> {
  const out: GroupedItem[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const summary = (items: GroupedItem[]) =>
  items.map((i) => (i.kind === 'call' ? `${i.call.externalId}×${i.call.legs}` : i.kind === 'error' ? `error ${i.location}: ${i.message}` : `skip ${i.location}`));

describe('groupLegs', () => {
  it('merges the legs of one call; calls leave in the order of their first leg at the end of input', async () => {
    const items = [leg('b', 1), leg('a', 2), leg('b', 3), leg('c', 4), leg('a', 5), leg('b', 6)];
    expect(summary(await collect(groupLegs(from(items), merge, { windowLegs: 100 })))).toEqual(['b×3', 'a×2', 'c×1']);
  });

  it('a group leaves once none of its legs came in the last N legs, before the input ends', async () => {
    const consumed = { n: 0 };
    const items = [leg('a', 1), leg('b', 2), leg('a', 3), leg('c', 4), leg('d', 5), leg('e', 6), leg('f', 7)];
    const out: Array<[string, number]> = [];
    for await (const item of groupLegs(from(items, consumed), merge, { windowLegs: 3 })) {
      if (item.kind === 'call') out.push([`${item.call.externalId}×${item.call.legs}`, consumed.n]);
    }
    // b's last leg was #2: after leg #5 three legs came without b. a's last leg was #3: it leaves after #6.
    expect(out).toEqual([
      ['b×1', 5],
      ['a×2', 6],
      ['c×1', 7],
      ['d×1', 7],
      ['e×1', 7],
      ['f×1', 7],
    ]);
  });

  it('holds at most about N legs however long the input is (streaming, bounded memory)', async () => {
    const consumed = { n: 0 };
    const window = 100;
    async function* many(): AsyncGenerator<ParseItem> {
      for (let i = 0; i < 200_000; i++) {
        consumed.n += 1;
        // Pairs of legs, 50 legs apart: every call has two legs.
        const id = i % 100 < 50 ? `c${i}` : `c${i - 50}`;
        yield leg(id, i + 1);
      }
    }
    let calls = 0;
    let legsOut = 0;
    let maxHeld = 0;
    for await (const item of groupLegs(many(), merge, { windowLegs: window })) {
      if (item.kind !== 'call') continue;
      calls += 1;
      legsOut += item.call.legs;
      maxHeld = Math.max(maxHeld, consumed.n - legsOut);
    }
    expect(calls).toBe(100_000);
    expect(legsOut).toBe(200_000);
    expect(maxHeld).toBeLessThanOrEqual(window + 50);
  });

  it('errors and skips pass through at once; a failing merge or an invalid record is a located error', async () => {
    const items: ParseItem[] = [
      leg('ok', 1),
      { kind: 'error', location: 'cdr.csv:2', message: 'expected 18 columns, got 3' },
      leg('boom', 3),
      leg('boom', 4),
      { kind: 'skip', location: 'cmr.csv', reason: 'CMR file' },
      leg('bad', 6, { startTime: 42 as unknown as string }),
    ];
    const picky = (legs: CallRecord[]) => {
      if (legs[0]?.externalId === 'boom') throw new Error('legs disagree on the caller');
      return merge(legs);
    };
    expect(summary(await collect(groupLegs(from(items), picky, { windowLegs: 10 })))).toEqual([
      'error cdr.csv:2: expected 18 columns, got 3',
      'skip cmr.csv',
      'ok×1',
      'error cdr.csv:3: cannot make one call of 2 legs of call boom: legs disagree on the caller',
      'error cdr.csv:6: invalid call record: startTime: Invalid input: expected string, received number',
    ]);
  });
  it('an adapter that yields its items in arrays (BatchedIterable) is grouped exactly as one yielding them one by one', async () => {
    // Calls of 1–3 legs, some far apart, with errors and skips between them.
    const items: ParseItem[] = [];
    for (let i = 0; i < 400; i++) {
      items.push(leg(`c${Math.floor(i / 3) % 50 === 7 ? i - 20 : Math.floor(i / 2)}`, i + 1));
      if (i % 37 === 0) items.push({ kind: 'error', location: `cdr.csv:${i + 1}`, message: 'expected 18 columns, got 3' });
      if (i % 91 === 0) items.push({ kind: 'skip', location: `cdr.csv:${i + 1}`, reason: 'not a call' });
    }
    const oneByOne = summary(await collect(groupLegs(from(items), merge, { windowLegs: 25 })));
    expect(oneByOne.filter((s) => s.startsWith('error')).length).toBe(11);
    for (const size of [1, 7, 64, 1000]) {
      const batched = new BatchedIterable<ParseItem>(async function* () {
        for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
        yield [];
      });
      expect(summary(await collect(groupLegs(batched, merge, { windowLegs: 25 })))).toEqual(oneByOne);
    }
  });

  it('a batched source that fails is a read error, as a one-by-one source is', async () => {
    const failing = new BatchedIterable<ParseItem>(async function* () {
      yield [leg('a', 1)];
      throw new Error('EIO: disk gone');
    });
    const readError = (error: unknown) => new Error(`reading stopped: ${(error as Error).message}`);
    await expect(collect(groupLegs(failing, merge, { windowLegs: 10, readError }))).rejects.toThrow('reading stopped: EIO: disk gone');
    // Read item by item, the same iterable gives the same items.
    const seen: ParseItem[] = [];
    await expect(
      (async () => {
        for await (const item of failing) seen.push(item);
      })(),
    ).rejects.toThrow('EIO: disk gone');
    expect(seen.map((i) => (i.kind === 'leg' ? i.groupKey : i.kind))).toEqual(['a']);
  });
});
