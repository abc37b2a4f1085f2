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

export type AsteriskRow = Partial<Record<AsteriskColumn, string>>;
type Fields = readonly string[] & { readonly [i: number]: string };

/**
 * The row of each cdr_csv layout as one object literal: every row of a file is then built in one step with
 * one shape, where a loop of keyed stores makes V8 look each column name up again for every row.
 */
const ROW_BUILDERS = new Map<readonly AsteriskColumn[], (f: Fields) => AsteriskRow>([
  [
    LAYOUTS[16] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15],
    }),
  ],
  [
    LAYOUTS['17u'] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15], uniqueid: f[16],
    }),
  ],
  [
    LAYOUTS['17f'] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15], userfield: f[16],
    }),
  ],
  [
    LAYOUTS[18] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15], uniqueid: f[16], userfield: f[17],
    }),
  ],
  [
    LAYOUTS[19] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15], peeraccount: f[16], linkedid: f[17],
      sequence: f[18],
    }),
  ],
  [
    LAYOUTS['20u'] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15], uniqueid: f[16], peeraccount: f[17],
      linkedid: f[18], sequence: f[19],
    }),
  ],
  [
    LAYOUTS['20f'] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15], userfield: f[16], peeraccount: f[17],
      linkedid: f[18], sequence: f[19],
    }),
  ],
  [
    LAYOUTS[21] as readonly AsteriskColumn[],
    (f) => ({
      accountcode: f[0], src: f[1], dst: f[2], dcontext: f[3], clid: f[4], channel: f[5],
      dstchannel: f[6], lastapp: f[7], lastdata: f[8], start: f[9], answer: f[10], end: f[11],
      duration: f[12], billsec: f[13], disposition: f[14], amaflags: f[15], uniqueid: f[16], userfield: f[17],
      peeraccount: f[18], linkedid: f[19], sequence: f[20],
    }),
  ],
]);

/** The fields of one line as a row object of `layout`, column names in file order (`fields` as long as `layout`). */
export function rowOf(layout: readonly AsteriskColumn[], fields: readonly string[]): AsteriskRow {
  const build = ROW_BUILDERS.get(layout);
  if (build) return build(fields as Fields);
  const row: AsteriskRow = {};
  for (let i = 0; i < layout.length; i++) row[layout[i] as AsteriskColumn] = fields[i] ?? '';
  return row;
}
