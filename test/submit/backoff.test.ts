/**
 * Retry delays after 5xx/network errors: "equal jitter" (AWS Architecture Blog, "Exponential Backoff And Jitter"),
 * a delay between half and all of min(maxMs, baseMs * 2^(attempt-1)), and the configuration docs say the same.
 */
import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { backoffDelay } from '../../src/backoff.js';
import { submitConfigSchema } from '../../src/submit/config.js';

const cfg = { baseMs: 2_000, maxMs: 600_000 };
/** The exponential ceiling per retry for the defaults: doubling from 2 s, capped at 10 min. */
const CEILINGS: Array<[attempt: number, ceiling: number]> = [
  [1, 2_000],
  [2, 4_000],
  [3, 8_000],
  [4, 16_000],
  [5, 32_000],
  [6, 64_000],
  [7, 128_000],
  [8, 256_000],
  [9, 512_000],
  [10, 600_000],
  [11, 600_000],
  [60, 600_000],
  [5_000, 600_000],
];

describe('backoffDelay', () => {
  it.each(CEILINGS)('retry %i with random() = 0 waits half its ceiling (%i ms): never (almost) at once', (attempt, ceiling) => {
    expect(backoffDelay(attempt, cfg, () => 0)).toBe(ceiling / 2);
  });

  it.each(CEILINGS)('retry %i with random() just below 1 waits its whole ceiling (%i ms), never more', (attempt, ceiling) => {
    expect(backoffDelay(attempt, cfg, () => 1 - Number.EPSILON)).toBe(ceiling);
    expect(backoffDelay(attempt, cfg, () => 0.999_999)).toBeLessThanOrEqual(ceiling);
  });

  it.each(CEILINGS)('retry %i over many draws of Math.random stays in [ceiling/2, ceiling] and spreads over it', (attempt, ceiling) => {
    const draws = Array.from({ length: 4_000 }, () => backoffDelay(attempt, cfg));
    const [min, max] = [Math.min(...draws), Math.max(...draws)];
    expect(draws.every(Number.isInteger)).toBe(true);
    expect(min).toBeGreaterThanOrEqual(ceiling / 2);
    expect(max).toBeLessThanOrEqual(ceiling);
    // Uniform over the upper half: both ends are reached and the mean sits at 3/4 of the ceiling.
    expect(min).toBeLessThan(ceiling * 0.55);
    expect(max).toBeGreaterThan(ceiling * 0.95);
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
    expect(mean / ceiling).toBeGreaterThan(0.73);
    expect(mean / ceiling).toBeLessThan(0.77);
  });

  it('keeps the bounds with odd ceilings (rounding never drops below half) and treats attempt 0 as the first retry', () => {
    const odd = { baseMs: 3, maxMs: 1_001 };
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(1_001, 3 * 2 ** (attempt - 1));
      for (const r of [0, 0.25, 0.5, 0.999_999_9]) {
        const d = backoffDelay(attempt, odd, () => r);
        expect(d).toBeGreaterThanOrEqual(ceiling / 2);
        expect(d).toBeLessThanOrEqual(ceiling);
      }
    }
    expect(backoffDelay(0, cfg, () => 0)).toBe(1_000);
  });
});

describe('submit.backoff documentation', () => {
  const props = (z.toJSONSchema(submitConfigSchema, { io: 'input' }) as unknown as { properties: { backoff: { properties: Record<string, { description?: string }> } } })
    .properties.backoff.properties;

  it('names the jitter the code uses (equal jitter: between half and all of the ceiling), not full jitter', () => {
    const text = `${props.baseMs?.description} ${props.maxMs?.description}`;
    expect(text).toMatch(/equal jitter/i);
    expect(text).not.toMatch(/full jitter/i);
    expect(text).toMatch(/half/);
  });
});
