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

  it('holds back requests whose slots, reserved ahead, all come at once after the event loop was held up', () => {
    // As the gate uses it: ten requests wait at once, each with its reserved slot; between 500 and 800 ms no timer
    // runs (a busy event loop), so every slot due meanwhile comes at 800 ms. A request held back reserves again.
    for (const perSecond of [10, 20, 40]) {
      let now = 0;
      const pacer = new Pacer(perSecond, () => now);
      const starts: number[] = [];
      const waiting: Array<{ at: number; again: boolean }> = [];
      let begun = 0;
      const fill = () => {
        for (; waiting.length < 10 && begun < perSecond * 5; begun++) waiting.push({ at: now + pacer.reserve(), again: false });
      };
      fill();
      while (waiting.length) {
        waiting.sort((a, b) => a.at - b.at);
        const w = waiting.shift()!;
        now = Math.max(now, w.at);
        if (now >= 500 && now < 800) now = 800;
        if (w.again) {
          waiting.push({ at: now + pacer.reserve(), again: false });
          continue;
        }
        const hold = pacer.holdMs();
        if (hold > 0) {
          waiting.push({ at: now + hold, again: true });
          continue;
        }
        starts.push(now);
        pacer.started();
        fill();
      }
      let worst = 0;
      for (const t of starts) worst = Math.max(worst, starts.filter((u) => u >= t && u < t + 1000).length);
      expect({ perSecond, starts: starts.length, worst }).toEqual({ perSecond, starts: perSecond * 5, worst: perSecond });
    }
  });
});
