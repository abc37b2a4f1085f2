import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import adapter from '../../adapters/freeswitch-json/index.js';
import type { AdapterInput, ParseItem } from '../../adapters/types.js';
import { bodyInput, fileInput, fixtureDir, fixtureSourceOptions, mergedCalls, only, parseItems } from './support.js';

const DIR = fixtureDir('freeswitch-json');
const fixtureOptions = adapter.configSchema.parse(fixtureSourceOptions('freeswitch-json'));
const defaults = adapter.configSchema.parse({});

type Options = typeof defaults;

const items = (input: AdapterInput, options: Options = fixtureOptions) => parseItems(adapter, input, options);
const file = (name: string) => fileInput(DIR, name);
const hook = (body: string | Buffer, contentType: string, query?: Record<string, string>) => bodyInput('hook:fs1', body, query ? { contentType, query } : { contentType });
const calls = (list: ParseItem[]) => mergedCalls(adapter, list);

function where(item: ParseItem): string {
  return item.kind === 'leg' ? item.leg.location : item.location;
}

/** A small mod_json_cdr document for inline cases. */
function cdr(variables: Record<string, string>, callflow?: unknown): string {
  return JSON.stringify({ 'core-uuid': 'x', channel_data: { direction: 'inbound' }, variables, ...(callflow ? { callflow } : {}) });
}
const BASE = { uuid: 'aaaa-1', start_epoch: '1709630043', end_epoch: '1709630100', caller_id_number: '1001', destination_number: '0701234567' };

const A1 = '6f1c2b4e-3a8d-4c21-9e57-0b2d8f4a1c01';
const B1 = '9a0e5d72-1b3c-4f88-a2d4-7c6e1f0b3d92';

describe('freeswitch-json: the A and B legs of one bridged call', () => {
  it('groups both documents under the A-leg uuid and merges them into one outgoing call', async () => {
    const list = await items(file('bridged-outbound.ndjson'));
    expect(list.map((i) => i.kind)).toEqual(['leg', 'leg']);
    const call = only(calls(list).values());
    expect(call.externalId).toBe(A1);
    expect(call.legs).toBe(2);
    expect(call.startTime).toBe('2024-03-05T09:14:03.412Z');
    expect(call.answerTime).toBe('2024-03-05T09:14:11.276Z');
    expect(call.endTime).toBe('2024-03-05T09:18:15.090Z');
    expect(call.durationSec).toBe(252);
    expect(call.talkSec).toBe(244);
    expect(call.from).toEqual({ number: '1001', name: 'Anna Berg', channel: 'sofia/internal/1001@pbx.example.com' });
    expect(call.to).toEqual({ number: '0701234567', channel: 'sofia/gateway/telia/0701234567' });
    expect(call.direction).toBe('outgoing');
    expect(call.ownerExtension).toBe('1001');
    expect(call.outcome).toBe('answered');
    // record_path/record_name, mapped from /var/lib/freeswitch/recordings to the folder this bridge sees
    expect(call.recording).toEqual({ path: `./pbx.example.com/archive/2024/Mar/05/${A1}.wav`, stereo: true });
    expect((call.raw as Array<{ leg: string; uuid: string }>).map((r) => [r.leg, r.uuid])).toEqual([
      ['A', A1],
      ['B', B1],
    ]);
  });

  it('reads the B leg alone: its A leg from originating_leg_uuid, its caller from the originator profile', async () => {
    const lines = readFileSync(path.join(DIR, 'bridged-outbound.ndjson'), 'utf8').trim().split('\n');
    const list = await items(hook(lines[1] as string, 'application/json'));
    const leg = list[0];
    if (leg?.kind !== 'leg') throw new Error(`expected a leg, got ${JSON.stringify(leg)}`);
    expect(leg.groupKey).toBe(A1);
    expect(leg.leg.externalId).toBe(A1);
    // The B channel's own caller id is the company's outbound number; the caller is the A leg's extension.
    expect(leg.leg.from).toEqual({ number: '1001', name: 'Anna Berg', channel: 'sofia/internal/1001@pbx.example.com' });
    expect(leg.leg.to.channel).toBe('sofia/gateway/telia/0701234567');
    expect(leg.leg.location).toBe('hook:fs1');
  });

  it('merges a ring group (A leg arriving between its B legs) around the A leg, with the phone that answered', async () => {
    const call = only(calls(await items(file('ring-group.ndjson'))).values());
    expect(call.externalId).toBe('3c8e1a7f-6d2b-4f90-8e5a-2b7d0c9f4a18');
    expect(call.legs).toBe(3);
    expect(call.location).toBe(`${path.join(DIR, 'ring-group.ndjson')}:2`);
    expect(call.from).toEqual({ number: '+4640123456', name: 'Malmö Bygg AB', channel: 'sofia/external/+4640123456@192.0.2.10' });
    // 1001 lost the race: its name must not be lent to 1002
    expect(call.to).toEqual({ number: '1002', name: 'Johan Lind', channel: 'sofia/internal/1002@10.20.0.52:5060' });
    expect(call.ownerExtension).toBe('1002');
    expect(call.outcome).toBe('answered');
    expect(call.recording).toEqual({ url: 'https://recordings.example.com/fs/2024/03/05/3c8e1a7f-6d2b-4f90-8e5a-2b7d0c9f4a18.mp3' });
  });
});

describe('freeswitch-json: hook bodies and encodings', () => {
  const A2 = 'c41d7e2a-8f60-4b93-a5c2-1e9d3b7f0a64';

  it('decodes a cdr= form file with URL-encoded values (encode=true, encode-values=true)', async () => {
    const call = only(calls(await items(file('inbound-answered.form'))).values());
    expect(call.externalId).toBe(A2);
    expect(call.from).toEqual({ number: '+46812345678', name: 'Karl Svensson', channel: 'sofia/external/+46812345678@192.0.2.10' });
    expect(call.to).toEqual({ number: '1002', name: 'Johan Lind', channel: 'sofia/internal/1002@10.20.0.52:5060' });
    expect(call.direction).toBeUndefined();
    expect(call.ownerExtension).toBe('1002');
    expect(call.recording).toEqual({ path: `./pbx.example.com/2024-03-05/${A2}.wav` });
    expect(call.startTime).toBe('2024-03-05T10:02:47.118Z');
  });

  it('reads the same body posted with its content type and ?uuid=, with or without the a_ prefix', async () => {
    const body = readFileSync(path.join(DIR, 'inbound-answered.form'));
    for (const uuid of [A2, `a_${A2}`]) {
      const list = await items(hook(body, 'application/x-www-form-urlencoded', { uuid }));
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ kind: 'leg', groupKey: A2 });
    }
  });

  it('refuses a body whose ?uuid= names another channel', async () => {
    const body = readFileSync(path.join(DIR, 'inbound-answered.form'));
    const list = await items(hook(body, 'application/x-www-form-urlencoded', { uuid: 'someone-else' }));
    expect(list).toEqual([{ kind: 'error', location: 'hook:fs1', message: `the request's ?uuid=someone-else is not the CDR's uuid ${A2}` }]);
  });

  it('decodes a base64 cdr= body (encode=base64), as a file and as a hook post', async () => {
    const body = readFileSync(path.join(DIR, 'outbound-base64.form'));
    for (const input of [file('outbound-base64.form'), hook(body, 'application/x-www-form-base64-encoded')]) {
      const call = only(calls(await items(input)).values());
      expect(call.externalId).toBe('5d2e8b41-9c7f-4a06-b1e3-4f8a2c6d0e99');
      expect(call.from.number).toBe('1003');
      expect(call.to).toEqual({ number: '004570112233', channel: 'sofia/gateway/telia/004570112233' });
      // api_on_answer=uuid_record <uuid> start <file>
      expect(call.recording).toEqual({ path: './pbx.example.com/2024-03-05/5d2e8b41-9c7f-4a06-b1e3-4f8a2c6d0e99.wav' });
    }
  });

  it('reads an old FreeSWITCH document: callflow as an object, epoch seconds only, recording from app_log', async () => {
    const call = only(calls(await items(file('a_8e4b2f7d-0a6c-4c39-9d1e-3f5b7a9c1e02.cdr.json'))).values());
    expect(call.startTime).toBe('2024-03-05T17:45:10.000Z');
    expect(call.answerTime).toBe('2024-03-05T17:45:16.000Z');
    expect(call.endTime).toBe('2024-03-05T17:52:40.000Z');
    expect(call.from).toEqual({ number: '+46855512345', name: 'Bo Ek', channel: 'sofia/external/+46855512345@192.0.2.10' });
    expect(call.to.number).toBe('1001');
    expect(call.recording).toEqual({ path: './8e4b2f7d-0a6c-4c39-9d1e-3f5b7a9c1e02.wav' });
  });

  it('keeps %-escapes when decodeValues is false (json_cdr.conf encode-values=false)', async () => {
    const body = cdr({ uuid: 'u-1', start_epoch: '1709630043', sip_from_user: '%2B46701234567', sip_from_display: 'Karl%20Svensson' });
    const decoded = await items(hook(body, 'application/json'));
    const raw = await items(hook(body, 'application/json'), { ...fixtureOptions, decodeValues: false });
    expect(decoded[0]).toMatchObject({ kind: 'leg', leg: { from: { number: '+46701234567', name: 'Karl Svensson' } } });
    expect(raw[0]).toMatchObject({ kind: 'leg', leg: { from: { number: '%2B46701234567', name: 'Karl%20Svensson' } } });
  });
});

describe('freeswitch-json: outcomes', () => {
  it('an unanswered inbound call is no-answer, with no answer time and no talk time', async () => {
    const call = only(calls(await items(file('unanswered-inbound.json'))).values());
    expect(call.outcome).toBe('no-answer');
    expect(call.disposition).toBe('ORIGINATOR_CANCEL');
    expect(call.answerTime).toBeUndefined();
    expect(call.talkSec).toBe(0);
    expect(call.durationSec).toBe(22);
    expect(call.to.number).toBe('1003');
    // its execute_on_answer=record_session never ran: no recording to wait for
    expect(call.recording).toBeUndefined();
  });

  it('a busy outbound call is busy', async () => {
    const call = only(calls(await items(file('busy-outbound.json'))).values());
    expect(call.outcome).toBe('busy');
    expect(call.disposition).toBe('USER_BUSY');
    expect(call.direction).toBe('outgoing');
    expect(call.ownerExtension).toBe('1002');
  });

  it('maps hangup causes of unanswered legs, with overrides from the options', async () => {
    const body = (cause: string) => cdr({ ...BASE, hangup_cause: cause, answer_epoch: '0', billsec: '0' });
    const outcome = async (cause: string, options: Options = defaults) => {
      const [item] = await items(hook(body(cause), 'application/json'), options);
      return item?.kind === 'leg' ? item.leg.outcome : item;
    };
    expect(await outcome('NO_ANSWER')).toBe('no-answer');
    expect(await outcome('USER_BUSY')).toBe('busy');
    expect(await outcome('UNALLOCATED_NUMBER')).toBe('failed');
    expect(await outcome('SOMETHING_NEW')).toBe('unknown');
    expect(await outcome('constructor')).toBe('unknown');
    expect(await outcome('CALL_REJECTED')).toBe('busy');
    expect(await outcome('CALL_REJECTED', { ...defaults, outcomes: { CALL_REJECTED: 'no-answer' } })).toBe('no-answer');
    // answered wins over the cause
    const [answered] = await items(hook(cdr({ ...BASE, hangup_cause: 'MEDIA_TIMEOUT', answer_epoch: '1709630050', billsec: '50' }), 'application/json'));
    expect(answered).toMatchObject({ kind: 'leg', leg: { outcome: 'answered', talkSec: 50 } });
  });
});

describe('freeswitch-json: direction, owner, grouping rules', () => {
  const leg = async (variables: Record<string, string>, callflow?: unknown, options: Options = defaults) => {
    const [item] = await items(hook(cdr({ ...BASE, ...variables }, callflow), 'application/json'), options);
    if (item?.kind !== 'leg') throw new Error(`expected a leg, got ${JSON.stringify(item)}`);
    return item;
  };

  it('never takes FreeSWITCH\'s own direction (the switch\'s view of one channel) as the call direction', async () => {
    expect((await leg({ direction: 'outbound' })).leg.direction).toBeUndefined();
    expect((await leg({ direction: 'inbound' })).leg.direction).toBeUndefined();
  });

  it('takes the direction from the configured variable and value map', async () => {
    expect((await leg({ call_direction: 'inbound' })).leg.direction).toBe('incoming');
    expect((await leg({ call_direction: 'local' })).leg.direction).toBe('internal');
    expect((await leg({ call_direction: 'sideways' })).leg.direction).toBeUndefined();
    expect((await leg({ call_direction: 'constructor' })).leg.direction).toBeUndefined();
    const custom = { ...defaults, directionVariable: 'my_dir', directionValues: { in: 'incoming' as const } };
    expect((await leg({ my_dir: 'in', call_direction: 'outbound' }, undefined, custom)).leg.direction).toBe('incoming');
  });

  it('names the owner only when one side is a directory user; both sides users = internal, no owner', async () => {
    expect((await leg({ user_name: '1001' })).leg.ownerExtension).toBe('1001');
    expect((await leg({ sip_authorized: 'true', sip_auth_username: '1004' })).leg.ownerExtension).toBe('1004');
    expect((await leg({ sip_auth_username: '1004' })).leg.ownerExtension).toBeUndefined();
    expect((await leg({ dialed_user: '1002' })).leg.ownerExtension).toBe('1002');
    const both = await leg({ user_name: '1001', dialed_user: '1002' });
    expect(both.leg.ownerExtension).toBeUndefined();
    expect(both.leg.direction).toBe('internal');
    expect((await leg({ user_name: '1001', dialed_user: '1002', call_direction: 'inbound' })).leg.ownerExtension).toBe('1002');
  });

  it('finds the A leg of a B leg from originating_leg_uuid, the originator profile or other_loopback_from_uuid — never from bridge_uuid', async () => {
    expect((await leg({ originating_leg_uuid: 'A-9' })).groupKey).toBe('A-9');
    const originator = [{ caller_profile: { uuid: 'aaaa-1', caller_id_number: '1001', originator: { originator_caller_profiles: [{ uuid: 'A-7', caller_id_number: '1005' }] } } }];
    const fromProfile = await leg({}, originator);
    expect(fromProfile.groupKey).toBe('A-7');
    expect(fromProfile.leg.from.number).toBe('1005');
    expect((await leg({ other_loopback_from_uuid: 'A-5' })).groupKey).toBe('A-5');
    // bridge_uuid / signal_bond are set on both legs, each naming the other: an A leg stays its own group
    expect((await leg({ bridge_uuid: 'B-2', signal_bond: 'B-2' })).groupKey).toBe('aaaa-1');
  });

  it('prefers *_uepoch to *_epoch and falls back to the profile times', async () => {
    expect((await leg({ start_uepoch: '1709630043412118' })).leg.startTime).toBe('2024-03-05T09:14:03.412Z');
    const noEpoch = await items(hook(cdr({ uuid: 'u-2' }, [{ caller_profile: { uuid: 'u-2' }, times: { created_time: '1709630043000000', hangup_time: '1709630053000000' } }]), 'application/json'));
    expect(noEpoch[0]).toMatchObject({ kind: 'leg', leg: { startTime: '2024-03-05T09:14:03.000Z', endTime: '2024-03-05T09:14:13.000Z', durationSec: 10 } });
  });
});

describe('freeswitch-json: recording variables', () => {
  const recording = async (variables: Record<string, string>, options: Options = defaults, applications?: unknown[]) => {
    const doc = JSON.parse(cdr({ ...BASE, answer_epoch: '1709630050', ...variables })) as Record<string, unknown>;
    if (applications) doc.app_log = { applications };
    const [item] = await items(hook(JSON.stringify(doc), 'application/json'), options);
    if (item?.kind !== 'leg') throw new Error(`expected a leg, got ${JSON.stringify(item)}`);
    return item.leg.recording;
  };

  it('takes the first configured variable that is set; http(s) values are URLs, others paths', async () => {
    expect(await recording({ recording_url: 'https://rec.example.com/a.mp3', recording_file: '/srv/a.wav' })).toEqual({ url: 'https://rec.example.com/a.mp3' });
    expect(await recording({ recording_file: '/srv/a.wav' })).toEqual({ path: '/srv/a.wav' });
    expect(await recording({})).toBeUndefined();
  });

  it('uses ${record_path}/${record_name} only when both are set, and passes over unexpanded ${...}', async () => {
    expect(await recording({ record_path: '/rec/2024', record_name: 'x.wav' })).toEqual({ path: '/rec/2024/x.wav' });
    expect(await recording({ record_path: '/rec/2024' })).toBeUndefined();
    expect(await recording({ recording_file: '${recordings_dir}/${uuid}.wav', record_file: '/rec/y.wav' })).toEqual({ path: '/rec/y.wav' });
  });

  it('reads record_session from execute_on_answer (space or ::) and app_log, unless fromApplications is off', async () => {
    expect(await recording({ execute_on_answer: 'record_session /rec/a.wav' })).toEqual({ path: '/rec/a.wav' });
    expect(await recording({ execute_on_answer_1: 'record_session::/rec/b.wav +3600' })).toEqual({ path: '/rec/b.wav' });
    expect(await recording({ execute_on_answer: 'record_session /rec/a.wav', answer_epoch: '0' })).toBeUndefined();
    expect(await recording({ execute_on_pre_answer: 'record_session /rec/p.wav', answer_epoch: '0' })).toEqual({ path: '/rec/p.wav' });
    expect(await recording({}, defaults, [{ app_name: 'record_session', app_data: '{record_min_sec=2}/rec/c.wav' }])).toEqual({ path: '/rec/c.wav' });
    const off = { ...defaults, recording: { ...defaults.recording, fromApplications: false } };
    expect(await recording({ execute_on_answer: 'record_session /rec/a.wav' }, off)).toBeUndefined();
  });

  it('rewrites path prefixes with pathMap, longest prefix first', async () => {
    const options = {
      ...defaults,
      recording: { ...defaults.recording, pathMap: [{ from: '/var/rec', to: '/mnt/a' }, { from: '/var/rec/special/', to: '/mnt/b/' }] },
    };
    expect(await recording({ recording_file: '/var/rec/special/x.wav' }, options)).toEqual({ path: '/mnt/b/x.wav' });
    expect(await recording({ recording_file: '/var/rec/y.wav' }, options)).toEqual({ path: '/mnt/a/y.wav' });
    expect(await recording({ recording_file: '/var/records/z.wav' }, options)).toEqual({ path: '/var/records/z.wav' });
  });

  it('reports record_stereo (any case) as the stereo flag, true or false', async () => {
    expect(await recording({ recording_file: '/r.wav', record_stereo: 'true' })).toEqual({ path: '/r.wav', stereo: true });
    expect(await recording({ recording_file: '/r.wav', RECORD_STEREO: 'false' })).toEqual({ path: '/r.wav', stereo: false });
  });
});

describe('freeswitch-json: bad input gives located errors and parsing goes on', () => {
  it('a truncated document: one error at the line where it ends', async () => {
    const list = await items(file('truncated.json'));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'error', location: `${path.join(DIR, 'truncated.json')}:74` });
    expect((list[0] as { message: string }).message).toMatch(/^invalid JSON/);
  });

  it('binary garbage: one located error, no leg', async () => {
    const garbage = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
    const list = await items({ name: 'garbage.json', stream: Readable.from([garbage]) });
    expect(list).toHaveLength(1);
    expect(list.every((i) => i.kind === 'error' && i.location.startsWith('garbage.json:'))).toBe(true);
  });

  it('a 10 MB hook body is refused with an error, not read whole', async () => {
    const body = cdr({ ...BASE, huge: 'x'.repeat(10 * 1024 * 1024) });
    expect(await items(hook(body, 'application/json'))).toEqual([
      { kind: 'error', location: 'hook:fs1', message: 'body larger than 4.0 MiB (maxDocumentBytes): refused' },
    ]);
  });

  it('an NDJSON file with a 10 MB line: that line is an error, the next CDR is still read', async () => {
    const text = `${cdr({ ...BASE, uuid: 'n-1', huge: 'x'.repeat(10 * 1024 * 1024) })}\n${cdr({ ...BASE, uuid: 'n-2' })}\n`;
    const list = await items({ name: 'big.ndjson', stream: Readable.from([Buffer.from(text)]) });
    expect(list.map((i) => [i.kind, where(i)])).toEqual([
      ['error', 'big.ndjson:1'],
      ['leg', 'big.ndjson:2'],
    ]);
  });

  it('names what is missing: not a CDR, no uuid, no start time, an empty body, an unknown content type', async () => {
    expect(await items(hook('{"hello":"world"}', 'application/json'))).toEqual([
      { kind: 'error', location: 'hook:fs1', message: 'not a mod_json_cdr document: no "variables" object' },
    ]);
    expect(await items(hook(cdr({ start_epoch: '1709630043' }), 'application/json'))).toEqual([
      { kind: 'error', location: 'hook:fs1', message: 'no uuid: variables.uuid is missing' },
    ]);
    expect(await items(hook(cdr({ uuid: 'u-3' }), 'application/json'))).toEqual([
      { kind: 'error', location: 'hook:fs1', message: 'no start time: start_epoch / start_uepoch are missing' },
    ]);
    expect(await items(hook('', 'application/json'))).toEqual([{ kind: 'error', location: 'hook:fs1', message: 'empty body: no CDR' }]);
    expect(await items(hook('cdr=%7B', 'application/x-www-form-urlencoded'))).toMatchObject([{ kind: 'error', location: 'hook:fs1' }]);
    const [wrongType] = await items(hook(cdr(BASE), 'text/html'));
    expect(wrongType).toMatchObject({ kind: 'error', location: 'hook:fs1' });
    expect((wrongType as { message: string }).message).toMatch(/^unsupported content type "text\/html"/);
  });

  it('a JSON array of CDRs: each located at the line where it starts', async () => {
    const text = `[\n${cdr({ ...BASE, uuid: 'x-1' })},\n${cdr({ ...BASE, uuid: 'x-2' })}\n]\n`;
    const list = await items({ name: 'two.json', stream: Readable.from([Buffer.from(text)]) });
    expect(list.map((i) => [i.kind, where(i)])).toEqual([
      ['leg', 'two.json:2'],
      ['leg', 'two.json:3'],
    ]);
  });
});

describe('freeswitch-json: definition', () => {
  it('its example is valid options and every option is described', () => {
    expect(adapter.configSchema.safeParse(adapter.example).success).toBe(true);
    const shape = (adapter.configSchema as unknown as { shape: Record<string, { description?: string }> }).shape;
    for (const [key, field] of Object.entries(shape)) expect([key, field.description]).toEqual([key, expect.any(String)]);
  });
});

describe('freeswitch-json: answered by a person, or only by the PBX (IVR, voicemail)', () => {
  // Real FreeSWITCH 1.10.12 CDRs (test/fixtures/freeswitch-real, README scenarios B1 and B4), changed only where
  // said: B4 is a call to 5006 that rang out (bridge NO_ANSWER); here its PBX leg then answers into voicemail.
  const REAL = path.resolve('test/fixtures/freeswitch-real/json_cdr');
  const B4 = ['a_3889c7c5-f51a-41bb-b7ef-d1d7cdda6a6e', 'a_7ab3f7a6-1c3b-4796-95cf-3c0f82c3684e', 'e0e378ae-4326-4cde-b670-e6d684f36e63', 'a_1cfb8991-3f6d-45ad-9459-7a0b412fa34b'];
  const B1_PBX_LEG = 'a_a6caeed6-e329-44d7-8a05-9061ff1d8200';
  type Doc = { variables: Record<string, string> };
  const real = (file: string): Doc => JSON.parse(readFileSync(path.join(REAL, `${file}.cdr.json`), 'utf8')) as Doc;
  const legsOf = async (docs: Doc[]) => (await Promise.all(docs.map((d, i) => items(bodyInput(`cdr-${i}.json`, JSON.stringify(d)))))).flat();
  /** What FreeSWITCH writes on a channel that answers at 21:50:21 and hangs up 30 s later. */
  const answeredAt = (doc: Doc, app: string): Doc => {
    Object.assign(doc.variables, {
      answer_epoch: '1796590221',
      answer_uepoch: '1796590221020113',
      end_epoch: '1796590251',
      end_uepoch: '1796590251041877',
      duration: '45',
      billsec: '30',
      endpoint_disposition: 'ANSWER',
    });
    if (app) Object.assign(doc.variables, { last_app: app, current_application: app });
    return doc;
  };
  /** B1's PBX leg as a call that only ever reached an IVR: never bridged, no bridge attempted. */
  const ivrOnly = (): Doc => {
    const doc = real(B1_PBX_LEG);
    for (const name of ['last_bridge_to', 'bridge_uuid', 'signal_bond', 'bridge_channel', 'originate_disposition', 'last_bridge_hangup_cause', 'bridge_hangup_cause', 'originate_causes', 'originated_legs', 'DIALSTATUS', 'bridge_stamp']) {
      delete doc.variables[name];
    }
    Object.assign(doc.variables, { bridge_epoch: '0', bridge_uepoch: '0', last_app: 'playback', last_arg: 'ivr/ivr-welcome.wav', current_application: 'playback' });
    return doc;
  };

  it('a call that rang out and went to voicemail is no-answer, though the PBX leg and its caller\'s half answered', async () => {
    const [handset, pbxLeg, ...phone] = B4.map(real) as [Doc, Doc, ...Doc[]];
    const call = only(calls(await legsOf([answeredAt(handset, ''), answeredAt(pbxLeg, 'voicemail'), ...phone])).values());
    expect(call).toMatchObject({ externalId: '7ab3f7a6-1c3b-4796-95cf-3c0f82c3684e', outcome: 'no-answer', talkSec: 0, durationSec: 45, legs: 4 });
    expect(call.answerTime).toBeUndefined();
    expect(call.disposition).toBe('NORMAL_CLEARING');
  });

  it('the outcome of the bridge it tried: USER_BUSY → busy', async () => {
    const pbxLeg = answeredAt(real(B4[1] as string), 'voicemail');
    Object.assign(pbxLeg.variables, { originate_disposition: 'USER_BUSY', last_bridge_hangup_cause: 'USER_BUSY' });
    expect(only(calls(await legsOf([pbxLeg])).values()).outcome).toBe('busy');
  });

  it('an IVR that nobody got through: no-answer', async () => {
    expect(only(calls(await legsOf([ivrOnly()])).values())).toMatchObject({ outcome: 'no-answer', talkSec: 0 });
  });

  it('a conference connects people without a bridge: answered', async () => {
    const doc = ivrOnly();
    Object.assign(doc.variables, { last_app: 'conference', conference_name: 'sales%40default', conference_member_id: '4' });
    expect(only(calls(await legsOf([doc])).values())).toMatchObject({ outcome: 'answered', talkSec: 10 });
  });

  it('the real bridged call stays answered; a CDR without bridge_epoch says nothing and stays answered', async () => {
    // README B1: answered 21:49:22 local (CET), 10 s of conversation
    const b1 = only(calls(await legsOf([real(B1_PBX_LEG)])).values());
    expect([b1.outcome, b1.talkSec, b1.answerTime?.slice(0, 19)]).toEqual(['answered', 10, '2026-12-06T20:49:22']);
    const [item] = await items(hook(cdr({ ...BASE, answer_epoch: '1709630050', billsec: '50', last_app: 'playback' }), 'application/json'));
    expect(item).toMatchObject({ kind: 'leg', leg: { outcome: 'answered' } });
  });
});
