/**
 * 3CX CDR output fields. The administrator picks which fields are written and in what order
 * (Management console → CDR → "Configure CDR output fields"); the file has no header, so the order is an option.
 * Names are written here as the 3CX console shows them (`time-start`); `time_start` is accepted too.
 */
export const KNOWN_FIELDS = [
  'historyid',
  'callid',
  'duration',
  'time-start',
  'time-answered',
  'time-end',
  'reason-terminated',
  'from-no',
  'to-no',
  'from-dn',
  'to-dn',
  'dial-no',
  'reason-changed',
  'final-number',
  'final-dn',
  'bill-code',
  'bill-rate',
  'bill-cost',
  'bill-name',
  'chain',
  'from-type',
  'to-type',
  'final-type',
  'from-dispname',
  'to-dispname',
  'final-dispname',
  'missed-queue-calls',
] as const;
export type KnownField = (typeof KNOWN_FIELDS)[number];

/** A column the bridge should ignore; may appear any number of times. */
export const UNUSED = 'unused';

/**
 * The default template, 27 fields: the order 3CX v16 ships and that v18/v20 keep (checked against records
 * from both: v16 `Internal`/`External` types and a quoted comma chain, v18+ `Extension`/`Line` types and an
 * unquoted `;` chain, same positions).
 */
export const DEFAULT_FIELDS: readonly KnownField[] = KNOWN_FIELDS;

export function canonicalFieldName(name: string): string {
  return name.trim().toLowerCase().replace(/_/g, '-');
}
