import { describe, expect, it } from '@jest/globals';
import { bridgePresence, liveHeartbeats } from '../../src/ledger/heartbeat.js';
import type { Heartbeat } from '../../src/ledger/ledger.js';

const hb = (over: Partial<Heartbeat>): Heartbeat => ({
  id: 'h:1:0',
  host: 'h',
  pid: 1,
  startedAt: 0,
  beatAt: 100_000,
  intervalMs: 5_000,
  version: '1.0.0',
  httpUrl: 'http://127.0.0.1:8080',
  stoppedAt: null,
  roles: [],
  ...over,
});

describe('bridgePresence', () => {
  it('a bridge whose last beat is younger than three beats is running', () => {
    expect(bridgePresence([hb({})], 114_999)).toEqual({ running: true, heartbeat: hb({}) });
    expect(bridgePresence([hb({})], 115_000)).toEqual({ running: false, heartbeat: hb({}) });
  });

  it('a bridge that stopped cleanly, or whose process is gone, is not running; the last one seen is named', () => {
    const stopped = hb({ id: 'a', stoppedAt: 101_000 });
    const crashed = hb({ id: 'b', beatAt: 102_000 });
    expect(bridgePresence([stopped], 101_500)).toEqual({ running: false, heartbeat: stopped });
    expect(bridgePresence([stopped, crashed], 103_000, (h) => h.id === 'b')).toEqual({ running: false, heartbeat: crashed });
    expect(bridgePresence([], 1)).toEqual({ running: false, heartbeat: null });
  });
});

describe('liveHeartbeats', () => {
  it('lists every bridge running on the ledger, the longest running first, without the stopped, the silent and the gone', () => {
    const first = hb({ id: 'first', startedAt: 10_000, beatAt: 100_000 });
    const second = hb({ id: 'second', startedAt: 20_000, beatAt: 101_000 });
    const silent = hb({ id: 'silent', startedAt: 5_000, beatAt: 80_000 });
    const stopped = hb({ id: 'stopped', startedAt: 1_000, stoppedAt: 99_000 });
    const killed = hb({ id: 'killed', startedAt: 2_000, beatAt: 100_500 });
    const live = liveHeartbeats([second, silent, stopped, killed, first], 100_600, (h) => h.id === 'killed');
    expect(live.map((h) => h.id)).toEqual(['first', 'second']);
  });
});
