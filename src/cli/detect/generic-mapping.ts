import path from 'node:path';
import { genericFieldsSchema } from '../../../adapters/generic/options.js';
import { compileTimeParser } from '../../../adapters/generic/times.js';
import { DIRECTION_WORDS, OUTCOME_WORDS, type Role, nameFit, normalName } from './column-roles.js';
import { delimiterName } from './csv-shape.js';
import type { OptionNotes, TimeClue, UnsetOption } from './types.js';
import {
  type TimeFormat,
  guessDateFormat,
  guessDateTimeFormat,
  guessTimeOfDayFormat,
  isDuration,
  isPhoneLike,
  isRecording,
  isUrl,
  share,
} from './values.js';

/** A table of records: a CSV's header and rows, or JSON records flattened to dotted keys. */
export interface Table {
  form: 'csv' | 'json' | 'ndjson';
  delimiter?: string;
  /** JSON: the dotted path of the records' array inside each document. */
  jsonRecords?: string;
  /** Column names in file order. */
  columns: string[];
  /** Each record's trimmed, non-empty values by column. */
  rows: Array<Record<string, string>>;
}

export type Mapping =
  | {
      ok: true;
      options: Record<string, unknown>;
      optionNotes: OptionNotes;
      unset: UnsetOption[];
      evidence: string[];
      todo: string[];
      times: TimeClue;
      /** The call id is a column of the data (not made of its start and parties). */
      realId: boolean;
      recordingFolders: string[];
    }
  | { ok: false; why: string };

interface Column {
  name: string;
  /** Non-empty values, in row order. */
  values: string[];
  /** Share of rows with a value. */
  filled: number;
}

/**
 * The generic adapter's mapping for a table of call records, each call field guessed from the column names
 * (English and Nordic words, column-roles.ts) and confirmed by the values (times the adapter's own time parser
 * reads, numbers, durations, recordings). Only a start time is indispensable; an export without an id column
 * gets one made of the start and the parties, said as a TODO.
 */
export function guessMapping(table: Table): Mapping {
  const columns: Column[] = table.columns.map((name) => {
    const values = table.rows.map((r) => r[name]).filter((v): v is string => v !== undefined && v !== '');
    return { name, values, filled: table.rows.length ? values.length / table.rows.length : 0 };
  });
  const used = new Set<string>();
  const fields: Record<string, string> = {};
  const notes: OptionNotes = {};
  const todo: string[] = [];
  const mapped: string[] = [];
  const take = (field: string, column: Column, shown = field) => {
    fields[field] = column.name;
    used.add(column.name);
    mapped.push(`${shown} ← ${JSON.stringify(column.name)}`);
  };
  /** The free column that fits `role` best by name (then file order) and passes `test`. */
  const pick = (role: Role, test: (c: Column) => boolean): Column | undefined =>
    columns
      .map((c, i) => ({ c, i, fit: used.has(c.name) ? 0 : nameFit(c.name, role) }))
      .filter((x) => x.fit > 0 && x.c.values.length > 0 && test(x.c))
      .sort((a, b) => b.fit - a.fit || a.i - b.i)[0]?.c;

  // The start: one date-time column, or a date column and a time column.
  let format: TimeFormat | undefined;
  let startText: string | undefined;
  let startExample: string | undefined;
  const start = pick('startTime', (c) => guessDateTimeFormat(c.values) !== undefined) ?? columns.find((c) => !used.has(c.name) && guessDateTimeFormat(c.values));
  if (start) {
    format = guessDateTimeFormat(start.values);
    take('startTime', start, 'start');
    startText = `{${start.name}}`;
    startExample = start.values[0];
  } else {
    const date = pick('date', (c) => guessDateFormat(c.values) !== undefined);
    const time = date && pick('timeOfDay', (c) => c !== date && guessTimeOfDayFormat(c.values) !== undefined);
    const dateFormat = date && guessDateFormat(date.values);
    const timeFormat = time && guessTimeOfDayFormat(time.values);
    if (!date || !time || !dateFormat || !timeFormat) {
      const what = table.form === 'csv' ? 'column' : 'field';
      return { ok: false, why: `no ${what} holds a call's start time (a date and a time), so these are not call records` };
    }
    format = { format: `${dateFormat.format} ${timeFormat.format}`, absolute: false, ...(dateFormat.ambiguousWith ? { ambiguousWith: `${dateFormat.ambiguousWith} ${timeFormat.format}` } : {}) };
    startText = `{${date.name}} {${time.name}}`;
    startExample = `${date.values[0]} ${time.values[0]}`;
    fields.startTime = startText;
    used.add(date.name).add(time.name);
    mapped.push(`start ← ${JSON.stringify(date.name)} + ${JSON.stringify(time.name)}`);
  }
  if (!format) return { ok: false, why: 'no time format reads the start column' };
  const readsTimes = (c: Column) => share(c.values, (v) => compileTimeParser({ format: format.format, zone: 'source' })(v).ok) >= 0.8;

  const id = pick('externalId', (c) => isIdColumn(c) && !guessDateTimeFormat(c.values));
  if (id) take('externalId', id, 'call id');
  const group = pick('groupKey', (c) => c.filled > 0.5 && !guessDateTimeFormat(c.values));
  if (group) {
    used.add(group.name);
    mapped.push(`legs of one call ← ${JSON.stringify(group.name)}`);
  }
  const answer = pick('answerTime', readsTimes);
  if (answer) take('answerTime', answer, 'answer');
  const end = pick('endTime', readsTimes);
  if (end) take('endTime', end, 'end');
  const talk = pick('talkSec', (c) => share(c.values, isDuration) >= 0.8);
  if (talk) take('talkSec', talk, 'talk time');
  const duration = pick('durationSec', (c) => share(c.values, isDuration) >= 0.8);

  const from = pick('fromNumber', (c) => share(c.values, isPhoneLike) >= 0.6);
  if (from) take('fromNumber', from, 'from');
  const to = pick('toNumber', (c) => share(c.values, isPhoneLike) >= 0.6);
  if (to) take('toNumber', to, 'to');
  const fromName = pick('fromName', isNameColumn);
  if (fromName) take('fromName', fromName, 'caller name');
  const toName = pick('toName', isNameColumn);
  if (toName) take('toName', toName, 'callee name');
  const owner = pick('ownerExtension', (c) => share(c.values, isPhoneLike) >= 0.8);
  if (owner) take('ownerExtension', owner, 'our extension');
  const recording = pick('recording', (c) => share(c.values, isRecording) >= 0.6);
  if (recording) take('recording', recording);

  const options: Record<string, unknown> = { format: table.form };
  if (table.form === 'csv' && table.delimiter && table.delimiter !== ',') {
    options.csv = { delimiter: table.delimiter };
    notes.csv = `fields separated by ${delimiterName(table.delimiter)}`;
  }
  if (table.jsonRecords) options.jsonRecords = table.jsonRecords;

  const direction = pick('direction', (c) => directionValues(c) !== undefined);
  const status = pick('disposition', (c) => outcomeValues(c) !== undefined);
  if (status) take('disposition', status, 'status');

  // A single duration and no other sign of answering: it is the talk time (> 0 = answered), or every call would
  // be "unanswered" for want of an outcome.
  if (duration) {
    const alone = !talk && !answer && !status;
    if (alone) {
      take('talkSec', duration, 'talk time');
      notes['fields.talkSec'] = 'the only duration: read as talk time (more than 0 = answered)';
    } else take('durationSec', duration, 'duration');
    if (/\bms\b|millis/i.test(normalName(duration.name))) options.durationUnit = 'milliseconds';
  }

  let realId = true;
  if (!id) {
    realId = false;
    const parts = [startText, ...[from, to].filter((c): c is Column => c !== undefined && c.filled === 1).map((c) => `{${c.name}}`)];
    fields.externalId = parts.join('/');
    const unique = new Set(table.rows.map((r) => fields.externalId?.replace(/\{([^}]*)\}/g, (_, n: string) => r[n.trim()] ?? ''))).size === table.rows.length;
    notes['fields.externalId'] = `TODO: no id column: a call's id is made of its start and parties${unique ? '' : ' (NOT unique in this file: calls with the same id would be merged)'}; map a real call id if the export has one`;
    mapped.push(`call id ← ${fields.externalId}`);
  }
  // In the order the adapter documents them: id, times, lengths, parties, owner, recording, status.
  const order = Object.keys(genericFieldsSchema.shape);
  options.fields = Object.fromEntries(Object.entries(fields).sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)));
  if (group) options.groupKey = group.name;
  if (format.format !== 'iso') {
    options.time = { format: format.format };
    if (format.ambiguousWith) notes.time = `TODO: check: the dates seen read as ${format.format} and as ${format.ambiguousWith}`;
  }
  if (direction) {
    options.direction = { field: direction.name, values: directionValues(direction) };
    used.add(direction.name);
    mapped.push(`direction ← ${JSON.stringify(direction.name)}`);
  }
  if (status) {
    const values = outcomeValues(status) ?? {};
    options.outcome = { values };
    const unmapped = [...new Set(status.values)].filter((v) => !(v in values));
    if (unmapped.length) notes.outcome = `not mapped (the talk time decides): ${unmapped.slice(0, 5).join(', ')}`;
  }

  const evidence = [describeTable(table), `columns mapped: ${mapped.join(', ')}`];
  const unused = table.columns.filter((c) => !used.has(c));
  if (unused.length) evidence.push(`not used: ${unused.map((c) => JSON.stringify(c)).join(', ')}`);
  if (!from && !to) todo.push('no column looks like the caller or the callee number: map fields.fromNumber and fields.toNumber, or no call has a participant');
  const recordingFolders: string[] = [];
  const unset: UnsetOption[] = [];
  if (!recording) {
    unset.push({
      key: 'fields.recording',
      value: '/var/spool/pbx/recordings/{call_id}.wav',
      note: "TODO: no column names a recording; until this builds each call's recording (a URL, or a path under recordings.roots), every call is skipped: no recording",
    });
  } else {
    const local = recording.values.filter((v) => !isUrl(v));
    if (local.length && local.every((v) => !path.isAbsolute(v))) {
      notes['fields.recording'] =
        `TODO: file names only (like ${local[0]}): make it a URL template such as "https://pbx.example.com/recordings/{${recording.name}}", or list their folder in recordings.roots`;
    } else if (local.length) recordingFolders.push(...new Set(local.map((v) => path.dirname(v))));
  }
  const times: TimeClue = format.absolute
    ? { kind: 'absolute', how: format.format.startsWith('epoch') ? 'epoch times' : 'times with their UTC offset' }
    : { kind: 'local', how: `times like ${startExample} are written without one`, pairs: [] };
  return { ok: true, options, optionNotes: notes, unset, evidence, todo, times, realId, recordingFolders: recordingFolders.slice(0, 3) };
}

function describeTable(table: Table): string {
  if (table.form === 'csv') {
    return `a CSV with a header line of ${table.columns.length} columns${table.delimiter && table.delimiter !== ',' ? `, separated by ${delimiterName(table.delimiter)}` : ''}`;
  }
  const where = table.jsonRecords ? ` (the array at "${table.jsonRecords}")` : '';
  return `${table.form === 'ndjson' ? 'NDJSON' : 'JSON'} records${where} with ${table.columns.length} fields`;
}

function isIdColumn(c: Column): boolean {
  return c.filled >= 0.9 && new Set(c.values).size >= c.values.length * 0.95;
}

function isNameColumn(c: Column): boolean {
  return share(c.values, (v) => /\p{L}{2}/u.test(v) && !isPhoneLike(v)) >= 0.6;
}

/** The column's values as a direction map, when most of its (few) values are direction words. */
function directionValues(c: Column): Record<string, 'incoming' | 'outgoing' | 'internal'> | undefined {
  return wordMap(c, DIRECTION_WORDS);
}

function outcomeValues(c: Column): Record<string, 'answered' | 'no-answer' | 'busy' | 'failed'> | undefined {
  return wordMap(c, OUTCOME_WORDS);
}

function wordMap<T>(c: Column, words: Readonly<Record<string, T>>): Record<string, T> | undefined {
  const distinct = [...new Set(c.values)];
  if (!distinct.length || distinct.length > 12) return undefined;
  const map: Record<string, T> = {};
  for (const value of distinct) {
    const word = words[normalName(value)];
    if (word !== undefined) map[value] = word;
  }
  const known = Object.keys(map).length;
  return known > 0 && known >= distinct.length / 2 ? map : undefined;
}
