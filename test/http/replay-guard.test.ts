import { describe, expect, it } from '@jest/globals';
import { ReplayGuard } from '../../src/http/replay-guard.js';

describe('ReplayGuard (signed requests seen recently)', () => {
  const T0 = 1_700_000_000_000;

  it('remembers an id for keepMs after it was added, then forgets it', () => {
    const guard = new ReplayGuard(600_000);
    expect(guard.has('a', T0)).toBe(false);
    guard.add('a', T0);
    expect(guard.has('a', T0)).toBe(true);
    expect(guard.has('a', T0 + 599_999)).toBe(true);
    expect(guard.has('a', T0 + 600_000)).toBe(false);
    expect(guard.size(T0 + 600_000)).toBe(0);
  });

  it('keeps a value with each id (the hooks keep the ids of their first answer)', () => {
    const guard = new ReplayGuard<string[]>(1_000);
    guard.add('sig-1', T0, ['call-1', 'call-2']);
    guard.add('sig-2', T0);
    expect(guard.get('sig-1', T0 + 10)).toEqual(['call-1', 'call-2']);
    expect(guard.has('sig-2', T0 + 10)).toBe(true);
    expect(guard.get('sig-2', T0 + 10)).toBeUndefined();
    expect(guard.get('sig-1', T0 + 1_000)).toBeUndefined();
  });

  it('prunes by age: old ids are dropped as time passes, live ones stay', () => {
    const guard = new ReplayGuard(1_000);
    for (let i = 0; i < 100; i++) guard.add(`old-${i}`, T0 + i);
    guard.add('young', T0 + 900);
    // old-i lives until T0 + i + 1000: at T0 + 1050, old-51..old-99 and young are left.
    expect(guard.size(T0 + 1_050)).toBe(50);
    expect(guard.has('old-50', T0 + 1_050)).toBe(false);
    expect(guard.has('old-51', T0 + 1_050)).toBe(true);
    expect(guard.size(T0 + 1_900)).toBe(0);
  });

  it('adding an id again restarts its time (and pruning still stops at the first live one)', () => {
    const guard = new ReplayGuard(1_000);
    guard.add('a', T0);
    guard.add('b', T0 + 100);
    guard.add('a', T0 + 500);
    expect(guard.has('b', T0 + 1_099)).toBe(true);
    expect(guard.has('b', T0 + 1_100)).toBe(false);
    expect(guard.has('a', T0 + 1_100)).toBe(true);
    expect(guard.has('a', T0 + 1_500)).toBe(false);
  });

  it('is capped: past maxEntries the oldest ids are dropped first, and counted', () => {
    const guard = new ReplayGuard(3_600_000, 3);
    for (const id of ['a', 'b', 'c', 'd', 'e']) guard.add(id, T0);
    expect(guard.size(T0)).toBe(3);
    expect(guard.evicted).toBe(2);
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => guard.has(id, T0))).toEqual([false, false, true, true, true]);
  });

  it('keeps long ids (a header a sender controls) by their hash: told apart, and no longer than a hash in memory', () => {
    const guard = new ReplayGuard(1_000);
    const long = 'x'.repeat(10_000);
    guard.add(long, T0);
    expect(guard.has(long, T0)).toBe(true);
    expect(guard.has(`${long}y`, T0)).toBe(false);
    expect(guard.has('x'.repeat(128), T0)).toBe(false);
    // The map holds no 10 kB key.
    const keys = [...(guard as unknown as { seen: Map<string, unknown> }).seen.keys()];
    expect(keys.every((k) => k.length <= 129)).toBe(true);
  });

  it('refuses a window or cap that would keep nothing', () => {
    expect(() => new ReplayGuard(0)).toThrow(RangeError);
    expect(() => new ReplayGuard(1_000, 0)).toThrow(RangeError);
  });
});
