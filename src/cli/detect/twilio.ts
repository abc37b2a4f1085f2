import { isPlainObject } from '../../../adapters/shared/input.js';
import { readJsonRecords } from './json-records.js';
import type { Recognition, Sample } from './types.js';

const FORM_LINE = /^[A-Za-z][\w.]*=[^&]*(?:&[A-Za-z][\w.]*=[^&]*)+$/;
const MARKS = ['CallSid', 'AccountSid', 'CallStatus', 'Direction', 'RecordingSid', 'ApiVersion'];

/**
 * Twilio Voice status and recording callbacks as Twilio posts them (form-encoded, one per line when saved) or as
 * JSON: parameters CallSid (CA...), AccountSid (AC...), CallStatus, Direction, RecordingUrl.
 */
export function recogniseTwilio(sample: Sample): Recognition | undefined {
  const text = sample.text.trim();
  let callbacks: Array<Record<string, unknown>>;
  let form: string;
  if (text.startsWith('{') || text.startsWith('[')) {
    const json = readJsonRecords(sample);
    callbacks = (json?.values ?? []).flatMap((v) => (Array.isArray(v) ? v : [v])).filter(isPlainObject);
    form = json?.form === 'ndjson' ? 'JSON, one per line' : 'JSON';
  } else {
    const lines = text.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    if (!lines.length || !lines.every((l) => FORM_LINE.test(l) || /^[A-Za-z]\w*=/.test(l))) return undefined;
    callbacks = lines.map((l) => Object.fromEntries(new URLSearchParams(l)));
    form = 'form-encoded, one per line';
  }
  const twilio = callbacks.filter((c) => MARKS.filter((m) => m in c).length >= 2);
  if (!twilio.length) return undefined;
  const sids = twilio.map((c) => c.CallSid).filter((v): v is string => typeof v === 'string');
  const statuses = [...new Set(twilio.map((c) => c.CallStatus ?? c.RecordingStatus).filter((v): v is string => typeof v === 'string'))];
  const directions = [...new Set(twilio.map((c) => c.Direction).filter((v): v is string => typeof v === 'string'))];
  const recordings = twilio.filter((c) => 'RecordingSid' in c || 'RecordingUrl' in c).length;
  const evidence = [`${twilio.length} Twilio callback${twilio.length === 1 ? '' : 's'} (${form})`];
  if (sids[0]) evidence.push(`CallSid like ${sids[0]}`);
  if (statuses.length) evidence.push(`status ${statuses.slice(0, 5).join('/')}`);
  if (directions.length) evidence.push(`Direction ${directions.join('/')}`);
  if (recordings) evidence.push(`${recordings} with a recording (RecordingSid / RecordingUrl)`);
  return {
    adapter: 'twilio',
    strong: sids.some((s) => /^CA[0-9a-f]{32}$/i.test(s)) || twilio.some((c) => typeof c.AccountSid === 'string' && /^AC/.test(c.AccountSid)),
    evidence,
    options: {},
    optionNotes: {},
    times: { kind: 'absolute', how: 'Twilio callbacks carry UTC timestamps' },
    todo: [
      'Twilio posts its callbacks: a source of type hook (auth type twilio, with the account auth token) takes them live; the drop folder reads saved ones',
    ],
  };
}
