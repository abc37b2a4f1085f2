import { REQUIRED_COLUMNS } from '../../../adapters/cucm/index.js';
import { type CsvShape, delimiterName } from './csv-shape.js';
import type { Recognition } from './types.js';
import { escapeRegExp, isPhoneDevice } from './trunks.js';
import { EPOCH_SECONDS, all } from './values.js';

const CMR_COLUMNS = ['directoryNum', 'numberPacketsSent', 'numberPacketsReceived', 'varVQMetrics'];
const TYPE_CELL = /^(?:INTEGER|BIGINT|SMALLINT|BOOLEAN|TEXT|UNIQUEIDENTIFIER|DATETIME|(?:N?VAR)?CHAR\(\d+\))$/i;

/**
 * Cisco CUCM CDR (or CMR) flat files: a header line of CUCM's column names (cdrRecordType, globalCallID_callId,
 * dateTimeOrigination...), usually a second line of column types, epoch-second (UTC) times.
 */
export function recogniseCucm(shape: CsvShape): Recognition | undefined {
  const header = shape.rows[0]?.map((c) => c.trim());
  if (!header) return undefined;
  const has = (name: string) => header.some((c) => c.toLowerCase() === name.toLowerCase());
  const index = (name: string) => header.findIndex((c) => c.toLowerCase() === name.toLowerCase());
  const found = REQUIRED_COLUMNS.filter(has);
  const cmr = !has('dateTimeOrigination') && CMR_COLUMNS.filter(has).length >= 2;
  if (found.length < REQUIRED_COLUMNS.length - 2 && !cmr) return undefined;

  const typesLine = shape.rows[1]?.every((c) => TYPE_CELL.test(c.trim())) === true;
  const data = shape.rows.slice(typesLine ? 2 : 1).filter((r) => r.length === header.length);
  const evidence = [
    `a header line of ${header.length} CUCM column names (${(cmr ? ['cdrRecordType', ...CMR_COLUMNS.filter(has)] : found.slice(0, 4)).join(', ')}...)`,
  ];
  if (typesLine) evidence.push(`a second line of column types (${shape.rows[1]?.slice(0, 3).join(', ')}...)`);
  const r: Recognition = {
    adapter: 'cucm',
    strong: true,
    evidence,
    options: {},
    optionNotes: {},
    times: { kind: 'absolute', how: 'CUCM writes epoch seconds, UTC' },
    todo: [],
  };
  if (shape.delimiter !== ',') {
    r.problem = `the fields are separated by ${delimiterName(shape.delimiter)}, but CUCM writes (and the cucm adapter reads) commas: was the file re-saved by a spreadsheet? Use the files as CUCM writes them`;
  }
  if (cmr) {
    evidence.push('a CMR file (call management records: voice quality, not calls): the adapter skips it; the calls are in the cdr_* files');
    return r;
  }
  const origination = data.map((row) => row[index('dateTimeOrigination')]?.trim() ?? '').filter((v) => v !== '' && v !== '0');
  if (all(origination, (v) => EPOCH_SECONDS.test(v))) evidence.push(`dateTimeOrigination is epoch seconds (UTC), like ${origination[0]}`);
  const missing = REQUIRED_COLUMNS.filter((c) => !has(c));
  if (missing.length) r.problem ??= `the header lacks ${missing.join(', ')}, which the cucm adapter needs`;

  // Only shown, not set: an example URL would be sent as if it were a recording.
  r.unset = [
    {
      key: 'recordingTemplate',
      value: 'https://recorder.example.com/cucm/{yyyy}{mm}{dd}/{globalCallID_callManagerId}-{globalCallID_callId}.wav',
      note: "TODO: CUCM CDRs name no recording; until this names where your recorder serves each call's file (any column, {yyyy}{mm}{dd} = the UTC start), every call is skipped: no recording",
    },
  ];
  const devices = new Set<string>();
  for (const name of ['origDeviceName', 'destDeviceName']) {
    const i = index(name);
    if (i >= 0) for (const row of data) if (row[i]?.trim()) devices.add(row[i].trim());
  }
  const recorders = [...devices].filter((d) => /(?:^|[^a-z])rec(?:order|ording)?(?:[^a-z]|$)/i.test(d) && !isPhoneDevice(d));
  if (recorders.length) {
    r.options.skipDevices = recorders.map((d) => `^${escapeRegExp(d)}$`);
    r.optionNotes.skipDevices = `the device name says recorder: its recording forks are CDRs of their own (check: ${recorders.join(', ')})`;
  }
  return r;
}
