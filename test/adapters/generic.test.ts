import path from 'node:path';
import { describe, expect, it } from '@jest/globals';
import adapter from '../../adapters/generic/index.js';
import type { AdapterInput, ParseItem } from '../../adapters/types.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { bodyInput, fileInput, fixtureDir, fixtureSourceOptions, mergedCalls, parseItems } from './support.js';

const DIR = fixtureDir('generic');
const rawFixtureOptions = fixtureSourceOptions('generic');
const fixtureOptions = adapter.configSchema.parse(rawFixtureOptions);
type Options = typeof fixtureOptions;

const items = (input: AdapterInput, options: Options = fixtureOptions) => parseItems(adapter, input, options);
const file = (name: string) => fileInput(DIR, name);
const text = (name: string, body: string | Buffer, firstLine?: number) => bodyInput(name, body, firstLine === undefined ? {} : { firstLine });
const calls = (list: ParseItem[]) => mergedCalls(adapter, list);

function errors(list: ParseItem[]): Array<[string, string]> {
  return list.flatMap((i) => (i.kind === 'error' ? [[i.location, i.message] as [string, string]] : []));
}

/** Options from a plain object, as the config loader would validate them. */
function options(input: Record<string, unknown>): Options {
  return adapter.configSchema.parse(input);
}

const at = (name: string, line: number) => `${path.join(DIR, name)}:${line}`;

describe('generic: the semicolon CSV export', () => {
  it('maps each row to a call with local wall-clock times, parties, direction, outcome and recording template', async () => {
    const all = calls(await items(file('export-2024-03-05.csv')));
    const out = all.get('c-240305-0001') as CallRecord;
    expect(out).toMatchObject({
      externalId: 'c-240305-0001',
      location: at('export-2024-03-05.csv', 2),
      startTime: '2024-03-05T10:14:03',
      answerTime: '2024-03-05T10:14:11',
      endTime: '2024-03-05T10:18:15',
      talkSec: 244,
      direction: 'outgoing',
      from: { number: '1001', name: 'Anna Berg' },
      to: { number: '0701234567' },
      ownerExtension: '1001',
      outcome: 'answered',
      disposition: 'ANSWERED',
      recording: { url: 'https://pbx.example.com/recordings/20240305-101403-1001.mp3' },
    });
    expect(all.get('c-240305-0003')).toMatchObject({ outcome: 'no-answer', direction: 'incoming', disposition: 'NO ANSWER' });
    expect(all.get('c-240305-0003')?.recording).toBeUndefined();
    expect(all.get('c-240305-0004')).toMatchObject({ outcome: 'busy', direction: 'outgoing' });
    expect(all.get('c-240305-0005')).toMatchObject({ direction: 'internal' });
  });

  it('groups the two legs of a transferred call by linked_id; the first leg names the call', async () => {
    const call = calls(await items(file('export-2024-03-05.csv'))).get('L-0006') as CallRecord;
    expect(call).toMatchObject({
      externalId: 'c-240305-0006',
      legs: 2,
      startTime: '2024-03-05T15:05:12',
      endTime: '2024-03-05T15:11:19',
      talkSec: 310,
      from: { number: '+4640123456', name: 'Nilsson; Per' },
      to: { number: '1003' },
      ownerExtension: '1003',
      recording: { url: 'https://pbx.example.com/recordings/20240305-150601-1001.mp3' },
    });
  });

  it('reads a quoted field spanning two lines, and keeps counting lines right after it', async () => {
    const list = await items(file('export-2024-03-05.csv'));
    const all = calls(list);
    expect(all.get('c-240331-0008')).toMatchObject({
      location: at('export-2024-03-05.csv', 9),
      from: { number: '+46855512345', name: 'Ek, Bo\n(night line)' },
      // 02:30 does not exist in Stockholm that night: the adapter keeps the wall clock, normalize resolves it
      startTime: '2024-03-31T02:30:10',
    });
    expect(all.get('c-240305-0009')?.location).toBe(at('export-2024-03-05.csv', 11));
  });

  it('reports bad rows at their line, naming the field, and goes on', async () => {
    const list = await items(file('export-2024-03-05.csv'));
    expect(errors(list)).toEqual([
      [at('export-2024-03-05.csv', 12), 'externalId: field "call_id" is missing or empty'],
      [
        at('export-2024-03-05.csv', 13),
        'startTime: "05/03/2024 16:30" does not match the time format "yyyy-MM-dd HH:mm:ss"; answerTime: "05/03/2024 16:30" does not match the time format "yyyy-MM-dd HH:mm:ss"; endTime: "05/03/2024 16:33" does not match the time format "yyyy-MM-dd HH:mm:ss"',
      ],
      [at('export-2024-03-05.csv', 14), "expected 13 fields (the header's columns), found 8: wrong delimiter or a broken line?"],
    ]);
    expect(calls(list).has('c-240305-0013')).toBe(true);
  });

  it('a file with the wrong delimiter: one error at the header saying so', async () => {
    const list = await items(file('comma-instead-of-semicolon.csv'));
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ kind: 'error', location: at('comma-instead-of-semicolon.csv', 1) });
    expect((list[0] as { message: string }).message).toMatch(/^the header has one column only, .*: is csv.delimiter ";" right\? Columns not found: "call_id" \(fields.externalId\)/);
  });
});

describe('generic: JSON and NDJSON', () => {
  it('a JSON array: each record located at its line; case-insensitive value maps; numbers and nulls', async () => {
    const list = await items(file('export-small.json'));
    expect(errors(list)).toEqual([]);
    const all = calls(list);
    expect(all.get('c-240306-0101')).toMatchObject({ location: at('export-small.json', 2), talkSec: 444, direction: 'outgoing' });
    const failed = all.get('c-240306-0102') as CallRecord;
    expect(failed).toMatchObject({ location: at('export-small.json', 17), outcome: 'failed', talkSec: 0 });
    expect(failed.answerTime).toBeUndefined();
    expect(failed.recording).toBeUndefined();
    expect(all.get('c-240306-0103')).toMatchObject({ location: at('export-small.json', 31), direction: 'incoming', outcome: 'answered', talkSec: 282, disposition: 'answered' });
  });

  it('NDJSON: a broken line is an error at that line, the others are read', async () => {
    const list = await items(file('live.ndjson'));
    expect(errors(list)).toEqual([[at('live.ndjson', 3), 'invalid JSON: Unterminated string in JSON at position 114']]);
    expect([...calls(list).keys()]).toEqual(['c-240307-0201', 'c-240307-0202', 'c-240307-0204']);
  });

  it('jsonRecords picks the array inside a document; nested fields are read by dotted path', async () => {
    const doc = { data: { calls: [{ id: 'j-1', t: { start: '2024-03-05T10:00:00+01:00' }, from: { number: '1001' } }] } };
    const list = await items(text('api.json', JSON.stringify(doc)), options({ jsonRecords: 'data.calls', fields: { externalId: 'id', startTime: 't.start', fromNumber: 'from.number' } }));
    expect(list).toMatchObject([{ kind: 'leg', groupKey: 'j-1', leg: { startTime: '2024-03-05T10:00:00+01:00', from: { number: '1001' } } }]);
    const wrong = await items(text('api.json', JSON.stringify(doc)), options({ jsonRecords: 'data.rows', fields: { externalId: 'id', startTime: 't.start' } }));
    expect(errors(wrong)).toEqual([['api.json:1', 'jsonRecords: "data.rows" is not an array in this document']]);
  });

  it('a mapped field holding an object is an error naming it', async () => {
    const list = await items(text('x.ndjson', '{"id":"o-1","start":"2024-03-05 10:00:00","caller":{"n":"1"}}\n'), options({ fields: { externalId: 'id', startTime: 'start', fromNumber: 'caller' } }));
    expect(errors(list)).toEqual([['x.ndjson:1', 'fromNumber: field "caller" holds an object, not a value']]);
  });
});

describe('generic: time formats and zones', () => {
  const start = async (value: string, time: Record<string, unknown>) => {
    const list = await items(text('t.ndjson', `${JSON.stringify({ id: 'x', start: value })}\n`), options({ fields: { externalId: 'id', startTime: 'start' }, time }));
    const item = list[0];
    return item?.kind === 'leg' ? item.leg.startTime : item?.kind === 'error' ? `error: ${item.message}` : 'nothing';
  };

  it('ISO: an offset is kept; without one the wall clock stays for the source zone, or becomes UTC', async () => {
    expect(await start('2024-03-05T10:00:00+01:00', { format: 'iso' })).toBe('2024-03-05T10:00:00+01:00');
    expect(await start('2024-03-05T09:00:00Z', { format: 'iso' })).toBe('2024-03-05T09:00:00Z');
    expect(await start('2024-03-05 10:00:00', { format: 'iso', zone: 'source' })).toBe('2024-03-05T10:00:00');
    expect(await start('2024-03-05T10:00:00.250', { format: 'iso', zone: 'source' })).toBe('2024-03-05T10:00:00.250');
    expect(await start('2024-03-05 10:00:00', { format: 'iso', zone: 'utc' })).toBe('2024-03-05T10:00:00Z');
    expect(await start('2024-03-05 10:00:00', { format: 'iso', zone: 'data' })).toBe('error: startTime: "2024-03-05 10:00:00" has no UTC offset, and time.zone is "data"');
    expect(await start('5 March', { format: 'iso' })).toBe('error: startTime: "5 March" is not an ISO 8601 time');
  });

  it('epoch seconds and milliseconds are instants (UTC)', async () => {
    expect(await start('1709630043', { format: 'epoch' })).toBe('2024-03-05T09:14:03.000Z');
    expect(await start('1709630043412', { format: 'epoch-ms' })).toBe('2024-03-05T09:14:03.412Z');
    expect(await start('yesterday', { format: 'epoch' })).toBe('error: startTime: "yesterday" is not epoch seconds');
  });

  it('a luxon format: wall clock unless it reads an offset', async () => {
    expect(await start('05.03.2024 10:14:03', { format: 'dd.MM.yyyy HH:mm:ss' })).toBe('2024-03-05T10:14:03');
    expect(await start('05.03.2024 10:14:03 +0100', { format: 'dd.MM.yyyy HH:mm:ss ZZZ' })).toBe('2024-03-05T10:14:03+01:00');
    expect(await start("05.03.2024 at 10:14", { format: "dd.MM.yyyy 'at' HH:mm" })).toBe('2024-03-05T10:14:00');
  });
});

describe('generic: durations, stereo, templates, outcome fallback, grouping', () => {
  const leg = async (row: Record<string, unknown>, extra: Record<string, unknown> = {}) => {
    const fields = { externalId: 'id', startTime: 'start', ...(extra.fields as Record<string, string> | undefined) };
    const list = await items(text('r.ndjson', `${JSON.stringify({ id: 'r-1', start: '2024-03-05 10:00:00', ...row })}\n`), options({ ...extra, fields }));
    const item = list[0];
    if (item?.kind !== 'leg') throw new Error(JSON.stringify(item));
    return item;
  };

  it('durations: seconds, H:MM:SS, MM:SS, milliseconds; a bad one names the field', async () => {
    expect((await leg({ d: '83.4' }, { fields: { durationSec: 'd' } })).leg.durationSec).toBe(83);
    expect((await leg({ d: '1:02:03' }, { fields: { durationSec: 'd' } })).leg.durationSec).toBe(3723);
    expect((await leg({ d: '02:03' }, { fields: { durationSec: 'd' } })).leg.durationSec).toBe(123);
    expect((await leg({ d: 83400 }, { fields: { durationSec: 'd' }, durationUnit: 'milliseconds' })).leg.durationSec).toBe(83);
    const list = await items(text('r.ndjson', '{"id":"r","start":"2024-03-05 10:00:00","d":"long"}\n'), options({ fields: { externalId: 'id', startTime: 'start', durationSec: 'd' } }));
    expect(errors(list)).toEqual([['r.ndjson:1', 'durationSec: "long" is not a duration (seconds or H:MM:SS)']]);
  });

  it('outcome without a map: answered when there is talk time or an answer time, else unknown', async () => {
    expect((await leg({ talk: '12' }, { fields: { talkSec: 'talk' } })).leg.outcome).toBe('answered');
    expect((await leg({ talk: '0' }, { fields: { talkSec: 'talk' } })).leg.outcome).toBe('unknown');
    expect((await leg({ a: '2024-03-05 10:00:05' }, { fields: { answerTime: 'a' } })).leg.outcome).toBe('answered');
  });

  it('recording: URL or path, templates only when every field is set; stereo from stereoValues', async () => {
    const fields = { recording: '/rec/{day}/{file}', recordingStereo: 'ch' };
    expect((await leg({ day: '05', file: 'a.wav', ch: '2' }, { fields })).leg.recording).toEqual({ path: '/rec/05/a.wav', stereo: true });
    expect((await leg({ day: '05', file: 'a.wav', ch: '1' }, { fields })).leg.recording).toEqual({ path: '/rec/05/a.wav', stereo: false });
    expect((await leg({ day: '05', ch: 'STEREO' }, { fields })).leg.recording).toEqual({ stereo: true });
    expect((await leg({ u: 'https://r.example.com/x.mp3' }, { fields: { recording: 'u' } })).leg.recording).toEqual({ url: 'https://r.example.com/x.mp3' });
  });

  it('template values cannot leave the recording folder or reshape the URL; a single mapped field is used as written', async () => {
    const inFolder = { recording: '/rec/{day}/{file}.wav' };
    expect((await leg({ day: '05', file: '../../etc/passwd' }, { fields: inFolder })).leg.recording).toEqual({ path: '/rec/05/etcpasswd.wav' });
    const url = { recording: 'https://rec.example.com/{file}' };
    expect((await leg({ file: 'a b/../c?x=1' }, { fields: url })).leg.recording).toEqual({ url: 'https://rec.example.com/a%20b%2F..%2Fc%3Fx%3D1' });
    expect((await leg({ f: '/var/spool/pbx/2024/a.wav' }, { fields: { recording: 'f' } })).leg.recording).toEqual({ path: '/var/spool/pbx/2024/a.wav' });
  });

  it('groupKey: legs sharing it are one call; an empty one leaves the row a call of its own', async () => {
    expect((await leg({ link: 'L-1' }, { groupKey: 'link' })).groupKey).toBe('L-1');
    expect((await leg({ link: '' }, { groupKey: 'link' })).groupKey).toBe('r-1');
  });
});

describe('generic: hostile CSV input', () => {
  const csvOptions = options({ fields: { externalId: 'id', startTime: 'start', fromNumber: 'from' }, time: { format: 'iso' } });

  it('a 10 MB field: that record is an error, the rows after it are read', async () => {
    const body = `id,start,from\n1,2024-03-05 10:00:00,1001\n2,2024-03-05 10:01:00,"${'x'.repeat(10 * 1024 * 1024)}"\n3,2024-03-05 10:02:00,1003\n`;
    const list = await items(text('big.csv', body), csvOptions);
    expect(list.map((i) => [i.kind, i.kind === 'leg' ? i.leg.location : i.location])).toEqual([
      ['leg', 'big.csv:2'],
      ['error', 'big.csv:3'],
      ['leg', 'big.csv:4'],
    ]);
    expect((list[1] as { message: string }).message).toBe('record longer than 1.0 MiB (maxRecordBytes): skipped');
  });

  it('an unterminated quote in the last line: one error there (a truncated file)', async () => {
    const list = await items(text('cut.csv', 'id,start,from\n1,2024-03-05 10:00:00,1001\n2,2024-03-05 10:01:00,"10'), csvOptions);
    expect(list.map((i) => i.kind)).toEqual(['leg', 'error']);
    expect(list[1]).toEqual({ kind: 'error', location: 'cut.csv:3', message: 'unterminated quoted field at the end of the input (truncated file?)' });
  });

  it('a stray quote inside a field is text, not the start of a quoted field', async () => {
    const list = await items(text('q.csv', 'id,start,from\n1,2024-03-05 10:00:00,12"3\n2,2024-03-05 10:01:00,1002\n'), csvOptions);
    expect(list.map((i) => (i.kind === 'leg' ? i.leg.from.number : i.kind))).toEqual(['12"3', '1002']);
  });

  it('binary garbage: located errors, no crash, no leg', async () => {
    const garbage = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919 + 13) % 256));
    const list = await items(text('garbage.csv', garbage), csvOptions);
    expect(list.length).toBeGreaterThanOrEqual(1);
    expect(list.every((i) => i.kind === 'error' && /^garbage\.csv:\d+$/.test(i.location))).toBe(true);
    // quoted input reaches messages without control characters (terminals, log lines)
    expect(list.every((i) => i.kind === 'error' && !/[\u0000-\u001f\u007f]/.test(i.message))).toBe(true);
  });

  it('a BOM and CRLF line ends are read as a plain header', async () => {
    const list = await items(text('bom.csv', '\uFEFFid,start,from\r\n1,2024-03-05 10:00:00,1001\r\n'), csvOptions);
    expect(list).toMatchObject([{ kind: 'leg', leg: { externalId: '1', from: { number: '1001' }, location: 'bom.csv:2' } }]);
  });

  it('a tail (input resuming mid-file) needs csv.header false + columns, and is located from its first line', async () => {
    const resumed = text('Master.csv', '7,2024-03-05 10:00:00,1001\n', 500);
    expect(errors(await items(resumed, csvOptions))).toEqual([
      ['Master.csv:500', 'this input starts at line 500, after the header line: a tailed CSV needs csv.header: false and csv.columns'],
    ]);
    const headerless = options({ csv: { header: false, columns: ['id', 'start', 'from'] }, fields: { externalId: 'id', startTime: 'start', fromNumber: 'from' } });
    expect(await items(text('Master.csv', '7,2024-03-05 10:00:00,1001\n', 500), headerless)).toMatchObject([
      { kind: 'leg', groupKey: '7', leg: { location: 'Master.csv:500' } },
    ]);
  });
});

describe('generic: the mapping schema names the bad key', () => {
  const problems = (input: Record<string, unknown>) => {
    const result = adapter.configSchema.safeParse(input);
    return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  };

  it('unknown, missing and malformed mapping keys', () => {
    expect(problems({ fields: { externalId: 'id', startTime: 'start', strat: 'x' } })).toEqual(['fields: Unrecognized key: "strat"']);
    expect(problems({ fields: { startTime: 'start' } })).toEqual(['fields.externalId: Invalid input: expected string, received undefined']);
    expect(problems({ fields: { externalId: 'id', startTime: 'start', recording: '/rec/{day/x.wav' } })).toEqual([
      'fields.recording: unbalanced { } in template: write {field} for each field, e.g. "{dir}/{file}.wav"',
    ]);
    expect(problems({ fields: { externalId: ' ', startTime: 'start' } })[0]).toMatch(/^fields\.externalId: must name a source field/);
    expect(problems({ fields: { externalId: 'id', startTime: 's' }, csv: { header: false } })).toEqual(['csv.columns: csv.header is false: list the column names in csv.columns']);
    expect(problems({ fields: { externalId: 'id', startTime: 's' }, direction: { field: 'd', values: { IN: 'inbound' } } })[0]).toMatch(/^direction\.values\.IN: /);
    expect(problems({ fields: { externalId: 'id', startTime: 's' }, time: { zone: 'Europe/Stockholm' } })[0]).toMatch(/^time\.zone: /);
  });

  it('a CSV whose header lacks a mapped column: one error naming the column and the option', async () => {
    const list = await items(text('h.csv', 'id,begin\n1,2024-03-05 10:00:00\n'), options({ fields: { externalId: 'id', startTime: 'start', toNumber: '{prefix}{number}' } }));
    expect(errors(list)).toEqual([['h.csv:1', 'columns not in the header: "start" (fields.startTime), "prefix" (fields.toNumber), "number" (fields.toNumber); the header is: id,begin']]);
  });

  it('every option and every mapped field is described', () => {
    const shape = (adapter.configSchema as unknown as { shape: Record<string, { description?: string }> }).shape;
    for (const [key, field] of Object.entries(shape)) expect([key, field.description]).toEqual([key, expect.any(String)]);
    const fields = (shape.fields as unknown as { shape: Record<string, { description?: string }> }).shape;
    for (const [key, field] of Object.entries(fields)) expect([key, field.description]).toEqual([key, expect.any(String)]);
  });

  it('the fixture config and the example are valid options', () => {
    expect(adapter.configSchema.safeParse(rawFixtureOptions).success).toBe(true);
    expect(adapter.configSchema.safeParse(adapter.example).success).toBe(true);
  });
});
