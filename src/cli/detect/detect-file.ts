import path from 'node:path';
import { getAdapter } from '../../../adapters/registry.js';
import { isPlainObject } from '../../../adapters/shared/input.js';
import { fileNameMatcher } from '../../sources/patterns.js';
import { recogniseAsteriskCsv } from './asterisk-csv.js';
import { type CsvShape, delimiterName, looksLikeHeader, readCsvShape } from './csv-shape.js';
import { recogniseCucm } from './cucm.js';
import { recogniseFreeswitch } from './freeswitch.js';
import { type Table, guessMapping } from './generic-mapping.js';
import { readJsonRecords, recordsIn } from './json-records.js';
import { recogniseThreeCx } from './three-cx.js';
import { describeTrial, readCount, tryAdapter } from './trial.js';
import { recogniseTwilio } from './twilio.js';
import type { Confidence, Recognition, Sample, Trial, Verdict } from './types.js';

/**
 * What one file is: the formats whose marks it has are tried with their adapter's own parse, and the best of
 * them wins; a table no format claims gets a generic mapping, tried the same way. Pure over the sample.
 */
export async function detectSample(sample: Sample, decodeNotes: readonly string[] = []): Promise<Verdict> {
  const text = sample.text.trimStart();
  const shape = /^[[{<]/.test(text) || text.startsWith('cdr=') ? undefined : readCsvShape(sample.text);
  const recognitions = [
    recogniseFreeswitch(sample),
    recogniseTwilio(sample),
    shape && recogniseCucm(shape),
    shape && recogniseAsteriskCsv(shape),
    shape && recogniseThreeCx(shape),
  ].filter((r): r is Recognition => r !== undefined);

  const tried: Array<{ r: Recognition; trial: Trial }> = [];
  for (const r of recognitions) tried.push({ r, trial: await tryAdapter(getAdapter(r.adapter), r.options, sample) });
  // Marks and calls read beat calls read beat marks alone; then the most calls.
  const rank = ({ r, trial }: { r: Recognition; trial: Trial }) => (r.strong ? 2 : 0) + (readCount(trial) > 0 ? 3 : 0);
  const best = tried.sort((a, b) => rank(b) - rank(a) || readCount(b.trial) - readCount(a.trial))[0];
  const read = best !== undefined && readCount(best.trial) > 0;
  if (best && (best.r.strong || read)) {
    return verdictOf(sample, best.r, best.trial, best.r.strong && read && !best.r.problem ? 'sure' : 'likely', decodeNotes);
  }
  // A format's values without its marks, and its adapter read nothing: a mapping of the columns may do better.
  const generic = await detectGeneric(sample, shape, decodeNotes);
  return generic.kind === 'detected' || !best ? generic : verdictOf(sample, best.r, best.trial, 'unsure', decodeNotes);
}

async function detectGeneric(sample: Sample, shape: CsvShape | undefined, decodeNotes: readonly string[]): Promise<Verdict> {
  const table = tableOf(sample, shape);
  if (typeof table === 'string') return { kind: 'unknown', file: sample.name, seen: table, why: whyUnknown(sample, shape) };
  const mapping = guessMapping(table);
  if (!mapping.ok) return { kind: 'unknown', file: sample.name, seen: describeSeen(table), why: mapping.why };
  const trial = await tryAdapter(getAdapter('generic'), mapping.options, sample);
  if (trial.legs.length === 0) {
    const first = trial.firstError ? `: ${trial.firstError.location}: ${trial.firstError.message}` : '';
    return { kind: 'unknown', file: sample.name, seen: describeSeen(table), why: `a generic mapping was guessed, but the generic adapter read no call with it${first}` };
  }
  const parties = 'fromNumber' in (mapping.options.fields as object) || 'toNumber' in (mapping.options.fields as object);
  // A few rows the mapping cannot read are the data's problem (the trial names them); many are the mapping's.
  const confidence: Confidence = mapping.realId && parties && trial.legs.length >= 2 * trial.errors ? 'sure' : trial.errors <= trial.legs.length ? 'likely' : 'unsure';
  const recognition: Recognition = {
    adapter: 'generic',
    strong: true,
    evidence: mapping.evidence,
    options: mapping.options,
    optionNotes: mapping.optionNotes,
    unset: mapping.unset,
    times: mapping.times,
    todo: mapping.todo,
    recordingFolders: mapping.recordingFolders,
  };
  return verdictOf(sample, recognition, trial, confidence, decodeNotes);
}

function verdictOf(sample: Sample, r: Recognition, trial: Trial, confidence: Confidence, decodeNotes: readonly string[]): Verdict {
  const evidence = [...r.evidence];
  if (sample.bom) evidence.push('a UTF-8 byte order mark at the start (as Excel writes), which the adapter skips');
  evidence.push(describeTrial(r.adapter, trial) + (sample.truncated ? ` (in the first ${Math.round(sample.text.length / 1024)} KiB of the file)` : ''));
  if (r.problem) evidence.push(`but: ${r.problem}`);
  const adapter = getAdapter(r.adapter);
  const base = path.basename(sample.name);
  const verdict: Verdict = {
    kind: 'detected',
    file: sample.name,
    adapter: r.adapter,
    confidence,
    evidence,
    options: r.options,
    optionNotes: r.optionNotes,
    unset: r.unset ?? [],
    times: r.times,
    trial,
    trunkPatterns: r.trunkPatterns ?? [],
    recordingFolders: r.recordingFolders ?? [],
    todo: [...decodeNotes, ...r.todo],
  };
  if (!fileNameMatcher(adapter.inputs.filePatterns)(base)) {
    verdict.nameNote = `a drop folder of ${adapter.id} takes files named ${adapter.inputs.filePatterns.join(', ')}: files named like ${base} are not picked up; have them written (or renamed) so`;
  }
  return verdict;
}

/** The records of a sample as a table (JSON records flattened to dotted keys), or what the sample is instead. */
function tableOf(sample: Sample, shape: CsvShape | undefined): Table | string {
  const text = sample.text.trimStart();
  if (text.startsWith('{') || text.startsWith('[')) {
    const json = readJsonRecords(sample);
    if (!json || (json.problem && !json.values.length)) return `JSON that does not parse (${json?.problem ?? 'no value'})`;
    const found = json.values.map(recordsIn);
    const records = found.flatMap((f) => f.records);
    if (!records.length) return `JSON without objects (${typeof json.values[0]})`;
    const rows = records.slice(0, 2_000).map((r) => flatten(r));
    const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const table: Table = { form: json.form === 'ndjson' ? 'ndjson' : 'json', columns, rows };
    const where = found[0]?.path;
    if (where) table.jsonRecords = where;
    return table;
  }
  if (text.startsWith('<')) return `XML whose root is <${xmlRoot(text) ?? '?'}>`;
  if (!shape) return `text that is not a table (its first line: ${JSON.stringify(firstLine(sample))})`;
  const [header, ...rows] = shape.rows;
  if (!looksLikeHeader(header, rows[0])) {
    return `a CSV of ${shape.rows.length}${sample.truncated ? '+' : ''} lines with ${shape.width} fields separated by ${delimiterName(shape.delimiter)} and no header line`;
  }
  const columns = (header ?? []).map((c) => c.trim()).filter((c, i, all) => c !== '' || all.slice(i).some((x) => x !== ''));
  const table: Table = {
    form: 'csv',
    delimiter: shape.delimiter,
    columns,
    rows: rows.map((row) => Object.fromEntries(columns.map((c, i) => [c, (row[i] ?? '').trim()]).filter(([, v]) => v !== ''))),
  };
  return table;
}

/** Why a sample that is no table of calls is not read: said after what it is. */
function whyUnknown(sample: Sample, shape: CsvShape | undefined): string {
  const text = sample.text.trimStart();
  if (text.startsWith('<')) return 'not a FreeSWITCH <cdr> document, the only XML callbridge reads';
  if (text.startsWith('{') || text.startsWith('[')) return 'no call records in it';
  if (shape) return 'not a format callbridge knows (Asterisk Master.csv, CUCM, 3CX), and without a header line there are no column names to map: add one, and the generic adapter can read it';
  return 'not a CDR format callbridge knows';
}

function describeSeen(table: Table): string {
  const where = table.jsonRecords ? ` (records at "${table.jsonRecords}")` : '';
  const kind = table.form === 'csv' ? `a CSV with the columns` : `${table.form === 'ndjson' ? 'NDJSON' : 'JSON'}${where} with the fields`;
  const names = table.columns.slice(0, 12).map((c) => JSON.stringify(c));
  return `${kind} ${names.join(', ')}${table.columns.length > 12 ? ', ...' : ''}`;
}

/** The first element's name, after the declaration, comments and a DOCTYPE. */
function xmlRoot(text: string): string | undefined {
  const rest = text.replace(/^(?:\s*<\?[\s\S]*?\?>|\s*<!--[\s\S]*?-->|\s*<!DOCTYPE[^[>]*(?:\[[\s\S]*?\])?\s*>)*/i, '');
  return /^\s*<([\w:.-]+)/.exec(rest)?.[1];
}

function firstLine(sample: Sample): string {
  const line = sample.text.trimStart().split(/\r?\n/, 1)[0] ?? '';
  return line.length > 80 ? `${line.slice(0, 77)}...` : line;
}

/** `{caller: {number: "1"}}` → `{"caller.number": "1"}`: the generic adapter reads dotted names into nested JSON. */
function flatten(record: Record<string, unknown>, prefix = '', depth = 0, out: Record<string, string> = {}): Record<string, string> {
  for (const [key, value] of Object.entries(record)) {
    const name = prefix + key;
    if (isPlainObject(value) && depth < 2) flatten(value, `${name}.`, depth + 1, out);
    else if (typeof value === 'string' && value.trim() !== '') out[name] = value.trim();
    else if (typeof value === 'number' || typeof value === 'boolean') out[name] = String(value);
  }
  return out;
}
