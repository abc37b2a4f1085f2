/**
 * The exactly-once proof: 1,500 calls, 10 % 5xx, 2 % timeouts, 2 % lost answers, the bridge killed with SIGKILL
 * four times, against an emulator whose list does NOT carry the external id (the documented list sample is
 * `[{}]`). Every call ends confirmed or explicitly reported; none is lost, none created twice.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { exactlyOnceUnderFaults } from './exactly-once.js';
import { BridgeScene } from './support.js';

const scene = new BridgeScene('callbridge-e2e-once-');
afterAll(() => scene.stop());

describe('e2e: exactly once against a list without external ids', () => {
  it('1,500 calls through faults and four SIGKILLs: 0 lost, 0 duplicates, every call confirmed or reported', async () => {
    const r = await exactlyOnceUnderFaults(scene, { calls: 1_500, kills: 4, listShape: 'minimal', timeoutMs: 90_000 });
    expect({ settled: r.settled, unsettled: r.unsettled.slice(0, 5), lost: r.lost, duplicates: r.duplicates, wrongId: r.wrongId }).toEqual({
      settled: true,
      unsettled: [],
      lost: [],
      duplicates: [],
      wrongId: [],
    });
    expect(r.confirmed + r.reported.length).toBe(1_500);
    expect(r.kills).toBe(4);
    // The faults really happened, and requests in doubt were looked up rather than sent again.
    expect(r.responses).toMatchObject({ serverError: expect.any(Number), timeout: expect.any(Number), lostResponse: expect.any(Number) });
    expect(r.inDoubt).toBeGreaterThan(0);
  }, 240_000);
});
