import { z } from 'zod';
import { callOutcomes } from '../call-record.js';

/** A source field name (`caller`, `caller.number` in JSON), or a small template: `{dir}/{file}.wav`. */
const fieldRef = z
  .string()
  .trim()
  .min(1, 'must name a source field, e.g. "call_id", or be a template such as "{dir}/{file}.wav"')
  .refine(balanced, 'unbalanced { } in template: write {field} for each field, e.g. "{dir}/{file}.wav"');

function balanced(text: string): boolean {
  let open = false;
  for (const c of text) {
    if (c === '{') {
      if (open) return false;
      open = true;
    } else if (c === '}') {
      if (!open) return false;
      open = false;
    }
  }
  return !open;
}

const ref = (what: string) => fieldRef.describe(what);
const optionalRef = (what: string) => fieldRef.optional().describe(what);

export const genericFieldsSchema = z.strictObject({
  externalId: ref('Required. Field with the call\'s unique id (becomes call_external_id).'),
  startTime: ref('Required. Field with the start time (see `time`).'),
  answerTime: optionalRef('Answer time (see `time`).'),
  endTime: optionalRef('End time (see `time`).'),
  durationSec: optionalRef('Whole call length: seconds (or ms, see durationUnit), or H:MM:SS.'),
  talkSec: optionalRef('Answered length: seconds (or ms), or H:MM:SS. > 0 means answered when there is no outcome map.'),
  fromNumber: optionalRef('Caller number or extension.'),
  fromName: optionalRef('Caller-id name.'),
  fromChannel: optionalRef('Caller channel / trunk name (used by normalize.trunkPatterns).'),
  toNumber: optionalRef('Callee number or extension.'),
  toName: optionalRef('Callee name.'),
  toChannel: optionalRef('Callee channel / trunk name.'),
  ownerExtension: optionalRef('The internal party\'s extension, when the data says which one is ours.'),
  recording: optionalRef('Recording: an http(s) URL, or a path on this host. A template builds one: "/rec/{date}/{call_id}.wav".'),
  recordingStereo: optionalRef('Stereo flag or channel count; a value in stereoValues means stereo.'),
  disposition: optionalRef('The PBX\'s own disposition / status text (kept, and mapped by `outcome`).'),
});

export const genericOptionsSchema = z
  .strictObject({
    format: z
      .enum(['auto', 'csv', 'json', 'ndjson'])
      .default('auto')
      .describe('auto: by content type, then file extension (.csv/.tsv/.txt, .json, .ndjson/.jsonl), then the first character.'),
    csv: z
      .strictObject({
        delimiter: z.string().min(1).max(4).default(',').describe('Field separator, e.g. "," ";" "\\t" "|".'),
        quote: z.string().length(1).default('"').describe('Quote character; a quote inside a quoted field is doubled.'),
        header: z.boolean().default(true).describe('The first line names the columns. Tails need false + columns (a resumed tail has no header).'),
        columns: z.array(z.string().min(1)).optional().describe('Column names when the file has no header line.'),
      })
      .prefault({})
      .describe('CSV dialect.'),
    jsonRecords: z
      .string()
      .min(1)
      .optional()
      .describe('Dotted path to the array of records inside each JSON document (e.g. "data.calls"); default: the document is the array, or one record.'),
    fields: genericFieldsSchema.describe('For each call field, the source field (or template) it comes from. externalId and startTime are required.'),
    time: z
      .strictObject({
        format: z
          .string()
          .min(1)
          .default('iso')
          .describe('"iso" (ISO 8601, also "2024-03-01 10:00:00"), "epoch" (seconds), "epoch-ms", or a luxon format such as "dd/MM/yyyy HH:mm:ss".'),
        zone: z
          .enum(['source', 'data', 'utc'])
          .default('source')
          .describe('Times without an offset: "source" = the source\'s timezone (normalize resolves it, DST included); "utc"; "data" = every time must carry its offset.'),
      })
      .prefault({})
      .describe('How start/answer/end times are written.'),
    durationUnit: z.enum(['seconds', 'milliseconds']).default('seconds').describe('Unit of numeric durationSec / talkSec values.'),
    direction: z
      .strictObject({
        field: fieldRef.describe('Field that states the direction.'),
        values: z.record(z.string(), z.enum(['incoming', 'outgoing', 'internal'])).describe('Its values → direction, e.g. {IN: incoming, OUT: outgoing}.'),
      })
      .optional()
      .describe('Direction rule; leave out to let normalize decide from the numbers.'),
    outcome: z
      .strictObject({
        field: fieldRef.optional().describe('Field with the status; default fields.disposition.'),
        values: z.record(z.string(), z.enum(callOutcomes)).describe('Status values → outcome, e.g. {ANSWERED: answered, "NO ANSWER": no-answer}.'),
      })
      .optional()
      .describe('Outcome map. Unmapped or absent: answered when talkSec > 0 or there is an answer time, else unknown.'),
    stereoValues: z
      .array(z.string())
      .default(['2', 'true', 'yes', 'stereo'])
      .describe('recordingStereo values that mean stereo (case-insensitive); any other non-empty value means mono.'),
    groupKey: fieldRef.optional().describe('Field shared by the legs of one call (e.g. linkedid); default fields.externalId. Empty → the row is a call of its own.'),
    maxRecordBytes: z.number().int().positive().default(1024 * 1024).describe('A CSV record or NDJSON line larger than this is a located error; parsing goes on.'),
    maxDocumentBytes: z.number().int().positive().default(64 * 1024 * 1024).describe('A whole JSON document larger than this is refused (use NDJSON for big exports).'),
  })
  .superRefine((o, ctx) => {
    if (!o.csv.header && !o.csv.columns?.length) {
      ctx.addIssue({ code: 'custom', path: ['csv', 'columns'], message: 'csv.header is false: list the column names in csv.columns' });
    }
  });

export type GenericOptions = z.infer<typeof genericOptionsSchema>;
export type GenericFields = z.infer<typeof genericFieldsSchema>;
