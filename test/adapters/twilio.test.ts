import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import adapter, { NoStatusCallbackError } from '../../adapters/twilio/index.js';
import type { AdapterInput, ParseItem } from '../../adapters/types.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { runParseCase } from '../pipeline/fixture-cases.js';
import { tempDir } from '../support/tmp.js';
import { bodyInput, fileInput, fixtureDir, fixtureSourceOptions, mergedCalls, only, parseItems } from './support.js';

const DIR = fixtureDir('twilio');
const fixtureOptions = adapter.configSchema.parse(fixtureSourceOptions('twilio'));
const defaults = adapter.configSchema.parse({});
type Options = typeof defaults;

const items = (input: AdapterInput, options: Options = fixtureOptions) => parseItems(adapter, input, options);
const file = (name: string) => fileInput(DIR, name);
const hook = (body: string, contentType = 'application/x-www-form-urlencoded') => bodyInput('hook:twilio', body, { contentType });
const calls = (list: ParseItem[]) => mergedCalls(adapter, list);
/** Callbacks saved one per line, as a drop folder holds them. */
const saved = (lines: string[]): AdapterInput => ({ name: 'callbacks.form', stream: Readable.from([lines.join('\n')]) });

const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const COMPLETED = {
  AccountSid: 'AC0123456789abcdef0123456789abcdef',
  CallSid: 'CA0123456789abcdef0123456789abcdef',
  CallStatus: 'completed',
  CallDuration: '60',
  Direction: 'inbound',
  From: '+46701234567',
  To: '+46850001000',
  Timestamp: 'Tue, 05 Mar 2024 09:30:27 +0000',
};
const RECORDING_URL = 'https://api.twilio.com/2010-04-01/Accounts/AC7d3f0b9e2c4a6815d0e2b4c6a8f01357/Recordings/';

describe('twilio: a status callback and a recording callback for the same CallSid', () => {
  it('become one incoming call: times from Timestamp − CallDuration, the dual-channel recording as stereo, our number as owner', async () => {
    const list = await items(file('inbound-with-recording.form'));
    expect(list.map((i) => i.kind)).toEqual(['leg', 'leg']);
    const call = only(calls(list).values());
    expect(call.externalId).toBe('CA2f9d4b61e08c37a5f1b2d3e4c5a6b7d8');
    expect(call.legs).toBe(2);
    expect(call.startTime).toBe('2024-03-05T09:27:20Z');
    expect(call.answerTime).toBe('2024-03-05T09:27:20Z');
    expect(call.endTime).toBe('2024-03-05T09:30:27Z');
    expect(call.durationSec).toBe(187);
    expect(call.talkSec).toBe(187);
    expect(call.from).toEqual({ number: '+46701234567', name: 'Karin Nyberg' });
    expect(call.to).toEqual({ number: '+46850001000' });
    expect(call.direction).toBe('incoming');
    expect(call.ownerExtension).toBe('+46850001000');
    expect(call.outcome).toBe('answered');
    expect(call.recording).toEqual({ url: `${RECORDING_URL}RE8b1c4e7a0d3f6925b8e1c4a7d0f3b6e9.mp3`, stereo: true });
    expect(call.location).toBe(`${path.join(DIR, 'inbound-with-recording.form')}:1`);
    expect((call.raw as Array<{ callback: string }>).map((r) => r.callback)).toEqual(['status', 'recording']);
  });

  it('an outbound-api call with a mono recording (recording callback first): outgoing, owned by the calling line', async () => {
    const call = only(calls(await items(file('outbound-api-recorded.ndjson'))).values());
    expect(call.externalId).toBe('CA5e0a7c29d4b61f83e2a5c8b1d4e7f0a3');
    expect(call.direction).toBe('outgoing');
    expect(call.from).toEqual({ number: '+46850001001' });
    expect(call.to).toEqual({ number: '+46731234567' });
    expect(call.ownerExtension).toBe('+46850001001');
    expect(call.location).toBe(`${path.join(DIR, 'outbound-api-recorded.ndjson')}:2`);
    expect(call.recording).toEqual({ url: `${RECORDING_URL}RE3d6f9c2b5e8a1d4c7f0b3e6a9d2c5f8b.mp3`, stereo: false });
    expect(call.startTime).toBe('2024-03-05T10:10:36Z');
    expect(call.endTime).toBe('2024-03-05T10:15:48Z');
  });

  it('appends the configured extension to RecordingUrl, or keeps it as sent', async () => {
    const recording = form({ CallSid: 'CA1', RecordingSid: 'RE1', RecordingStatus: 'completed', RecordingUrl: `${RECORDING_URL}RE1`, RecordingStartTime: 'Tue, 05 Mar 2024 09:27:26 +0000', RecordingDuration: '5', RecordingChannels: '2' });
    const url = async (recordingExtension: 'mp3' | 'wav' | 'none') => {
      const [item] = await items(hook(recording), { ...defaults, recordingExtension });
      return item?.kind === 'leg' ? item.leg.recording?.url : item;
    };
    expect(await url('mp3')).toBe(`${RECORDING_URL}RE1.mp3`);
    expect(await url('wav')).toBe(`${RECORDING_URL}RE1.wav`);
    expect(await url('none')).toBe(`${RECORDING_URL}RE1`);
  });
});

describe('twilio: direction and owner', () => {
  it('a browser call (client:anna) is outgoing even though Twilio calls it inbound; its <Dial> child is a call of its own by default', async () => {
    const all = calls(await items(file('client-call-with-child.form')));
    expect([...all.keys()].sort()).toEqual(['CA9c2e5a8d1f4b7e0a3c6f9b2e5d8a1c4f', 'CAb4e7a0d3c6f9b2e5a8d1c4f7a0e3b6d9']);
    const parent = all.get('CA9c2e5a8d1f4b7e0a3c6f9b2e5d8a1c4f') as CallRecord;
    expect(parent.direction).toBe('outgoing');
    expect(parent.ownerExtension).toBe('client:anna');
    expect(parent.from).toEqual({ number: 'client:anna', channel: 'client:anna' });
    expect(parent.recording?.stereo).toBe(true);
    const child = all.get('CAb4e7a0d3c6f9b2e5a8d1c4f7a0e3b6d9') as CallRecord;
    expect(child.direction).toBe('outgoing');
    expect(child.recording).toBeUndefined();
  });

  it('with groupChildCalls the child joins its parent, which stays the root', async () => {
    const call = only(calls(await items(file('client-call-with-child.form'), { ...fixtureOptions, groupChildCalls: true })).values());
    expect(call.externalId).toBe('CA9c2e5a8d1f4b7e0a3c6f9b2e5d8a1c4f');
    expect(call.legs).toBe(3);
    expect(call.from.number).toBe('client:anna');
    expect(call.to.number).toBe('+46709998877');
    expect(call.ownerExtension).toBe('client:anna');
    expect(call.durationSec).toBe(104);
  });

  it('ownerRule "direction": To for inbound, From for outbound-api and outbound-dial; the client: rule still applies', async () => {
    const leg = async (params: Record<string, string>) => {
      const [item] = await items(hook(form({ ...COMPLETED, ...params })), defaults);
      if (item?.kind !== 'leg') throw new Error(JSON.stringify(item));
      return item.leg;
    };
    expect(await leg({})).toMatchObject({ direction: 'incoming', ownerExtension: '+46850001000' });
    expect(await leg({ Direction: 'outbound-api', From: '+46850001001', To: '+46731234567' })).toMatchObject({ direction: 'outgoing', ownerExtension: '+46850001001' });
    expect(await leg({ Direction: 'outbound-dial', From: '+46850001001', To: '+46731234567' })).toMatchObject({ direction: 'outgoing', ownerExtension: '+46850001001' });
    expect(await leg({ Direction: 'inbound', From: 'client:bo', To: '+46731234567' })).toMatchObject({ direction: 'outgoing', ownerExtension: 'client:bo' });
    const unknown = await leg({ Direction: 'something-new' });
    expect(unknown.direction).toBeUndefined();
    expect(unknown.ownerExtension).toBeUndefined();
  });

  it('ownerRule "own-numbers": the listed party is ours, however the number is written; none listed = no owner', async () => {
    const options = { ...defaults, ownerRule: 'own-numbers' as const, ownNumbers: ['+46 8 500 010 00'] };
    const [ours] = await items(hook(form({ ...COMPLETED, Direction: 'outbound-dial' })), options);
    expect(ours).toMatchObject({ kind: 'leg', leg: { direction: 'incoming', ownerExtension: '+46850001000' } });
    const [theirs] = await items(hook(form({ ...COMPLETED, To: '+46899999999' })), options);
    if (theirs?.kind !== 'leg') throw new Error(JSON.stringify(theirs));
    expect(theirs.leg.direction).toBe('incoming');
    expect(theirs.leg.ownerExtension).toBeUndefined();
  });

  it('a SIP party: the user part is the number, the URI the channel', async () => {
    const [item] = await items(hook(form({ ...COMPLETED, From: 'sip:%2B46701234567@pbx.example.sip.twilio.com;transport=tls' })), defaults);
    expect(item).toMatchObject({ kind: 'leg', leg: { from: { number: '+46701234567', channel: 'sip:%2B46701234567@pbx.example.sip.twilio.com;transport=tls' } } });
  });

  it('keeps the offset of a non-UTC RFC 2822 Timestamp', async () => {
    const [item] = await items(hook(form({ ...COMPLETED, Timestamp: 'Tue, 05 Mar 2024 10:30:27 +0100' })), defaults);
    expect(item).toMatchObject({ kind: 'leg', leg: { startTime: '2024-03-05T10:29:27+01:00', endTime: '2024-03-05T10:30:27+01:00' } });
  });
});

describe('twilio: outcomes and skipped callbacks', () => {
  it('maps the final CallStatus values; unanswered calls have no duration', async () => {
    const outcome = async (CallStatus: string) => {
      const [item] = await items(hook(form({ ...COMPLETED, CallStatus, CallDuration: '0' })), defaults);
      return item?.kind === 'leg' ? [item.leg.outcome, item.leg.durationSec, item.leg.answerTime] : item;
    };
    expect(await outcome('busy')).toEqual(['busy', 0, undefined]);
    expect(await outcome('no-answer')).toEqual(['no-answer', 0, undefined]);
    expect(await outcome('canceled')).toEqual(['no-answer', 0, undefined]);
    expect(await outcome('failed')).toEqual(['failed', 0, undefined]);
  });

  it('the no-answer and busy fixtures (form and JSON file)', async () => {
    expect(only(calls(await items(file('no-answer.form'))).values())).toMatchObject({ outcome: 'no-answer', disposition: 'no-answer', startTime: '2024-03-05T14:41:05Z' });
    expect(only(calls(await items(file('busy.json'))).values())).toMatchObject({ outcome: 'busy', direction: 'outgoing', to: { number: '+4631123456' } });
  });

  it('progress callbacks (initiated, ringing, in-progress) are skipped, each with its reason', async () => {
    const list = await items(file('progress-callbacks.form'));
    expect(list).toEqual(
      ['initiated', 'ringing', 'in-progress'].map((status, i) => ({
        kind: 'skip',
        location: `${path.join(DIR, 'progress-callbacks.form')}:${i + 1}`,
        reason: `call CA1b4e7d0a3f6c9b2e5d8a1f4c7e0b3d6a not finished yet (CallStatus=${status}); the final status callback carries the call`,
      })),
    );
  });

  it('an in-progress recording callback is skipped with the reason; so is an absent recording', async () => {
    expect(await items(file('recording-in-progress.form'))).toEqual([
      {
        kind: 'skip',
        location: `${path.join(DIR, 'recording-in-progress.form')}:1`,
        reason: 'recording REc5f8b1e4a7d0c3f6b9e2a5d8c1f4b7e0 still in progress (RecordingStatus=in-progress); the completed callback carries the file',
      },
    ]);
    expect(await items(file('recording-absent.form'))).toEqual([
      {
        kind: 'skip',
        location: `${path.join(DIR, 'recording-absent.form')}:1`,
        reason: 'recording RE0b3e6a9d2f5c8b1e4a7d0f3c6b9e2a5d absent (RecordingStatus=absent, ErrorCode 16102): no file for this call',
      },
    ]);
  });
});

describe('twilio: hook posts and bad input', () => {
  it('reads one form-encoded post, located by the hook name; JSON posts too', async () => {
    const [formItem] = await items(hook(form(COMPLETED)));
    expect(formItem).toMatchObject({ kind: 'leg', groupKey: COMPLETED.CallSid, leg: { location: 'hook:twilio' } });
    const [jsonItem] = await items(hook(JSON.stringify(COMPLETED), 'application/json; charset=utf-8'));
    expect(jsonItem).toMatchObject({ kind: 'leg', groupKey: COMPLETED.CallSid });
    // a proxy that drops the header: the body says what it is
    for (const body of [form(COMPLETED), JSON.stringify(COMPLETED)]) {
      const [sniffed] = await items(hook(body, ''));
      expect(sniffed).toMatchObject({ kind: 'leg', groupKey: COMPLETED.CallSid, leg: { location: 'hook:twilio' } });
    }
  });

  it('names the field at fault: no CallSid, a bad Timestamp, a bad CallDuration, a missing RecordingUrl', async () => {
    expect(await items(file('missing-callsid.form'))).toEqual([
      { kind: 'error', location: `${path.join(DIR, 'missing-callsid.form')}:1`, message: 'no CallSid: not a Twilio voice callback' },
    ]);
    const message = async (params: Record<string, string>) => {
      const [item] = await items(hook(form(params)));
      return item?.kind === 'error' ? item.message : JSON.stringify(item);
    };
    expect(await message({ ...COMPLETED, Timestamp: 'yesterday' })).toBe('Timestamp: "yesterday" is not an RFC 2822 date with a zone');
    expect(await message({ ...COMPLETED, Timestamp: '' })).toBe('Timestamp: missing (an RFC 2822 date is required)');
    expect(await message({ ...COMPLETED, CallDuration: 'ten' })).toBe('CallDuration: "ten" is not a number of seconds');
    expect(await message({ CallSid: 'CA1', RecordingSid: 'RE1', RecordingStatus: 'completed', RecordingStartTime: 'Tue, 05 Mar 2024 09:27:26 +0000' })).toBe(
      'RecordingUrl: missing or not an http(s) URL',
    );
    expect(await message({ ...COMPLETED, CallStatus: 'exploded' })).toBe('unknown CallStatus "exploded"');
    // values naming Object.prototype members are just unknown values
    expect(await message({ ...COMPLETED, CallStatus: 'constructor' })).toBe('unknown CallStatus "constructor"');
    const [odd] = await items(hook(form({ ...COMPLETED, Direction: 'constructor', From: '+4631000000', To: '+4631000001' })), defaults);
    expect(odd?.kind === 'leg' ? odd.leg.direction : odd).toBeUndefined();
  });

  it('refuses an unknown content type and an oversized body', async () => {
    expect(await items(hook(form(COMPLETED), 'text/plain'))).toEqual([
      { kind: 'error', location: 'hook:twilio', message: 'unsupported content type "text/plain"; expected application/x-www-form-urlencoded or application/json' },
    ]);
    expect(await items(hook(`${form(COMPLETED)}&Junk=${'x'.repeat(10 * 1024 * 1024)}`))).toEqual([
      { kind: 'error', location: 'hook:twilio', message: 'body larger than 256.0 KiB (maxDocumentBytes): refused' },
    ]);
  });

  it('a file with binary garbage, a 10 MB line and a good callback: errors located per line, the good one read', async () => {
    const garbage = Buffer.from(Array.from({ length: 300 }, (_, i) => (i * 37 + 1) % 256).filter((b) => b !== 10));
    const text = Buffer.concat([garbage, Buffer.from(`\nCallSid=CA9&Junk=${'x'.repeat(10 * 1024 * 1024)}\n${form(COMPLETED)}\n`)]);
    const list = await items({ name: 'mixed.form', stream: Readable.from([text]) });
    expect(list.map((i) => [i.kind, i.kind === 'leg' ? i.leg.location : i.location])).toEqual([
      ['error', 'mixed.form:1'],
      ['error', 'mixed.form:2'],
      ['leg', 'mixed.form:3'],
    ]);
  });
});

describe('twilio: definition', () => {
  it('its example is valid; own-numbers without numbers is refused naming ownNumbers', () => {
    expect(adapter.configSchema.safeParse(adapter.example).success).toBe(true);
    const shape = (adapter.configSchema as unknown as { shape: Record<string, { description?: string }> }).shape;
    for (const [key, field] of Object.entries(shape)) expect([key, field.description]).toEqual([key, expect.any(String)]);
    const bad = adapter.configSchema.safeParse({ ownerRule: 'own-numbers' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([['ownNumbers', 'ownerRule "own-numbers" needs at least one number in ownNumbers']]);
  });
});

describe('twilio: answered or not, by what the <Dial> did (a completed parent only means its TwiML ran)', () => {
  const PARENT = 'CA3b5d7f9a1c2e4f6a8b0d2c4e6f8a0b1c';
  const CHILD = 'CA9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b';
  const parentStatus = (extra: Record<string, string> = {}) =>
    form({ ...COMPLETED, CallSid: PARENT, CallDuration: '27', Timestamp: 'Wed, 06 Mar 2024 10:02:33 +0000', CallbackSource: 'call-progress-events', ...extra });
  // The request Twilio makes to <Dial action="…">: the parent's parameters as they are then, no Timestamp.
  const dialAction = (DialCallStatus: string, extra: Record<string, string> = {}) =>
    form({ AccountSid: COMPLETED.AccountSid, CallSid: PARENT, CallStatus: 'in-progress', Direction: 'inbound', From: COMPLETED.From, To: COMPLETED.To, DialCallSid: CHILD, DialCallStatus, ...extra });
  const callOf = async (lines: string[], options: Options = fixtureOptions) => only(calls(await items(saved(lines), options)).values());

  it('DialCallStatus=no-answer: unanswered although the parent completed, with its length but no answer and no talk time', async () => {
    const list = await items(file('dial-no-answer.form'));
    expect(list[0]).toMatchObject({ kind: 'leg', leg: { outcome: 'no-answer', raw: { callback: 'dial' } } });
    const call = only(calls(list).values());
    expect(call).toMatchObject({ externalId: 'CA8fdebab2209dcee7b7e0548ce884a090', outcome: 'no-answer', legs: 2, talkSec: 0, durationSec: 27 });
    expect([call.startTime, call.endTime, call.answerTime]).toEqual(['2024-03-06T10:02:06Z', '2024-03-06T10:02:33Z', undefined]);
    // the status callback stays the root: the call is located where it is, and owned by the number called
    expect(call.location).toBe(`${path.join(DIR, 'dial-no-answer.form')}:2`);
    expect(call.ownerExtension).toBe('+46850001000');
  });

  it('DialCallStatus=busy: busy, even with the voicemail the caller then left (a <Record> recording callback)', async () => {
    const call = only(calls(await items(file('dial-busy-voicemail.form'))).values());
    expect(call.outcome).toBe('busy');
    expect(call.answerTime).toBeUndefined();
    expect(call.recording?.url).toBe(`${RECORDING_URL}RE91cd0118e246ec669887c8c8d4065b08.mp3`);
    expect((call.raw as Array<{ callback: string }>).map((r) => r.callback)).toEqual(['dial', 'status', 'recording']);
  });

  it('DialCallStatus=completed: answered, as the parent said', async () => {
    const call = only(calls(await items(file('dial-answered.form'))).values());
    expect(call).toMatchObject({ outcome: 'answered', answerTime: '2024-03-06T08:14:02Z', talkSec: 151, ownerExtension: '+46850001000' });
    expect(call.recording).toEqual({ url: `${RECORDING_URL}REf3c23fd1014b960fc3efd62bae4fdbe7.mp3`, stereo: true });
  });

  it('every DialCallStatus value, in either order of arrival', async () => {
    const outcome = async (status: string) => [(await callOf([dialAction(status), parentStatus()])).outcome, (await callOf([parentStatus(), dialAction(status)])).outcome];
    expect(await outcome('completed')).toEqual(['answered', 'answered']);
    expect(await outcome('answered')).toEqual(['answered', 'answered']);
    expect(await outcome('busy')).toEqual(['busy', 'busy']);
    expect(await outcome('no-answer')).toEqual(['no-answer', 'no-answer']);
    expect(await outcome('canceled')).toEqual(['no-answer', 'no-answer']);
    expect(await outcome('failed')).toEqual(['failed', 'failed']);
  });

  it('the action request of a caller who hung up while it rang (CallStatus=completed, no Timestamp) is the <Dial>\'s word, not a status callback', async () => {
    const [item] = await items(hook(dialAction('canceled', { CallStatus: 'completed' })));
    expect(item).toMatchObject({ kind: 'leg', groupKey: PARENT, leg: { outcome: 'no-answer', raw: { callback: 'dial' } } });
    expect((await callOf([dialAction('canceled', { CallStatus: 'completed' }), parentStatus()])).outcome).toBe('no-answer');
  });

  it('a status callback that carries DialCallStatus (forwarded by an app) decides the same way', async () => {
    const call = await callOf([parentStatus({ DialCallStatus: 'no-answer', DialCallSid: CHILD })]);
    expect([call.outcome, call.legs, call.startTime]).toEqual(['no-answer', 1, '2024-03-06T10:02:06Z']);
  });

  it('two <Dial>s in a row: answered when the second one is', async () => {
    const second = 'CA1a2b3c4d5e6f708192a3b4c5d6e7f809';
    expect((await callOf([dialAction('no-answer'), dialAction('completed', { DialCallSid: second, DialCallDuration: '95' }), parentStatus()])).outcome).toBe('answered');
    expect((await callOf([dialAction('no-answer'), dialAction('busy', { DialCallSid: second }), parentStatus()])).outcome).toBe('busy');
  });

  it('with groupChildCalls, the child legs\' own status callbacks tell it when there is no action request', async () => {
    const child = (CallStatus: string) =>
      form({ ...COMPLETED, CallSid: CHILD, ParentCallSid: PARENT, Direction: 'outbound-dial', To: 'client:anna', CallStatus, CallDuration: CallStatus === 'completed' ? '20' : '0', Timestamp: 'Wed, 06 Mar 2024 10:02:30 +0000' });
    const grouped = { ...fixtureOptions, groupChildCalls: true };
    expect((await callOf([child('no-answer'), parentStatus()], grouped)).outcome).toBe('no-answer');
    expect((await callOf([child('busy'), parentStatus()], grouped)).outcome).toBe('busy');
    expect((await callOf([child('completed'), parentStatus()], grouped)).outcome).toBe('answered');
  });

  it('names the field when DialCallStatus is not one Twilio sends', async () => {
    expect(await items(hook(dialAction('ringing')))).toEqual([
      { kind: 'error', location: 'hook:twilio', message: 'unknown DialCallStatus "ringing" (expected completed, answered, busy, no-answer, canceled, failed)' },
    ]);
  });
});

describe('twilio: ownNumbers listing the main number and the client identity it forwards to', () => {
  // An inbound call to the main number whose TwiML is <Dial><Client statusCallback="…">anna</Client></Dial>:
  // the parent (caller → +46850001000) and the child leg Twilio places to client:anna, grouped by groupChildCalls.
  const PARENT = 'CAd4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4';
  const CHILD = 'CAe5a7b9d1f3c5e7a9b1d3f5c7e9a1b3d5';
  const options = { ...fixtureOptions, groupChildCalls: true, ownNumbers: ['+46850001000', 'client:anna'] };
  const geo = { FromCountry: 'SE', ToCountry: 'SE', ApiVersion: '2010-04-01', AccountSid: COMPLETED.AccountSid, CallbackSource: 'call-progress-events' };
  const parent = form({ ...geo, CallSid: PARENT, CallStatus: 'completed', CallDuration: '97', Direction: 'inbound', From: '+46703334455', To: '+46850001000', Timestamp: 'Wed, 06 Mar 2024 13:41:09 +0000' });
  const child = (CallStatus: string, extra: Record<string, string> = {}) =>
    form({ ...geo, CallSid: CHILD, ParentCallSid: PARENT, CallStatus, CallDuration: CallStatus === 'completed' ? '88' : '0', Direction: 'outbound-dial', From: '+46703334455', To: 'client:anna', Timestamp: 'Wed, 06 Mar 2024 13:41:08 +0000', ...extra });
  const recording = form({ AccountSid: COMPLETED.AccountSid, CallSid: PARENT, RecordingSid: 'REa1b2c3d4e5f60718293a4b5c6d7e8f90', RecordingStatus: 'completed', RecordingChannels: '2', RecordingDuration: '88', RecordingSource: 'DialVerb', RecordingStartTime: 'Wed, 06 Mar 2024 13:39:41 +0000', RecordingUrl: `${RECORDING_URL}REa1b2c3d4e5f60718293a4b5c6d7e8f90` });
  const merged = async (lines: string[]) => only(calls(await items(saved(lines), options)).values());

  it('the owner is client:anna, who answered, not the main number the caller dialed', async () => {
    const call = await merged([child('completed'), parent, recording]);
    expect(call).toMatchObject({ externalId: PARENT, outcome: 'answered', direction: 'incoming', ownerExtension: 'client:anna', from: { number: '+46703334455' } });
  });

  it('and so in the payload: anna\'s email, found by the owners map of the config', async () => {
    const { dir, cleanup } = tempDir('cb-twilio-');
    try {
      const config = readFileSync(path.join(DIR, 'callbridge.yaml'), 'utf8').replace('ownerRule: own-numbers', 'ownerRule: own-numbers\n      groupChildCalls: true');
      writeFileSync(path.join(dir, 'callbridge.yaml'), config);
      writeFileSync(path.join(dir, 'forwarded.form'), [child('completed'), parent, recording].join('\n'));
      const run = await runParseCase('twilio', path.join(dir, 'callbridge.yaml'), path.join(dir, 'forwarded.form'));
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ payload: { call_external_id: PARENT, call_direction: 'incoming', owner_email: 'anna.berg@example.com', participant_phone_number: '+46703334455' } });
    } finally {
      cleanup();
    }
  });

  it('a <Dial callerId="+46850001000"> child (both sides listed) still reaches anna', async () => {
    expect((await merged([child('completed', { From: '+46850001000' }), parent])).ownerExtension).toBe('client:anna');
  });

  it('anna did not answer: the main number stays the owner, and the call is unanswered', async () => {
    expect(await merged([child('no-answer'), parent])).toMatchObject({ ownerExtension: '+46850001000', outcome: 'no-answer' });
  });

  it('a forward to an unlisted mobile: the main number stays the owner', async () => {
    expect((await merged([child('completed', { To: '+46709998877' }), parent])).ownerExtension).toBe('+46850001000');
  });
});

describe('twilio: a call of which no status callback arrived', () => {
  const recording = form({ AccountSid: COMPLETED.AccountSid, CallSid: 'CA6c8e0a2b4d6f8a0c2e4b6d8f0a2c4e6b', RecordingSid: 'REb2c3d4e5f60718293a4b5c6d7e8f90a1', RecordingStatus: 'completed', RecordingChannels: '2', RecordingDuration: '64', RecordingSource: 'DialVerb', RecordingStartTime: 'Wed, 06 Mar 2024 15:10:02 +0000', RecordingUrl: `${RECORDING_URL}REb2c3d4e5f60718293a4b5c6d7e8f90a1` });

  it('only the recording callback: says that the status callback is missing, not that the call is external-only', async () => {
    const { dir, cleanup } = tempDir('cb-twilio-');
    try {
      writeFileSync(path.join(dir, 'recording-only.form'), recording);
      const run = await runParseCase('twilio', path.join(DIR, 'callbridge.yaml'), path.join(dir, 'recording-only.form'));
      expect(run.code).toBe(0);
      const line = JSON.parse(run.stdout) as { state: string; error: string };
      expect(line.state).toBe('rejected');
      expect(line.error).toBe(
        'cannot make one call of the only leg of call CA6c8e0a2b4d6f8a0c2e4b6d8f0a2c4e6b: only a recording callback arrived: no call status callback, so From and To are unknown; point the call\'s status callback (statusCallback) at the bridge too',
      );
    } finally {
      cleanup();
    }
  });

  it('only the <Dial> action callback: its times are what is missing', async () => {
    const action = form({ AccountSid: COMPLETED.AccountSid, CallSid: 'CA6c8e0a2b4d6f8a0c2e4b6d8f0a2c4e6b', CallStatus: 'in-progress', From: COMPLETED.From, To: COMPLETED.To, DialCallStatus: 'completed', DialCallDuration: '64' });
    const list = await items(saved([action, recording]));
    expect(() => calls(list)).toThrow(NoStatusCallbackError);
    expect(() => calls(list)).toThrow(/^only a <Dial> action callback and a recording callback arrived: no call status callback, so the call's times are unknown/);
  });
});
