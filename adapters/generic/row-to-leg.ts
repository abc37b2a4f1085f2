import type { CallRecord, Party } from '../call-record.js';
import { type CompiledRef, compileRef, recordingEscape, type Row } from './field-ref.js';
import type { GenericFields, GenericOptions } from './options.js';
import { compileTimeParser, parseDuration, type TimeResult } from './times.js';

export type RowResult = { ok: true; groupKey: string; leg: CallRecord } | { ok: false; message: string };

type FieldName = keyof GenericFields;

export interface CompiledMapping {
  fields: Partial<Record<FieldName, CompiledRef>>;
  groupKey?: CompiledRef;
  direction?: { ref: CompiledRef; values: Record<string, 'incoming' | 'outgoing' | 'internal'> };
  outcome?: { ref: CompiledRef; values: Record<string, CallRecord['outcome']> };
  time: (value: string) => TimeResult;
  durationUnit: GenericOptions['durationUnit'];
  stereoValues: Set<string>;
}

export function compileMapping(options: GenericOptions): CompiledMapping {
  const fields: CompiledMapping['fields'] = {};
  for (const [name, text] of Object.entries(options.fields) as Array<[FieldName, string | undefined]>) {
    if (text) fields[name] = name === 'recording' ? compileRef(text, recordingEscape(text)) : compileRef(text);
  }
  const m: CompiledMapping = {
    fields,
    time: compileTimeParser(options.time),
    durationUnit: options.durationUnit,
    stereoValues: new Set(options.stereoValues.map((v) => v.trim().toLowerCase())),
  };
  if (options.groupKey) m.groupKey = compileRef(options.groupKey);
  if (options.direction) m.direction = { ref: compileRef(options.direction.field), values: options.direction.values };
  const outcomeField = options.outcome?.field ?? options.fields.disposition;
  if (options.outcome && outcomeField) m.outcome = { ref: compileRef(outcomeField), values: options.outcome.values };
  return m;
}

/** Every source field the mapping reads, with the option that reads it: for checking a CSV header. */
export function mappedSources(m: CompiledMapping): Array<{ option: string; source: string }> {
  const out: Array<{ option: string; source: string }> = [];
  for (const [name, ref] of Object.entries(m.fields)) for (const source of ref.sources) out.push({ option: `fields.${name}`, source });
  if (m.groupKey) for (const source of m.groupKey.sources) out.push({ option: 'groupKey', source });
  if (m.direction) for (const source of m.direction.ref.sources) out.push({ option: 'direction.field', source });
  if (m.outcome) for (const source of m.outcome.ref.sources) out.push({ option: 'outcome.field', source });
  return out;
}

/**
 * One record (a CSV row by column name, or a JSON object) → one leg, or a message naming the call field
 * and the source field at fault. Required: externalId and startTime.
 */
export function rowToLeg(row: Row, location: string, m: CompiledMapping): RowResult {
  const problems: string[] = [];
  const read = (name: FieldName): string | undefined => {
    const ref = m.fields[name];
    if (!ref) return undefined;
    const got = ref.read(row);
    if (!got.ok) {
      problems.push(`${name}: ${got.message}`);
      return undefined;
    }
    return got.value;
  };
  const required = (name: FieldName): string | undefined => {
    const value = read(name);
    const ref = m.fields[name];
    if (value === undefined && ref && !problems.some((p) => p.startsWith(`${name}:`))) {
      problems.push(`${name}: ${ref.sources.length > 1 ? `template "${ref.text}" has an empty field` : `field "${ref.text}" is missing or empty`}`);
    }
    return value;
  };
  const time = (name: 'startTime' | 'answerTime' | 'endTime', value: string | undefined): string | undefined => {
    if (value === undefined) return undefined;
    const parsed = m.time(value);
    if (!parsed.ok) problems.push(`${name}: ${parsed.message}`);
    return parsed.ok ? parsed.iso : undefined;
  };
  const duration = (name: 'durationSec' | 'talkSec'): number | undefined => {
    const value = read(name);
    if (value === undefined) return undefined;
    const parsed = parseDuration(value, m.durationUnit);
    if (!parsed.ok) problems.push(`${name}: ${parsed.message}`);
    return parsed.ok ? parsed.seconds : undefined;
  };

  const externalId = required('externalId');
  const startTime = time('startTime', required('startTime'));
  const answerTime = time('answerTime', read('answerTime'));
  const endTime = time('endTime', read('endTime'));
  const durationSec = duration('durationSec');
  const talkSec = duration('talkSec');
  const from = party(read('fromNumber'), read('fromName'), read('fromChannel'));
  const to = party(read('toNumber'), read('toName'), read('toChannel'));
  const ownerExtension = read('ownerExtension');
  const recording = read('recording');
  const stereo = read('recordingStereo');
  let disposition = read('disposition');

  let direction: CallRecord['direction'];
  if (m.direction) {
    const got = m.direction.ref.read(row);
    if (!got.ok) problems.push(`direction: ${got.message}`);
    else if (got.value !== undefined) direction = lookup(m.direction.values, got.value);
  }
  let outcome: CallRecord['outcome'] | undefined;
  if (m.outcome) {
    const got = m.outcome.ref.read(row);
    if (!got.ok) problems.push(`outcome: ${got.message}`);
    else if (got.value !== undefined) {
      outcome = lookup(m.outcome.values, got.value);
      disposition ??= got.value;
    }
  }
  let groupKey = externalId;
  if (m.groupKey) {
    const got = m.groupKey.read(row);
    if (!got.ok) problems.push(`groupKey: ${got.message}`);
    else if (got.value !== undefined) groupKey = got.value;
  }

  if (problems.length || externalId === undefined || startTime === undefined || groupKey === undefined) {
    return { ok: false, message: problems.join('; ') };
  }

  const leg: CallRecord = {
    externalId,
    location,
    startTime,
    from,
    to,
    outcome: outcome ?? ((talkSec ?? 0) > 0 || answerTime !== undefined ? 'answered' : 'unknown'),
    legs: 1,
    raw: row,
  };
  if (answerTime) leg.answerTime = answerTime;
  if (endTime) leg.endTime = endTime;
  if (durationSec !== undefined) leg.durationSec = durationSec;
  if (talkSec !== undefined) leg.talkSec = talkSec;
  if (direction) leg.direction = direction;
  if (ownerExtension) leg.ownerExtension = ownerExtension;
  if (disposition) leg.disposition = disposition;
  if (recording || stereo !== undefined) {
    leg.recording = {};
    if (recording && /^https?:\/\//i.test(recording)) leg.recording.url = recording;
    else if (recording) leg.recording.path = recording;
    if (stereo !== undefined) leg.recording.stereo = m.stereoValues.has(stereo.toLowerCase());
  }
  return { ok: true, groupKey, leg };
}

/** Exact key first, then case-insensitive: CSV exports are not consistent about case. */
function lookup<T>(values: Record<string, T>, key: string): T | undefined {
  if (Object.hasOwn(values, key)) return values[key];
  const lower = key.toLowerCase();
  const found = Object.keys(values).find((k) => k.toLowerCase() === lower);
  return found === undefined ? undefined : values[found];
}

function party(number: string | undefined, name: string | undefined, channel: string | undefined): Party {
  const p: Party = {};
  if (number) p.number = number;
  if (name) p.name = name;
  if (channel) p.channel = channel;
  return p;
}
