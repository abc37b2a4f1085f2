import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { conversationPayloadSchema } from '../../src/dstny/payload.js';
import { verifyRecordingToken } from '../../src/recordings/token.js';
import { type CallRecord, type CallRecordInput, callRecordSchema } from '../../adapters/call-record.js';
import { normalizeConfigSchema } from '../../src/pipeline/config.js';
import { type NormalizerFromConfigOptions, createNormalizer } from '../../src/pipeline/normalizer.js';
import { writeWav } from './audio-files.js';
import { RecordingLinks } from '../../src/recordings/links.js';

let dir: string;
let recordings: string;
const secret = 'normalizer-test-secret-0123456789';
const NOW = Date.parse('2024-06-01T10:06:00Z');

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cb-normalizer-'));
  recordings = path.join(dir, 'monitor');
  mkdirSync(recordings);
  writeWav(path.join(recordings, 'stereo-call.wav'), 2);
  writeFileSync(path.join(dir, 'owners.csv'), 'extension,email,name\n1002,bob@example.com,Bob Berg\n');
  writeFileSync(
    path.join(dir, 'contacts.csv'),
    'number,first_name,last_name,company,email,external_id\n+46701234567,Klara,Kund,Client AB,klara@client.example,crm-77\n',
  );
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An incoming call as an Asterisk CDR says it: caller on the trunk, answered by extension 1001, Stockholm time. */
const incoming: CallRecordInput = {
  externalId: '1717236000.42',
  location: 'Master.csv:7',
  startTime: '2024-06-01 12:00:00',
  answerTime: '2024-06-01 12:00:08',
  endTime: '2024-06-01 12:05:08',
  durationSec: 308,
  talkSec: 300,
  from: { number: '0701234567', name: '"Andersson, Klara"', channel: 'SIP/trunk-00000001' },
  to: { number: '1001', channel: 'SIP/1001-00000002' },
  outcome: 'answered',
  disposition: 'ANSWERED',
  recording: { url: 'https://rec.example.com/1717236000.42.wav' },
  raw: { line: 7 },
};

const expectedIncoming = {
  call_external_id: '1717236000.42',
  call_start_time: '2024-06-01T10:00:00Z',
  call_end_time: '2024-06-01T10:05:08Z',
  call_duration: 300,
  call_recording_url: 'https://rec.example.com/1717236000.42.wav',
  call_is_stereo: false,
  call_direction: 'incoming',
  call_outcome: 'Answered',
  owner_email: 'alice@example.com',
  participant_first_name: 'Klara',
  participant_last_name: 'Andersson',
  participant_phone_number: '+46701234567',
};

function call(patch: Partial<CallRecordInput> = {}): CallRecord {
  return callRecordSchema.parse({ ...incoming, ...patch });
}

function normalizer(config: Record<string, unknown> = {}, opts: Partial<NormalizerFromConfigOptions> = {}) {
  const normalize = normalizeConfigSchema.parse({
    timezone: 'Europe/Stockholm',
    trunkPatterns: ['^SIP/trunk-'],
    owners: { map: { '1001': 'alice@example.com' } },
    ...config,
  });
  return createNormalizer(normalize, {
    baseDir: dir,
    links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret, ttlHours: 24 }),
    linkClock: 'now',
    roots: [recordings],
    ...opts,
  });
}

const source = { id: 'asterisk-main' };

describe('CallNormalizer: a call of several connections', () => {
  const trunk = { number: '0701234567', channel: 'SIP/trunk-00000001' };
  const queueNobody = (): CallRecord =>
    call({
      answerTime: undefined,
      talkSec: 0,
      outcome: 'no-answer',
      endTime: '2024-06-01 12:00:40',
      connections: [
        { from: trunk, to: { number: '1001' }, answered: false, startTime: '2024-06-01 12:00:00', endTime: '2024-06-01 12:00:15', via: 'queue sales' },
        { from: trunk, to: { number: '1002' }, answered: false, startTime: '2024-06-01 12:00:17', endTime: '2024-06-01 12:00:40', via: 'queue sales' },
      ],
    });

  it('a queue nobody answered is skipped, saying what rang', async () => {
    expect(await normalizer().normalize(queueNobody(), source, NOW)).toEqual({
      kind: 'skipped',
      reason: 'unanswered call (no-answer: queue sales rang 1001, 1002; nobody answered)',
    });
  });

  it('kept when unanswered calls are not skipped: as long as the caller waited', async () => {
    const result = await normalizer({ skip: { unanswered: false } }).normalize(queueNobody(), source, NOW);
    expect(result).toMatchObject({ kind: 'payload', payload: { call_duration: 40, call_outcome: 'No Answer', call_direction: 'incoming' } });
  });
});

describe('CallNormalizer: a call → the exact API body', () => {
  it('an incoming answered call (times from Stockholm to UTC, E.164, talk time, owner, caller-id name)', async () => {
    const result = await normalizer().normalize(call(), source, NOW);
    expect(result).toEqual({ kind: 'payload', payload: expectedIncoming });
    if (result.kind === 'payload') expect(conversationPayloadSchema.safeParse(result.payload).success).toBe(true);
  });

  it('the source zone wins over normalize.timezone', async () => {
    const result = await normalizer().normalize(call(), { id: 'ny', timezone: 'America/New_York' }, NOW);
    expect(result).toMatchObject({ kind: 'payload', payload: { call_start_time: '2024-06-01T16:00:00Z', call_end_time: '2024-06-01T16:05:08Z' } });
  });

  it('an outgoing call, owner and name from the owners CSV (relative to the config folder)', async () => {
    const result = await normalizer({ owners: { csv: 'owners.csv' } }).normalize(
      call({
        from: { number: '1002', name: 'Bob', channel: 'SIP/1002-01' },
        to: { number: '+1 (201) 555-0123', channel: 'SIP/trunk-02' },
      }),
      source,
      NOW,
    );
    expect(result).toMatchObject({
      kind: 'payload',
      payload: { call_direction: 'outgoing', owner_email: 'bob@example.com', owner_name: 'Bob Berg', participant_phone_number: '+12015550123' },
    });
    expect(result.kind === 'payload' && 'participant_first_name' in result.payload).toBe(false);
  });

  it('an unmapped owner is rejected with exactly this reason', async () => {
    expect(await normalizer({ owners: { map: {} } }).normalize(call({ to: { number: '1003' } }), source, NOW)).toEqual({
      kind: 'rejected',
      reason: 'no owner for extension 1003',
    });
  });

  it('the PBX-named internal party is the owner key', async () => {
    const result = await normalizer({ owners: { map: { '1005': 'queue.agent@example.com' } } }).normalize(
      call({ to: { number: '600' }, ownerExtension: '1005', direction: 'incoming' }),
      source,
      NOW,
    );
    expect(result).toMatchObject({ kind: 'payload', payload: { owner_email: 'queue.agent@example.com' } });
  });

  it('Dstny users: a mobile user is found by number; an unreachable directory holds the call', async () => {
    const users = [{ email: 'mo@example.com', first_name: 'Mo', last_name: 'Bile', mobile_number: 46709998877 }];
    const mobileCall = call({ direction: 'outgoing', from: { number: '+46709998877' }, to: { number: '0812345678' } });
    const ok = normalizer({ owners: { fromDstnyUsers: true } }, { fetchUsers: async () => users });
    expect(await ok.normalize(mobileCall, source, NOW)).toMatchObject({
      kind: 'payload',
      payload: { owner_email: 'mo@example.com', owner_name: 'Mo Bile', owner_phone_number: '+46709998877', participant_phone_number: '+46812345678' },
    });
    const down = normalizer({ owners: { fromDstnyUsers: true } }, { fetchUsers: async () => Promise.reject(new Error('connect ECONNREFUSED')) });
    expect(await down.normalize(mobileCall, source, NOW)).toEqual({
      kind: 'held',
      reason: 'owner directory (Dstny users) unavailable: connect ECONNREFUSED',
      retryAt: NOW + 60_000,
    });
    // Without the switch, fetchUsers is not used even when given.
    const off = normalizer({}, { fetchUsers: async () => users });
    expect(await off.normalize(mobileCall, source, NOW)).toEqual({ kind: 'rejected', reason: 'no owner for extension +46709998877' });
  });

  it('the contacts CSV names the participant, with company, email and external id', async () => {
    const result = await normalizer({ contactsCsv: 'contacts.csv' }).normalize(call({ from: { number: '070-123 45 67', name: 'KLARA MOBIL' } }), source, NOW);
    expect(result).toMatchObject({
      kind: 'payload',
      payload: {
        participant_first_name: 'Klara',
        participant_last_name: 'Kund',
        participant_company_name: 'Client AB',
        participant_email: 'klara@client.example',
        participant_external_id: 'crm-77',
        participant_phone_number: '+46701234567',
      },
    });
  });

  it('a company as caller-id name is the participant company, not a first and last name', async () => {
    const result = await normalizer().normalize(call({ from: { number: '0733445566', name: 'Nilsson Bygg AB', channel: 'SIP/trunk-1' } }), source, NOW);
    expect(result.kind).toBe('payload');
    if (result.kind !== 'payload') return;
    expect(result.payload.participant_company_name).toBe('Nilsson Bygg AB');
    expect(result.payload.participant_first_name).toBeUndefined();
    expect(result.payload.participant_last_name).toBeUndefined();
  });

  it('a local stereo recording: signed link, stereo from the header, participant channel from config', async () => {
    const result = await normalizer({ participantChannel: 'left' }).normalize(call({ recording: { path: 'stereo-call.wav' } }), source, NOW);
    expect(result.kind).toBe('payload');
    if (result.kind !== 'payload') return;
    expect(result.payload.call_is_stereo).toBe(true);
    expect(result.payload.call_participant_channel).toBe('left');
    const token = result.payload.call_recording_url.replace('https://bridge.example.com/recordings/', '');
    expect(verifyRecordingToken(token, secret, NOW)).toEqual({ ok: true, claim: { id: '1717236000.42', exp: Math.floor(NOW / 1000) + 24 * 3600 } });
  });

  it('a mono recording has no participant channel', async () => {
    const result = await normalizer({ participantChannel: 'left' }).normalize(call(), source, NOW);
    expect(result.kind === 'payload' && result.payload.call_is_stereo).toBe(false);
    expect(result.kind === 'payload' && 'call_participant_channel' in result.payload).toBe(false);
  });

  it('a local recording not written yet is held', async () => {
    expect(await normalizer().normalize(call({ recording: { path: 'not-yet.wav' } }), source, NOW)).toEqual({
      kind: 'held',
      reason: 'recording not-yet.wav is not there yet (waiting until 2024-06-01T10:35:08.000Z)',
      retryAt: NOW + 60_000,
    });
  });

  it('title template and outcome map', async () => {
    const result = await normalizer({
      title: '{direction} call with {participant} ({outcome})',
      outcomes: { answered: 'Connected' },
    }).normalize(call(), source, NOW);
    expect(result).toMatchObject({ kind: 'payload', payload: { call_title: 'incoming call with Klara Andersson (Connected)', call_outcome: 'Connected' } });
    const unnamed = await normalizer({ title: 'Call {participant_name} {external_id}', outcomes: {} }).normalize(call({ from: { number: '0701234567', name: 'anonymous', channel: 'SIP/trunk-1' } }), source, NOW);
    expect(unnamed).toMatchObject({ kind: 'payload', payload: { call_title: 'Call 1717236000.42' } });
    expect(unnamed.kind === 'payload' && 'call_outcome' in unnamed.payload).toBe(false);
  });

  it.each<[string, Partial<CallRecordInput>, Record<string, unknown>, unknown]>([
    ['unanswered', { outcome: 'no-answer', talkSec: 0, answerTime: undefined }, {}, { kind: 'skipped', reason: 'unanswered call (no-answer)' }],
    // Filters first: a call we would never send is skipped, not rejected for its owner.
    ['unanswered and unmapped', { outcome: 'busy', to: { number: '1009' } }, {}, { kind: 'skipped', reason: 'unanswered call (busy)' }],
    ['internal-only', { from: { number: '1002' }, to: { number: '1001' } }, {}, { kind: 'skipped', reason: 'internal call (1002 → 1001)' }],
    ['too short', { talkSec: 3 }, { minDurationSec: 5 }, { kind: 'skipped', reason: 'call shorter than minDurationSec (3 s < 5 s)' }],
    ['no recording', { recording: undefined }, {}, { kind: 'skipped', reason: 'no recording' }],
    [
      'no recording, filter off: the payload check names the field',
      { recording: undefined },
      { skip: { noRecording: false } },
      { kind: 'rejected', reason: 'invalid payload: call_recording_url: Invalid input: expected string, received undefined' },
    ],
    ['bad time', { startTime: '2024-06-01 25:00:00' }, {}, { kind: 'rejected', reason: expect.stringMatching(/^startTime: invalid time "2024-06-01 25:00:00"/) }],
    ['bad participant email from the PBX', { from: { number: '0701234567', email: 'klara@' } }, {}, undefined],
  ])('%s', async (_name, patch, config, expected) => {
    if (expected === undefined) {
      // CallRecord itself refuses a bad email: adapters cannot hand one over.
      expect(callRecordSchema.safeParse({ ...incoming, ...patch }).success).toBe(false);
      return;
    }
    expect(await normalizer(config).normalize(call(patch), source, NOW)).toEqual(expected);
  });
});

describe('normalize config', () => {
  it('refuses unknown title placeholders, naming the valid ones', () => {
    const parsed = normalizeConfigSchema.safeParse({ title: '{direction} call with {customer}' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toMatch(/^unknown placeholder \{customer\}; use \{direction\}, \{participant\}/);
    expect(normalizeConfigSchema.parse({}).groupWindowLegs).toBe(5000);
  });

  it('a missing owners CSV is a config error naming the file', () => {
    expect(() => normalizer({ owners: { csv: 'missing-owners.csv' } })).toThrow(/cannot read .*missing-owners\.csv/);
  });
});
