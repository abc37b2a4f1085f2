import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { cucmOutcome } from '../../adapters/cucm/causes.js';
import adapter, { cleanNumber, cucmOptionsSchema } from '../../adapters/cucm/index.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { type Parsed, parseSummary } from './support.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/cucm/', import.meta.url));

/** The fixture folder's adapter options (test/fixtures/cucm/callbridge.yaml). */
const FIXTURE_OPTIONS = {
  recordingTemplate: 'https://recorder.example.se/cucm/{yyyy}/{mm}/{dd}/{globalCallID_callManagerId}-{globalCallID_callId}.wav',
  channel: 'device',
  skipDevices: ['^REC_SIP_TRUNK$'],
} as const;

function collect(stream: Readable, name: string, options: object = FIXTURE_OPTIONS): Promise<Parsed> {
  return parseSummary(adapter, { name, stream }, cucmOptionsSchema.parse(options));
}

const fixture = (file: string, options?: object) => collect(createReadStream(FIXTURES + file), file, options);
const text = (body: string, name = 'cdr_CUCM-STHLM_01_202405020800_1', options?: object) => collect(Readable.from([Buffer.from(body)]), name, options);

/** A small CDR file with the given columns (quoted names, a types line) and rows given by column name. */
function cdrFile(columns: string[], rows: Array<Record<string, string | number>>): string {
  const ints = new Set(['cdrRecordType', 'globalCallID_callManagerId', 'globalCallID_callId', 'dateTimeOrigination', 'dateTimeConnect', 'dateTimeDisconnect', 'duration', 'origCause_value', 'destCause_value']);
  const lines = [columns.map((c) => `"${c}"`).join(','), columns.map((c) => (ints.has(c) ? 'INTEGER' : 'VARCHAR(50)')).join(',')];
  for (const r of rows) lines.push(columns.map((c) => (ints.has(c) ? String(r[c] ?? 0) : `"${String(r[c] ?? '').replace(/"/g, '""')}"`)).join(','));
  return `${lines.join('\n')}\n`;
}
const COLUMNS = ['cdrRecordType', 'globalCallID_callManagerId', 'globalCallID_callId', 'dateTimeOrigination', 'callingPartyNumber', 'originalCalledPartyNumber',
  'finalCalledPartyNumber', 'dateTimeConnect', 'dateTimeDisconnect', 'callingPartyNumberPartition', 'finalCalledPartyNumberPartition', 'duration',
  'origDeviceName', 'destDeviceName', 'origCause_value', 'destCause_value'];
const ANSWERED = { cdrRecordType: 1, globalCallID_callManagerId: 2, globalCallID_callId: 7001, dateTimeOrigination: 1714633200, callingPartyNumber: '+46701234567',
  originalCalledPartyNumber: '+46812345600', finalCalledPartyNumber: '2001', dateTimeConnect: 1714633210, dateTimeDisconnect: 1714633330,
  callingPartyNumberPartition: '', finalCalledPartyNumberPartition: 'Internal_PT', duration: 120, origDeviceName: 'PSTN_SIP_TRUNK', destDeviceName: 'SEP00562B0A1F01',
  origCause_value: 0, destCause_value: 16 };

describe('cucm: fixtures', () => {
  it('basic calls: epoch seconds become UTC times with Z, numbers and devices become parties', async () => {
    const { calls, errors, skips } = await fixture('basic-calls.csv');
    expect(errors).toEqual([]);
    expect(skips).toEqual([]);
    expect(calls).toHaveLength(3);
    const [incoming, outgoing, internal] = calls as [CallRecord, CallRecord, CallRecord];
    expect(incoming).toMatchObject({
      externalId: 'CUCM-STHLM-1-310001',
      location: 'basic-calls.csv:3', // line 2 holds the column types
      startTime: '2024-05-02T07:14:03Z',
      answerTime: '2024-05-02T07:14:09Z',
      endTime: '2024-05-02T07:21:47Z',
      durationSec: 464,
      talkSec: 458,
      from: { number: '+46701234567', channel: 'PSTN_SIP_TRUNK' },
      to: { number: '2001', channel: 'SEP00562B0A1F01' },
      outcome: 'answered',
      disposition: 'connected',
      recording: { url: 'https://recorder.example.se/cucm/2024/05/02/1-310001.wav' },
      legs: 1,
    });
    expect(incoming.direction).toBeUndefined(); // CUCM does not say; normalization's trunk/number rules decide
    // this release escaped the globalized number as \+
    expect(outgoing.to).toEqual({ number: '+46317654321', channel: 'PSTN_SIP_TRUNK' });
    expect(outgoing.raw).toEqual([expect.objectContaining({ comment: 'Offert, "Nordic" Q2', finalCalledPartyNumber: '\\+46317654321', callingPartyUnicodeLoginUserID: 'bjorn.ek' })]);
    expect(internal).toMatchObject({ from: { number: '2001' }, to: { number: '2003' } });
  });

  it('a transfer: the original and final CDRs share the globalCallID and become one call; the consultation is its own', async () => {
    const { calls } = await fixture('transfer.csv');
    expect(calls).toHaveLength(2);
    expect(calls[0]).toMatchObject({
      externalId: 'CUCM-STHLM-1-320001',
      legs: 2,
      startTime: '2024-05-02T13:05:10Z',
      answerTime: '2024-05-02T13:05:14Z',
      endTime: '2024-05-02T13:14:40Z',
      durationSec: 570, // absolute times: computed exactly
      talkSec: 76 + 490,
      from: { number: '+46709988776', channel: 'PSTN_SIP_TRUNK' },
      to: { number: '2004', channel: 'SEP6C416A3E9A04' },
      outcome: 'answered',
    });
    expect(calls[1]).toMatchObject({ externalId: 'CUCM-STHLM-1-320002', from: { number: '2001' }, to: { number: '2004' }, legs: 1 });
  });

  it('a hunt group: the unanswered attempt and the agent who answered are one call', async () => {
    const { calls } = await fixture('hunt-group.csv');
    expect(calls).toEqual([expect.objectContaining({ legs: 2, to: { number: '2002', channel: 'SEP00562B0A1F02' }, outcome: 'answered', talkSec: 391 })]);
  });

  it('calls that never connected: outcome from the cause codes, no answer time', async () => {
    const { calls } = await fixture('unanswered.csv');
    expect(calls.map((c) => [c.outcome, c.disposition, c.answerTime, c.talkSec])).toEqual([
      ['busy', 'not connected; destCause 17 (user busy)', undefined, 0],
      ['no-answer', 'not connected; origCause 16 (normal call clearing)', undefined, 0],
      ['failed', 'not connected; destCause 1 (unallocated number)', undefined, 0],
    ]);
  });

  it('recording forks towards the recorder trunk are skipped with a reason', async () => {
    const { calls, skips } = await fixture('recording-forks.csv');
    expect(skips).toEqual([
      { location: 'recording-forks.csv:4', reason: 'device REC_SIP_TRUNK matches skipDevices ^REC_SIP_TRUNK$' },
      { location: 'recording-forks.csv:5', reason: 'device REC_SIP_TRUNK matches skipDevices ^REC_SIP_TRUNK$' },
    ]);
    expect(calls.map((c) => c.externalId)).toEqual(['CUCM-STHLM-1-350001']);
  });

  it('a CMR file is skipped once, with a reason, and nothing else is read from it', async () => {
    const { items } = await fixture('cmr-file.csv');
    expect(items).toEqual([{ kind: 'skip', location: 'cmr-file.csv:1', reason: 'CUCM CMR file (call management records: voice-quality diagnostics, not calls)' }]);
  });

  it('an older release with fewer columns, CRLF line endings and no types line is read by column name', async () => {
    const { calls, errors } = await fixture('older-release-crlf.csv');
    expect(errors).toEqual([]);
    expect(calls).toEqual([
      expect.objectContaining({ externalId: 'CUCM-STHLM-2-370001', location: 'older-release-crlf.csv:2', to: { number: '+46812345678', channel: 'PSTN_SIP_TRUNK' }, endTime: '2024-05-03T12:03:30Z' }),
    ]);
    const columns = (readFileSync(FIXTURES + 'older-release-crlf.csv', 'utf8').split('\r\n')[0] ?? '').split(',').length;
    expect(columns).toBeLessThan(129);
    const [raw] = calls[0]?.raw as Array<Record<string, string>>;
    expect(Object.keys(raw ?? {})).toHaveLength(columns);
  });

  it('odd and bad rows: located errors and skips, good rows still read', async () => {
    const { calls, errors, skips } = await fixture('odd-and-bad-rows.csv');
    expect(errors).toEqual([
      { location: 'odd-and-bad-rows.csv:4', message: 'expected 129 columns (as in the header), got 40' },
      { location: 'odd-and-bad-rows.csv:5', message: 'dateTimeOrigination: "2024-05-03T15:02:00Z" is not a whole number' },
      { location: 'odd-and-bad-rows.csv:7', message: 'cdrRecordType: "7" is not 1 (CDR), 2 (CMR) or 0 (start)' },
      { location: 'odd-and-bad-rows.csv:8', message: 'a quoted field is followed by "S" instead of the delimiter ","' },
    ]);
    expect(skips).toEqual([{ location: 'odd-and-bad-rows.csv:6', reason: 'CMR record (cdrRecordType 2): voice-quality data, not a call' }]);
    expect(calls.map((c) => c.location)).toEqual(['odd-and-bad-rows.csv:3', 'odd-and-bad-rows.csv:9']);
  });

  it('a file with another delimiter is refused with one error on its header line', async () => {
    const { items } = await fixture('wrong-delimiter.csv');
    expect(items).toEqual([
      {
        kind: 'error',
        location: 'wrong-delimiter.csv:1',
        message: 'not a CUCM CDR header: a quoted field is followed by ";" instead of the delimiter "," (wrong delimiter?); the file is not read further',
      },
    ]);
  });

  it('the fixture options and the example are valid', () => {
    expect(() => cucmOptionsSchema.parse(FIXTURE_OPTIONS)).not.toThrow();
    expect(() => cucmOptionsSchema.parse(adapter.example)).not.toThrow();
  });
});

describe('cucm: columns, options and edge cases', () => {
  it('matches columns by name whatever their order', async () => {
    const reordered = [...COLUMNS].reverse();
    const a = await text(cdrFile(COLUMNS, [ANSWERED]));
    const b = await text(cdrFile(reordered, [ANSWERED]));
    const strip = (c: CallRecord) => ({ ...c, raw: undefined });
    expect(a.calls).toHaveLength(1);
    expect(b.calls.map(strip)).toEqual(a.calls.map(strip));
    expect(a.calls[0]).toMatchObject({ externalId: '2-7001', startTime: '2024-05-02T07:00:00Z', to: { number: '2001' } });
  });

  it('a header without the required columns is one error', async () => {
    const { items } = await text(cdrFile(['cdrRecordType', 'globalCallID_callId', 'duration'], [{ cdrRecordType: 1 }]));
    expect(items).toEqual([
      {
        kind: 'error',
        location: 'cdr_CUCM-STHLM_01_202405020800_1:1',
        message: 'not a CUCM CDR header: missing globalCallID_callManagerId, dateTimeOrigination, dateTimeConnect, dateTimeDisconnect, callingPartyNumber, finalCalledPartyNumber; the file is not read further',
      },
    ]);
  });

  it('a CMR file is recognised by its name even when it is empty apart from its header', async () => {
    const { items } = await text('"cdrRecordType","globalCallID_callManagerId","globalCallID_callId"\nINTEGER,INTEGER,INTEGER\n', 'cmr_CUCM-STHLM_01_202405020800_7');
    expect(items).toEqual([{ kind: 'skip', location: 'cmr_CUCM-STHLM_01_202405020800_7:1', reason: 'CUCM CMR file (call management records: voice-quality diagnostics, not calls)' }]);
  });

  it('a template placeholder that is not a column of the file: one error, then calls without a recording', async () => {
    const { calls, errors } = await text(cdrFile(COLUMNS, [ANSWERED]), undefined, { recordingTemplate: 'https://r.example/{pkid}.wav' });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.location).toBe('cdr_CUCM-STHLM_01_202405020800_1:1');
    expect(errors[0]?.message).toMatch(/^recordingTemplate: unknown placeholder "\{pkid\}".*calls get no recording$/);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.recording).toBeUndefined();
  });

  it('channel "device+partition" puts the partition next to the device for trunk rules', async () => {
    const { calls } = await text(cdrFile(COLUMNS, [ANSWERED]), undefined, { channel: 'device+partition' });
    expect(calls[0]?.from.channel).toBe('PSTN_SIP_TRUNK/');
    expect(calls[0]?.to.channel).toBe('SEP00562B0A1F01/Internal_PT');
  });

  it('start records are skipped; a zero start time is an error', async () => {
    const { errors, skips } = await text(cdrFile(COLUMNS, [{ ...ANSWERED, cdrRecordType: 0 }, { ...ANSWERED, globalCallID_callId: 7002, dateTimeOrigination: 0 }]));
    expect(skips).toEqual([{ location: 'cdr_CUCM-STHLM_01_202405020800_1:3', reason: 'start record (cdrRecordType 0), not a finished call' }]);
    expect(errors).toEqual([{ location: 'cdr_CUCM-STHLM_01_202405020800_1:4', message: 'dateTimeOrigination: 0; a call needs a start time' }]);
  });

  it('numbers: a leading \\+ loses its backslash, empty is no number', () => {
    expect(cleanNumber('\\+46812345678')).toBe('+46812345678');
    expect(cleanNumber(' 2001 ')).toBe('2001');
    expect(cleanNumber('')).toBeUndefined();
  });

  it('outcome of a connected call is answered whatever the causes; CUCM-only causes are unknown', () => {
    expect(cucmOutcome(true, 16, 17)).toEqual({ outcome: 'answered', disposition: 'connected' });
    expect(cucmOutcome(false, 0, 19).outcome).toBe('no-answer');
    expect(cucmOutcome(false, 0, 34).outcome).toBe('failed');
    expect(cucmOutcome(false, 0, 16777234)).toEqual({ outcome: 'unknown', disposition: 'not connected; destCause 16777234' });
  });

  it('refuses an invalid skipDevices expression and unknown option names', () => {
    expect(cucmOptionsSchema.safeParse({ skipDevices: ['(REC'] }).error?.issues[0]?.message).toMatch(/^not a valid regular expression/);
    expect(cucmOptionsSchema.safeParse({ recordingUrl: 'x' }).success).toBe(false);
  });

  it('every option has a description', () => {
    for (const [name, field] of Object.entries(cucmOptionsSchema.shape)) expect([name, field.description?.length ?? 0]).not.toEqual([name, 0]);
  });
});
