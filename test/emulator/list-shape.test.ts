import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { type EmulatorHandle, startEmulator } from '../../src/emulator/index.js';
import { call, createCalls, payload, startRecordingServer, type TestServer } from './support.js';

// The documentation leaves the list and per-id answers open (sample `[{}]`): listShape and listEnvelope let a
// client be run against each plausible answer. These tests pin what each choice promises.

const TOKEN = 'emulator-test-token-1234';
const FULL_KEYS = [
  'created_at',
  'direction',
  'duration',
  'end_time',
  'external_id',
  'id',
  'is_stereo',
  'outcome',
  'owner',
  'participant',
  'participant_channel',
  'start_time',
  'title',
  'type',
];
const MINIMAL_KEYS = ['id', 'start_time', 'title', 'type'];
const KEYS = { full: FULL_KEYS, minimal: MINIMAL_KEYS } as const;
const SHAPES = ['full', 'minimal'] as const;

let recordings: TestServer;
let emu: EmulatorHandle;
/** conversation_id by call_external_id. */
const ids: Record<string, string> = {};

beforeAll(async () => {
  recordings = await startRecordingServer();
  emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000 });
  const calls = [
    // A local-time start: listed in UTC.
    { call_external_id: 'shape-ext-1', call_start_time: '2025-04-17T10:00:00+02:00', call_end_time: '2025-04-17T10:15:00+02:00', participant_external_id: 'crm-contact-77' },
    // No title: the generated one is listed.
    { call_external_id: 'shape-ext-2', call_start_time: '2025-04-18T09:00:00Z', call_end_time: '2025-04-18T09:05:00Z', call_title: undefined, participant_first_name: 'Maja', participant_last_name: 'Ek', participant_external_id: 'crm-contact-88' },
  ];
  Object.assign(ids, await createCalls(emu, recordings.url, calls));
});
afterAll(async () => {
  await emu.close();
  await recordings.close();
});
afterEach(() => {
  emu.setFaults({ listShape: 'full', listEnvelope: 'array', listLimit: 0 });
});

const sortedKeys = (item: unknown) => Object.keys(item as object).sort();

async function get(path: string): Promise<unknown> {
  const res = await call(emu, 'GET', path);
  expect(res.status).toBe(200);
  return res.body;
}

/** The listed conversation ids for a query, whatever the envelope. */
async function listedIds(query: string): Promise<string[]> {
  const body = await get(`/api/v2/conversations${query}`);
  const items = (Array.isArray(body) ? body : (body as { data: unknown[] }).data) as Array<{ id: string }>;
  return items.map((c) => c.id);
}

describe('emulator: listShape', () => {
  it('full (the default) lists the rich item, external id, owner and participant included, in a bare array', async () => {
    const body = await get('/api/v2/conversations');
    expect(Array.isArray(body)).toBe(true);
    const items = body as Array<Record<string, unknown>>;
    expect(items.map(sortedKeys)).toEqual([FULL_KEYS, FULL_KEYS]);
    expect(items[1]).toMatchObject({
      id: ids['shape-ext-1'],
      external_id: 'shape-ext-1',
      type: 'call',
      title: 'Quarterly Review',
      start_time: '2025-04-17T08:00:00.000Z',
      owner: { email: 'john.doe@example.com' },
      participant: { external_id: 'crm-contact-77' },
    });
  });

  it('minimal lists only id, type, title (given or generated) and the UTC start time, newest first', async () => {
    emu.setFaults({ listShape: 'minimal' });
    expect(await get('/api/v2/conversations')).toEqual([
      { id: ids['shape-ext-2'], type: 'call', title: 'Call with Maja Ek', start_time: '2025-04-18T09:00:00.000Z' },
      { id: ids['shape-ext-1'], type: 'call', title: 'Quarterly Review', start_time: '2025-04-17T08:00:00.000Z' },
    ]);
  });

  it.each(SHAPES)('GET /conversations/{id} answers the %s item, never enveloped', async (shape) => {
    for (const listEnvelope of ['array', 'data'] as const) {
      emu.setFaults({ listShape: shape, listEnvelope });
      const one = (await get(`/api/v2/conversations/${ids['shape-ext-1']}`)) as Record<string, unknown>;
      expect(sortedKeys(one)).toEqual(KEYS[shape]);
      expect(one).toMatchObject({ id: ids['shape-ext-1'], type: 'call', title: 'Quarterly Review', start_time: '2025-04-17T08:00:00.000Z' });
      // The same item the list shows.
      const listed = await get('/api/v2/conversations');
      const items = (listEnvelope === 'data' ? (listed as { data: unknown[] }).data : listed) as Array<{ id: string }>;
      expect(items.find((c) => c.id === ids['shape-ext-1'])).toEqual(one);
    }
  });

  it('full: search finds a call by its call_external_id and participant_external_id, and by title words', async () => {
    expect(await listedIds('?search=shape-ext-1')).toEqual([ids['shape-ext-1']]);
    expect(await listedIds('?search=CRM-CONTACT-88')).toEqual([ids['shape-ext-2']]);
    expect(await listedIds(`?search=${encodeURIComponent('quarterly review')}`)).toEqual([ids['shape-ext-1']]);
    expect(await listedIds(`?search=${encodeURIComponent('maja ek')}`)).toEqual([ids['shape-ext-2']]);
  });

  it('minimal: search does not match external ids (not shown, so not assumed indexed) but still finds title words', async () => {
    emu.setFaults({ listShape: 'minimal' });
    expect(await listedIds('?search=shape-ext-1')).toEqual([]);
    expect(await listedIds('?search=crm-contact-77')).toEqual([]);
    expect(await listedIds('?search=CRM-CONTACT-88')).toEqual([]);
    // An external id next to a title word: every word must match, and the id does not.
    expect(await listedIds(`?search=${encodeURIComponent('quarterly shape-ext-1')}`)).toEqual([]);
    expect(await listedIds(`?search=${encodeURIComponent('quarterly review')}`)).toEqual([ids['shape-ext-1']]);
    expect(await listedIds(`?search=${encodeURIComponent('maja ek')}`)).toEqual([ids['shape-ext-2']]);
  });
});

describe('emulator: listEnvelope', () => {
  it.each(SHAPES)('data wraps the same %s items as array mode in {data, meta: {total}}', async (shape) => {
    emu.setFaults({ listShape: shape });
    const bare = await get('/api/v2/conversations');
    expect(Array.isArray(bare)).toBe(true);
    expect((bare as unknown[]).map(sortedKeys)).toEqual([KEYS[shape], KEYS[shape]]);
    emu.setFaults({ listEnvelope: 'data' });
    expect(await get('/api/v2/conversations')).toEqual({ data: bare, meta: { total: 2 } });
  });

  it('meta.total counts the matches of the filters, also those listLimit leaves out', async () => {
    emu.setFaults({ listEnvelope: 'data', listLimit: 1 });
    const truncated = (await get('/api/v2/conversations')) as { data: Array<{ id: string }>; meta: { total: number } };
    expect(truncated.data.map((c) => c.id)).toEqual([ids['shape-ext-2']]);
    expect(truncated.meta).toEqual({ total: 2 });
    const filtered = await get(`/api/v2/conversations?search=quarterly`);
    expect(filtered).toEqual({ data: [expect.objectContaining({ id: ids['shape-ext-1'] })], meta: { total: 1 } });
    expect(await get('/api/v2/conversations?search=nothing-matches-this')).toEqual({ data: [], meta: { total: 0 } });
  });
});

describe('emulator: listShape and listEnvelope at runtime and at start', () => {
  it('are switched over POST /_emulator/faults, one at a time, and refused when unknown', async () => {
    const minimal = await call(emu, 'POST', '/_emulator/faults', { body: { listShape: 'minimal' } });
    expect(minimal.status).toBe(200);
    expect(minimal.body).toMatchObject({ listShape: 'minimal', listEnvelope: 'array' });
    expect(((await get('/api/v2/conversations')) as unknown[]).map(sortedKeys)).toEqual([MINIMAL_KEYS, MINIMAL_KEYS]);

    // Changing the envelope leaves the shape as it was (a patch fills in no defaults).
    const data = await call(emu, 'POST', '/_emulator/faults', { body: { listEnvelope: 'data' } });
    expect(data.body).toMatchObject({ listShape: 'minimal', listEnvelope: 'data' });
    const enveloped = (await get('/api/v2/conversations')) as { data: unknown[]; meta: unknown };
    expect(enveloped.data.map(sortedKeys)).toEqual([MINIMAL_KEYS, MINIMAL_KEYS]);
    expect(enveloped.meta).toEqual({ total: 2 });

    const full = await call(emu, 'POST', '/_emulator/faults', { body: { listShape: 'full' } });
    expect(full.body).toMatchObject({ listShape: 'full', listEnvelope: 'data' });
    expect(((await get('/api/v2/conversations')) as { data: unknown[] }).data.map(sortedKeys)).toEqual([FULL_KEYS, FULL_KEYS]);

    for (const [field, value] of [
      ['listShape', 'tiny'],
      ['listEnvelope', 'items'],
      ['listShape', null],
    ] as const) {
      const bad = await call(emu, 'POST', '/_emulator/faults', { body: { [field]: value } });
      expect(bad.status).toBe(422);
      expect((bad.body as { message: string }).message).toMatch(new RegExp(`^${field}`));
    }
    // Refused changes change nothing.
    expect(emu.state.faults).toMatchObject({ listShape: 'full', listEnvelope: 'data' });

    const back = await call(emu, 'POST', '/_emulator/faults', { body: { listShape: 'full', listEnvelope: 'array' } });
    expect(back.status).toBe(200);
    const bare = await get('/api/v2/conversations');
    expect(Array.isArray(bare)).toBe(true);
    expect((bare as unknown[]).map(sortedKeys)).toEqual([FULL_KEYS, FULL_KEYS]);
  });

  it('can be set in the emulator configuration, which refuses unknown values', async () => {
    const other = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000, listShape: 'minimal', listEnvelope: 'data' });
    try {
      const res = await call(other, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_external_id: 'configured-1' }) });
      const id = (res.body as { conversation_id: string }).conversation_id;
      expect(await call(other, 'GET', '/api/v2/conversations').then((r) => r.body)).toEqual({
        data: [{ id, type: 'call', title: 'Quarterly Review', start_time: '2025-04-17T08:00:00.000Z' }],
        meta: { total: 1 },
      });
    } finally {
      await other.close();
    }
    await expect(startEmulator({ token: TOKEN, listShape: 'tiny' as 'full' })).rejects.toThrow(/listShape/);
  });
});
