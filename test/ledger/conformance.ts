import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { seededRandom } from '../../src/emulator/seeded-random.js';
import { LedgerUnavailableError } from '../../src/errors.js';
import type { Ledger } from '../../src/ledger/ledger.js';
import { payloadFor, pendingRow } from '../support/rows.js';

/**
 * The behaviour every Ledger implementation must have. `open` returns a ledger on the same storage each
 * time it is called within one test (so close + open = a restart); `destroy` drops the storage.
 */
export interface LedgerHarness {
  open(): Promise<Ledger>;
  destroy(): Promise<void>;
}

export function runLedgerConformance(name: string, makeHarness: () => Promise<LedgerHarness>): void {
  describe(`Ledger conformance: ${name}`, () => {
    let h: LedgerHarness;
    let ledger: Ledger;
    const open: Ledger[] = [];
    const openLedger = async () => {
      const l = await h.open();
      open.push(l);
      return l;
    };

    beforeEach(async () => {
      h = await makeHarness();
      ledger = await openLedger();
    });
    afterEach(async () => {
      for (const l of open.splice(0)) await l.close();
      await h.destroy();
    });

    it('stores a row with its raw record, payload and state, and finds it by id', async () => {
      const results = await ledger.put([pendingRow('c1')]);
      expect(results).toEqual([{ externalId: 'c1', outcome: 'inserted' }]);
      const row = await ledger.get('c1');
      expect(row).toMatchObject({
        externalId: 'c1',
        sourceId: 'test',
        state: 'pending',
        attempts: 0,
        raw: { externalId: 'c1', note: 'raw record' },
        conversationId: null,
      });
      expect(row?.payload?.call_external_id).toBe('c1');
      expect(await ledger.get('nope')).toBeNull();
    });

    it('keeps rows across close and reopen', async () => {
      await ledger.put([pendingRow('a'), pendingRow('b', { state: 'rejected', payload: null, reason: 'no owner for extension 1003' })]);
      await ledger.close();
      const reopened = await openLedger();
      expect((await reopened.get('a'))?.state).toBe('pending');
      expect(await reopened.get('b')).toMatchObject({ state: 'rejected', reason: 'no owner for extension 1003' });
    });

    it('refuses a duplicate: same id and content is reported and changes nothing', async () => {
      await ledger.put([pendingRow('d1')]);
      await ledger.update('d1', { attempts: 3 });
      const again = await ledger.put([pendingRow('d1', { location: 'other-file.csv:9' })]);
      expect(again).toEqual([{ externalId: 'd1', outcome: 'duplicate' }]);
      expect((await ledger.get('d1'))?.attempts).toBe(3);
      expect((await ledger.get('d1'))?.location).toBe('test.csv:d1');
    });

    it('replaces a never-sent row with newer content, but never one that was sent', async () => {
      await ledger.put([pendingRow('u1'), pendingRow('u2')]);
      await ledger.update('u2', { state: 'submitted', conversationId: 'conv-u2', submittedAt: Date.now() });
      const changed = { raw: { externalId: 'x', note: 'corrected CDR' } };
      const results = await ledger.put([pendingRow('u1', changed), pendingRow('u2', changed)]);
      expect(results).toEqual([
        { externalId: 'u1', outcome: 'updated' },
        { externalId: 'u2', outcome: 'conflict' },
      ]);
      expect((await ledger.get('u1'))?.raw).toEqual(changed.raw);
      expect(await ledger.get('u2')).toMatchObject({ state: 'submitted', conversationId: 'conv-u2', raw: { note: 'raw record' } });
    });

    it('hands due pending rows to one claimer under a lease, and never the same row to a second', async () => {
      const now = Date.now();
      await ledger.put([pendingRow('p1', { nextAttemptAt: now }), pendingRow('p2', { nextAttemptAt: now }), pendingRow('later', { nextAttemptAt: now + 60_000 })]);
      const first = await ledger.claimDue({ now, limit: 10, owner: 'A', leaseMs: 1000 });
      expect(first.map((r) => r.externalId).sort()).toEqual(['p1', 'p2']);
      expect(first.every((r) => r.state === 'submitting' && r.leaseOwner === 'A')).toBe(true);
      expect(await ledger.claimDue({ now, limit: 10, owner: 'B', leaseMs: 1000 })).toEqual([]);
      expect(await ledger.claimDue({ now: now + 60_000, limit: 10, owner: 'B', leaseMs: 1000 })).toEqual([
        expect.objectContaining({ externalId: 'later', leaseOwner: 'B' }),
      ]);
    });

    it('respects the claim limit, oldest due first', async () => {
      const now = Date.now();
      await ledger.put([pendingRow('n3', { nextAttemptAt: now - 1 }), pendingRow('n1', { nextAttemptAt: now - 3 }), pendingRow('n2', { nextAttemptAt: now - 2 })]);
      const got = await ledger.claimDue({ now, limit: 2, owner: 'A', leaseMs: 1000 });
      expect(got.map((r) => r.externalId)).toEqual(['n1', 'n2']);
    });

    it('turns rows whose lease expired mid-request into verify, and rows only queued back into pending', async () => {
      const now = Date.now();
      await ledger.put([pendingRow('l1', { nextAttemptAt: now - 2 }), pendingRow('l2', { nextAttemptAt: now - 1 }), pendingRow('l3', { nextAttemptAt: now })]);
      await ledger.claimDue({ now, limit: 2, owner: 'dead', leaseMs: 100 });
      await ledger.update('l1', { sendingAt: now }, { leaseOwner: 'dead' });
      expect(await ledger.recoverExpiredLeases(now + 50)).toBe(0);
      expect(await ledger.recoverExpiredLeases(now + 101)).toBe(1);
      expect(await ledger.get('l1')).toMatchObject({ state: 'verify', leaseOwner: null, sendingAt: null });
      expect(await ledger.get('l2')).toMatchObject({ state: 'pending', leaseOwner: null });
      const next = await ledger.claimDue({ now: now + 200, limit: 10, owner: 'B', leaseMs: 100 });
      expect(next.map((r) => r.externalId).sort()).toEqual(['l2', 'l3']);
    });

    it('renews only the leases its owner holds, so a live holder is never recovered', async () => {
      await ledger.put([pendingRow('h1'), pendingRow('h2')]);
      const now = Date.now();
      const [a] = await ledger.claimDue({ now, limit: 1, owner: 'A', leaseMs: 100 });
      const [b] = await ledger.claimDue({ now, limit: 1, owner: 'B', leaseMs: 100 });
      await ledger.update(a!.externalId, { sendingAt: now }, { leaseOwner: 'A' });
      await ledger.update(b!.externalId, { sendingAt: now }, { leaseOwner: 'B' });
      expect(await ledger.renewLeases('A', ['h1', 'h2'], now + 10_000)).toBe(1);
      expect(await ledger.recoverExpiredLeases(now + 200)).toBe(1);
      expect(await ledger.get(a!.externalId)).toMatchObject({ state: 'submitting', leaseOwner: 'A' });
      expect(await ledger.get(b!.externalId)).toMatchObject({ state: 'verify', leaseOwner: null });
    });

    it('applies an update only while its guard holds', async () => {
      await ledger.put([pendingRow('g1')]);
      const [claimed] = await ledger.claimDue({ now: Date.now(), limit: 1, owner: 'A', leaseMs: 1000 });
      expect(claimed?.externalId).toBe('g1');
      expect(await ledger.update('g1', { state: 'submitted' }, { leaseOwner: 'B' })).toBe(false);
      expect(await ledger.update('g1', { state: 'submitted', conversationId: 'conv-1', attempts: 'increment', leaseOwner: null }, { leaseOwner: 'A', states: ['submitting'] })).toBe(true);
      expect(await ledger.get('g1')).toMatchObject({ state: 'submitted', conversationId: 'conv-1', attempts: 1, leaseOwner: null });
      expect(await ledger.update('g1', { state: 'confirmed' }, { states: ['pending'] })).toBe(false);
      expect((await ledger.findByConversationId('conv-1'))?.externalId).toBe('g1');
      expect(await ledger.findByConversationId('conv-unknown')).toBeNull();
    });

    it('requeues failed rows with a payload, resetting attempts, and leaves rows without one', async () => {
      await ledger.put([pendingRow('f1'), pendingRow('r1', { state: 'rejected', payload: null, reason: 'no owner for extension 1003' })]);
      await ledger.update('f1', { state: 'failed', attempts: 8, reason: 'HTTP 422: call_recording_url must answer 200' });
      const moved = await ledger.requeue({ states: ['failed', 'rejected'] }, Date.now());
      expect(moved).toEqual(['f1']);
      expect(await ledger.get('f1')).toMatchObject({ state: 'pending', attempts: 0, reason: null });
      expect((await ledger.get('r1'))?.state).toBe('rejected');
    });

    it('reports counts per state, the oldest due row and the last errors', async () => {
      const now = Date.now();
      await ledger.put([
        pendingRow('s1', { nextAttemptAt: now - 5000 }),
        pendingRow('s2'),
        pendingRow('s3', { state: 'skipped', payload: null, reason: 'unanswered' }),
        pendingRow('s4', { state: 'rejected', payload: null, reason: 'no owner for extension 1003' }),
      ]);
      const stats = await ledger.stats();
      expect(stats.counts).toMatchObject({ pending: 2, skipped: 1, rejected: 1, confirmed: 0 });
      expect(stats.oldestDue).toMatchObject({ externalId: 's1', state: 'pending' });
      expect(stats.lastErrors).toEqual([expect.objectContaining({ externalId: 's4', reason: 'no owner for extension 1003' })]);
    });

    it('counts rows submitted since a moment (the daily quota)', async () => {
      await ledger.put([pendingRow('m1'), pendingRow('m2'), pendingRow('m3')]);
      await ledger.update('m1', { state: 'submitted', submittedAt: 1_000 });
      await ledger.update('m2', { state: 'confirmed', submittedAt: 5_000 });
      expect(await ledger.countSubmittedSince(2_000)).toBe(1);
      expect(await ledger.countSubmittedSince(0)).toBe(2);
    });

    it('commits checkpoints together with rows, and keeps them across a restart', async () => {
      await ledger.put([pendingRow('k1')], { checkpoints: [{ key: 'tail:main', value: '{"offset":120}' }] });
      expect(await ledger.getCheckpoint('tail:main')).toBe('{"offset":120}');
      await ledger.setCheckpoint({ key: 'tail:main', value: '{"offset":240}' });
      await ledger.close();
      const reopened = await openLedger();
      expect(await reopened.getCheckpoint('tail:main')).toBe('{"offset":240}');
      expect(await reopened.getCheckpoint('unknown')).toBeNull();
    });

    it('keeps stashed legs until their group is quiet, then hands the group over and drops it with the put', async () => {
      await ledger.stash([
        { sourceId: 'hooks', groupKey: 'call-1', leg: { leg: 'A' } },
        { sourceId: 'hooks', groupKey: 'call-2', leg: { leg: 'A' } },
      ], { checkpoints: [{ key: 'c', value: '1' }] });
      await ledger.stash([{ sourceId: 'hooks', groupKey: 'call-1', leg: { leg: 'B' } }]);
      // The PBX retried its post of leg B: kept once.
      await ledger.stash([{ sourceId: 'hooks', groupKey: 'call-1', leg: { leg: 'B' } }]);
      await ledger.stash([{ sourceId: 'other', groupKey: 'call-1', leg: { leg: 'X' } }]);
      expect(await ledger.quietGroups('hooks', Date.now() - 60_000)).toEqual([]);
      const quiet = await ledger.quietGroups('hooks', Date.now() + 1);
      expect(quiet).toEqual([
        { groupKey: 'call-1', legs: [{ leg: 'A' }, { leg: 'B' }] },
        { groupKey: 'call-2', legs: [{ leg: 'A' }] },
      ]);
      await ledger.put([pendingRow('call-1')], { unstash: [{ sourceId: 'hooks', groupKey: 'call-1' }] });
      expect((await ledger.quietGroups('hooks', Date.now() + 1)).map((g) => g.groupKey)).toEqual(['call-2']);
      await ledger.stash([{ sourceId: 'hooks', groupKey: 'call-3', leg: { leg: 'A' } }]);
      expect((await ledger.quietGroups('hooks', Date.now() + 1, 1)).map((g) => g.groupKey)).toEqual(['call-2']);
      expect(await ledger.quietGroups('other', Date.now() + 1)).toHaveLength(1);
      expect(await ledger.getCheckpoint('c')).toBe('1');
    });

    it('hands over the stashed legs of the groups asked for, quiet or not, until a put drops them', async () => {
      await ledger.stash([
        { sourceId: 'hooks', groupKey: 'call-1', leg: { leg: 'A' } },
        { sourceId: 'hooks', groupKey: 'call-2', leg: { leg: 'A' } },
        { sourceId: 'other', groupKey: 'call-1', leg: { leg: 'X' } },
      ]);
      await ledger.stash([{ sourceId: 'hooks', groupKey: 'call-1', leg: { leg: 'B' } }]);
      // Just stashed, so not quiet for a minute yet: still handed over, each group's legs in arrival order.
      expect(await ledger.quietGroups('hooks', Date.now() - 60_000)).toEqual([]);
      expect(await ledger.stashedGroups('hooks', ['call-2', 'call-1', 'call-9', 'call-2'])).toEqual([
        { groupKey: 'call-2', legs: [{ leg: 'A' }] },
        { groupKey: 'call-1', legs: [{ leg: 'A' }, { leg: 'B' }] },
      ]);
      expect(await ledger.stashedGroups('other', ['call-1'])).toEqual([{ groupKey: 'call-1', legs: [{ leg: 'X' }] }]);
      expect(await ledger.stashedGroups('hooks', [])).toEqual([]);
      await ledger.put([pendingRow('call-1')], { unstash: [{ sourceId: 'hooks', groupKey: 'call-1' }] });
      expect(await ledger.stashedGroups('hooks', ['call-1', 'call-2'])).toEqual([{ groupKey: 'call-2', legs: [{ leg: 'A' }] }]);
      // Across a restart, like every stashed leg.
      await ledger.close();
      const reopened = await openLedger();
      expect((await reopened.stashedGroups('other', ['call-1'])).map((g) => g.groupKey)).toEqual(['call-1']);
    });

    it('keeps a row waiting for its upload out of claims and requeues, and keeps its bucket object across a restart', async () => {
      const now = Date.now();
      await ledger.put([pendingRow('u1', { state: 'prepare' }), pendingRow('u2')]);
      expect((await ledger.claimDue({ now: now + 1000, limit: 10, owner: 'A', leaseMs: 1000 })).map((r) => r.externalId)).toEqual(['u2']);
      expect(await ledger.requeue({ externalIds: ['u1'] }, now)).toEqual([]);
      expect(await ledger.get('u1')).toMatchObject({ state: 'prepare', upload: null });
      expect((await ledger.stats()).counts.prepare).toBe(1);

      const object = { key: 'calls/u1.wav', etag: '"abc"', size: 48_044, sha256: 'f'.repeat(64), uploadedAt: now, deletedAt: null };
      expect(await ledger.update('u1', { state: 'pending', upload: object }, { states: ['prepare'] })).toBe(true);
      await ledger.close();
      ledger = await openLedger();
      expect(await ledger.get('u1')).toMatchObject({ state: 'pending', upload: object });
      // A newer version of the call waits for its upload again; the object already in the bucket stays known.
      expect(await ledger.put([pendingRow('u1', { state: 'prepare', raw: { externalId: 'u1', note: 'corrected' } })])).toEqual([{ externalId: 'u1', outcome: 'updated' }]);
      expect(await ledger.get('u1')).toMatchObject({ state: 'prepare', upload: object });
    });

    it('finds the confirmed rows whose recording is still in the bucket, by when they were confirmed', async () => {
      const object = (key: string) => ({ key, etag: null, size: 1, sha256: 'a'.repeat(64), uploadedAt: 1, deletedAt: null });
      await ledger.put([pendingRow('k1'), pendingRow('k2'), pendingRow('k3'), pendingRow('k4')]);
      await ledger.update('k1', { state: 'confirmed', confirmedAt: 1_000, upload: object('k1.wav') });
      await ledger.update('k2', { state: 'confirmed', confirmedAt: 9_000, upload: object('k2.wav') });
      await ledger.update('k3', { state: 'confirmed', confirmedAt: 1_000 });
      await ledger.update('k4', { state: 'confirmed', confirmedAt: 1_000, upload: { ...object('k4.wav'), deletedAt: 2_000 } });
      expect((await ledger.query({ uploadKeptConfirmedBefore: 5_000 })).map((r) => r.externalId)).toEqual(['k1']);
      await ledger.update('k1', { upload: { ...object('k1.wav'), deletedAt: 6_000 } });
      expect(await ledger.query({ uploadKeptConfirmedBefore: 10_000 })).toEqual([expect.objectContaining({ externalId: 'k2' })]);
    });

    it('keeps the recording the bridge made for a call, and finds the confirmed ones that still have one', async () => {
      await ledger.put([pendingRow('m1', { state: 'prepare' }), pendingRow('m2'), pendingRow('m3')]);
      expect(await ledger.get('m1')).toMatchObject({ recordingFile: null });
      expect(await ledger.update('m1', { state: 'pending', recordingFile: '/data/recordings/m1.wav' }, { states: ['prepare'] })).toBe(true);
      await ledger.close();
      ledger = await openLedger();
      expect(await ledger.get('m1')).toMatchObject({ state: 'pending', recordingFile: '/data/recordings/m1.wav' });
      await ledger.update('m1', { state: 'confirmed', confirmedAt: 1_000 });
      await ledger.update('m2', { state: 'confirmed', confirmedAt: 1_000 });
      await ledger.update('m3', { state: 'confirmed', confirmedAt: 9_000, recordingFile: '/data/recordings/m3.wav' });
      expect((await ledger.query({ recordingFileConfirmedBefore: 5_000 })).map((r) => r.externalId)).toEqual(['m1']);
      await ledger.update('m1', { recordingFile: null });
      expect(await ledger.query({ recordingFileConfirmedBefore: 5_000 })).toEqual([]);
    });

    it('queries by state, id and age', async () => {
      await ledger.put([pendingRow('q1'), pendingRow('q2'), pendingRow('q3')]);
      await ledger.update('q2', { state: 'submitted', submittedAt: 1000 });
      await ledger.update('q3', { state: 'submitted', submittedAt: Date.now() + 10_000 });
      expect((await ledger.query({ states: ['submitted'], before: Date.now() })).map((r) => r.externalId)).toEqual(['q2']);
      expect((await ledger.query({ externalIds: ['q1', 'q3'] })).map((r) => r.externalId).sort()).toEqual(['q1', 'q3']);
      await ledger.update('q2', { conversationId: 'conv-q2' });
      expect((await ledger.query({ conversationIds: ['conv-q2', 'conv-none'] })).map((r) => r.externalId)).toEqual(['q2']);
      expect(await ledger.query({ states: ['pending'], limit: 1 })).toHaveLength(1);
      await ledger.update('q1', { nextAttemptAt: 5_000 });
      expect((await ledger.query({ dueBy: 6_000 })).map((r) => r.externalId)).toEqual(['q1']);
    });

    it('keeps the heartbeat of a running bridge: refreshed by each beat, kept across a reopen, marked when it stops cleanly', async () => {
      const a = { id: 'host-a:100:1000', host: 'host-a', pid: 100, startedAt: 1_000, beatAt: 1_000, intervalMs: 5_000, version: '1.2.3', httpUrl: null };
      expect(await ledger.heartbeats()).toEqual([]);
      await ledger.beat(a);
      await ledger.beat({ ...a, beatAt: 6_000, httpUrl: 'http://127.0.0.1:8080' });
      await ledger.close();
      const reopened = await openLedger();
      expect(await reopened.heartbeats()).toEqual([{ ...a, beatAt: 6_000, httpUrl: 'http://127.0.0.1:8080', stoppedAt: null, roles: [] }]);
      // Each beat says which roles and sources the replica holds now.
      await reopened.beat({ ...a, beatAt: 6_500, httpUrl: 'http://127.0.0.1:8080', roles: ['deliver', 'source:asterisk'] });
      expect((await reopened.heartbeats())[0]?.roles).toEqual(['deliver', 'source:asterisk']);
      await reopened.endHeartbeat(a.id, 7_000);
      expect(await reopened.heartbeats()).toEqual([{ ...a, beatAt: 6_500, httpUrl: 'http://127.0.0.1:8080', stoppedAt: 7_000, roles: ['deliver', 'source:asterisk'] }]);
    });

    it('forgets the beats of a bridge that died (three intervals without a beat) and keeps only the last clean stop', async () => {
      // Times as a bridge writes them (epoch ms, beyond 32 bits).
      const T = 1_796_651_748_087;
      const beat = (id: string, beatAt: number) => ({ id, host: 'h', pid: 1, startedAt: T, beatAt: T + beatAt, intervalMs: 5_000, version: 'v', httpUrl: null });
      await ledger.beat(beat('dead', 1_000));
      await ledger.beat(beat('alive', 12_000));
      expect((await ledger.heartbeats()).map((h) => h.id)).toEqual(['alive', 'dead']);
      // 16 s after its last beat: more than three 5 s intervals.
      await ledger.beat(beat('alive', 17_000));
      expect((await ledger.heartbeats()).map((h) => h.id)).toEqual(['alive']);
      await ledger.endHeartbeat('alive', T + 18_000);
      await ledger.beat(beat('next', 20_000));
      await ledger.endHeartbeat('next', T + 21_000);
      expect(await ledger.heartbeats()).toEqual([{ ...beat('next', 20_000), stoppedAt: T + 21_000, roles: [] }]);
    });

    it("keeps each call's history in the order it was added, apart from other calls', across a restart", async () => {
      await ledger.put([pendingRow('h1'), pendingRow('h2')]);
      const attempt = { kind: 'attempt' as const, status: 503, message: 'HTTP 503: busy', conversationId: null, durationMs: 120 };
      await ledger.addEvents([
        { externalId: 'h1', at: 2_000, outcome: '5xx', ...attempt },
        { externalId: 'h2', at: 1_500, outcome: 'network', ...attempt, status: null, message: 'socket hang up' },
      ]);
      await ledger.addEvents([{ externalId: 'h1', at: 1_000, kind: 'lookup', outcome: 'found', status: null, message: null, conversationId: 'conv-1', durationMs: null }]);
      await ledger.addEvents([]);
      await ledger.close();
      const reopened = await openLedger();
      expect(await reopened.events('h1')).toEqual([
        { externalId: 'h1', at: 2_000, outcome: '5xx', ...attempt },
        { externalId: 'h1', at: 1_000, kind: 'lookup', outcome: 'found', status: null, message: null, conversationId: 'conv-1', durationMs: null },
      ]);
      expect((await reopened.events('h2')).map((e) => e.message)).toEqual(['socket hang up']);
      expect(await reopened.events('nobody')).toEqual([]);
    });

    it('finds calls by external id (whole or its start), conversation id, email in any case, or phone digits, the newest first', async () => {
      await ledger.put([
        pendingRow('1733560000.41', { payload: payloadFor('1733560000.41', { owner_email: 'Anna.Lind@example.com', participant_phone_number: '+46761112233' }) }),
        pendingRow('1733560000.42', { payload: payloadFor('1733560000.42', { participant_email: 'kund@client.example' }) }),
        pendingRow('pbx2-100', { state: 'skipped', payload: null, reason: 'internal call', raw: { from: { number: '201' }, to: { number: '0031 20 555 0199' } } }),
        pendingRow('50%_off', { payload: payloadFor('50%_off') }),
      ]);
      await ledger.update('1733560000.42', { state: 'submitted', conversationId: 'conv-77' });
      const ids = async (q: Parameters<Ledger['search']>[0]) => (await ledger.search(q)).map((r) => r.externalId);
      expect(await ids({ text: '1733560000.41' })).toEqual(['1733560000.41']);
      expect((await ids({ text: '1733560000' })).sort()).toEqual(['1733560000.41', '1733560000.42']);
      expect(await ids({ text: 'conv-77' })).toEqual(['1733560000.42']);
      expect(await ids({ text: 'anna.lind@EXAMPLE.com' })).toEqual(['1733560000.41']);
      expect(await ids({ text: 'kund@client.example' })).toEqual(['1733560000.42']);
      // A national number finds the E.164 one; the digits of a number the PBX wrote with spaces match it too.
      expect(await ids({ text: '076-111 22 33' })).toEqual(['1733560000.41']);
      expect(await ids({ text: '+46 76 111 22 33' })).toEqual(['1733560000.41']);
      expect(await ids({ text: '+31 20 5550199' })).toEqual(['pbx2-100']);
      // Too few digits to be a number: only an id could match.
      expect(await ids({ text: '201' })).toEqual([]);
      // LIKE's wildcards in the text are plain characters.
      expect(await ids({ text: '50%' })).toEqual(['50%_off']);
      expect(await ids({ text: '5_%' })).toEqual([]);
      expect(await ids({ text: '1733560000', states: ['submitted'] })).toEqual(['1733560000.42']);
      expect(await ids({ limit: 2 })).toHaveLength(2);
      expect((await ids({})).sort()).toEqual(['1733560000.41', '1733560000.42', '50%_off', 'pbx2-100']);
    });

    it('searches by the time the bridge took a call, the most recent first', async () => {
      await ledger.put([pendingRow('early')]);
      await new Promise((resolve) => setTimeout(resolve, 15));
      const between = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 15));
      await ledger.put([pendingRow('late')]);
      expect((await ledger.search({ since: between })).map((r) => r.externalId)).toEqual(['late']);
      expect((await ledger.search({ until: between })).map((r) => r.externalId)).toEqual(['early']);
      expect((await ledger.search({})).map((r) => r.externalId)).toEqual(['late', 'early']);
    });

    it('counts per hour the calls taken, sent, confirmed and failed, with every hour of the span present', async () => {
      const HOUR = 3_600_000;
      const now = Date.now();
      const thisHour = Math.floor(now / HOUR) * HOUR;
      await ledger.put([pendingRow('a'), pendingRow('b'), pendingRow('c'), pendingRow('d')]);
      await ledger.update('a', { state: 'confirmed', submittedAt: thisHour - 2 * HOUR + 5, confirmedAt: thisHour - HOUR + 7 });
      await ledger.update('b', { state: 'submitted', submittedAt: thisHour - 2 * HOUR + 9 });
      await ledger.update('c', { state: 'failed', reason: 'HTTP 422' });
      const hours = await ledger.hourly(now - 3 * HOUR, now);
      expect(hours).toEqual([
        { hour: thisHour - 3 * HOUR, accepted: 0, sent: 0, confirmed: 0, failed: 0 },
        { hour: thisHour - 2 * HOUR, accepted: 0, sent: 2, confirmed: 0, failed: 0 },
        { hour: thisHour - HOUR, accepted: 0, sent: 0, confirmed: 1, failed: 0 },
        { hour: thisHour, accepted: 4, sent: 0, confirmed: 0, failed: 1 },
      ]);
      expect(await ledger.countConfirmedSince(thisHour - HOUR + 7)).toBe(1);
      expect(await ledger.countConfirmedSince(thisHour - HOUR + 8)).toBe(0);
    });

    it('hands out live calls before any imported one, whatever their due times; a lane can be claimed alone', async () => {
      const now = Date.now();
      await ledger.put([
        pendingRow('old-import', { lane: 'import', nextAttemptAt: now - 60_000 }),
        pendingRow('live-1', { nextAttemptAt: now - 1_000 }),
        pendingRow('import-2', { lane: 'import', nextAttemptAt: now - 30_000 }),
        pendingRow('live-2', { nextAttemptAt: now - 500 }),
      ]);
      expect((await ledger.get('old-import'))?.lane).toBe('import');
      expect((await ledger.get('live-1'))?.lane).toBe('live');
      expect((await ledger.claimDue({ now, limit: 3, owner: 'w', leaseMs: 60_000 })).map((r) => r.externalId)).toEqual(['live-1', 'live-2', 'old-import']);
      await ledger.put([pendingRow('live-3', { nextAttemptAt: now - 100 })]);
      expect(await ledger.claimDue({ now, limit: 5, owner: 'w', leaseMs: 60_000, lane: 'import' })).toEqual([expect.objectContaining({ externalId: 'import-2', lane: 'import' })]);
      expect((await ledger.claimDue({ now, limit: 5, owner: 'w', leaseMs: 60_000, lane: 'live' })).map((r) => r.externalId)).toEqual(['live-3']);
    });

    it('counts the backlog and what each lane sent today; a row keeps its lane when it is put again or sent again', async () => {
      await ledger.put([pendingRow('i1', { lane: 'import' }), pendingRow('i2', { lane: 'import' }), pendingRow('i3', { lane: 'import' }), pendingRow('l1')]);
      expect(await ledger.countBacklog()).toBe(3);
      const since = Date.now() - 1_000;
      await ledger.update('i1', { state: 'submitted', submittedAt: Date.now() });
      await ledger.update('l1', { state: 'submitted', submittedAt: Date.now() });
      await ledger.update('i2', { state: 'failed', reason: 'HTTP 422' });
      expect(await ledger.countBacklog()).toBe(1);
      expect(await ledger.countSubmittedSince(since)).toBe(2);
      expect(await ledger.countSubmittedSince(since, 'import')).toBe(1);
      expect(await ledger.countSubmittedSince(since, 'live')).toBe(1);
      // The same call put live (a PBX wrote it again) stays in its lane; so does a failed one sent again.
      expect(await ledger.put([pendingRow('i3')])).toEqual([{ externalId: 'i3', outcome: 'duplicate' }]);
      expect(await ledger.requeue({ externalIds: ['i2'] }, Date.now())).toEqual(['i2']);
      expect((await ledger.get('i2'))?.lane).toBe('import');
      expect((await ledger.get('i3'))?.lane).toBe('import');
      expect(await ledger.countBacklog()).toBe(2);
    });

    it('keeps its counts per state equal to counting every row, through random puts, claims, updates, requeues, recoveries, compactions and deletions', async () => {
      const random = seededRandom(13);
      const pick = <T,>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const ids = Array.from({ length: 60 }, (_, i) => `x${i}`);
      const states = ['pending', 'skipped', 'rejected', 'held', 'prepare'] as const;
      const moves = ['submitted', 'confirmed', 'failed', 'missing', 'verify', 'pending', 'skipped'] as const;
      const expectCountsTrue = async (step: number) => {
        const rows = await ledger.query({});
        const stats = await ledger.stats();
        const counted = Object.fromEntries(Object.keys(stats.counts).map((state) => [state, rows.filter((r) => r.state === state).length]));
        expect({ step, counts: stats.counts }).toEqual({ step, counts: counted });
        const backlog = rows.filter((r) => r.lane === 'import' && ['held', 'prepare', 'pending', 'submitting', 'verify'].includes(r.state)).length;
        expect({ step, backlog: await ledger.countBacklog() }).toEqual({ step, backlog });
        const due = rows.filter((r) => ['pending', 'held', 'prepare', 'verify'].includes(r.state)).map((r) => r.nextAttemptAt);
        expect({ step, oldestDue: stats.oldestDue?.nextAttemptAt ?? null }).toEqual({ step, oldestDue: due.length ? Math.min(...due) : null });
      };
      const now = Date.now();
      for (let step = 1; step <= 240; step++) {
        const op = random();
        const id = pick(ids);
        if (op < 0.35) {
          const state = pick(states);
          // Sometimes new content for an id already there (updated or conflict), sometimes the same (duplicate).
          await ledger.put([
            pendingRow(id, {
              state,
              payload: state === 'pending' || state === 'prepare' ? payloadFor(id) : null,
              raw: { externalId: id, version: Math.floor(random() * 2) },
              lane: random() < 0.3 ? 'import' : 'live',
              nextAttemptAt: now - Math.floor(random() * 100_000),
            }),
          ]);
        } else if (op < 0.55) {
          await ledger.update(id, { state: pick(moves), nextAttemptAt: now - Math.floor(random() * 100_000) });
        } else if (op < 0.65) {
          await ledger.claimDue({ now, limit: 3, owner: 'w', leaseMs: random() < 0.5 ? -1 : 60_000 });
        } else if (op < 0.72) {
          await ledger.recoverExpiredLeases(now);
        } else if (op < 0.8) {
          await ledger.requeue({ states: ['failed', 'missing', 'verify'], limit: 2 }, now);
        } else if (op < 0.9) {
          await ledger.compact({ before: Date.now() + 1_000, limit: 2, now: Date.now() });
        } else {
          await ledger.forget({ before: Date.now() + 1_000, limit: 1 });
        }
        if (step % 20 === 0) await expectCountsTrue(step);
      }
      await ledger.close();
      ledger = await openLedger();
      await expectCountsTrue(241);
    });

    it('compacts confirmed and skipped rows changed before a moment, in batches: record, payload and history go, what dedupe and audit need stays', async () => {
      const conversationId = '7d4f0a3e-1c2b-4f5e-9a8b-0c1d2e3f4a5b';
      await ledger.put([
        pendingRow('done'),
        pendingRow('skip', { state: 'skipped', payload: null, reason: 'internal call (both ends are extensions)' }),
        pendingRow('skip2', { state: 'skipped', payload: null, reason: 'unanswered' }),
        pendingRow('bad'),
        pendingRow('gone'),
        pendingRow('wait', { state: 'held', payload: null, reason: 'recording not there yet' }),
        pendingRow('nope', { state: 'rejected', payload: null, reason: 'no owner for extension 1003' }),
        pendingRow('next'),
      ]);
      await ledger.update('done', { state: 'confirmed', conversationId, submittedAt: 1_000, confirmedAt: 2_000 });
      await ledger.update('bad', { state: 'failed', reason: 'HTTP 422' });
      await ledger.update('gone', { state: 'missing', submittedAt: 1_000 });
      await ledger.addEvents([{ externalId: 'done', at: 1_000, kind: 'attempt', outcome: '2xx', status: 201, message: null, conversationId, durationMs: 80 }]);
      const before = await ledger.get('done');
      // Nothing changed before a day ago.
      expect(await ledger.compact({ before: Date.now() - 86_400_000, limit: 100, now: Date.now() })).toBe(0);
      const cutoff = Date.now() + 1_000;
      expect(await ledger.compact({ before: cutoff, limit: 2, now: 5_000 })).toBe(2);
      expect(await ledger.compact({ before: cutoff, limit: 2, now: 5_000 })).toBe(1);
      expect(await ledger.compact({ before: cutoff, limit: 2, now: 5_000 })).toBe(0);
      expect(await ledger.get('done')).toEqual({ ...before, raw: null, payload: null, compactedAt: 5_000 });
      expect(await ledger.events('done')).toEqual([]);
      expect(await ledger.get('skip')).toMatchObject({ state: 'skipped', raw: null, reason: 'internal call (both ends are extensions)', location: 'test.csv:skip', compactedAt: 5_000 });
      for (const id of ['bad', 'gone', 'wait', 'nope', 'next']) expect(await ledger.get(id)).toMatchObject({ raw: { externalId: id }, compactedAt: null });
      expect((await ledger.query({ states: ['skipped', 'held'], detailKept: true })).map((r) => r.externalId)).toEqual(['wait']);
      expect((await ledger.stats()).counts).toMatchObject({ confirmed: 1, skipped: 2, failed: 1, missing: 1, held: 1, rejected: 1, pending: 1 });
      expect(await ledger.findByConversationId(conversationId)).toMatchObject({ externalId: 'done' });
      // A compacted call still refuses its CDR dropped again; a skipped one takes a corrected CDR, as before.
      expect(await ledger.put([pendingRow('done'), pendingRow('done', { raw: { externalId: 'done', note: 'corrected' } })])).toEqual([
        { externalId: 'done', outcome: 'duplicate' },
        { externalId: 'done', outcome: 'conflict' },
      ]);
      expect(await ledger.put([pendingRow('skip', { state: 'skipped', payload: null, reason: 'internal call (both ends are extensions)' })])).toEqual([
        { externalId: 'skip', outcome: 'duplicate' },
      ]);
      expect(await ledger.put([pendingRow('skip2', { raw: { externalId: 'skip2', note: 'answered after all' } })])).toEqual([{ externalId: 'skip2', outcome: 'updated' }]);
      expect(await ledger.get('skip2')).toMatchObject({ state: 'pending', raw: { note: 'answered after all' }, compactedAt: null });
    });

    it('deletes compacted rows changed before a moment, in batches, and never a row that was not compacted', async () => {
      await ledger.put([pendingRow('old1'), pendingRow('old2'), pendingRow('skip', { state: 'skipped', payload: null, reason: 'unanswered' }), pendingRow('bad')]);
      await ledger.update('old1', { state: 'confirmed', confirmedAt: 2_000 });
      await ledger.update('old2', { state: 'confirmed', confirmedAt: 2_000 });
      await ledger.update('bad', { state: 'failed', reason: 'HTTP 422' });
      expect(await ledger.forget({ before: Date.now() + 1_000, limit: 10 })).toBe(0);
      expect(await ledger.compact({ before: Date.now() + 1_000, limit: 10, now: Date.now() })).toBe(3);
      expect(await ledger.forget({ before: Date.now() - 86_400_000, limit: 10 })).toBe(0);
      expect(await ledger.forget({ before: Date.now() + 1_000, limit: 2 })).toBe(2);
      expect(await ledger.forget({ before: Date.now() + 1_000, limit: 2 })).toBe(1);
      expect((await ledger.query({})).map((r) => r.externalId)).toEqual(['bad']);
      expect((await ledger.stats()).counts).toMatchObject({ confirmed: 0, skipped: 0, failed: 1 });
      // What keepIdsDays documents: a CDR dropped again after its row was deleted is a new call.
      expect(await ledger.put([pendingRow('old1')])).toEqual([{ externalId: 'old1', outcome: 'inserted' }]);
      // Whatever the storage can give back is given by the first call; nothing is left for a second.
      const reclaimed = await ledger.reclaim(10_000);
      expect(Number.isInteger(reclaimed) && reclaimed >= 0).toBe(true);
      expect(await ledger.reclaim(10_000)).toBe(0);
    });

    it('refuses writes after close with LedgerUnavailableError, and ping says so', async () => {
      await ledger.ping();
      await ledger.close();
      await expect(ledger.put([pendingRow('z')])).rejects.toBeInstanceOf(LedgerUnavailableError);
      await expect(ledger.ping()).rejects.toBeInstanceOf(LedgerUnavailableError);
    });
  });
}
