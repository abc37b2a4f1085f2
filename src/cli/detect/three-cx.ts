import { DEFAULT_FIELDS } from '../../../adapters/3cx/fields.js';
import { type CsvShape, delimiterName } from './csv-shape.js';
import type { Recognition } from './types.js';
import { all, guessDateTimeFormat, share } from './values.js';

const CALL_ID = /^[0-9A-F]{16}_\d+$/i;
const HISTORY_ID = /^Call \d+$/;
const REASONS = /^(?:TerminatedBy(?:Src|Dst)|TerminatedByRule|Failed_?\w*|Route\w*|NoRoute\w*|Cancelled|Busy|NoAnswer|Rejected|Redirected|Diverted)$/;
const TYPES = /^(?:Internal|External|Extension|Line|Queue|RingGroup|IVR|VoiceMail|Fax|Parking|Script|Conference|Unknown)$/;

/**
 * 3CX CDR output: no header, 3CX's default 27 fields (or the administrator's own selection), `Call 123` history
 * ids, `0000018F3A2B1C01_101` call ids, times like 2024/05/02 09:14:03, reasons like TerminatedBySrc.
 */
export function recogniseThreeCx(shape: CsvShape): Recognition | undefined {
  const rows = shape.rows.filter((r) => r.length === shape.width);
  if (rows.length < shape.rows.length / 2 || shape.width < 5) return undefined;
  const at = (field: string) => {
    const i = DEFAULT_FIELDS.indexOf(field as (typeof DEFAULT_FIELDS)[number]);
    return rows.map((r) => (r[i] ?? '').trim()).filter((v) => v !== '');
  };
  const callIds = at('callid');
  const historyIds = at('historyid');
  const reasons = at('reason-terminated');
  const types = [...at('from-type'), ...at('to-type'), ...at('final-type')];
  const marks = [
    share(callIds, (v) => CALL_ID.test(v)) >= 0.8,
    share(historyIds, (v) => HISTORY_ID.test(v)) >= 0.8,
    share(reasons, (v) => REASONS.test(v)) >= 0.8,
    all(types, (v) => TYPES.test(v)),
  ].filter(Boolean).length;
  const defaultOrder = shape.width === DEFAULT_FIELDS.length;
  if (marks < 2 || !defaultOrder) {
    // 3CX's values in another field selection: the order cannot be read from the values alone.
    const anywhere = rows.slice(0, 20).flat();
    if (!anywhere.some((v) => CALL_ID.test(v.trim())) || !anywhere.some((v) => REASONS.test(v.trim()))) return undefined;
    return {
      adapter: '3cx',
      strong: false,
      evidence: [`${shape.width} fields and no header line, with 3CX's values (call ids like ${anywhere.find((v) => CALL_ID.test(v.trim()))})`],
      options: {},
      optionNotes: {},
      times: { kind: 'local', how: '3CX writes the PBX wall clock', pairs: [] },
      todo: [`the lines have ${shape.width} fields, not 3CX's default ${DEFAULT_FIELDS.length}: list the CDR output fields in the order configured in 3CX as the 3cx source's options.fields`],
    };
  }

  const starts = at('time-start');
  const format = guessDateTimeFormat(starts);
  const evidence = [`${shape.width} fields and no header line: 3CX's default CDR template`];
  if (callIds.length) evidence.push(`field 2 (callid) like ${callIds[0]}`);
  if (starts.length) evidence.push(`field 4 (time-start) like ${starts[0]}`);
  if (reasons.length) evidence.push(`field 7 (reason-terminated) is ${[...new Set(reasons)].slice(0, 4).join('/')}`);
  const kinds = new Set(types);
  if (kinds.has('Extension') || kinds.has('Line')) evidence.push('party types Extension/Line: 3CX v18 or v20');
  else if (kinds.has('Internal') || kinds.has('External')) evidence.push('party types Internal/External: 3CX v16');
  const r: Recognition = {
    adapter: '3cx',
    strong: true,
    evidence,
    options: {},
    optionNotes: {},
    times: { kind: 'local', how: "3CX writes the PBX's wall clock; if yours writes UTC, set the source's timesAreUtc option instead", pairs: [] },
    unset: [
      {
        key: 'recordingTemplate',
        value: 'https://pbx.example.com/recordings/{owner}/{yyyy}{mm}{dd}-{callid}.wav',
        note: "TODO: 3CX CDRs name no recording; until this names where each call's file is, every call is skipped: no recording",
      },
    ],
    todo: ['3CX appends to its CDR log as calls end: a source of type tail follows that file, where a drop folder takes copies'],
  };
  // 3CX's timeFormat is a luxon format: "iso" is spelt out.
  const luxon = format?.format === 'iso' && all(starts, (v) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(v)) ? 'yyyy-MM-dd HH:mm:ss' : format?.format;
  if (format && luxon && luxon !== 'yyyy/MM/dd HH:mm:ss' && !luxon.startsWith('epoch') && luxon !== 'iso') {
    r.options.timeFormat = luxon;
    r.optionNotes.timeFormat = `time-start like ${starts[0]}${format.ambiguousWith ? ` (TODO: or ${format.ambiguousWith}? the dates seen read both ways)` : ''}`;
  }
  if (shape.delimiter !== ',') {
    r.options.delimiter = shape.delimiter;
    r.optionNotes.delimiter = `fields separated by ${delimiterName(shape.delimiter)}`;
  }
  return r;
}
