/**
 * cdr_csv column layouts. Master.csv has no header: the order is fixed by cdr_csv.c, with optional columns
 * appended in this order when cdr.conf [csv] enables them: loguniqueid → uniqueid, loguserfield → userfield,
 * newcdrcolumns → peeraccount, linkedid, sequence.
 */

export const BASE_COLUMNS = [
  'accountcode',
  'src',
  'dst',
  'dcontext',
  'clid',
  'channel',
  'dstchannel',
  'lastapp',
  'lastdata',
  'start',
  'answer',
  'end',
  'duration',
  'billsec',
  'disposition',
  'amaflags',
] as const;

export const OPTIONAL_COLUMNS = ['uniqueid', 'userfield', 'peeraccount', 'linkedid', 'sequence'] as const;
export const NEW_CDR_COLUMNS = ['peeraccount', 'linkedid', 'sequence'] as const;

export const ALL_COLUMNS = [...BASE_COLUMNS, ...OPTIONAL_COLUMNS] as const;
export type AsteriskColumn = (typeof ALL_COLUMNS)[number];

/** Columns a configured layout must contain for a row to be a call. */
export const REQUIRED_COLUMNS: readonly AsteriskColumn[] = ['src', 'dst', 'start', 'disposition'];

// Asterisk uniqueids are `<epoch>.<seq>`, optionally prefixed with the system name (`pbx1-1712345678.42`).
const UNIQUEID = /^(?:[\w.-]+-)?\d{9,}\.\d+$/;

// Built once: the layout is looked up for every line.
const LAYOUTS: Readonly<Record<string, readonly AsteriskColumn[]>> = {
  16: BASE_COLUMNS,
  '17u': [...BASE_COLUMNS, 'uniqueid'],
  '17f': [...BASE_COLUMNS, 'userfield'],
  18: [...BASE_COLUMNS, 'uniqueid', 'userfield'],
  19: [...BASE_COLUMNS, ...NEW_CDR_COLUMNS],
  '20u': [...BASE_COLUMNS, 'uniqueid', ...NEW_CDR_COLUMNS],
  '20f': [...BASE_COLUMNS, 'userfield', ...NEW_CDR_COLUMNS],
  21: [...BASE_COLUMNS, 'uniqueid', 'userfield', ...NEW_CDR_COLUMNS],
};

/**
 * The layout of one row in `auto` mode, from its column count (16 to 21). With 17 or 20 columns only one of
 * uniqueid/userfield is on; the value decides: a uniqueid looks like `1712345678.42`.
 */
export function autoLayout(fields: readonly string[]): readonly AsteriskColumn[] | undefined {
  const n = fields.length;
  if (n === 17 || n === 20) return LAYOUTS[`${n}${UNIQUEID.test(fields[16] ?? '') ? 'u' : 'f'}`];
  return LAYOUTS[n];
}
