import { unwrapCdrBody } from '../../../adapters/freeswitch-json/body.js';
import { isPlainObject } from '../../../adapters/shared/input.js';
import { readJsonRecords } from './json-records.js';
import type { Recognition, Sample } from './types.js';

const DOCUMENT_KEYS = ['core-uuid', 'switchname', 'channel_data', 'callflow', 'app_log', 'times'];

/**
 * FreeSWITCH mod_json_cdr / mod_xml_cdr: one document per leg with `variables` (uuid, start_epoch...) and
 * `channel_data` / `callflow`; as files, NDJSON, or hook bodies saved as `cdr=...` forms.
 */
export function recogniseFreeswitch(sample: Sample): Recognition | undefined {
  const text = sample.text.trimStart();
  const evidence: string[] = [];
  let inner = text;
  if (text.startsWith('cdr=')) {
    const unwrapped = unwrapCdrBody(text, undefined, []);
    if (!unwrapped.ok) return undefined;
    inner = unwrapped.text.trimStart();
    const rest = text.slice(4).trimStart();
    evidence.push(`a form body cdr=${rest.startsWith('%') ? '<URL-encoded document>' : rest.startsWith('{') || rest.startsWith('<') ? '<document>' : '<base64 document>'}, as mod_${inner.startsWith('<') ? 'xml' : 'json'}_cdr posts it`);
  }
  if (inner.startsWith('<')) return recogniseXml(inner, sample, evidence);
  if (inner.startsWith('{') || inner.startsWith('[')) return recogniseJson(inner, sample, evidence);
  return undefined;
}

function recogniseXml(text: string, sample: Sample, evidence: string[]): Recognition | undefined {
  if (!/<cdr[\s>]/.test(text)) return undefined;
  const variables = /<variables>/.test(text);
  const marks = ['channel_data', 'callflow', 'variables', 'app_log'].filter((m) => text.includes(`<${m}>`));
  evidence.push(`an XML <cdr> document with ${marks.map((m) => `<${m}>`).join(', ') || 'no known sections'}`);
  const uuid = /<uuid>([^<]+)<\/uuid>/.exec(text)?.[1];
  if (uuid) evidence.push(`variables.uuid ${uuid}`);
  if (/<start_epoch>\d+<\/start_epoch>/.test(text)) evidence.push('start_epoch present: times are epoch (absolute)');
  return {
    adapter: 'freeswitch-xml',
    strong: variables && marks.length >= 2,
    evidence: withFileName(evidence, sample),
    options: {},
    optionNotes: {},
    times: { kind: 'absolute', how: 'FreeSWITCH CDRs give epoch times' },
    todo: ['FreeSWITCH can post each CDR to the bridge instead (xml_cdr.conf url = http://BRIDGE:8080/hooks/<source id>): a source of type hook'],
  };
}

function recogniseJson(text: string, sample: Sample, evidence: string[]): Recognition | undefined {
  const json = readJsonRecords({ ...sample, text });
  const documents = (json?.values ?? []).flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isPlainObject);
  const keyed = documents.filter((d) => isPlainObject(d.variables) && DOCUMENT_KEYS.some((k) => k in d));
  if (!keyed.length) {
    // A document cut short (or broken) still shows FreeSWITCH's keys near its start.
    const named = DOCUMENT_KEYS.filter((k) => text.includes(`"${k}"`));
    if (!json?.problem || !text.includes('"variables"') || named.length < 2) return undefined;
    evidence.push(`JSON with FreeSWITCH's keys (${['variables', ...named].join(', ')}), but it does not parse: ${json.problem}`);
    return base(evidence, sample, true);
  }
  const first = keyed[0] as Record<string, unknown>;
  const marks = DOCUMENT_KEYS.filter((k) => k in first);
  const count = keyed.length > 1 ? `${keyed.length} mod_json_cdr documents${json?.form === 'ndjson' ? ', one per line' : ''}` : 'a mod_json_cdr document';
  evidence.push(`${count} with variables and ${marks.join(', ')}`);
  const variables = first.variables as Record<string, unknown>;
  if (typeof variables.uuid === 'string') evidence.push(`variables.uuid ${variables.uuid}`);
  const r = base(evidence, sample, true);
  const values = keyed.flatMap((d) => Object.values(d.variables as Record<string, unknown>)).filter((v): v is string => typeof v === 'string');
  if (values.some((v) => /%[0-9A-F]{2}/i.test(v))) evidence.push('variable values are URL-encoded (json_cdr.conf encode-values=true, the default)');
  // Decoding plain values changes nothing, unless one holds a "%" that is not an escape: only then must it be off.
  if (values.some((v) => /%(?![0-9A-F]{2})/i.test(v))) {
    evidence.push('variable values are not URL-encoded and hold a bare "%" (json_cdr.conf encode-values=false)');
    r.options.decodeValues = false;
    r.optionNotes.decodeValues = 'the values are written as they are (encode-values=false)';
  }
  return r;
}

function base(evidence: string[], sample: Sample, strong: boolean): Recognition {
  return {
    adapter: 'freeswitch-json',
    strong,
    evidence: withFileName(evidence, sample),
    options: {},
    optionNotes: {},
    times: { kind: 'absolute', how: 'FreeSWITCH CDRs give epoch times' },
    todo: ['FreeSWITCH can post each CDR to the bridge instead (json_cdr.conf url = http://BRIDGE:8080/hooks/<source id>): a source of type hook'],
  };
}

function withFileName(evidence: string[], sample: Sample): string[] {
  const base = sample.name.split(/[\\/]/).pop() ?? '';
  if (/^a_[0-9a-f-]{36}\.cdr\./i.test(base)) evidence.push('the file name a_<uuid>.cdr.* is an A leg (prefix-a-leg=true)');
  else if (/^[0-9a-f-]{36}\.cdr\./i.test(base)) evidence.push('the file name <uuid>.cdr.* is one leg, as mod_*_cdr writes it');
  return evidence;
}
