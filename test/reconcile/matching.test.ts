/**
 * Calls whose POST answer was lost, looked up against lists that do NOT carry our external id (the documented
 * list sample is `[{}]`): found by what the bridge sent, absent only when nothing could be them, ambiguous
 * (kept for an operator, never sent twice) when two conversations or two of our calls could match.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { type EmulatorHandle, startEmulator } from '../../src/emulator/index.js';
import type { LedgerRow } from '../../src/ledger/ledger.js';
import { reconcileConfigSchema, reconcileLookupSchema } from '../../src/reconcile/config.js';
import { Sightings, searchTermFor } from '../../src/reconcile/matching.js';
import { Reconciler } from '../../src/reconcile/reconciler.js';
import { startRecordingServer, type TestServer } from '../emulator/support.js';
import { linesLogger } from '../support/log-lines.js';
import { callPayload, clientFor, inDoubt, putPending, submitDue, type TempLedger, tempLedger } from './support.js';

const MIN = 60_000;
const lookup = reconcileLookupSchema.parse({});

function row(externalId: string, start: string, extra: Partial<LedgerRow> & { title?: string } = {}): LedgerRow {
  const { title, ...rest } = extra;
  return {
    externalId,
    payload: { ...callPayload(externalId, start, 'http://127.0.0.1:9'), call_title: title },
    conversationId: null,
    state: 'verify',
    ...rest,
  } as LedgerRow;
}

describe('Sightings: the matching rule, on listed items of each shape', () => {
  const minimal = (id: string, start: string, title = 'Call with Client Smith') => ({ id, type: 'call', title, start_time: start });

  it('finds by conversation id, then by external id; an item with another external id is never a candidate', () => {
    const s = new Sightings(lookup);
    s.add([{ id: 'c1', external_id: 'other', start_time: '2025-04-17T08:00:00Z' }, minimal('c2', '2025-04-17T09:00:00Z'), { id: 'c3', external_id: 'mine' }]);
    const v = s.judge([row('known', '2025-04-17T09:00:00Z', { conversationId: 'c2' }), row('mine', '2025-04-17T07:00:00Z'), row('x', '2025-04-17T08:00:00Z')], new Map());
    expect(Object.fromEntries(v)).toEqual({
      known: { kind: 'found', conversationId: 'c2', by: 'conversation id' },
      mine: { kind: 'found', conversationId: 'c3', by: 'external id' },
      // c1 starts at the same second but says it is another call.
      x: { kind: 'absent' },
    });
  });

  it('one conversation at the same second, wanted by one row, is that row; compared to the second, in any time zone', () => {
    const s = new Sightings(lookup);
    s.add([minimal('c1', '2025-04-17T10:00:00.400+02:00'), minimal('c2', '2025-04-17T08:00:01Z')]);
    expect(s.judge([row('a', '2025-04-17T08:00:00Z')], new Map()).get('a')).toEqual({ kind: 'found', conversationId: 'c1', by: 'start time' });
  });

  it('a title we sent must match; without one the start time decides alone', () => {
    const s = new Sightings(lookup);
    s.add([minimal('c1', '2025-04-17T08:00:00Z', 'Inbound: Acme'), minimal('c2', '2025-04-17T08:00:00Z', 'Outbound: Beta')]);
    expect(s.judge([row('a', '2025-04-17T08:00:00Z', { title: 'outbound: beta' })], new Map()).get('a')).toEqual({ kind: 'found', conversationId: 'c2', by: 'start time and title' });
    expect(s.judge([row('b', '2025-04-17T08:00:00Z')], new Map()).get('b')).toMatchObject({ kind: 'ambiguous', candidates: ['c1', 'c2'] });
  });

  it('two of our calls at the same second are both ambiguous, even with one candidate each way', () => {
    const s = new Sightings(lookup);
    s.add([minimal('c1', '2025-04-17T08:00:00Z')]);
    const v = s.judge([row('a', '2025-04-17T08:00:00Z'), row('b', '2025-04-17T08:00:00Z')], new Map());
    expect(v.get('a')).toMatchObject({ kind: 'ambiguous', candidates: ['c1'], why: expect.stringContaining('another call of ours') });
    expect(v.get('b')).toMatchObject({ kind: 'ambiguous', candidates: ['c1'] });
  });

  it('a conversation another row owns is not a candidate: the row is absent, not confirmed on someone else\'s call', () => {
    const s = new Sightings(lookup);
    s.add([minimal('c1', '2025-04-17T08:00:00Z')]);
    expect(s.candidateIds([row('b', '2025-04-17T08:00:00Z')])).toEqual(['c1']);
    expect(s.judge([row('b', '2025-04-17T08:00:00Z')], new Map([['c1', 'a']])).get('b')).toEqual({ kind: 'absent' });
    // ...also when the owner is judged in the same run.
    const both = s.judge([row('a', '2025-04-17T08:00:00Z', { conversationId: 'c1', state: 'submitted' }), row('b', '2025-04-17T08:00:00Z')], new Map());
    expect(both.get('b')).toEqual({ kind: 'absent' });
  });

  it('a listed conversation showing neither an external id nor a start time makes every unidentified row ambiguous, never absent', () => {
    const s = new Sightings(lookup);
    s.add([{ id: 'c9', type: 'call' }]);
    expect(s.judge([row('a', '2025-04-17T08:00:00Z')], new Map()).get('a')).toMatchObject({ kind: 'ambiguous', candidates: ['c9'], why: expect.stringContaining('start time') });
  });

  it('searches a cut-short list by external id only when the list shows external ids', () => {
    expect(searchTermFor(row('a', '2025-04-17T08:00:00Z', { title: 'Inbound: Acme' }), true)).toBe('a');
    expect(searchTermFor(row('a', '2025-04-17T08:00:00Z', { title: 'Inbound: Acme' }), false)).toBe('Inbound: Acme');
    expect(searchTermFor(row('a', '2025-04-17T08:00:00Z'), false)).toBe('+46709876543');
  });
});

describe('reconciler against an emulator whose list has no external id', () => {
  let recordings: TestServer;
  let emu: EmulatorHandle;
  let t: TempLedger;
  let lines: string[];

  beforeAll(async () => {
    recordings = await startRecordingServer();
  });
  afterAll(async () => {
    await recordings.close();
  });
  beforeEach(async () => {
    emu = await startEmulator({ appearDelayMs: 0, ratePerSecond: 10_000, fetchRecordings: false, listShape: 'minimal' });
    t = await tempLedger();
    lines = [];
  });
  afterEach(async () => {
    await emu.close();
    await t.cleanup();
  });

  function reconciler(overrides: Record<string, unknown> = {}) {
    const captured = linesLogger();
    lines = captured.lines;
    const { logger } = captured;
    const config = reconcileConfigSchema.parse({ graceMinutes: 5, deadlineMinutes: 120, verifyWaitMinutes: 30, ...overrides });
    return new Reconciler({ ledger: t.ledger, api: clientFor(emu), config, logger });
  }

  const call = (id: string, start: string, title?: string) => ({ ...callPayload(id, start, recordings.url), ...(title ? { call_title: title } : {}) });

  it('confirms a call whose answer was lost by its start time, with the conversation id Dstny made, and warns once that the list lacks external_id', async () => {
    await inDoubt(t.ledger, emu, call('lost-1', '2025-04-17T08:00:00Z'), true);
    await inDoubt(t.ledger, emu, call('lost-2', '2025-04-17T08:05:00Z'), false);
    const rec = reconciler();
    expect(await rec.runOnce()).toMatchObject({ verifyFound: 1, verifyRequeued: 0, ambiguous: 0 });
    expect(await t.ledger.get('lost-1')).toMatchObject({ state: 'confirmed', conversationId: emu.state.recordsFor('lost-1')[0]!.id });
    // The one that never arrived: absent, sent again once verifyWaitMinutes have passed.
    expect((await t.ledger.get('lost-2'))!.state).toBe('verify');
    expect(await rec.runOnce(Date.now() + 31 * MIN)).toMatchObject({ verifyRequeued: 1 });
    expect((await t.ledger.get('lost-2'))!.state).toBe('pending');
    const warnings = lines.filter((l) => l.includes('without \\"external_id\\"'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 'warn' });
  });

  it('two lost calls at the same second are kept for an operator with their candidates, never sent again, even long after', async () => {
    await inDoubt(t.ledger, emu, call('twin-a', '2025-04-17T08:00:00Z'), true);
    await inDoubt(t.ledger, emu, call('twin-b', '2025-04-17T08:00:00Z'), true);
    const rec = reconciler();
    expect(await rec.runOnce(Date.now() + 120 * MIN)).toMatchObject({ verifyFound: 0, verifyRequeued: 0, ambiguous: 2 });
    for (const id of ['twin-a', 'twin-b']) {
      const r = (await t.ledger.get(id))!;
      expect(r.state).toBe('verify');
      expect(r.reason).toContain('needs an operator');
      for (const rec2 of [...emu.state.recordsFor('twin-a'), ...emu.state.recordsFor('twin-b')]) expect(r.reason).toContain(rec2.id);
      expect(r.reason).toContain(`callbridge confirm ${id}`);
    }
    // Reported once per row, not once per run.
    await rec.runOnce(Date.now() + 125 * MIN);
    expect(lines.filter((l) => l.includes('needs an operator') && l.includes('"error"'))).toHaveLength(2);
    expect((await t.ledger.stats()).lastErrors.map((e) => e.externalId).sort()).toEqual(['twin-a', 'twin-b']);
  });

  it('a lost call at the same second as a call we already confirmed is not confirmed on that call: it is sent again', async () => {
    await putPending(t.ledger, [call('first', '2025-04-17T08:00:00Z')]);
    await submitDue(t.ledger, emu, Date.now() - 10 * MIN);
    await inDoubt(t.ledger, emu, call('second', '2025-04-17T08:00:00Z'), false);
    const rec = reconciler();
    expect(await rec.runOnce()).toMatchObject({ confirmed: 1, verifyFound: 0 });
    expect(await rec.runOnce(Date.now() + 31 * MIN)).toMatchObject({ verifyRequeued: 1 });
    expect((await t.ledger.get('second'))!.state).toBe('pending');
  });

  it('the title we sent separates calls at the same second', async () => {
    await inDoubt(t.ledger, emu, call('t-a', '2025-04-17T08:00:00Z', 'Inbound: Acme AB'), true);
    await inDoubt(t.ledger, emu, call('t-b', '2025-04-17T08:00:00Z', 'Inbound: Beta AB'), false);
    const rec = reconciler();
    expect(await rec.runOnce()).toMatchObject({ verifyFound: 1, ambiguous: 0 });
    expect(await t.ledger.get('t-a')).toMatchObject({ state: 'confirmed', conversationId: emu.state.recordsFor('t-a')[0]!.id });
    expect((await t.ledger.get('t-b'))!.state).toBe('verify');
  });

  it('a list cut short is searched by what was sent (the title), not by an external id the server does not index', async () => {
    emu.setFaults({ listLimit: 3, listEnvelope: 'data' });
    await putPending(t.ledger, Array.from({ length: 6 }, (_, i) => call(`bulk-${i}`, `2025-04-17T09:0${i}:00Z`)));
    await submitDue(t.ledger, emu, Date.now() - 10 * MIN);
    await inDoubt(t.ledger, emu, call('hidden', '2025-04-17T07:00:00Z', 'Early call: Gamma'), true);
    const rec = reconciler({ lookup: { listPageSize: 3 } });
    expect(await rec.runOnce()).toMatchObject({ verifyFound: 1 });
    expect((await t.ledger.get('hidden'))!.state).toBe('confirmed');
    const searches = emu.state.requestLog.filter((r) => r.route === 'list' && r.url.includes('search=')).map((r) => decodeURIComponent(r.url.replace(/\+/g, ' ')));
    expect(searches.some((u) => u.includes('search=Early call: Gamma'))).toBe(true);
    expect(searches.some((u) => u.includes('search=hidden'))).toBe(false);
  });
});
