import path from 'node:path';
import { z } from 'zod';
import type { CallRecord, Party } from '../call-record.js';
import { maxLineBytesOption, readCsvLines } from '../shared/guarded-csv.js';
import { mergeLegs } from '../shared/merge-legs.js';
import { compileTemplate, DATE_PLACEHOLDERS, recordingTemplateOption, templateProblem } from '../shared/recording-template.js';
import { dateParts, epochSecondsToIso } from '../shared/times.js';
import { defineAdapter, type ParseItem } from '../types.js';
import { cucmOutcome } from './causes.js';

/** Columns a CDR file must have; everything else is matched by name when present (the set differs by release). */
export const REQUIRED_COLUMNS = [
  'cdrRecordType',
  'globalCallID_callManagerId',
  'globalCallID_callId',
  'dateTimeOrigination',
  'dateTimeConnect',
  'dateTimeDisconnect',
  'callingPartyNumber',
  'finalCalledPartyNumber',
] as const;

/** Columns only CMR (call management record, voice quality) files have. */
const CMR_COLUMNS = ['directoryNum', 'numberPacketsSent', 'numberPacketsReceived', 'varVQMetrics'];

const TYPE_CELL = /^(?:INTEGER|BIGINT|SMALLINT|BOOLEAN|TEXT|UNIQUEIDENTIFIER|DATETIME|(?:N?VAR)?CHAR\(\d+\))$/i;

export const cucmOptionsSchema = z.strictObject({
  recordingTemplate: recordingTemplateOption(
    'CUCM CDRs carry no recording location: an http(s) URL or path template with any column of the file as placeholder, e.g. https://rec.example.com/{globalCallID_callManagerId}-{globalCallID_callId}.wav, plus {yyyy} {mm} {dd} {hh} {mi} {ss} (the call start, UTC).',
  ),
  channel: z
    .enum(['device', 'device+partition'])
    .default('device')
    .describe(
      'What a party\'s channel (matched by normalize.trunkPatterns) holds: the device name (origDeviceName/destDeviceName, e.g. SEP0011… or a trunk/gateway name), or "device/partition" (e.g. "PSTN_SIP_TRUNK/PSTN_PT").',
    ),
  skipDevices: z
    .array(z.string())
    .default([])
    .describe(
      'Regular expressions on origDeviceName/destDeviceName: a CDR on a matching device is skipped with a reason (e.g. the call recorder\'s SIP trunk: CUCM writes each recording fork as a CDR of its own).',
    )
    .superRefine((list, ctx) => {
      list.forEach((re, i) => {
        try {
          new RegExp(re);
        } catch (error) {
          ctx.addIssue({ code: 'custom', path: [i], message: `not a valid regular expression: ${(error as Error).message}` });
        }
      });
    }),
  maxLineBytes: maxLineBytesOption(),
});
export type CucmOptions = z.infer<typeof cucmOptionsSchema>;

type Row = Record<string, string>;
type RowResult = { kind: 'leg'; groupKey: string; leg: CallRecord } | { kind: 'skip'; reason: string } | { kind: 'error'; message: string };

/** Column lookup by name, case-insensitive (releases differ in casing, e.g. globalCallId_ClusterID). */
export class Header {
  readonly names: string[];
  private readonly index = new Map<string, number>();

  constructor(cells: readonly string[]) {
    this.names = cells.map((c) => c.trim());
    this.names.forEach((name, i) => {
      const key = name.toLowerCase();
      if (!this.index.has(key)) this.index.set(key, i);
    });
  }

  has(name: string): boolean {
    return this.index.has(name.toLowerCase());
  }

  get(fields: readonly string[], name: string): string {
    const i = this.index.get(name.toLowerCase());
    return i === undefined ? '' : (fields[i] ?? '').trim();
  }
}

const CMR_REASON = 'CUCM CMR file (call management records: voice-quality diagnostics, not calls)';

function isCmrFile(name: string, header: Header): boolean {
  if (!header.has('dateTimeOrigination') && CMR_COLUMNS.some((c) => header.has(c))) return true;
  return /^cmr_/i.test(path.basename(name)) && !header.has('dateTimeOrigination');
}

function integer(text: string): number | undefined {
  return /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

/** CUCM writes globalized numbers as `\+4686…` in some releases; the backslash is pattern syntax, not part of the number. */
export function cleanNumber(text: string): string | undefined {
  const value = text.trim().replace(/^\\\+/, '+');
  return value || undefined;
}

function channelOf(device: string, partition: string, mode: CucmOptions['channel']): string | undefined {
  if (mode === 'device+partition' && (device || partition)) return `${device}/${partition}`;
  return device || undefined;
}

function party(number: string | undefined, channel: string | undefined): Party {
  const p: Party = {};
  if (number) p.number = number;
  if (channel) p.channel = channel;
  return p;
}

type RenderTemplate = ReturnType<typeof compileTemplate>;

export function rowToLeg(
  header: Header,
  fields: readonly string[],
  location: string,
  options: CucmOptions,
  skip: RegExp[],
  template: RenderTemplate | undefined,
): RowResult {
  const get = (name: string): string => header.get(fields, name);
  const recordType = get('cdrRecordType');
  if (recordType === '2') return { kind: 'skip', reason: 'CMR record (cdrRecordType 2): voice-quality data, not a call' };
  if (recordType === '0') return { kind: 'skip', reason: 'start record (cdrRecordType 0), not a finished call' };
  if (recordType !== '1') return { kind: 'error', message: `cdrRecordType: "${recordType}" is not 1 (CDR), 2 (CMR) or 0 (start)` };

  const numbers: Record<string, number> = {};
  for (const name of ['globalCallID_callManagerId', 'globalCallID_callId', 'dateTimeOrigination', 'dateTimeConnect', 'dateTimeDisconnect']) {
    const value = integer(get(name));
    if (value === undefined) return { kind: 'error', message: `${name}: "${get(name)}" is not a whole number` };
    numbers[name] = value;
  }
  const origination = numbers.dateTimeOrigination as number;
  const connect = numbers.dateTimeConnect as number;
  const disconnect = numbers.dateTimeDisconnect as number;
  if (origination === 0) return { kind: 'error', message: 'dateTimeOrigination: 0; a call needs a start time' };
  const duration = header.has('duration') ? integer(get('duration')) : undefined;
  if (header.has('duration') && duration === undefined) return { kind: 'error', message: `duration: "${get('duration')}" is not a whole number of seconds` };

  const origDevice = get('origDeviceName');
  const destDevice = get('destDeviceName');
  const skipped = skip.find((re) => re.test(origDevice) || re.test(destDevice));
  if (skipped) {
    const device = skipped.test(destDevice) ? destDevice : origDevice;
    return { kind: 'skip', reason: `device ${device} matches skipDevices ${skipped.source}` };
  }

  const cluster = get('globalCallId_ClusterID');
  const groupKey = [cluster, numbers.globalCallID_callManagerId, numbers.globalCallID_callId].filter((p) => p !== '').join('-');
  const origCause = integer(get('origCause_value')) ?? 0;
  const destCause = integer(get('destCause_value')) ?? 0;
  const { outcome, disposition } = cucmOutcome(connect > 0, origCause, destCause);
  const startTime = epochSecondsToIso(origination);
  const row: Row = {};
  header.names.forEach((name, i) => {
    row[name] = fields[i] ?? '';
  });

  const leg: CallRecord = {
    externalId: groupKey,
    location,
    startTime,
    from: party(cleanNumber(get('callingPartyNumber')), channelOf(origDevice, get('callingPartyNumberPartition'), options.channel)),
    to: party(
      cleanNumber(get('finalCalledPartyNumber')) ?? cleanNumber(get('originalCalledPartyNumber')),
      channelOf(destDevice, get('finalCalledPartyNumberPartition'), options.channel),
    ),
    outcome,
    disposition,
    legs: 1,
    raw: row,
  };
  if (connect > 0) leg.answerTime = epochSecondsToIso(connect);
  if (disconnect > 0) {
    leg.endTime = epochSecondsToIso(disconnect);
    leg.durationSec = Math.max(0, disconnect - origination);
  }
  if (duration !== undefined) leg.talkSec = duration;
  const parts = dateParts(startTime);
  const recording = template?.((name) => (header.has(name) ? get(name) : parts[name as keyof typeof parts]));
  if (recording) leg.recording = recording;
  return { kind: 'leg', groupKey, leg };
}

export default defineAdapter({
  id: 'cucm',
  summary: 'Cisco CUCM CDR flat files (2 header lines, columns by name, epoch UTC); legs grouped by globalCallID; CMR skipped.',
  configSchema: cucmOptionsSchema,
  example: {
    recordingTemplate: 'https://recorder.example.com/cucm/{yyyy}{mm}{dd}/{globalCallID_callManagerId}-{globalCallID_callId}.wav',
    channel: 'device',
    skipDevices: ['^RECORDER_SIP_TRUNK$'],
  },
  inputs: { filePatterns: ['cdr_*', 'cmr_*', '*.csv'], contentTypes: ['text/csv'], tail: false },
  async *parse(input, options): AsyncGenerator<ParseItem> {
    const skip = options.skipDevices.map((re) => new RegExp(re));
    let header: Header | undefined;
    let typesLineSeen = false;
    let template = options.recordingTemplate ? compileTemplate(options.recordingTemplate) : undefined;
    for await (const item of readCsvLines(input, { delimiter: ',', maxLineBytes: options.maxLineBytes })) {
      const location = `${input.name}:${item.line}`;
      if (item.kind === 'bad') {
        yield { kind: 'error', location, message: header ? item.message : `not a CUCM CDR header: ${item.message}; the file is not read further` };
        if (!header) return;
        continue;
      }
      if (!header) {
        const candidate = new Header(item.fields);
        if (isCmrFile(input.name, candidate)) {
          yield { kind: 'skip', location, reason: CMR_REASON };
          return;
        }
        const missing = REQUIRED_COLUMNS.filter((c) => !candidate.has(c));
        if (missing.length) {
          const hint = item.fields.length === 1 ? ' (one column only: wrong delimiter, or not a CDR file?)' : '';
          yield { kind: 'error', location, message: `not a CUCM CDR header: missing ${missing.join(', ')}${hint}; the file is not read further` };
          return;
        }
        header = candidate;
        if (options.recordingTemplate) {
          const problem = templateProblem(options.recordingTemplate, new Set([...header.names, ...DATE_PLACEHOLDERS]));
          if (problem) {
            yield { kind: 'error', location, message: `recordingTemplate: ${problem} (not a column of this file); calls get no recording` };
            template = undefined;
          }
        }
        continue;
      }
      if (!typesLineSeen) {
        typesLineSeen = true;
        // The second header line gives column types (INTEGER, VARCHAR(50), UNIQUEIDENTIFIER); some exports drop it.
        if (item.fields.length > 0 && item.fields.every((f) => TYPE_CELL.test(f.trim()))) continue;
      }
      if (item.fields.length !== header.names.length) {
        yield { kind: 'error', location, message: `expected ${header.names.length} columns (as in the header), got ${item.fields.length}` };
        continue;
      }
      const result = rowToLeg(header, item.fields, location, options, skip, template);
      if (result.kind === 'leg') yield { kind: 'leg', groupKey: result.groupKey, leg: result.leg };
      else if (result.kind === 'skip') yield { kind: 'skip', location, reason: result.reason };
      else yield { kind: 'error', location, message: result.message };
    }
  },
  merge: mergeLegs,
});
