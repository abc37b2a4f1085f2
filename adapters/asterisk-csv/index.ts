import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CallRecord, Party } from '../../src/pipeline/call-record.js';
import { BatchedIterable } from '../../src/pipeline/batched.js';
import { type AdapterInput, defineAdapter, type ParseItem } from '../types.js';
import { ALL_COLUMNS, autoLayout, REQUIRED_COLUMNS, rowOf, type AsteriskColumn } from './columns.js';
import { maxLineBytesOption, readCsvBatches } from '../shared/guarded-csv.js';
import { mergeLegs } from '../shared/merge-legs.js';
import { compileTemplate, DATE_PLACEHOLDERS, recordingFromValue, recordingTemplateOption, type Recording } from '../shared/recording-template.js';
import { datePartsText, parseSeconds, wallClockToIso } from '../shared/times.js';

const TEMPLATE_NAMES: ReadonlySet<string> = new Set([...ALL_COLUMNS, ...DATE_PLACEHOLDERS]);

/** PJSIP/201-0000001a, SIP/201-…, IAX2/201-…, Local/201@from-queue-…;1 → 201 */
export const DEFAULT_EXTENSION_FROM_CHANNEL = '^(?:PJSIP|SIP|IAX2|DAHDI|Local)/(\\d{2,6})(?:[-@;/]|$)';

export const asteriskCsvOptionsSchema = z.strictObject({
  columns: z
    .union([z.literal('auto'), z.array(z.enum(ALL_COLUMNS)).min(1)])
    .default('auto')
    .describe(
      'Column layout of Master.csv. "auto": the cdr_csv order (accountcode … amaflags, 16 columns) plus the optional columns cdr.conf enables, told apart by count: 17 = +uniqueid (or +userfield), 18 = +uniqueid,userfield, 19 = +peeraccount,linkedid,sequence, 20 = +uniqueid (or userfield) and those three, 21 = all. Or list the column names in file order.',
    )
    .refine((c) => c === 'auto' || new Set(c).size === c.length, 'a column is listed twice')
    .refine(
      (c) => c === 'auto' || REQUIRED_COLUMNS.every((r) => c.includes(r)),
      `the layout must contain ${REQUIRED_COLUMNS.join(', ')}`,
    ),
  usegmtime: z
    .boolean()
    .default(false)
    .describe('cdr.conf [csv] usegmtime=yes: the times are UTC. They are then passed on with "Z" and the source time zone is not applied.'),
  userfieldIsRecording: z
    .boolean()
    .default(false)
    .describe('The userfield column holds the recording (e.g. Set(CDR(userfield)=${MIXMONITOR_FILENAME})): an http(s) URL or a file path.'),
  recordingDir: z
    .string()
    .min(1)
    .optional()
    .describe('Folder that a relative userfield recording path is relative to, e.g. /var/spool/asterisk/monitor.'),
  recordingTemplate: recordingTemplateOption(
    'Recording location when userfield has none: an http(s) URL or a path with placeholders {uniqueid} {linkedid} (uniqueid when absent) {src} {dst} {accountcode} {userfield} … (any column) and {yyyy} {mm} {dd} {hh} {mi} {ss} (the start time as written).',
    TEMPLATE_NAMES,
  ),
  extensionFromChannel: z
    .string()
    .nullable()
    .default(DEFAULT_EXTENSION_FROM_CHANNEL)
    .describe(
      'Regular expression on channel/dstchannel whose first group is the extension of a phone; that extension is the party number (dst is often a queue, ring group or DID). null: always use src/dst.',
    )
    .superRefine((re, ctx) => {
      if (re === null) return;
      try {
        if (!/\((?!\?)/.test(re)) ctx.addIssue({ code: 'custom', message: 'the expression needs a capture group for the extension' });
        new RegExp(re);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: `not a valid regular expression: ${(error as Error).message}` });
      }
    }),
  maxLineBytes: maxLineBytesOption(' (cdr_csv itself writes at most 1 KB per line)'),
});
export type AsteriskCsvOptions = z.infer<typeof asteriskCsvOptionsSchema>;

type Row = Partial<Record<AsteriskColumn, string>>;

const OUTCOMES: ReadonlyMap<string, CallRecord['outcome']> = new Map([
  ['ANSWERED', 'answered'],
  ['NO ANSWER', 'no-answer'],
  ['NOANSWER', 'no-answer'],
  ['BUSY', 'busy'],
  ['FAILED', 'failed'],
  ['CONGESTION', 'failed'],
]);

/**
 * `"Alice Smith" <100>` → name + number; `Alice <100>`, `<100>` and a bare name also occur. Asterisk does not
 * escape quotes inside the name (`"Karin "KS" Svensson" <0731112233>`), so the outermost quotes delimit it.
 */
export function parseCallerId(clid: string): { name?: string; number?: string } {
  let name = clid;
  let number = '';
  const open = clid.lastIndexOf('<');
  const close = clid.lastIndexOf('>');
  if (open >= 0 && close > open && (close === clid.length - 1 || clid.slice(close + 1).trim() === '')) {
    name = clid.slice(0, open);
    number = clid.slice(open + 1, close).trim();
  }
  name = name.trim();
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).replace(/\\"/g, '"').trim();
  const out: { name?: string; number?: string } = {};
  if (name) out.name = name;
  if (number) out.number = number;
  return out;
}

function party(number: string | undefined, name: string | undefined, channel: string | undefined): Party {
  const p: Party = {};
  if (number) p.number = number;
  if (name && name !== number) p.name = name;
  if (channel) p.channel = channel;
  return p;
}

/** A time column as CallRecord spells it; undefined when empty. `null` when it is not a time. */
function time(text: string | undefined, gmt: boolean): string | undefined | null {
  if (!text) return undefined;
  const iso = wallClockToIso(text);
  if (!iso) return null;
  return gmt ? `${iso}Z` : iso;
}

function notATime(column: 'start' | 'answer' | 'end', text: string | undefined): string {
  return `${column}: "${text ?? ''}" is not a time (expected YYYY-MM-DD HH:MM:SS)`;
}

/** One row → the leg it describes, or a located error naming the column that is wrong. */
function rowToItem(
  row: Row,
  fields: readonly string[],
  location: string,
  options: AsteriskCsvOptions,
  extension?: RegExp,
  template?: RenderTemplate,
  pool?: ValuePool,
): Extract<ParseItem, { kind: 'leg' | 'error' }> {
  const gmt = options.usegmtime;
  const startTime = time(row.start, gmt);
  const answerTime = time(row.answer, gmt);
  const endTime = time(row.end, gmt);
  if (startTime === null) return { kind: 'error', location, message: notATime('start', row.start) };
  if (answerTime === null) return { kind: 'error', location, message: notATime('answer', row.answer) };
  if (endTime === null) return { kind: 'error', location, message: notATime('end', row.end) };
  if (!startTime) return { kind: 'error', location, message: 'start: empty; a call needs a start time' };
  let duration: number | undefined;
  let billsec: number | undefined;
  if (row.duration) {
    duration = parseSeconds(row.duration);
    if (duration === undefined) return { kind: 'error', location, message: `duration: "${row.duration}" is not a whole number of seconds` };
  }
  if (row.billsec) {
    billsec = parseSeconds(row.billsec);
    if (billsec === undefined) return { kind: 'error', location, message: `billsec: "${row.billsec}" is not a whole number of seconds` };
  }

  const uniqueid = row.uniqueid || undefined;
  const linkedid = row.linkedid || undefined;
  const groupKey = linkedid ?? uniqueid ?? `row-${createHash('sha1').update(fields.join('\u0001')).digest('hex').slice(0, 20)}`;
  const disposition = (row.disposition ?? '').trim();
  const outcome = OUTCOMES.get(disposition.toUpperCase()) ?? 'unknown';
  const caller = parseCallerId(row.clid ?? '');
  const fromExtension = extensionOf(row.channel, extension, pool);
  const toExtension = extensionOf(row.dstchannel, extension, pool);

  const leg: CallRecord = {
    externalId: groupKey,
    location,
    startTime,
    from: party(fromExtension ?? (row.src || caller.number), caller.name, row.channel),
    to: party(toExtension ?? row.dst, undefined, row.dstchannel),
    outcome,
    legs: 1,
    raw: row,
  };
  if (answerTime && outcome === 'answered') leg.answerTime = answerTime;
  if (endTime) leg.endTime = endTime;
  if (duration !== undefined) leg.durationSec = duration;
  if (billsec !== undefined) leg.talkSec = billsec;
  if (disposition) leg.disposition = disposition;
  const recording = recordingOf(row, startTime, options, template);
  if (recording) leg.recording = recording;
  return { kind: 'leg', groupKey, leg };
}

function extensionOf(channel: string | undefined, extension?: RegExp, pool?: ValuePool): string | undefined {
  if (!channel || !extension) return undefined;
  const found = extension.exec(channel)?.[1] || undefined;
  return found && pool ? pool.share(found) : found;
}

type RenderTemplate = ReturnType<typeof compileTemplate>;

function recordingOf(row: Row, start: string, options: AsteriskCsvOptions, template: RenderTemplate | undefined): Recording | undefined {
  if (options.userfieldIsRecording && row.userfield) {
    const fromUserfield = recordingFromValue(row.userfield, options.recordingDir);
    if (fromUserfield) return fromUserfield;
  }
  if (!template) return undefined;
  templateRow = row;
  templateStart = start;
  templateDate = undefined;
  try {
    return template(templateValue);
  } finally {
    templateRow = undefined;
  }
}

// The row a template is being filled from: one look-up function for every row, not a closure per row.
let templateRow: Row | undefined;
let templateStart = '';
let templateDate: string | undefined;

function templateValue(name: string): string | undefined {
  const row = templateRow as Row;
  if (name === 'linkedid') return row.linkedid || row.uniqueid;
  // Date placeholders and column names do not overlap: which one a name is decides the look-up.
  const at = DATE_PART_AT.get(name);
  if (at === undefined) return name in row ? row[name as AsteriskColumn] : undefined;
  templateDate ??= datePartsText(templateStart);
  return templateDate.slice(at, at + (name === 'yyyy' ? 4 : 2));
}

/** Where each date placeholder is in the text `datePartsText` gives (the layout dateParts reads). */
const DATE_PART_AT: ReadonlyMap<string, number> = new Map([
  ['yyyy', 0],
  ['mm', 5],
  ['dd', 8],
  ['hh', 11],
  ['mi', 14],
  ['ss', 17],
]);

function columnCountMessage(fields: readonly string[], options: AsteriskCsvOptions): string {
  const expected = options.columns === 'auto' ? '16 to 21 (cdr_csv layout)' : String(options.columns.length);
  const hint = fields.length === 1 && /[;\t|]/.test(fields[0] ?? '') ? '; the line has no commas (wrong delimiter?)' : '';
  return `expected ${expected} columns, got ${fields.length}${hint}`;
}

/**
 * One string per distinct value of the columns that repeat row after row (context, application, disposition,
 * seconds...). A leg waits in the grouping window for thousands of rows; every string it holds is copied by
 * each young-generation GC it lives through, so sharing the repeated ones makes the window lighter.
 */
class ValuePool {
  private readonly values = new Map<string, string>();

  share(value: string): string {
    const known = this.values.get(value);
    if (known !== undefined) return known;
    if (this.values.size >= VALUE_POOL_LIMIT) this.values.clear();
    this.values.set(value, value);
    return value;
  }
}

const VALUE_POOL_LIMIT = 10_000;

function shareRepeatedValues(row: Row, pool: ValuePool): void {
  if (row.accountcode) row.accountcode = pool.share(row.accountcode);
  if (row.dcontext) row.dcontext = pool.share(row.dcontext);
  if (row.lastapp) row.lastapp = pool.share(row.lastapp);
  if (row.lastdata) row.lastdata = pool.share(row.lastdata);
  if (row.duration) row.duration = pool.share(row.duration);
  if (row.billsec) row.billsec = pool.share(row.billsec);
  if (row.disposition) row.disposition = pool.share(row.disposition);
  if (row.amaflags) row.amaflags = pool.share(row.amaflags);
  if (row.peeraccount) row.peeraccount = pool.share(row.peeraccount);
  // linkedid is the uniqueid of the call's first channel: often the same text.
  if (row.linkedid && row.linkedid === row.uniqueid) row.linkedid = row.uniqueid;
}

async function* parseBatches(input: AdapterInput, options: AsteriskCsvOptions): AsyncGenerator<ParseItem[]> {
  const extension = options.extensionFromChannel ? new RegExp(options.extensionFromChannel) : undefined;
  const template = options.recordingTemplate ? compileTemplate(options.recordingTemplate) : undefined;
  const prefix = `${input.name}:`;
  const pool = new ValuePool();
  for await (const batch of readCsvBatches(input, { delimiter: ',', maxLineBytes: options.maxLineBytes })) {
    const items: ParseItem[] = [];
    for (const item of batch) {
      const location = prefix + item.line;
      if (item.kind === 'bad') {
        items.push({ kind: 'error', location, message: item.message });
        continue;
      }
      const fields = item.fields;
      const layout = options.columns === 'auto' ? autoLayout(fields) : options.columns;
      if (!layout || layout.length !== fields.length) {
        items.push({ kind: 'error', location, message: columnCountMessage(fields, options) });
        continue;
      }
      const row: Row = rowOf(layout, fields);
      shareRepeatedValues(row, pool);
      items.push(rowToItem(row, fields, location, options, extension, template, pool));
    }
    yield items;
  }
}

export default defineAdapter({
  id: 'asterisk-csv',
  summary: 'Asterisk cdr_csv Master.csv (no header, fixed columns); legs grouped by linkedid, else uniqueid.',
  configSchema: asteriskCsvOptionsSchema,
  example: {
    columns: 'auto',
    userfieldIsRecording: true,
    recordingDir: '/var/spool/asterisk/monitor',
    recordingTemplate: 'https://pbx.example.com/recordings/{yyyy}/{mm}/{dd}/{uniqueid}.wav',
  },
  inputs: { filePatterns: ['Master.csv', '*.csv'], contentTypes: ['text/csv'], tail: true },
  parse(input, options): AsyncIterable<ParseItem> {
    // Items in arrays, a CSV chunk at a time: whole-file grouping takes them so (see BatchedIterable).
    return new BatchedIterable(() => parseBatches(input, options));
  },
  merge: mergeLegs,
});
