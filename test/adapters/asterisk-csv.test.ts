import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import adapter, { asteriskCsvOptionsSchema, parseCallerId } from '../../adapters/asterisk-csv/index.js';
import { connectionOf } from '../../adapters/asterisk-csv/row.js';
import { type AsteriskColumn, autoLayout, rowOf } from '../../adapters/asterisk-csv/columns.js';
import { mergeLegs } from '../../adapters/shared/merge-legs.js';
import { renderRecording } from '../../adapters/shared/recording-template.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { only, type Parsed, parseSummary } from './support.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/asterisk-csv/', import.meta.url));

/** The fixture folder's adapter options (test/fixtures/asterisk-csv/callbridge.yaml). */
const FIXTURE_OPTIONS = {
  columns: 'auto',
  userfieldIsRecording: true,
  recordingTemplate: 'https://recordings.example.se/asterisk/{yyyy}/{mm}/{dd}/{linkedid}.wav',
} as const;

function collect(stream: Readable, name: string, options: object = FIXTURE_OPTIONS, firstLine?: number): Promise<Parsed> {
  const input = firstLine === undefined ? { name, stream } : { name, stream, firstLine };
  return parseSummary(adapter, input, asteriskCsvOptionsSchema.parse(options));
}

const fixture = (file: string, options?: object) => collect(createReadStream(FIXTURES + file), file, options);
const text = (body: string | Buffer, options?: object, firstLine?: number, name = 'Master.csv') =>
  collect(Readable.from([Buffer.from(body)]), name, options, firstLine);

/** One cdr_csv row as Asterisk writes it: strings quoted (quotes doubled), numbers bare, an empty answer time bare. */
function row(values: Partial<Record<string, string | number>>, layout: 16 | 18 | 21 = 21): string {
  const v = { accountcode: '', src: '0701234567', dst: '201', dcontext: 'from-trunk', clid: '', channel: 'PJSIP/telia-00000001',
    dstchannel: 'PJSIP/201-00000002', lastapp: 'Dial', lastdata: 'PJSIP/201,30', start: '2024-05-02 10:00:00', answer: '2024-05-02 10:00:05',
    end: '2024-05-02 10:01:05', duration: 65, billsec: 60, disposition: 'ANSWERED', amaflags: 'DOCUMENTATION', uniqueid: '1714636800.1',
    userfield: '', peeraccount: '', linkedid: '1714636800.1', sequence: 1, ...values };
  const q = (s: string | number | undefined) => `"${String(s ?? '').replace(/"/g, '""')}"`;
  const cells = [q(v.accountcode), q(v.src), q(v.dst), q(v.dcontext), q(v.clid), q(v.channel), q(v.dstchannel), q(v.lastapp), q(v.lastdata),
    q(v.start), v.answer ? q(v.answer) : '', q(v.end), String(v.duration), String(v.billsec), q(v.disposition), q(v.amaflags)];
  if (layout >= 18) cells.push(q(v.uniqueid), q(v.userfield));
  if (layout === 21) cells.push(q(v.peeraccount), q(v.linkedid), String(v.sequence));
  return cells.join(',');
}

describe('asterisk-csv: fixtures', () => {
  it('an incoming call answered by an extension: wall-clock times, caller id, the extension from dstchannel, userfield recording', async () => {
    const { calls, errors } = await fixture('incoming-answered.csv');
    expect(errors).toEqual([]);
    expect(calls).toHaveLength(1);
    const call = calls[0] as CallRecord;
    expect(call).toMatchObject({
      externalId: '1714634043.1187',
      location: 'incoming-answered.csv:1',
      startTime: '2024-05-02T09:14:03',
      answerTime: '2024-05-02T09:14:09',
      endTime: '2024-05-02T09:21:47',
      durationSec: 464,
      talkSec: 458,
      from: { number: '0701234567', name: 'Lars Berg', channel: 'PJSIP/telia-00000a3f' },
      // dst is the DID 46812345600; the phone that rang is PJSIP/201
      to: { number: '201', channel: 'PJSIP/201-00000a40' },
      outcome: 'answered',
      disposition: 'ANSWERED',
      recording: { url: 'https://recordings.example.se/mixmonitor/2024/05/02/in-46812345600-0701234567-1714634043.1187.wav' },
      legs: 1,
    });
    expect(call.direction).toBeUndefined();
    expect(call.ownerExtension).toBeUndefined();
    expect(call.raw).toEqual([expect.objectContaining({ uniqueid: '1714634043.1187', dst: '46812345600', sequence: '4412' })]);
  });

  it('the 18-column layout (uniqueid + userfield): the template recording uses uniqueid for {linkedid}', async () => {
    const { calls, errors } = await fixture('outgoing-18-columns.csv');
    expect(errors).toEqual([]);
    expect(calls).toEqual([
      expect.objectContaining({
        externalId: '1714636961.1203',
        from: { number: '202', name: 'Björn Ek', channel: 'PJSIP/202-00000a51' },
        to: { number: '0812345678', channel: 'PJSIP/telia-00000a52' },
        recording: { url: 'https://recordings.example.se/asterisk/2024/05/02/1714636961.1203.wav' },
        talkSec: 257,
      }),
    ]);
  });

  it('queue legs (ring-all, one busy, one no answer, one answered) become one call with the answering agent', async () => {
    const { calls } = await fixture('queue-ring-all.csv');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      externalId: '1714642200.1301',
      legs: 4,
      startTime: '2024-05-02T11:30:02',
      answerTime: '2024-05-02T11:30:20',
      endTime: '2024-05-02T11:36:51',
      from: { number: '0733445566', name: 'Nilsson Bygg AB' },
      to: { number: '203', channel: 'Local/203@from-queue-0000203;1' },
      outcome: 'answered',
      talkSec: 391,
      recording: { url: 'https://recordings.example.se/asterisk/2024/05/02/1714642200.1301.wav' },
    });
    expect((calls[0]?.raw as unknown[]).length).toBe(4);
    expect(calls[0]?.durationSec).toBeUndefined(); // wall-clock span: normalization computes it in the PBX zone
  });

  it('a blind transfer: the party the caller reached first, and both connections for normalization to choose the owner from', async () => {
    const { calls } = await fixture('blind-transfer.csv');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      legs: 2,
      startTime: '2024-05-02T13:05:10',
      answerTime: '2024-05-02T13:05:14',
      endTime: '2024-05-02T13:14:40',
      from: { number: '0709988776' },
      to: { number: '201' },
      outcome: 'answered',
    });
    expect(calls[0]?.connections?.map((c) => [c.from.number, c.to.number, c.answerTime, c.endTime, c.talkSec])).toEqual([
      ['0709988776', '201', '2024-05-02T13:05:14', '2024-05-02T13:05:52', 38],
      ['0709988776', '204', '2024-05-02T13:05:58', '2024-05-02T13:14:40', 522],
    ]);
  });

  it('an attended transfer: the consultation leg does not replace the customer as the other party', async () => {
    const { calls } = await fixture('attended-transfer.csv');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({
      externalId: '1714652400.1510',
      legs: 3,
      from: { number: '202', name: 'Björn Ek' },
      to: { number: '0317654321', channel: 'PJSIP/telia-00000d02' },
      endTime: '2024-05-02T14:31:45',
    });
  });

  it('forward on busy: the busy leg and the colleague who answered are one answered call', async () => {
    const { calls } = await fixture('forward-on-busy.csv');
    expect(calls).toEqual([expect.objectContaining({ legs: 2, to: { number: '206', channel: 'PJSIP/206-00000e03' }, outcome: 'answered', disposition: 'ANSWERED' })]);
  });

  it('a forward to a mobile through the trunk keeps the outside number as the other party', async () => {
    const { calls } = await fixture('forward-to-mobile.csv');
    expect(calls).toEqual([expect.objectContaining({ from: expect.objectContaining({ number: '0702223344' }), to: { number: '204', channel: 'PJSIP/telia-00000f02' } })]);
  });

  it('dispositions map to outcomes; unanswered calls have no answer time', async () => {
    const { calls } = await fixture('unanswered.csv');
    expect(calls.map((c) => [c.disposition, c.outcome, c.answerTime, c.talkSec])).toEqual([
      ['NO ANSWER', 'no-answer', undefined, 0],
      ['BUSY', 'busy', undefined, 0],
      ['FAILED', 'failed', undefined, 0],
      ['CONGESTION', 'failed', undefined, 0],
    ]);
  });

  it('a BOM, CRLF line endings, commas and doubled quotes inside quoted fields', async () => {
    const { calls, errors } = await fixture('quoting-crlf-bom.csv');
    expect(errors).toEqual([]);
    expect(calls).toHaveLength(1);
    const call = calls[0] as CallRecord;
    expect(call.location).toBe('quoting-crlf-bom.csv:1');
    expect(call.from).toEqual({ number: '0731112233', name: 'Svensson, Karin "KS"', channel: 'PJSIP/telia-00001201' });
    expect(call.raw).toEqual([
      expect.objectContaining({ accountcode: 'sales,nordic', lastdata: 'PJSIP/201,30,tTr,M(whisper^"VIP, priority")', sequence: '9201' }),
    ]);
    expect(call.endTime).toBe('2024-05-03T11:19:58'); // no stray \r
  });

  it('the 16-column default layout (no uniqueid) gets a stable id from the row; 17 columns carry uniqueid', async () => {
    const first = await fixture('legacy-16-and-17-columns.csv');
    const again = await fixture('legacy-16-and-17-columns.csv');
    expect(first.errors).toEqual([]);
    const [legacy, withUniqueid] = first.calls as [CallRecord, CallRecord];
    expect(legacy.externalId).toMatch(/^row-[0-9a-f]{20}$/);
    expect(legacy.externalId).toBe(again.calls[0]?.externalId);
    expect(legacy.recording).toBeUndefined(); // the template needs {linkedid}/{uniqueid}, which this layout lacks
    expect(legacy.to).toEqual({ number: '0812345678', channel: 'SIP/telia-00002002' });
    expect(withUniqueid.externalId).toBe('1714730400.2001');
    expect(withUniqueid.recording).toEqual({ url: 'https://recordings.example.se/asterisk/2024/05/03/1714730400.2001.wav' });
  });

  it('times across the start of summer time stay as the PBX wrote them (the zone is applied later)', async () => {
    const { calls } = await fixture('dst-spring-forward.csv');
    expect(calls[0]).toMatchObject({ startTime: '2024-03-31T01:58:00', endTime: '2024-03-31T03:02:00', durationSec: 240, talkSec: 230 });
  });

  it('bad lines are located errors and parsing goes on', async () => {
    const { calls, errors } = await fixture('bad-lines.csv');
    expect(errors).toEqual([
      { location: 'bad-lines.csv:2', message: 'expected 16 to 21 (cdr_csv layout) columns, got 8' },
      { location: 'bad-lines.csv:3', message: 'start: "03/05/2024 15:05" is not a time (expected YYYY-MM-DD HH:MM:SS)' },
      { location: 'bad-lines.csv:4', message: 'duration: "sixty" is not a whole number of seconds' },
      { location: 'bad-lines.csv:5', message: 'a quoted field is followed by "A" instead of the delimiter ","' },
      { location: 'bad-lines.csv:6', message: 'a quoted field is followed by ";" instead of the delimiter "," (wrong delimiter?)' },
      { location: 'bad-lines.csv:7', message: 'expected 16 to 21 (cdr_csv layout) columns, got 2' },
      { location: 'bad-lines.csv:9', message: 'a quoted field is never closed (unbalanced double quotes, or a truncated line)' },
    ]);
    expect(calls.map((c) => c.location)).toEqual(['bad-lines.csv:1', 'bad-lines.csv:8']);
  });

  it('every fixture options block in callbridge.yaml is valid for the adapter', () => {
    expect(() => asteriskCsvOptionsSchema.parse(FIXTURE_OPTIONS)).not.toThrow();
    expect(() => asteriskCsvOptionsSchema.parse(adapter.example)).not.toThrow();
  });
});

describe('asterisk-csv: streaming and hostile input', () => {
  it('honours input.firstLine for tails that resume mid-file', async () => {
    const { calls, errors } = await text(`${row({})}\nnot,a,cdr\n${row({ uniqueid: '1714636900.2', linkedid: '1714636900.2' })}\n`, FIXTURE_OPTIONS, 1001);
    expect(calls.map((c) => c.location)).toEqual(['Master.csv:1001', 'Master.csv:1003']);
    expect(errors).toEqual([{ location: 'Master.csv:1002', message: 'expected 16 to 21 (cdr_csv layout) columns, got 3' }]);
  });

  it('a 10 MB field is one error line, and the next line is still read', async () => {
    const huge = row({ lastdata: 'x'.repeat(10 * 1024 * 1024) });
    const { calls, errors } = await text(`${row({})}\n${huge}\n${row({ uniqueid: '1714636900.2', linkedid: '1714636900.2' })}\n`);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location).toBe('Master.csv:2');
    expect(errors[0]?.message).toMatch(/^line is \d+ bytes, longer than the limit of 65536 bytes \(maxLineBytes\)$/);
    expect(calls.map((c) => c.externalId)).toEqual(['1714636800.1', '1714636900.2']);
  });

  it('gives the same result whatever the chunk boundaries (one byte at a time, across CRLF and quotes)', async () => {
    const body = `\uFEFF${row({ clid: '"Ek, Björn" <202>' })}\r\n"broken\r\n${row({ uniqueid: '1714636900.2', linkedid: '1714636900.2' })}`;
    const whole = await text(body);
    const bytes = Buffer.from(body);
    const trickle = await collect(Readable.from([...bytes].map((b) => Buffer.from([b]))), 'Master.csv');
    expect(trickle.items).toEqual(whole.items);
    expect(whole.calls).toHaveLength(2);
    expect(whole.calls[0]?.from.name).toBe('Ek, Björn');
    expect(whole.errors).toEqual([{ location: 'Master.csv:2', message: 'a quoted field is never closed (unbalanced double quotes, or a truncated line)' }]);
  });

  it('binary garbage gives errors, never a crash or a call', async () => {
    const garbage = Buffer.alloc(200_000);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) % 256;
    const { calls, errors } = await text(garbage);
    expect(calls).toEqual([]);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e.location).toMatch(/^Master\.csv:\d+$/);
  });

  it('a stream that fails while reading rejects (an I/O problem is not bad content)', async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from(`${row({})}\n`));
        this.destroy(new Error('EIO: disk went away'));
      },
    });
    await expect(collect(failing, 'Master.csv')).rejects.toThrow('EIO: disk went away');
  });

  it('usegmtime: times carry Z', async () => {
    const { calls } = await text(`${row({})}\n`, { ...FIXTURE_OPTIONS, usegmtime: true });
    expect(calls[0]).toMatchObject({ startTime: '2024-05-02T10:00:00Z', answerTime: '2024-05-02T10:00:05Z', endTime: '2024-05-02T10:01:05Z' });
  });

  it('an explicit column layout refuses rows of another width', async () => {
    const columns = ['accountcode', 'src', 'dst', 'dcontext', 'clid', 'channel', 'dstchannel', 'lastapp', 'lastdata', 'start', 'answer', 'end', 'duration', 'billsec', 'disposition', 'amaflags', 'uniqueid', 'userfield'];
    const { calls, errors } = await text(`${row({}, 18)}\n${row({}, 21)}\n`, { columns });
    expect(calls).toHaveLength(1);
    expect(errors).toEqual([{ location: 'Master.csv:2', message: 'expected 18 columns, got 21' }]);
  });

  it('extensionFromChannel null keeps dst (here the DID) as the called number', async () => {
    const { calls } = await text(`${row({ dst: '46812345600' })}\n`, { extensionFromChannel: null });
    expect(calls[0]?.to.number).toBe('46812345600');
  });

  it('userfield paths: relative ones are resolved against recordingDir; a template fills in when userfield is empty', async () => {
    const options = { userfieldIsRecording: true, recordingDir: '/var/spool/asterisk/monitor', recordingTemplate: '/srv/rec/{yyyy}/{mm}/{dd}/{uniqueid}-{src}.wav' };
    const { calls } = await text(
      [
        row({ userfield: '2024/05/02/out-201.wav' }),
        row({ userfield: '/mnt/rec/abs.wav', uniqueid: '1714636800.2', linkedid: '1714636800.2' }),
        row({ userfield: '', uniqueid: '1714636800.3', linkedid: '1714636800.3', src: '../../etc/passwd' }),
      ].join('\n'),
      options,
    );
    expect(calls.map((c) => c.recording)).toEqual([
      { path: '/var/spool/asterisk/monitor/2024/05/02/out-201.wav' },
      { path: '/mnt/rec/abs.wav' },
      // a caller-chosen value cannot climb out of the template's folder
      { path: '/srv/rec/2024/05/02/1714636800.3-____etc_passwd.wav' },
    ]);
  });
});

/** The leg of a parse of one row. */
function onlyLeg(parsed: Parsed): CallRecord {
  return only(parsed.items.flatMap((i) => (i.kind === 'leg' ? [i.leg] : [])));
}

describe('asterisk-csv: channel names as PBXs write them', () => {
  // One row each; from/to as the adapter reads them and whether the row is a connection (it has a dstchannel).
  it.each([
    ['FreePBX queue: trunk → a member\'s Local ;1 half', { channel: 'PJSIP/trunk-0000001a', dstchannel: 'Local/2001@from-queue-00000012;1', lastapp: 'Queue', lastdata: '500,t,,,300', dst: '500' }, '0701234567', '2001', 'queue 500'],
    ['FreePBX queue: the member\'s ;2 half dials the phone, with the caller\'s caller id', { channel: 'Local/2001@from-queue-00000012;2', dstchannel: 'PJSIP/2001-0000001b', dst: '2001' }, '0701234567', '2001', undefined],
    ['FreePBX ring group: trunk → Local/…@from-internal ;1, several targets at once', { channel: 'PJSIP/trunk-0000001a', dstchannel: 'Local/2002@from-internal-00000013;1', lastdata: 'Local/2001@from-internal/n&Local/2002@from-internal/n,20,tT', dst: '600' }, '0701234567', '2002', 'ring group'],
    ['FreePBX follow-me: Local/FMGL-2001#@from-internal', { channel: 'PJSIP/trunk-0000001a', dstchannel: 'Local/FMGL-2001#@from-internal-00000014;1', dst: '2001' }, '0701234567', '2001', undefined],
    ['a phone calls out through a trunk (src rewritten to the company number)', { channel: 'PJSIP/2001-0000001c', dstchannel: 'PJSIP/trunk-0000001d', src: '0812345600', clid: '"Company AB" <0812345600>', dst: '0701234567' }, '2001', '0701234567', undefined],
    ['click-to-call: the originated ;1 half is the agent', { channel: 'Local/2001@from-internal-0000001e;1', dstchannel: 'PJSIP/trunk-0000001f', src: '2001', clid: '"Anna" <2001>', dst: '0701234567' }, '2001', '0701234567', undefined],
    ['a transferred outside party\'s own ;1 half dials the transfer target', { channel: 'Local/0736512480@pstn-out-00000010;1', dstchannel: 'Local/3107@desk-00000011;1', src: '0736512480', dst: '3107' }, '0736512480', '3107', undefined],
  ])('%s', async (_what, values, from, to, via) => {
    const leg = onlyLeg(await text(`${row(values)}\n`, {}));
    expect([leg.from.number, leg.to.number]).toEqual([from, to]);
    const connection = connectionOf(leg);
    expect(connection).toEqual(expect.objectContaining({ from: leg.from, to: leg.to, answered: true }));
    expect(connection?.via).toBe(via);
  });

  it.each([
    ['a callee\'s own leg (Local ;2, no dstchannel) is the caller\'s call seen from the phone, not a call from the phone', { channel: 'Local/3101@desk-00000001;2', dstchannel: '', dst: '3101' }, '0701234567', '3101'],
    ['the originated channel of a CLI/AMI Originate (src empty)', { channel: 'Local/d1@callgen-00000000;1', dstchannel: '', src: '', clid: '"" <>', dst: 'd1' }, 'd1', 'd1'],
    ['a post-Dial Hangup row', { channel: 'PJSIP/2001-0000001c', dstchannel: '', lastapp: 'Hangup', disposition: 'NO ANSWER', answer: '' }, '2001', '201'],
  ])('%s: no connection', async (_what, values, from, to) => {
    const leg = onlyLeg(await text(`${row(values)}\n`, {}));
    expect([leg.from.number, leg.to.number, connectionOf(leg)]).toEqual([from, to, undefined]);
  });

  it('a call of one row is its from → to; rows without a dstchannel add times, never connections', async () => {
    const one = await text(`${row({})}\n`, {});
    expect(one.calls[0]?.connections).toBeUndefined();
    const withLeg = await text(`${row({})}\n${row({ channel: 'Local/201@from-internal-00000001;2', dstchannel: '', uniqueid: '1714636800.2', end: '2024-05-02 10:01:09' })}\n`, {});
    expect(withLeg.calls[0]).toMatchObject({ endTime: '2024-05-02T10:01:09', connections: [expect.objectContaining({ from: { number: '0701234567', channel: 'PJSIP/telia-00000001' }, to: { number: '201', channel: 'PJSIP/201-00000002' } })] });
    expect(withLeg.calls[0]?.connections).toHaveLength(1);
  });

  it('a trunk whose name looks like an extension keeps its caller id for messages', async () => {
    const { calls } = await text(`${row({ channel: 'PJSIP/4600-00000021', src: '+46701234567', clid: '"Bo" <+46701234567>' })}\n`, {});
    expect(calls[0]?.from).toEqual({ number: '4600', channel: 'PJSIP/4600-00000021', callerNumber: '+46701234567' });
  });
});

describe('asterisk-csv: one call from its rows', () => {
  // A FreePBX-style queue call on SIP: the trunk's Queue rows per member, the answering member's Local ;2 row
  // dialling the phone, and that phone's leg; then the agent blind-transfers the caller to 2003.
  const queueCall = [
    row({ channel: 'PJSIP/trunk-00000001', dstchannel: 'Local/2001@from-queue-00000002;1', lastapp: 'Queue', lastdata: 'sales,t', dst: '500', answer: '', billsec: 0, disposition: 'NO ANSWER', start: '2024-05-02 10:00:00', end: '2024-05-02 10:00:15', uniqueid: 'pbx-1714644000.1', linkedid: 'pbx-1714644000.1', sequence: 1 }),
    row({ channel: 'PJSIP/trunk-00000001', dstchannel: 'Local/2002@from-queue-00000003;1', lastapp: 'Queue', lastdata: 'sales,t', dst: '500', start: '2024-05-02 10:00:17', answer: '2024-05-02 10:00:20', end: '2024-05-02 10:01:00', billsec: 40, uniqueid: 'pbx-1714644000.1', linkedid: 'pbx-1714644000.1', sequence: 5, userfield: '/var/spool/asterisk/monitor/q-sales.wav' }),
    row({ channel: 'Local/2002@from-queue-00000003;2', dstchannel: 'PJSIP/2002-00000004', dst: '2002', start: '2024-05-02 10:00:17', answer: '2024-05-02 10:00:20', end: '2024-05-02 10:01:00', billsec: 40, uniqueid: 'pbx-1714644017.4', linkedid: 'pbx-1714644000.1', sequence: 6 }),
    row({ channel: 'PJSIP/trunk-00000001', dstchannel: 'PJSIP/2003-00000006', lastapp: 'Dial', dcontext: 'from-internal-xfer', dst: '2003', start: '2024-05-02 10:01:00', answer: '2024-05-02 10:01:04', end: '2024-05-02 10:03:00', billsec: 116, uniqueid: 'pbx-1714644000.1', linkedid: 'pbx-1714644000.1', sequence: 9, userfield: '/var/spool/asterisk/monitor/xfer-2003.wav' }),
  ];

  it('starts with the channel created first, keeps every connection in order, the caller\'s recording, and says why', async () => {
    // Written in the order cdr_csv finalises rows, not the order they started.
    const { calls } = await text(`${[queueCall[2], queueCall[0], queueCall[3], queueCall[1]].join('\n')}\n`, {});
    expect(calls).toHaveLength(1);
    const call = calls[0] as CallRecord;
    expect(call).toMatchObject({
      externalId: 'pbx-1714644000.1',
      location: 'Master.csv:1',
      startTime: '2024-05-02T10:00:00',
      endTime: '2024-05-02T10:03:00',
      from: { number: '0701234567', channel: 'PJSIP/trunk-00000001' },
      to: { number: '2002' },
      outcome: 'answered',
      recording: { path: '/var/spool/asterisk/monitor/q-sales.wav' },
    });
    expect(call.connections?.map((c) => [c.from.number, c.to.number, c.answered, c.via])).toEqual([
      ['0701234567', '2001', false, 'queue sales'],
      ['0701234567', '2002', true, 'queue sales'],
      ['0701234567', '2002', true, undefined],
      ['0701234567', '2003', true, undefined],
    ]);
    expect(call.recording?.note).toMatch(/^sent q-sales\.wav, the recording of the caller's channel; the call also has xfer-2003\.wav \(started 2024-05-02 10:01:00\)/);
  });

  it('a Dial row of an originated channel takes its callee\'s own answer (click-to-call: the customer, not the agent)', async () => {
    const rows = [
      row({ channel: 'Local/+4586123456@pstn-out-00000003;2', dstchannel: '', src: '3104', dst: '+4586123456', start: '2026-12-06 21:24:25', answer: '2026-12-06 21:24:29', end: '2026-12-06 21:24:39', billsec: 10, uniqueid: 'pbx2-1796588665.7', linkedid: 'pbx2-1796588663.4', sequence: 7 }),
      row({ channel: 'Local/3104@desk-00000002;1', dstchannel: 'Local/+4586123456@pstn-out-00000003;1', src: '3104', dst: '+4586123456', start: '2026-12-06 21:24:23', answer: '2026-12-06 21:24:25', end: '2026-12-06 21:24:39', billsec: 14, uniqueid: 'pbx2-1796588663.4', linkedid: 'pbx2-1796588663.4', sequence: 4 }),
    ];
    const { calls } = await text(`${rows.join('\n')}\n`, {});
    expect(calls[0]?.connections).toEqual([
      expect.objectContaining({ from: expect.objectContaining({ number: '3104' }), to: expect.objectContaining({ number: '+4586123456' }), answerTime: '2026-12-06T21:24:29', talkSec: 10 }),
    ]);
  });

  it('userfield: by default a value naming an audio file is the recording, anything else is not', async () => {
    const { calls } = await text(
      [
        row({ userfield: '/var/spool/asterisk/monitor/2024/05/02/out-201.WAV' }),
        row({ userfield: 'https://rec.example.se/a.mp3?sig=1', uniqueid: '1714636800.2', linkedid: '1714636800.2' }),
        row({ userfield: 'VIP customer', uniqueid: '1714636800.3', linkedid: '1714636800.3' }),
      ].join('\n'),
      {},
    );
    expect(calls.map((c) => c.recording)).toEqual([{ path: '/var/spool/asterisk/monitor/2024/05/02/out-201.WAV' }, { url: 'https://rec.example.se/a.mp3?sig=1' }, undefined]);
  });

  it('recordingPathMap reads the PBX\'s recording folder where this bridge sees it', async () => {
    const { calls } = await text(`${row({ userfield: '/var/spool/asterisk/monitor/2024/05/02/out-201.wav' })}\n`, {
      recordingPathMap: [{ from: '/var/spool/asterisk/monitor', to: '/mnt/pbx/monitor' }],
    });
    expect(calls[0]?.recording).toEqual({ path: '/mnt/pbx/monitor/2024/05/02/out-201.wav' });
  });
});

describe('asterisk-csv: options', () => {
  it('refuses an unknown template placeholder, naming it and the allowed ones', () => {
    const result = asteriskCsvOptionsSchema.safeParse({ recordingTemplate: '/rec/{callid}.wav' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toMatch(/^unknown placeholder "\{callid\}"; use one of .*\{uniqueid\}.*\{yyyy\}/);
  });

  it('refuses an extension pattern without a capture group, or one that is not a regular expression', () => {
    expect(asteriskCsvOptionsSchema.safeParse({ extensionFromChannel: '^PJSIP/\\d+' }).error?.issues[0]?.message).toBe(
      'the expression needs a capture group for the extension',
    );
    expect(asteriskCsvOptionsSchema.safeParse({ extensionFromChannel: '^(PJSIP' }).error?.issues[0]?.message).toMatch(/^not a valid regular expression/);
  });

  it('refuses a layout without start/src/dst/disposition and unknown option names', () => {
    expect(asteriskCsvOptionsSchema.safeParse({ columns: ['src', 'dst', 'start'] }).success).toBe(false);
    expect(asteriskCsvOptionsSchema.safeParse({ userFieldIsRecording: true }).success).toBe(false);
  });

  it('every option has a description', () => {
    for (const [name, field] of Object.entries(asteriskCsvOptionsSchema.shape)) expect([name, field.description?.length ?? 0]).not.toEqual([name, 0]);
  });
});

describe('asterisk-csv: caller id, templates and merge', () => {
  it('splits caller ids as Asterisk writes them', () => {
    expect(parseCallerId('"Alice Smith" <100>')).toEqual({ name: 'Alice Smith', number: '100' });
    expect(parseCallerId('Alice <100>')).toEqual({ name: 'Alice', number: '100' });
    expect(parseCallerId('<0701234567>')).toEqual({ number: '0701234567' });
    expect(parseCallerId('"" <0701234567>')).toEqual({ number: '0701234567' });
    expect(parseCallerId('Anonymous')).toEqual({ name: 'Anonymous' });
    expect(parseCallerId('')).toEqual({});
  });

  it('every cdr_csv layout builds its row with the column names in file order, each with its field', () => {
    for (let n = 16; n <= 21; n++) {
      for (const col16 of ['1712345678.42', '/var/spool/asterisk/monitor/x.wav']) {
        const fields = Array.from({ length: n }, (_, i) => (i === 16 ? col16 : `value ${i}`));
        const layout = autoLayout(fields) as readonly AsteriskColumn[];
        expect(layout).toHaveLength(n);
        expect(Object.entries(rowOf(layout, fields))).toEqual(layout.map((column, i) => [column, fields[i]]));
      }
    }
    // A layout given in the options (any order) is built the same way.
    const custom: AsteriskColumn[] = ['start', 'src', 'dst', 'disposition', 'linkedid'];
    expect(Object.entries(rowOf(custom, ['a', 'b', 'c', 'd', 'e']))).toEqual([['start', 'a'], ['src', 'b'], ['dst', 'c'], ['disposition', 'd'], ['linkedid', 'e']]);
  });

  it('URL templates encode values; a placeholder without a value gives no recording', () => {
    expect(renderRecording('https://r.example/{src}/{uniqueid}.wav', { src: '+46 70/1', uniqueid: '1.2' })).toEqual({ url: 'https://r.example/%2B46%2070%2F1/1.2.wav' });
    expect(renderRecording('https://r.example/{uniqueid}.wav', { uniqueid: '' })).toBeUndefined();
  });

  it('merging one leg lists its raw fields; merging merged calls flattens legs and raw', async () => {
    const { items } = await text([row({ sequence: 1 }), row({ sequence: 2, dstchannel: 'PJSIP/202-3', answer: '', billsec: 0, disposition: 'NO ANSWER' }), row({ sequence: 3 })].join('\n'));
    const legs = items.flatMap((i) => (i.kind === 'leg' ? [i.leg] : []));
    expect(legs).toHaveLength(3);
    const one = mergeLegs([legs[0] as CallRecord]);
    expect(one.legs).toBe(1);
    expect(one.raw).toEqual([legs[0]?.raw]);
    const stepwise = mergeLegs([mergeLegs([legs[0] as CallRecord, legs[1] as CallRecord]), legs[2] as CallRecord]);
    const atOnce = mergeLegs(legs);
    expect(stepwise.legs).toBe(3);
    expect(stepwise.raw).toEqual(atOnce.raw);
    expect(atOnce.outcome).toBe('answered');
    expect(() => mergeLegs([])).toThrow(RangeError);
  });
});

describe('asterisk-csv: answered by a person, or only by the PBX (no dstchannel in any row)', () => {
  // An inbound trunk call to the DID of 201, as cdr_csv writes it when the dialplan itself answers the caller.
  const pbxRow = (lastapp: string, lastdata: string, extra: Partial<Record<string, string | number>> = {}) =>
    row({ clid: '"Karin Nyberg" <0705556677>', src: '0705556677', dst: '201', dstchannel: '', lastapp, lastdata, answer: '2024-05-02 10:00:01', end: '2024-05-02 10:00:33', duration: 33, billsec: 32, ...extra });
  const single = async (csv: string, options?: object) => only((await text(`${csv}\n`, options)).calls);

  it.each([
    ['VoiceMail', '201@default,u'],
    ['Playback', 'custom/closed-today'],
    ['Queue', 'support,t,,,300'], // the caller left the queue before any member was rung
    ['Hangup', ''], // an IVR (Background, WaitExten) that ended the call
  ])('ANSWERED by %s with no dstchannel: no-answer, no answer time, no talk time', async (lastapp, lastdata) => {
    const call = await single(pbxRow(lastapp, lastdata));
    expect(call).toMatchObject({ outcome: 'no-answer', talkSec: 0, disposition: 'ANSWERED', durationSec: 33 });
    expect(call.answerTime).toBeUndefined();
  });

  it('a Dial nobody answered, then VoiceMail on the same channel: no-answer, as the Dial row says', async () => {
    const dial = row({ dstchannel: 'PJSIP/201-00000002', lastapp: 'Dial', lastdata: 'PJSIP/201,20,tT', answer: '', end: '2024-05-02 10:00:20', duration: 20, billsec: 0, disposition: 'NO ANSWER', sequence: 1 });
    const voicemail = pbxRow('VoiceMail', '201@default,u', { start: '2024-05-02 10:00:20', answer: '2024-05-02 10:00:20', end: '2024-05-02 10:00:45', duration: 25, billsec: 25, sequence: 2 });
    expect((await single(`${dial}\n${voicemail}`)).outcome).toBe('no-answer');
  });

  it('a conference (ConfBridge, MeetMe) connects people without a dstchannel: answered', async () => {
    expect((await single(pbxRow('ConfBridge', '4000,default_bridge'))).outcome).toBe('answered');
    expect((await single(pbxRow('MeetMe', '4000,dM'))).outcome).toBe('answered');
  });

  it('a Dial row that names the callee stays answered', async () => {
    expect(await single(row({}))).toMatchObject({ outcome: 'answered', talkSec: 60 });
  });

  it('a custom column layout without dstchannel cannot tell: stays answered', async () => {
    const columns = ['src', 'dst', 'lastapp', 'start', 'answer', 'end', 'billsec', 'disposition', 'uniqueid'];
    const csv = '"0705556677","201","VoiceMail","2024-05-02 10:00:00","2024-05-02 10:00:01","2024-05-02 10:00:33",32,"ANSWERED","1714636800.9"';
    expect((await single(csv, { ...FIXTURE_OPTIONS, columns })).outcome).toBe('answered');
  });
});
