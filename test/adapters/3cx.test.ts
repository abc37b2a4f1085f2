import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { DEFAULT_FIELDS } from '../../adapters/3cx/fields.js';
import adapter, { parseTimeSpan, threeCxOptionsSchema } from '../../adapters/3cx/index.js';
import { parseChain } from '../../adapters/3cx/parties.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { type Parsed, parseSummary } from './support.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/3cx/', import.meta.url));

/** The fixture folder's adapter options (test/fixtures/3cx/callbridge.yaml). */
const FIXTURE_OPTIONS = {
  fields: [...DEFAULT_FIELDS],
  groupBy: 'callid',
  timeFormat: 'yyyy/MM/dd HH:mm:ss',
  recordingTemplate: 'https://recordings.example.se/3cx/{owner}/{yyyy}{mm}{dd}-{callid}.wav',
} as const;

function collect(stream: Readable, name: string, options: object = FIXTURE_OPTIONS): Promise<Parsed> {
  return parseSummary(adapter, { name, stream }, threeCxOptionsSchema.parse(options));
}

const fixture = (file: string, options?: object) => collect(createReadStream(FIXTURES + file), file, options);
const text = (body: string, options?: object) => collect(Readable.from([Buffer.from(body)]), 'cdr.log', options);

describe('3cx: fixtures', () => {
  it('v16: an incoming call that the IVR hands to an extension: final party, direction and owner from the types', async () => {
    const { calls, errors } = await fixture('v16-office.csv');
    expect(errors).toEqual([]);
    expect(calls).toHaveLength(7);
    expect(calls[0]).toMatchObject({
      externalId: '0000018F3A2B1C01_101',
      location: 'v16-office.csv:1',
      startTime: '2024-05-02T09:14:03',
      answerTime: '2024-05-02T09:14:09',
      endTime: '2024-05-02T09:21:47',
      talkSec: 458,
      direction: 'incoming',
      ownerExtension: '101',
      from: { number: '0701234567', name: 'Lars Berg', channel: '10000' },
      to: { number: '101', name: 'Anna Lindqvist', channel: '101' },
      outcome: 'answered',
      disposition: 'TerminatedByDst/ReplacedDst',
      recording: { url: 'https://recordings.example.se/3cx/101/20240502-0000018F3A2B1C01_101.wav' },
      legs: 1,
    });
    // a wall-clock end − start is not computed here: the zone (and its DST) is normalization's business
    expect(calls[0]?.durationSec).toBeUndefined();
    expect(calls[0]?.raw).toEqual([expect.objectContaining({ historyid: 'Call 20101', chain: 'Chain: 0701234567,Ext.800,Ext.101,', 'missed-queue-calls': '' })]);
  });

  it('v16: outgoing, queue, a handover by the caller (ReplacedSrc), internal, quoted names, click-to-call', async () => {
    const { calls } = await fixture('v16-office.csv');
    const [, outgoing, queue, handover, internal, quoted, makeCall] = calls as CallRecord[];
    expect(outgoing).toMatchObject({ direction: 'outgoing', ownerExtension: '102', from: { number: '102', name: 'Björn Ek' }, to: { number: '0812345678', channel: '10001' }, talkSec: 257 });
    expect(queue).toMatchObject({ direction: 'incoming', ownerExtension: '103', to: { number: '103', name: 'Cecilia Strand' }, disposition: 'TerminatedByDst/QFwdToDNA' });
    expect(queue?.raw).toEqual([expect.objectContaining({ 'missed-queue-calls': 'Ext.101,Ext.102' })]);
    // David called the customer and handed the call to Elin: Elin owns it, the customer stays the other party
    expect(handover).toMatchObject({ direction: 'outgoing', ownerExtension: '105', from: { number: '105', name: 'Elin Falk' }, to: { number: '0317654321' } });
    expect(internal).toMatchObject({ direction: 'internal', from: { number: '101' }, to: { number: '102' } });
    expect(internal?.ownerExtension).toBeUndefined();
    expect(quoted?.from).toEqual({ number: '0731112233', name: 'Svensson, Karin "KS"', channel: '10000' });
    // MakeCall is 3CX itself, not a party: the direction is left to normalization, and {owner} is unknown
    expect(makeCall?.direction).toBeUndefined();
    expect(makeCall?.from.number).toBe('MakeCall');
    expect(makeCall?.to.number).toBe('101'); // the failed handover (FailedBXferOfDst) did not replace the called side
    expect(makeCall?.recording).toBeUndefined();
  });

  it('v18/v20 format: BOM, CRLF, Extension/Line/Queue/RingGroup types, the ;-separated unquoted chain', async () => {
    const { calls, errors } = await fixture('v18-v20-format.csv');
    expect(errors).toEqual([]);
    expect(calls.map((c) => [c.location, c.direction, c.ownerExtension, c.from.number, c.to.number, c.outcome])).toEqual([
      ['v18-v20-format.csv:1', 'outgoing', '101', '101', '+46703014082', 'answered'],
      ['v18-v20-format.csv:2', 'incoming', '103', '+46701112233', '103', 'answered'],
      ['v18-v20-format.csv:3', 'incoming', '102', '+4631999888', '102', 'answered'],
      ['v18-v20-format.csv:4', 'incoming', '820', '+46709998877', '820', 'no-answer'],
    ]);
    expect(calls[0]).toMatchObject({ startTime: '2024-06-17T07:59:49', endTime: '2024-06-17T08:03:23', talkSec: 205, from: { name: 'Anna Lindqvist', channel: '101' }, to: { channel: '10020' } });
    expect(calls[0]?.to.name).toBeUndefined(); // 3CX repeats the number as the display name
    expect(calls[3]?.answerTime).toBeUndefined();
    expect(calls[3]?.talkSec).toBeUndefined();
  });

  it('unanswered calls: outcomes from reason-terminated', async () => {
    const { calls } = await fixture('unanswered.csv');
    expect(calls.map((c) => [c.disposition, c.outcome, c.to.number])).toEqual([
      ['Failed_Cancelled', 'no-answer', '101'],
      ['RouteBusy', 'busy', '0812222222'],
      ['NoRouteExists', 'failed', '0046'],
      ['Failed_Cancelled/Fwd_NoAnswer', 'no-answer', '999'],
      ['NotAvailable', 'failed', '101'],
    ]);
  });

  it('bad lines are located errors and parsing goes on', async () => {
    const { calls, errors } = await fixture('bad-lines.csv');
    expect(errors).toEqual([
      { location: 'bad-lines.csv:2', message: 'expected 27 fields, got 25 (does the fields option match the 3CX CDR template?)' },
      { location: 'bad-lines.csv:3', message: 'time-start: "03.05.2024 15:04" does not match timeFormat "yyyy/MM/dd HH:mm:ss"' },
      { location: 'bad-lines.csv:4', message: 'duration: "1 min" is not a time span like 00:05:15' },
      { location: 'bad-lines.csv:5', message: 'a quoted field is never closed (unbalanced double quotes, or a truncated line)' },
    ]);
    expect(calls.map((c) => c.location)).toEqual(['bad-lines.csv:1', 'bad-lines.csv:6']);
  });

  it('the fixture options and the example are valid', () => {
    expect(() => threeCxOptionsSchema.parse(FIXTURE_OPTIONS)).not.toThrow();
    expect(() => threeCxOptionsSchema.parse(adapter.example)).not.toThrow();
  });
});

describe('3cx: options and edge cases', () => {
  it('reads the field order an administrator chose (underscore names, unused columns)', async () => {
    const fields = ['callid', 'time_start', 'time_answered', 'time_end', 'from_no', 'to_no', 'from_type', 'to_type', 'unused', 'duration', 'unused'];
    const { calls, errors } = await text('abc_1,2024/05/02 10:00:00,2024/05/02 10:00:05,2024/05/02 10:02:05,Ext.101,0701234567,Internal,External,x,00:02:00,y\n', { fields });
    expect(errors).toEqual([]);
    expect(calls).toEqual([
      expect.objectContaining({ externalId: 'abc_1', direction: 'outgoing', ownerExtension: '101', from: { number: '101' }, to: { number: '0701234567' }, talkSec: 120, outcome: 'answered' }),
    ]);
  });

  it('groups by historyid when asked; rows of one call are merged', async () => {
    const base = (callid: string, start: string, end: string, to: string) =>
      `Call 9,${callid},00:01:00,2024/05/02 10:${start},2024/05/02 10:${start},2024/05/02 10:${end},TerminatedBySrc,0701234567,Ext.${to},10000,${to},${to},,,,,,,,,External,Internal,Internal,,,,`;
    const body = `${base('a_1', '00:00', '01:00', '101')}\n${base('a_2', '01:00', '05:00', '102')}\n`;
    const byCallid = await text(body);
    const byHistory = await text(body, { groupBy: 'historyid' });
    expect(byCallid.calls).toHaveLength(2);
    expect(byHistory.calls).toHaveLength(1);
    expect(byHistory.calls[0]).toMatchObject({ externalId: 'Call 9', legs: 2, startTime: '2024-05-02T10:00:00', endTime: '2024-05-02T10:05:00', talkSec: 120 });
  });

  it('a final party equal to the other side changes nothing (3CX writes such records)', async () => {
    const { calls } = await text(
      'Call 9803,00000171DF1C92AB_2579,00:11:16,2020/05/04 11:55:23,2020/05/04 11:55:30,2020/05/04 12:06:46,TerminatedByDst,Ext.102,Ext.125,102,125,125,ReplacedDst,Ext.102,102,,,,,"Chain: Ext.102,Ext.125,",Internal,Internal,Internal,a,b,c,\n',
    );
    expect(calls[0]).toMatchObject({ from: { number: '102' }, to: { number: '125' }, direction: 'internal' });
  });

  it('an extension whose DN differs from the number dialled is reported by its DN', async () => {
    const { calls } = await text(
      'Call 1,c_1,00:00:03,2020/05/04 11:04:20,2020/05/04 11:04:20,2020/05/04 11:04:24,TerminatedBySrc,Ext.184,Ext.999,184,315,315,,,,,,,,"Chain: Ext.184,Ext.315,",Internal,Internal,Internal,,,,315\n',
    );
    expect(calls[0]?.to.number).toBe('315');
  });

  it('timesAreUtc: times carry Z and the whole duration is computed', async () => {
    const row = 'Call 1,c_1,00:02:00,2024/05/02 10:00:00,2024/05/02 10:00:05,2024/05/02 10:02:05,TerminatedBySrc,Ext.101,0701234567,101,10000,0701234567,,,,,,,,,Internal,External,External,,,,\n';
    const { calls } = await text(row, { timesAreUtc: true });
    expect(calls[0]).toMatchObject({ startTime: '2024-05-02T10:00:00Z', answerTime: '2024-05-02T10:00:05Z', endTime: '2024-05-02T10:02:05Z', durationSec: 125 });
  });

  it('a custom time format and a ; delimiter', async () => {
    const row = 'Call 1;c_1;00:02:00;02.05.2024 10:00;02.05.2024 10:00;02.05.2024 10:02;TerminatedBySrc;Ext.101;0701234567;101;10000;0701234567;;;;;;;;Chain: Ext.101,0701234567;Internal;External;External;;;;\n';
    const { calls, errors } = await text(row, { timeFormat: 'dd.MM.yyyy HH:mm', delimiter: ';' });
    expect(errors).toEqual([]);
    expect(calls[0]).toMatchObject({ startTime: '2024-05-02T10:00:00', endTime: '2024-05-02T10:02:00' });
  });

  it('time spans, including .NET days', () => {
    expect(parseTimeSpan('00:05:15')).toBe(315);
    expect(parseTimeSpan('1.02:03:04')).toBe(93784);
    expect(parseTimeSpan('00:00:07.5230000')).toBe(7);
    expect(parseTimeSpan('5:15')).toBeUndefined();
  });

  it('both chain styles', () => {
    expect(parseChain('Chain: 0611360468,Ext.610,Ext.185,')).toEqual(['0611360468', 'Ext.610', 'Ext.185']);
    expect(parseChain('Chain: Ext.10016;+46703014082;')).toEqual(['Ext.10016', '+46703014082']);
    expect(parseChain('')).toEqual([]);
  });

  it('without final-* fields, the chain names the party the call ended with', async () => {
    const fields = ['callid', 'time-start', 'time-answered', 'time-end', 'from-no', 'to-no', 'from-dn', 'to-dn', 'reason-changed', 'chain', 'from-type', 'to-type'];
    const { calls } = await text('c_1,2024/05/02 10:00:00,2024/05/02 10:00:05,2024/05/02 10:02:05,0701234567,Ext.800,10000,800,ReplacedDst,"Chain: 0701234567,Ext.800,Ext.104,",External,Internal\n', { fields });
    expect(calls[0]).toMatchObject({ direction: 'incoming', ownerExtension: '104', to: { number: '104' } });
  });

  it('refuses unknown or repeated field names and a field list without time-start or an id', () => {
    const issues = (fields: string[]) => threeCxOptionsSchema.safeParse({ fields }).error?.issues.map((i) => i.message) ?? [];
    expect(issues(['callid', 'time-start', 'time-startt'])[0]).toMatch(/^unknown 3CX CDR field "time-startt"; known: historyid, callid/);
    expect(issues(['callid', 'time-start', 'callid'])).toEqual(['field "callid" is listed twice']);
    expect(issues(['callid', 'duration'])).toEqual(['the fields must include time-start']);
    expect(issues(['time-start'])).toEqual(['the fields must include callid or historyid (the call id)']);
  });

  it('refuses an unknown template placeholder', () => {
    expect(threeCxOptionsSchema.safeParse({ recordingTemplate: '/rec/{uniqueid}.wav' }).error?.issues[0]?.message).toMatch(/^unknown placeholder "\{uniqueid\}"/);
  });

  it('every option has a description', () => {
    for (const [name, field] of Object.entries(threeCxOptionsSchema.shape)) expect([name, field.description?.length ?? 0]).not.toEqual([name, 0]);
  });
});

describe('3cx: answered by a person, or only by 3CX itself (IVR, voicemail, EndCall)', () => {
  const only1 = async (line: string) => {
    const { calls, errors } = await text(`${line}\n`);
    expect(errors).toEqual([]);
    expect(calls).toHaveLength(1);
    return calls[0] as CallRecord;
  };

  it('v16, a real record: time-answered set, but the call went to 3CX\'s EndCall endpoint: no-answer', async () => {
    // dorel14/3CX-Cdr-Server ClasseurPrepaCDR.csv, "Call 9768", verbatim
    const call = await only1(
      'Call 9768,00000171DF02B8E6_2546,00:00:02,2020/05/04 11:27:09,2020/05/04 11:27:10,2020/05/04 11:27:12,TerminatedBySrc,0678314637,EndCall,10001,EndCall,009,,,,,,,,"Chain: 0678314637,EndCall,",External,External,External,from disp,to disp,fin disp,EndCall',
    );
    expect(call).toMatchObject({ outcome: 'no-answer', talkSec: 0, to: { number: 'EndCall' } });
    expect(call.answerTime).toBeUndefined();
  });

  it('v18: a caller who hung up in the IVR (to-type IVR): no-answer', async () => {
    const call = await only1(
      'Call 288910,4cc2c72490010000_27010,00:00:14,2024/06/17 10:00:00,2024/06/17 10:00:00,2024/06/17 10:00:14,TerminatedBySrc,+46701112233,Ext.800,10020,800,800,,,,,,,,Chain: +46701112233;Ext.800;,Line,IVR,IVR,Hansson Per,Huvudmeny,Huvudmeny,',
    );
    expect(call).toMatchObject({ outcome: 'no-answer', talkSec: 0, direction: 'incoming' });
  });

  it('v18: forwarded on no answer to the extension\'s voicemail (final-type VoiceMail): no-answer', async () => {
    const call = await only1(
      'Call 288911,4cc2c72490010000_27011,00:00:21,2024/06/17 10:05:00,2024/06/17 10:05:20,2024/06/17 10:05:41,TerminatedBySrc,+46701112233,Ext.101,10020,101,101,Fwd_NoAnswer,Ext.101,101,,,,,Chain: +46701112233;Ext.101;,Line,Extension,VoiceMail,Hansson Per,Anna Lindqvist,Anna Lindqvist,',
    );
    expect(call.outcome).toBe('no-answer');
  });

  it('v18: the IVR handed the caller to an extension who answered: answered', async () => {
    const call = await only1(
      'Call 288912,4cc2c72490010000_27012,00:02:10,2024/06/17 10:10:00,2024/06/17 10:10:09,2024/06/17 10:12:19,TerminatedByDst,+46701112233,Ext.800,10020,800,800,ReplacedDst,Ext.103,103,,,,,Chain: +46701112233;Ext.800;Ext.103;,Line,IVR,Extension,Hansson Per,Huvudmeny,Cecilia Strand,',
    );
    expect(call).toMatchObject({ outcome: 'answered', talkSec: 130, ownerExtension: '103', answerTime: '2024-06-17T10:10:09' });
  });
});
