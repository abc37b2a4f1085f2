/**
 * E2E disk full (issue 13): the bridge's data folder is a real file system of its own (tmpfs, 3 MB) that fills up
 * while a PBX posts calls and appends to its Master.csv. Hooks then answer 503 with Retry-After and the tail waits;
 * nothing that was answered 200 is lost. When space returns (the file system grown in place), the bridge goes on by
 * itself: the posts retried and the lines appended meanwhile are all delivered, each once.
 *
 * Needs root with the right to mount (these machines and CI have it); elsewhere it is skipped, and says so.
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { allConfirmed, asteriskCalls, BridgeScene, nonZero, waitUntil } from './support.js';

const TOKEN = 'disk-full-hook-token-0123456789abcdef';

function canMount(): boolean {
  const probe = `/tmp/callbridge-mount-probe-${process.pid}`;
  try {
    mkdirSync(probe, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    execFileSync('rmdir', [probe], { stdio: 'ignore' });
  }
}

const mountable = canMount();
if (!mountable) console.warn('disk-full e2e skipped: this process may not mount a tmpfs (it needs root with CAP_SYS_ADMIN)');

(mountable ? describe : describe.skip)('e2e: the disk under the ledger fills up, then space returns', () => {
  const scene = new BridgeScene('callbridge-e2e-diskfull-');
  let mounted = false;
  afterAll(async () => {
    // The bridges first (they hold the ledger open), then the file system, then the rest of the scene and its folder.
    for (const bridge of scene.bridges) await bridge.cli.stop(3_000);
    if (mounted) execFileSync('umount', ['-l', scene.dataDir], { stdio: 'ignore' });
    await scene.stop();
  });

  it('hooks answer 503 with Retry-After and the tail waits; nothing accepted is lost; it recovers by itself', async () => {
    mkdirSync(scene.dataDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', scene.dataDir]);
    mounted = true;
    const master = path.join(scene.spool, 'Master.csv');
    await scene.start({
      faults: { appearDelayMs: 0, ratePerSecond: 1_000 },
      sources: () => [
        // A call's legs wait (stashed in the ledger too) until its group is quiet for 300 ms.
        { id: 'pbx', type: 'hook', adapter: 'asterisk-csv', auth: { type: 'bearer', token: TOKEN }, groupQuietMs: 300, flushEveryMs: 200, options: { userfieldIsRecording: true } },
        { id: 'asterisk', type: 'tail', adapter: 'asterisk-csv', path: master, pollMs: 100, groupQuietMs: 300, flushEveryMs: 200, options: { userfieldIsRecording: true } },
      ],
      // The recordings' own bytes are not what fills it: links to the recording server, no copies.
      overrides: { submit: { rateLimit: { perSecond: 50 }, concurrency: 4 }, ledger: { retention: { keepDetailDays: null } } },
    });
    const bridge = scene.bridge;
    // Long calls' lines (a long userfield) fill 3 MB in a few hundred posts.
    const calls = asteriskCalls({ count: 3_000, prefix: 'hook', recordingBase: `${scene.recordings.url}/${'r'.repeat(1_500)}` });
    const lines = calls.csv.split('\n').filter(Boolean);
    const post = (i: number) => bridge.postHook('pbx', `${lines[i]}\n`, { authorization: `Bearer ${TOKEN}`, 'content-type': 'text/csv' });
    const accepted: string[] = [];
    const refused: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < lines.length && refused.length < 5; i++) {
      const res = await post(i);
      const text = await res.text();
      if (res.status === 200) accepted.push(calls.ids[i]!);
      else {
        expect(`${res.status} ${text}`).toBe('503 {"error":"the bridge cannot store calls right now; retry later"}');
        retryAfter = res.headers.get('retry-after');
        refused.push(i);
      }
    }
    expect(refused.length).toBe(5);
    expect(accepted.length).toBeGreaterThan(20);
    expect(retryAfter).toMatch(/^\d+$/);
    // The PBX goes on writing its CDR file meanwhile: the tail cannot store it and waits.
    const tailed = asteriskCalls({ count: 15, prefix: 'tail', from: 5_000, recordingBase: scene.recordings.url });
    appendFileSync(master, tailed.csv);
    await new Promise((r) => setTimeout(r, 1_500));
    expect(bridge.cli.running).toBe(true);

    // Space returns: the file system grows in place, nothing restarted.
    execFileSync('mount', ['-o', 'remount,size=64m', scene.dataDir]);
    for (const i of refused) {
      const res = await waitUntil(async () => {
        const r = await post(i);
        await r.text();
        return r.status === 200 ? r : null;
      }, { timeoutMs: 20_000, what: `the post of ${calls.ids[i]} accepted again` });
      expect(res.status).toBe(200);
      accepted.push(calls.ids[i]!);
    }
    const total = accepted.length + tailed.ids.length;
    const final = await allConfirmed(bridge, total, { timeoutMs: 60_000, what: 'every accepted and tailed call confirmed after space returned' });
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: total });
    const stats = await scene.emulator.stats();
    expect(Object.keys(stats.creationsByExternalId ?? {}).sort()).toEqual([...accepted, ...tailed.ids].sort());
    expect(Object.entries(stats.creationsByExternalId ?? {}).filter(([, n]) => n !== 1)).toEqual([]);
    expect(bridge.cli.grep(/the ledger cannot take a post, answered 503/).length).toBeGreaterThan(0);
  }, 150_000);
});
