import { afterEach, describe, expect, it } from '@jest/globals';
import type { Logger } from '../../src/log/logger.js';
import { type Loop, type LoopSpec, PollingRunner, type PollingRunnerOptions } from '../../src/sources/polling-runner.js';
import { sleep, waitFor } from './support.js';

/** A runner whose loops, hooks and problems the test drives. */
class Harness extends PollingRunner {
  readonly events: string[] = [];
  readonly warnings: string[];
  beforeStartHook: () => Promise<void> = async () => {};

  constructor(opts: Partial<PollingRunnerOptions> = {}) {
    const warnings: string[] = [];
    const log = { warn: (text: string) => warnings.push(text), info: () => undefined, error: () => undefined } as unknown as Logger;
    super({ log, ...opts });
    this.warnings = warnings;
  }

  add(spec: LoopSpec): Loop {
    return this.loop(spec);
  }

  report(text: string): void {
    this.problem(text);
  }

  protected override async beforeStart(): Promise<void> {
    await this.beforeStartHook();
    this.events.push('beforeStart');
  }

  protected override async interrupt(): Promise<void> {
    this.events.push('interrupt');
  }

  protected override async afterStop(): Promise<void> {
    this.events.push('afterStop');
  }
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** A pass that counts its runs and checks that two never overlap. */
function countingPass(body: () => Promise<void> = async () => {}) {
  const stats = { runs: 0, active: 0, maxActive: 0 };
  const pass = async () => {
    stats.runs++;
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    try {
      await body();
    } finally {
      stats.active--;
    }
  };
  return { stats, pass };
}

describe('PollingRunner', () => {
  const harnesses: Harness[] = [];
  const harness = (opts: Partial<PollingRunnerOptions> = {}) => {
    const h = new Harness(opts);
    harnesses.push(h);
    return h;
  };
  afterEach(async () => {
    for (const h of harnesses.splice(0)) await h.stop();
  });

  it('start and stop are idempotent: one timer chain however often start() is called, none after stop()', async () => {
    const h = harness();
    const { stats, pass } = countingPass(() => sleep(5));
    h.add({ firstMs: 0, everyMs: 20, pass });
    await Promise.all([h.start(), h.start()]);
    await h.start();
    expect(h.running).toBe(true);
    expect(h.events).toEqual(['beforeStart']);
    await sleep(200);
    await h.stop();
    await h.stop();
    expect(h.running).toBe(false);
    // A pass, then 20 ms after each ends: about 8 in 200 ms for one chain; three chains would make far more.
    expect(stats.runs).toBeGreaterThanOrEqual(1);
    expect(stats.runs).toBeLessThanOrEqual(10);
    expect(stats.maxActive).toBe(1);
    const atStop = stats.runs;
    await sleep(80);
    expect(stats.runs).toBe(atStop);

    await h.start();
    await waitFor('passes again after a new start', () => stats.runs > atStop, 2_000, 5);
    expect(h.running).toBe(true);
  });

  it('stop() waits for the pass under way (interrupt first, afterStop last), and no pass begins after it', async () => {
    const h = harness();
    const held = gate();
    let inPass = false;
    const { stats, pass } = countingPass(async () => {
      inPass = true;
      await held.promise;
    });
    const loop = h.add({ firstMs: 0, everyMs: 10, pass });
    await h.start();
    await waitFor('the first pass', () => inPass, 2_000, 2);
    let stopped = false;
    const stopping = h.stop().then(() => (stopped = true));
    await sleep(50);
    expect(stopped).toBe(false);
    expect(h.running).toBe(true);
    expect(h.events).toEqual(['beforeStart', 'interrupt']);
    held.open();
    await stopping;
    expect(h.events).toEqual(['beforeStart', 'interrupt', 'afterStop']);
    expect(h.running).toBe(false);
    await loop.runNow();
    loop.soon(0);
    await sleep(30);
    expect(stats.runs).toBe(1);
  });

  it('runNow() during a pass makes one more pass after it, shared by every caller, and resolves after that one', async () => {
    const h = harness();
    const held = gate();
    let seen: number[] = [];
    let value = 0;
    const { stats, pass } = countingPass(async () => {
      seen.push(value);
      if (stats.runs === 1) await held.promise;
    });
    const loop = h.add({ pass });
    const first = loop.runNow();
    value = 1; // written after the first pass looked
    const callers = [loop.runNow(), loop.runNow(), loop.runNow()];
    held.open();
    await Promise.all([first, ...callers]);
    expect(stats.runs).toBe(2);
    expect(seen).toEqual([0, 1]);
    expect(stats.maxActive).toBe(1);

    seen = [];
    await loop.runNow();
    expect(seen).toEqual([1]);
  });

  it('a pass that throws sets lastProblem (logged once while it repeats); a pass that ends well clears it', async () => {
    const h = harness();
    let broken = true;
    const loop = h.add({
      pass: async () => {
        if (broken) throw Object.assign(new Error('permission denied'), { code: 'EACCES' });
      },
      failed: (error) => `reading failed, will retry: ${(error as Error).message}`,
      clearsProblem: true,
    });
    await loop.runNow();
    await loop.runNow();
    expect(h.lastProblem).toBe('reading failed, will retry: permission denied');
    expect(h.warnings).toEqual(['reading failed, will retry: permission denied']);
    broken = false;
    await loop.runNow();
    expect(h.lastProblem).toBeNull();
  });

  it('without `failed` the problem is the error with its errno code; logRepeatedProblems logs every occurrence', async () => {
    const h = harness({ logRepeatedProblems: true });
    const loop = h.add({
      pass: async () => {
        throw Object.assign(new Error('no such folder'), { code: 'ENOENT' });
      },
    });
    await loop.runNow();
    await loop.runNow();
    expect(h.lastProblem).toBe('ENOENT: no such folder');
    expect(h.warnings).toEqual(['ENOENT: no such folder', 'ENOENT: no such folder']);
  });

  it('a loop that does not clear problems leaves them to the work that decides health', async () => {
    const h = harness();
    const flush = h.add({
      pass: async () => {
        throw new Error('ledger gone');
      },
      failed: (error) => `assembling failed: ${(error as Error).message}`,
    });
    const quiet = h.add({ pass: async () => {} });
    const poll = h.add({ pass: async () => {}, clearsProblem: true });
    await flush.runNow();
    await quiet.runNow();
    expect(h.lastProblem).toBe('assembling failed: ledger gone');
    h.report('file x left in place');
    await quiet.runNow();
    expect(h.lastProblem).toBe('file x left in place');
    await poll.runNow();
    expect(h.lastProblem).toBeNull();
  });

  it('a beforeStart that throws leaves the runner stopped, with no timer armed, and a later start() works', async () => {
    const h = harness();
    const { stats, pass } = countingPass();
    h.add({ firstMs: 0, everyMs: 10, pass });
    h.beforeStartHook = async () => {
      throw new Error('folder missing');
    };
    await expect(h.start()).rejects.toThrow('folder missing');
    expect(h.running).toBe(false);
    await sleep(40);
    expect(stats.runs).toBe(0);
    h.beforeStartHook = async () => {};
    await h.start();
    expect(h.running).toBe(true);
    await waitFor('a pass', () => stats.runs > 0, 2_000, 2);
  });

  it('start() calls while one is under way share it; stop() during a start waits for it, then stops', async () => {
    const h = harness();
    const held = gate();
    const { stats, pass } = countingPass();
    h.add({ firstMs: 0, everyMs: 10, pass });
    h.beforeStartHook = () => held.promise;
    const starts = [h.start(), h.start()];
    const stopping = h.stop();
    held.open();
    await Promise.all([...starts, stopping]);
    expect(h.events).toEqual(['beforeStart', 'interrupt', 'afterStop']);
    expect(h.running).toBe(false);
    await sleep(40);
    expect(stats.runs).toBe(0);
  });

  it('a loop without firstMs waits to be asked, and without everyMs runs once per ask', async () => {
    const h = harness();
    const { stats, pass } = countingPass();
    const loop = h.add({ pass });
    await h.start();
    await sleep(40);
    expect(stats.runs).toBe(0);
    loop.soon(0);
    await waitFor('the asked-for pass', () => stats.runs === 1, 2_000, 2);
    await sleep(40);
    expect(stats.runs).toBe(1);
  });

  it('soon(): an earlier due time replaces a later one; a later one does not put an earlier one off', async () => {
    const h = harness();
    const { stats, pass } = countingPass();
    const loop = h.add({ pass });
    await h.start();
    const t0 = Date.now();
    loop.soon(5_000);
    loop.soon(10);
    await waitFor('the earlier pass', () => stats.runs === 1, 2_000, 2);
    expect(Date.now() - t0).toBeLessThan(1_000);

    loop.soon(10);
    loop.soon(5_000);
    await waitFor('a pass not put off', () => stats.runs === 2, 2_000, 2);
    await sleep(40);
    expect(stats.runs).toBe(2);
  });

  it('loops are independent: a long pass of one does not hold up the other', async () => {
    const h = harness();
    const held = gate();
    const slow = countingPass(() => held.promise);
    const fast = countingPass();
    h.add({ firstMs: 0, everyMs: 10, pass: slow.pass });
    h.add({ firstMs: 0, everyMs: 10, pass: fast.pass });
    await h.start();
    await waitFor('several fast passes', () => fast.stats.runs >= 3, 2_000, 2);
    expect(slow.stats.runs).toBe(1);
    held.open();
  });
});
