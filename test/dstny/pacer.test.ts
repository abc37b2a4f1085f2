import { describe, expect, it } from '@jest/globals';
import { Pacer, RATE_MARGIN } from '../../src/dstny/pacer.js';

describe('Pacer', () => {
  it('spaces starts evenly, 1000/N ms plus the margin apart', () => {
    let now = 0;
    const pacer = new Pacer(10, () => now);
    const starts = Array.from({ length: 5 }, () => now + pacer.reserve());
    [0, 103, 206, 309, 412].forEach((t, i) => expect(starts[i]).toBeCloseTo(t, 6));
    expect(pacer.spacingMs).toBeCloseTo(100 * RATE_MARGIN, 6);
  });

  it('does not push later slots back when one start comes late, and catches up at most half the margin', () => {
    let now = 0;
    const pacer = new Pacer(10, () => now);
    expect(pacer.reserve()).toBe(0); // slot 0 at 0
    now = 150; // the timer for slot 1 (103) fired 47 ms late
    expect(pacer.reserve()).toBe(0); // started at 150; slot 1 is recorded as 135 (15 ms of debt at most)
    const third = now + pacer.reserve();
    expect(third).toBeCloseTo(238, 5); // 135 + 103: not 150 + 103
  });

  it('never lets any one-second window hold more than N starts, however late the timers fire', () => {
    for (const perSecond of [1, 8, 10, 20, 50]) {
      let now = 0;
      const pacer = new Pacer(perSecond, () => now);
      const starts: number[] = [];
      let seed = 7;
      for (let i = 0; i < perSecond * 20; i++) {
        now += pacer.reserve();
        starts.push(now);
        seed = (seed * 48271) % 2147483647;
        now += (seed % 60) - 10 > 0 ? (seed % 60) - 10 : 0; // 0-49 ms of lateness before the next reservation
      }
      let worst = 0;
      for (const t of starts) worst = Math.max(worst, starts.filter((u) => u >= t && u < t + 1000).length);
      expect(worst).toBeLessThanOrEqual(perSecond);
    }
  });
});
