import { BatchedIterable } from '../batched.js';
import { type AdapterInput, defineAdapter, type ParseItem } from '../types.js';
import { autoLayout, rowOf } from './columns.js';
import { completeAsteriskCall } from './complete.js';
import { mergeAsteriskLegs } from './merge.js';
import { asteriskCsvOptionsSchema, type AsteriskCsvOptions } from './options.js';
import { type Row, type RowContext, rowToItem, shareRepeatedValues, ValuePool } from './row.js';
import { compileTemplate } from '../shared/recording-template.js';
import { parseAsteriskRows } from './table-row.js';
import { readCsvBatches } from '../shared/guarded-csv.js';

export { asteriskCsvOptionsSchema, DEFAULT_EXTENSION_FROM_CHANNEL, type AsteriskCsvOptions } from './options.js';
export { parseCallerId } from './row.js';

function columnCountMessage(fields: readonly string[], options: AsteriskCsvOptions): string {
  const expected = options.columns === 'auto' ? '16 to 21 (cdr_csv layout)' : String(options.columns.length);
  const hint = fields.length === 1 && /[;\t|]/.test(fields[0] ?? '') ? '; the line has no commas (wrong delimiter?)' : '';
  return `expected ${expected} columns, got ${fields.length}${hint}`;
}

async function* parseBatches(input: AdapterInput, options: AsteriskCsvOptions): AsyncGenerator<ParseItem[]> {
  const ctx: RowContext = {
    options,
    extension: options.extensionFromChannel ? new RegExp(options.extensionFromChannel) : undefined,
    template: options.recordingTemplate ? compileTemplate(options.recordingTemplate) : undefined,
    pool: new ValuePool(),
  };
  const prefix = `${input.name}:`;
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
      shareRepeatedValues(row, ctx.pool);
      items.push(rowToItem(row, fields, location, ctx));
    }
    yield items;
  }
}

export default defineAdapter({
  id: 'asterisk-csv',
  summary: 'Asterisk cdr_csv Master.csv (no header, fixed columns); rows grouped by linkedid, else uniqueid; Local channels, queues, ring groups and transfers read as connections.',
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
  parseRows: parseAsteriskRows,
  merge: mergeAsteriskLegs,
  complete: completeAsteriskCall,
});
