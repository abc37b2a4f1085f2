import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { PassThrough } from 'node:stream';
import { type EmulatorHandle, runEmulator, startEmulator } from '../../src/emulator/index.js';
import { createLogger } from '../../src/log/logger.js';
import { stereoWav } from '../../src/bridge/sandbox.js';
import { type ApiAnswer, call, createCalls, payload, sleep, startRecordingServer, startTestServer, type TestServer, waitFor } from './support.js';

const TOKEN = 'emulator-test-token-1234';
let recordings: TestServer;

beforeAll(async () => {
  recordings = await startRecordingServer();
});
afterAll(async () => {
  await recordings.close();
});

describe('emulator: identity and auth', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000 });
  });
  afterAll(async () => {
    await emu.close();
  });

  it('marks every response as coming from the test double, refused ones included', async () => {
    for (const [method, path, token] of [
      ['GET', '/api/v2/conversations', TOKEN],
      ['GET', '/api/v2/conversations', null],
      ['GET', '/api/v2/nothing-here', TOKEN],
      ['GET', '/not-the-api', TOKEN],
      ['GET', '/_emulator/stats', TOKEN],
    ] as const) {
      const res = await call(emu, method, path, { token });
      expect(res.headers.get('x-emulator')).toBe('callbridge');
    }
  });

  it('answers 401 without a token and with a wrong one, 200 with the configured one', async () => {
    const none = await call(emu, 'GET', '/api/v2/conversations', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    const wrong = await call(emu, 'GET', '/api/v2/conversations', { token: 'not-the-token' });
    expect(wrong.status).toBe(401);
    const created = await call(emu, 'POST', '/api/v2/conversations', { token: 'not-the-token', body: payload(recordings.url) });
    expect(created.status).toBe(401);
    expect(emu.state.conversations.size).toBe(0);
    const right = await call(emu, 'GET', '/api/v2/conversations');
    expect(right.status).toBe(200);
    expect(right.body).toEqual([]);
  });

  it('runEmulator says loudly that it is a test double and prints a generated token once', async () => {
    const logs = new PassThrough();
    const out = new PassThrough();
    let logText = '';
    let outText = '';
    logs.on('data', (c: Buffer) => (logText += c.toString()));
    out.on('data', (c: Buffer) => (outText += c.toString()));
    const handle = await runEmulator({ port: 0, logger: createLogger({ stream: logs, format: 'json' }), stdout: out });
    try {
      await waitFor(() => logText.includes('TEST DOUBLE'), 2_000, 'the banner');
      expect(logText).toContain(handle.url);
      expect(logText).not.toContain(handle.token);
      expect(outText).toContain(`DSTNY_API_TOKEN=${handle.token}`);
      const res = await call(handle, 'GET', '/api/v2/users');
      expect(res.status).toBe(200);
    } finally {
      await handle.close();
    }
  });
});

describe('emulator: POST /api/v2/conversations', () => {
  let emu: EmulatorHandle;
  beforeAll(async () => {
    emu = await startEmulator({ token: TOKEN, appearDelayMs: 300, ratePerSecond: 1000 });
  });
  afterAll(async () => {
    await emu.close();
  });
  afterEach(() => {
    emu.state.reset();
    emu.setFaults({ fetchRecordings: true, requireKnownOwner: false });
  });

  const invalid: Array<[string, Record<string, unknown>, string]> = [
    ['a missing recording URL (the documented sample as is)', { call_recording_url: undefined }, 'call_recording_url'],
    ['a malformed owner email', { owner_email: 'not-an-email' }, 'owner_email'],
    ['a missing owner email', { owner_email: undefined }, 'owner_email'],
    ['a direction outside the enum', { call_direction: 'inbound' }, 'call_direction'],
    ['a start time that is not ISO 8601', { call_start_time: '17/04/2025 08:00' }, 'call_start_time'],
    ['neither end time nor duration', { call_end_time: undefined, call_duration: undefined }, 'call_end_time'],
    ['a fractional duration', { call_duration: 12.5 }, 'call_duration'],
    ['a participant channel outside the enum', { call_participant_channel: 'center' }, 'call_participant_channel'],
    ['an unknown field', { call_recording: 'x' }, 'call_recording'],
  ];

  it.each(invalid)('refuses %s with 422 naming the field, and creates nothing', async (_what, overrides, field) => {
    const body = JSON.parse(JSON.stringify(payload(recordings.url, overrides))) as Record<string, unknown>;
    const res = await call(emu, 'POST', '/api/v2/conversations', { body });
    expect(res.status).toBe(422);
    const answer = res.body as { message: string; errors: Record<string, string[]> };
    expect(answer.message).toContain(field);
    expect(Object.keys(answer.errors)).toContain(field);
    expect(emu.state.conversations.size).toBe(0);
  });

  it('answers 400 to a body that is not JSON', async () => {
    const res = await call(emu, 'POST', '/api/v2/conversations', { rawBody: '{"call_external_id": ' });
    expect(res.status).toBe(400);
    expect(emu.state.stats().responses.badRequest).toBe(1);
  });

  it('accepts a body with a duration and no end time', async () => {
    const res = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_end_time: undefined, call_duration: 60 }) });
    expect(res.status).toBe(200);
  });

  it('fetches the recording URL and refuses the call when it does not answer 200', async () => {
    const missing = await call(emu, 'POST', '/api/v2/conversations', {
      body: payload(recordings.url, { call_recording_url: `${recordings.url}/rec/gone.mp3` }),
    });
    expect(missing.status).toBe(422);
    expect((missing.body as { message: string }).message).toMatch(/call_recording_url.*404/);
    expect(recordings.received.some((r) => r.method === 'GET' && r.url === '/rec/gone.mp3')).toBe(true);

    const unreachable = await call(emu, 'POST', '/api/v2/conversations', {
      body: payload(recordings.url, { call_recording_url: 'http://127.0.0.1:1/rec/x.wav' }),
    });
    expect(unreachable.status).toBe(422);
    expect((unreachable.body as { errors: Record<string, string[]> }).errors.call_recording_url?.[0]).toMatch(/could not be fetched/);
    expect(emu.state.conversations.size).toBe(0);

    emu.setFaults({ fetchRecordings: false });
    const unchecked = await call(emu, 'POST', '/api/v2/conversations', {
      body: payload(recordings.url, { call_recording_url: 'http://127.0.0.1:1/rec/x.wav' }),
    });
    expect(unchecked.status).toBe(200);
  });

  it('refuses an unknown owner only when configured to', async () => {
    const stranger = payload(recordings.url, { owner_email: 'nobody@elsewhere.example', call_external_id: 'stranger-1' });
    expect((await call(emu, 'POST', '/api/v2/conversations', { body: stranger })).status).toBe(200);
    emu.setFaults({ requireKnownOwner: true });
    const refused = await call(emu, 'POST', '/api/v2/conversations', { body: { ...stranger, call_external_id: 'stranger-2' } });
    expect(refused.status).toBe(422);
    expect((refused.body as { message: string }).message).toMatch(/^owner_email/);
  });

  it('answers a conversation_id at once; the conversation appears only after the delay', async () => {
    const started = Date.now();
    const res = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_external_id: 'late-1' }) });
    expect(res.status).toBe(200);
    const id = (res.body as { conversation_id: string }).conversation_id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const early = await call(emu, 'GET', '/api/v2/conversations');
    const earlyById = await call(emu, 'GET', `/api/v2/conversations/${id}`);
    // Only meaningful if we really asked before the delay passed.
    expect(Date.now() - started).toBeLessThan(300);
    expect(early.body).toEqual([]);
    expect(earlyById.status).toBe(404);

    await sleep(350);
    const later = await call(emu, 'GET', '/api/v2/conversations');
    expect(later.body).toEqual([expect.objectContaining({ id, external_id: 'late-1', type: 'call', title: 'Quarterly Review' })]);
    const byId = await call(emu, 'GET', `/api/v2/conversations/${id}`);
    expect(byId.status).toBe(200);
    expect(byId.body).toMatchObject({
      id,
      external_id: 'late-1',
      start_time: '2025-04-17T08:00:00.000Z',
      end_time: '2025-04-17T08:15:00.000Z',
      duration: 900,
      direction: 'outgoing',
      owner: { id: 1, email: 'john.doe@example.com', name: 'John Doe' },
      participant: { first_name: 'Client', last_name: 'Smith', external_id: 'external-1234' },
    });
  });

  it('creates a second conversation when the same call is posted twice, and counts it as a duplicate', async () => {
    const body = payload(recordings.url, { call_external_id: 'twice-1' });
    const a = await call(emu, 'POST', '/api/v2/conversations', { body });
    const b = await call(emu, 'POST', '/api/v2/conversations', { body });
    const once = await call(emu, 'POST', '/api/v2/conversations', { body: payload(recordings.url, { call_external_id: 'once-1' }) });
    expect([a.status, b.status, once.status]).toEqual([200, 200, 200]);
    expect((a.body as { conversation_id: string }).conversation_id).not.toBe((b.body as { conversation_id: string }).conversation_id);
    expect(emu.state.creations('twice-1')).toBe(2);
    expect(emu.state.creations('once-1')).toBe(1);
    const stats = await call(emu, 'GET', '/_emulator/stats?creations');
    expect(stats.body).toMatchObject({
      conversations: { accepted: 3, live: 3, uniqueExternalIds: 2, duplicates: 1, duplicateExternalIds: ['twice-1'] },
      creationsByExternalId: { 'twice-1': 2, 'once-1': 1 },
      requests: { total: 3, byRoute: { create: 3, list: 0 } },
    });
  });
});

describe('emulator: the recording must be audio, as Dstny analyses what it downloads', () => {
  const TIMEOUT_MS = 1_000;
  const wav = stereoWav(1, 8_000);
  // MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz, 417 bytes each), silent: what an MP3 recording starts with.
  const mp3 = Buffer.concat(Array.from({ length: 20 }, () => Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x44]), Buffer.alloc(413)])));
  const s3Denied = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>Access Denied</Message><RequestId>4442587FB7D0A2F9</RequestId></Error>';
  const loginPage = '<!DOCTYPE html>\n<html><head><title>PBX - Sign in</title></head><body><form method="post" action="/login">';
  /** What the endless recording has sent, and whether its client has gone. */
  const endless = { sent: 0, closed: false };
  let emu: EmulatorHandle;
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer((req, res) => {
      const answer = (type: string | null, body: string | Buffer) => {
        res.writeHead(200, type ? { 'content-type': type } : {});
        res.end(body);
      };
      if (req.url === '/rec/denied.wav') answer('application/xml', s3Denied);
      else if (req.url === '/rec/login.wav') answer('text/html; charset=utf-8', loginPage);
      else if (req.url === '/rec/empty.wav') answer(null, '');
      else if (req.url === '/rec/status.wav') answer('application/json', '{"status":"processing"}');
      else if (req.url === '/rec/zeros.wav') answer('audio/wav', Buffer.alloc(64));
      else if (req.url === '/rec/call.mp3') answer('audio/mpeg', mp3);
      else if (req.url === '/rec/call.wav') answer('audio/wav', wav);
      else if (req.url === '/rec/stalled.wav') res.writeHead(200, { 'content-type': 'audio/wav' }).flushHeaders();
      else if (req.url === '/rec/endless.wav') {
        // A WAV header, then silence for as long as anyone reads: only a client that lets go ends it.
        res.writeHead(200, { 'content-type': 'audio/wav' });
        res.write(wav.subarray(0, 44));
        const silence = Buffer.alloc(64 * 1024);
        const pump = () => {
          let more = true;
          while (more && !res.destroyed) {
            more = res.write(silence);
            endless.sent += silence.length;
          }
        };
        res.on('drain', pump);
        res.on('close', () => (endless.closed = true));
        pump();
      } else res.writeHead(404).end();
    });
    emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000, recordingTimeoutMs: TIMEOUT_MS });
  });
  afterAll(async () => {
    await emu.close();
    await server.close();
  });

  const post = (recording: string, id: string) =>
    call(emu, 'POST', '/api/v2/conversations', { body: payload(server.url, { call_recording_url: `${server.url}/rec/${recording}`, call_external_id: id }) });
  const refusal = (res: ApiAnswer) => (res.body as { errors: Record<string, string[]> }).errors.call_recording_url?.[0];

  it.each([
    ['an S3 AccessDenied document', 'denied.wav', /^the recording URL answered 200 but not with audio: it sent an XML error document with code AccessDenied \(content-type application\/xml\)/],
    ['an HTML login page', 'login.wav', /^the recording URL answered 200 but not with audio: it sent HTML \(content-type text\/html; charset=utf-8\)/],
    ['an empty body', 'empty.wav', /^the recording URL answered 200 but not with audio: it sent an empty body/],
    ['JSON', 'status.wav', /^the recording URL answered 200 but not with audio: it sent JSON \(content-type application\/json\)/],
    ['zeros labelled audio/wav', 'zeros.wav', /^the recording URL answered 200 but not with audio: it sent unrecognised binary data starting 00 00/],
  ])('refuses a recording URL that answers 200 with %s, with 422 on call_recording_url saying what came back', async (_what, recording, message) => {
    const res = await post(recording, `not-audio-${recording}`);
    expect(res.status).toBe(422);
    expect(refusal(res)).toMatch(message);
    expect((res.body as { message: string }).message).toMatch(/^call_recording_url: /);
    expect(emu.state.creations(`not-audio-${recording}`)).toBe(0);
  });

  it('accepts an MP3 and a WAV recording', async () => {
    expect((await post('call.mp3', 'audio-mp3')).status).toBe(200);
    expect((await post('call.wav', 'audio-wav')).status).toBe(200);
    expect([emu.state.creations('audio-mp3'), emu.state.creations('audio-wav')]).toEqual([1, 1]);
  });

  it('reads only the start of a recording: an endless one is accepted at once, and the download is let go', async () => {
    const started = Date.now();
    const res = await post('endless.wav', 'audio-endless');
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
    await waitFor(() => endless.closed, 2_000, 'the emulator to drop the recording download');
    // Socket buffers hold a few MB at most; reading the whole recording would never have ended.
    expect(endless.sent).toBeLessThan(16 * 1024 * 1024);
  });

  it('refuses a recording whose body stalls after the headers, once the timeout has passed', async () => {
    const started = Date.now();
    const res = await post('stalled.wav', 'audio-stalled');
    const took = Date.now() - started;
    expect(res.status).toBe(422);
    expect(refusal(res)).toMatch(/^the recording URL could not be fetched \(TimeoutError\)/);
    expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(took).toBeLessThan(TIMEOUT_MS + 2_000);
  });
});

describe('emulator: GET /api/v2/conversations filters, users, global filters', () => {
  let emu: EmulatorHandle;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    emu = await startEmulator({ token: TOKEN, appearDelayMs: 0, ratePerSecond: 1000 });
    const calls = [
      { call_external_id: 'c-0416', call_start_time: '2025-04-16T23:30:00Z', call_end_time: '2025-04-16T23:40:00Z', call_title: 'Late night', owner_email: 'anna.berg@example.com' },
      { call_external_id: 'c-0417a', call_start_time: '2025-04-17T00:00:00Z', call_end_time: '2025-04-17T00:05:00Z', call_title: 'Google renewal' },
      { call_external_id: 'c-0417b', call_start_time: '2025-04-17T23:59:59Z', call_end_time: '2025-04-18T00:10:00Z', call_title: undefined, participant_first_name: 'Maja', participant_last_name: 'Ek', owner_email: 'erik.lund@example.com' },
      { call_external_id: 'c-0418', call_start_time: '2025-04-18T10:00:00+02:00', call_end_time: '2025-04-18T10:10:00+02:00', call_title: 'Support case', owner_email: 'nobody@elsewhere.example' },
    ];
    Object.assign(ids, await createCalls(emu, recordings.url, calls));
  });
  afterAll(async () => {
    await emu.close();
  });

  const list = async (query: string) => {
    const res = await call(emu, 'GET', `/api/v2/conversations${query}`);
    expect(res.status).toBe(200);
    return (res.body as Array<{ external_id: string }>).map((c) => c.external_id).sort();
  };

  it('lists everything without filters, newest call first', async () => {
    const res = await call(emu, 'GET', '/api/v2/conversations');
    expect((res.body as Array<{ external_id: string }>).map((c) => c.external_id)).toEqual(['c-0418', 'c-0417b', 'c-0417a', 'c-0416']);
  });

  it('filters by date, inclusive at both ends, on the call start date (UTC)', async () => {
    expect(await list('?global_start=2025-04-17&global_end=2025-04-17')).toEqual(['c-0417a', 'c-0417b']);
    expect(await list('?global_start=2025-04-17')).toEqual(['c-0417a', 'c-0417b', 'c-0418']);
    expect(await list('?global_end=2025-04-16')).toEqual(['c-0416']);
    // 10:00+02:00 is 08:00 UTC on the 18th.
    expect(await list('?global_start=2025-04-18&global_end=2025-04-18')).toEqual(['c-0418']);
    expect(await list('?global_start=2025-04-19')).toEqual([]);
  });

  it('refuses a malformed date with 422 naming the parameter', async () => {
    const res = await call(emu, 'GET', '/api/v2/conversations?global_start=17-04-2025');
    expect(res.status).toBe(422);
    expect((res.body as { message: string }).message).toMatch(/^global_start/);
    const type = await call(emu, 'GET', '/api/v2/conversations?recording_types[]=video');
    expect(type.status).toBe(422);
    expect((type.body as { message: string }).message).toMatch(/^recording_types/);
  });

  it('full-text search covers title, participant, owner and external ids, case-insensitively', async () => {
    expect(await list('?search=google')).toEqual(['c-0417a']);
    expect(await list('?search=MAJA')).toEqual(['c-0417b']);
    expect(await list('?search=anna.berg')).toEqual(['c-0416']);
    expect(await list('?search=c-0418')).toEqual(['c-0418']);
    expect(await list('?search=external-1234')).toEqual(['c-0416', 'c-0417a', 'c-0417b', 'c-0418']);
    expect(await list(`?search=${encodeURIComponent('maja ek')}`)).toEqual(['c-0417b']);
    expect(await list('?search=nothing-matches-this')).toEqual([]);
  });

  it('gives a call without a title a generated one from the participant', async () => {
    const res = await call(emu, 'GET', `/api/v2/conversations/${ids['c-0417b']}`);
    expect(res.body).toMatchObject({ title: 'Call with Maja Ek' });
  });

  it('filters by recording type: our calls are "call"', async () => {
    expect(await list('?recording_types[]=call')).toHaveLength(4);
    expect(await list('?recording_types[]=meeting')).toEqual([]);
    expect(await list('?recording_types[]=meeting&recording_types[]=call')).toHaveLength(4);
  });

  it('filters by owner user ids and by team ids from the seed', async () => {
    expect(await list('?global_user_ids[]=1')).toEqual(['c-0417a']);
    expect(await list('?global_user_ids[]=2&global_user_ids[]=3')).toEqual(['c-0416', 'c-0417b']);
    // Team A = users 1, 2; Team B = users 3, 95. The unknown owner is in no team.
    expect(await list('?global_team_ids[]=75fc3b9a-b3a4-4291-8bc7-138a3bade3b4')).toEqual(['c-0416', 'c-0417a']);
    expect(await list('?global_team_ids[]=05e62f00-3038-4acb-9d43-0a14aa466de5')).toEqual(['c-0417b']);
    expect(await list('?global_team_ids[]=05e62f00-3038-4acb-9d43-0a14aa466de5&global_start=2025-04-18')).toEqual([]);
  });

  it('combines filters (AND)', async () => {
    expect(await list('?global_start=2025-04-17&global_end=2025-04-17&search=google&recording_types[]=call')).toEqual(['c-0417a']);
  });

  it('answers 404 for an unknown conversation id', async () => {
    expect((await call(emu, 'GET', '/api/v2/conversations/00000000-0000-0000-0000-000000000000')).status).toBe(404);
  });

  it('lists seeded users and global filters', async () => {
    const users = await call(emu, 'GET', '/api/v2/users');
    expect(users.status).toBe(200);
    expect(users.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 1, email: 'john.doe@example.com', first_name: 'John', last_name: 'Doe', teams: [expect.objectContaining({ name: 'Team A' })] }),
      ]),
    );
    const filters = await call(emu, 'GET', '/api/v2/global-filters');
    expect(filters.body).toMatchObject({
      teams: [expect.objectContaining({ id: '75fc3b9a-b3a4-4291-8bc7-138a3bade3b4', name: 'Team A' }), expect.objectContaining({ name: 'Team B' })],
      recording_types: ['meeting', 'call', 'live'],
    });
    const stats = emu.state.stats();
    expect(stats.requests.byRoute.users).toBe(1);
    expect(stats.requests.byRoute.globalFilters).toBe(1);
  });

  it('truncates lists when listLimit is set (newest first)', async () => {
    emu.setFaults({ listLimit: 2 });
    try {
      expect(await list('')).toEqual(['c-0417b', 'c-0418']);
    } finally {
      emu.setFaults({ listLimit: 0 });
    }
  });
});
