import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import { z } from 'zod';
import type { CallRecord } from '../call-record.js';
import { maxLineBytesOption, readCsvLines } from '../shared/guarded-csv.js';
import { mergeLegs } from '../shared/merge-legs.js';
import { compileTemplate, DATE_PLACEHOLDERS, recordingTemplateOption } from '../shared/recording-template.js';
import { dateParts, secondsBetweenAbsolute } from '../shared/times.js';
import { defineAdapter, type ParseItem } from '../types.js';
import { canonicalFieldName, DEFAULT_FIELDS, KNOWN_FIELDS, UNUSED, type KnownField } from './fields.js';
import { directionOf, isPbxService, parseChain, resolveParties, toParty, type CxParty } from './parties.js';

const KNOWN: ReadonlySet<string> = new Set(KNOWN_FIELDS);
const DERIVED_PLACEHOLDERS = ['owner', 'from', 'to'] as const;
const TEMPLATE_NAMES: ReadonlySet<string> = new Set([...KNOWN_FIELDS, ...DATE_PLACEHOLDERS, ...DERIVED_PLACEHOLDERS]);

export const threeCxOptionsSchema = z.strictObject({
  fields: z
    .array(z.string().min(1))
    .min(1)
    .default([...DEFAULT_FIELDS])
    .superRefine((given, ctx) => {
      // kept as written (no transform, so the schema stays plain data for docs); parse canonicalises the same way
      const names = given.map(canonicalFieldName);
      names.forEach((name, i) => {
        if (name !== UNUSED && !KNOWN.has(name)) {
          ctx.addIssue({ code: 'custom', path: [i], message: `unknown 3CX CDR field "${name}"; known: ${KNOWN_FIELDS.join(', ')}, or "${UNUSED}"` });
        } else if (name !== UNUSED && names.indexOf(name) !== i) {
          ctx.addIssue({ code: 'custom', path: [i], message: `field "${name}" is listed twice` });
        }
      });
      if (!names.includes('time-start')) ctx.addIssue({ code: 'custom', message: 'the fields must include time-start' });
      if (!names.includes('callid') && !names.includes('historyid')) {
        ctx.addIssue({ code: 'custom', message: 'the fields must include callid or historyid (the call id)' });
      }
    })
    .describe(
      `The CDR output fields in the order configured in 3CX (no header in the file). Default: the 27-field template of v16, also v18/v20's: ${DEFAULT_FIELDS.join(', ')}. "time_start" and "time-start" are the same; "${UNUSED}" ignores a column.`,
    ),
  groupBy: z
    .enum(['callid', 'historyid'])
    .default('callid')
    .describe('The field that identifies a call (records with the same value are one call, and it is the external id).'),
  timeFormat: z
    .string()
    .min(1)
    .default('yyyy/MM/dd HH:mm:ss')
    .describe('Format of time-start/time-answered/time-end in Luxon tokens (3CX writes 2024/06/17 05:59:49).'),
  timesAreUtc: z
    .boolean()
    .default(false)
    .describe('The CDR times are UTC rather than the PBX\'s local time: they are passed on with "Z" and the source time zone is not applied.'),
  delimiter: z.string().length(1).default(',').describe('Field separator of the CDR output.'),
  recordingTemplate: recordingTemplateOption(
    'Recording location (3CX CDRs carry none): an http(s) URL or path with placeholders: any field ({callid} {historyid} {from-no} …), {owner} (the extension that owns the call), {from} {to} (the resolved numbers), {yyyy} {mm} {dd} {hh} {mi} {ss} (time-start as written).',
    TEMPLATE_NAMES,
  ),
  maxLineBytes: maxLineBytesOption(),
});
export type ThreeCxOptions = z.infer<typeof threeCxOptionsSchema>;

type Row = Partial<Record<KnownField, string>>;
type RowResult = { ok: true; groupKey: string; leg: CallRecord } | { ok: false; message: string };

/** `00:05:15` → 315; 3CX (.NET TimeSpan) writes days as `1.02:03:04`. */
export function parseTimeSpan(text: string): number | undefined {
  const m = /^(?:(\d+)\.)?(\d{1,3}):([0-5]\d):([0-5]\d)(?:\.\d+)?$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

function outcomeOf(answered: boolean, reason: string): CallRecord['outcome'] {
  if (answered) return 'answered';
  if (/busy/i.test(reason)) return 'busy';
  if (/cancel|^TerminatedBy/i.test(reason)) return 'no-answer';
  if (/fail|NoRoute|NotAvailable|reject/i.test(reason)) return 'failed';
  return 'unknown';
}

function partyFrom(row: Row, prefix: 'from' | 'to' | 'final'): CxParty {
  const number = prefix === 'final' ? row['final-number'] : row[`${prefix}-no`];
  return {
    number: (number ?? '').trim(),
    dn: (row[`${prefix}-dn`] ?? '').trim(),
    type: (row[`${prefix}-type`] ?? '').trim(),
    name: (row[`${prefix}-dispname`] ?? '').trim(),
  };
}

type RenderTemplate = ReturnType<typeof compileTemplate>;

export function rowToLeg(row: Row, fields: readonly string[], location: string, options: ThreeCxOptions, template?: RenderTemplate): RowResult {
  const times: Partial<Record<'time-start' | 'time-answered' | 'time-end', string>> = {};
  for (const name of ['time-start', 'time-answered', 'time-end'] as const) {
    const text = (row[name] ?? '').trim();
    if (!text) continue;
    const parsed = DateTime.fromFormat(text, options.timeFormat, { zone: 'utc' });
    if (!parsed.isValid) return { ok: false, message: `${name}: "${text}" does not match timeFormat "${options.timeFormat}"` };
    // Luxon only re-spells the wall-clock time here (UTC as a neutral carrier: no DST gap can move it).
    times[name] = parsed.toFormat("yyyy-LL-dd'T'HH:mm:ss") + (options.timesAreUtc ? 'Z' : '');
  }
  const startTime = times['time-start'];
  if (!startTime) return { ok: false, message: 'time-start: empty; a call needs a start time' };
  let talkSec: number | undefined;
  const durationText = (row.duration ?? '').trim();
  if (durationText) {
    talkSec = parseTimeSpan(durationText);
    if (talkSec === undefined) return { ok: false, message: `duration: "${durationText}" is not a time span like 00:05:15` };
  }

  const ids = { callid: (row.callid ?? '').trim(), historyid: (row.historyid ?? '').trim() };
  const other = options.groupBy === 'callid' ? 'historyid' : 'callid';
  const groupKey = ids[options.groupBy] || ids[other] || `row-${createHash('sha1').update(fields.join('\u0001')).digest('hex').slice(0, 20)}`;

  const resolved = resolveParties(
    partyFrom(row, 'from'),
    partyFrom(row, 'to'),
    partyFrom(row, 'final'),
    (row['reason-changed'] ?? '').trim(),
    parseChain(row.chain ?? ''),
  );
  const { direction, ownerExtension } = directionOf(resolved);
  const from = toParty(resolved.from, resolved.fromSide);
  const to = toParty(resolved.to, resolved.toSide);
  const answered = times['time-answered'] !== undefined || (!('time-answered' in row) && (talkSec ?? 0) > 0);
  const reason = (row['reason-terminated'] ?? '').trim();
  // time-answered is set when 3CX itself answers (an IVR, voicemail, EndCall): the call reached nobody.
  const answeredByPbx = answered && isPbxService(resolved.to);

  const leg: CallRecord = {
    externalId: groupKey,
    location,
    startTime,
    from,
    to,
    outcome: answeredByPbx ? 'no-answer' : outcomeOf(answered, reason),
    legs: 1,
    raw: row,
  };
  if (answered && !answeredByPbx && times['time-answered']) leg.answerTime = times['time-answered'];
  if (times['time-end']) {
    leg.endTime = times['time-end'];
    const duration = secondsBetweenAbsolute(startTime, times['time-end']);
    if (duration !== undefined) leg.durationSec = duration;
  }
  if (talkSec !== undefined) leg.talkSec = answeredByPbx ? 0 : talkSec;
  if (direction) leg.direction = direction;
  if (ownerExtension) leg.ownerExtension = ownerExtension;
  const disposition = [reason, row['reason-changed']?.trim()].filter(Boolean).join('/');
  if (disposition) leg.disposition = disposition;
  const recording = template?.({ ...row, owner: ownerExtension, from: from.number, to: to.number, ...dateParts(startTime) });
  if (recording) leg.recording = recording;
  return { ok: true, groupKey, leg };
}

export default defineAdapter({
  id: '3cx',
  summary: '3CX CDR CSV (no header, field order as configured in 3CX; v16 and v18/v20 values); one call per callid.',
  configSchema: threeCxOptionsSchema,
  example: {
    fields: [...DEFAULT_FIELDS],
    groupBy: 'callid',
    timeFormat: 'yyyy/MM/dd HH:mm:ss',
    recordingTemplate: 'https://pbx.example.com/recordings/{owner}/{yyyy}{mm}{dd}-{callid}.wav',
  },
  inputs: { filePatterns: ['cdr*.log', '*.csv', '*.log'], contentTypes: ['text/csv', 'text/plain'], tail: true },
  async *parse(input, options): AsyncGenerator<ParseItem> {
    const names = options.fields.map(canonicalFieldName);
    const template = options.recordingTemplate ? compileTemplate(options.recordingTemplate) : undefined;
    for await (const item of readCsvLines(input, { delimiter: options.delimiter, maxLineBytes: options.maxLineBytes })) {
      const location = `${input.name}:${item.line}`;
      if (item.kind === 'bad') {
        yield { kind: 'error', location, message: item.message };
        continue;
      }
      if (item.fields.length !== names.length) {
        const hint = item.fields.length === 1 ? ' (wrong delimiter, or fields option not matching 3CX?)' : ' (does the fields option match the 3CX CDR template?)';
        yield { kind: 'error', location, message: `expected ${names.length} fields, got ${item.fields.length}${hint}` };
        continue;
      }
      const row: Row = {};
      names.forEach((name, i) => {
        if (name !== UNUSED) row[name as KnownField] = item.fields[i] ?? '';
      });
      const result = rowToLeg(row, item.fields, location, options, template);
      if (result.ok) yield { kind: 'leg', groupKey: result.groupKey, leg: result.leg };
      else yield { kind: 'error', location, message: result.message };
    }
  },
  merge: mergeLegs,
});
