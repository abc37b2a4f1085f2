import { DateTime } from 'luxon';
import type { CallRecord, Party } from '../call-record.js';
import { own, shorten } from '../shared/input.js';
import type { ParseItem } from '../types.js';
import type { TwilioOptions } from './options.js';

/**
 * What `raw` holds for a Twilio leg: which callback it was and its parameters as posted. `dial` is the request
 * Twilio makes to a `<Dial action>` URL when the `<Dial>` ends (`DialCallStatus`).
 */
export interface TwilioRaw {
  callback: 'status' | 'recording' | 'dial';
  params: Record<string, string>;
}

const FINAL_STATUS: Record<string, CallRecord['outcome']> = {
  completed: 'answered',
  busy: 'busy',
  'no-answer': 'no-answer',
  canceled: 'no-answer', // the caller hung up before anyone answered
  failed: 'failed',
};
const PROGRESS_STATUS = new Set(['queued', 'initiated', 'ringing', 'in-progress']);

/**
 * `DialCallStatus`: whether the party a `<Dial>` rang picked up. `answered` is what Twilio sends for a dialed
 * `<Conference>`; `canceled` is a `<Dial>` ended before anyone answered (the caller hung up, or the REST API).
 */
export const DIAL_STATUS: Readonly<Record<string, CallRecord['outcome']>> = {
  completed: 'answered',
  answered: 'answered',
  busy: 'busy',
  'no-answer': 'no-answer',
  canceled: 'no-answer',
  failed: 'failed',
};

/**
 * One Twilio callback (its form parameters) → a leg, a skip or a located error.
 *
 * - Voice status callback (CallStatus): final statuses become a leg with the parties, direction and times
 *   (`Timestamp` is when the call ended; `CallDuration` its answered length); progress statuses are skipped.
 * - Recording status callback (RecordingStatus): `completed` becomes a leg carrying the recording; the
 *   others (in-progress, absent, failed) are skipped with the reason.
 * - `<Dial>` action callback (DialCallStatus, no Timestamp): a leg that only says whether the dialed party
 *   answered; merge uses it to decide the outcome (a parent call `completed` only means its TwiML ran).
 * All carry the call's CallSid, which is the groupKey: the callbacks of one call become one call.
 */
export function callbackToItem(params: Record<string, string>, location: string, options: TwilioOptions): ParseItem {
  const p = (name: string): string | undefined => {
    const value = params[name]?.trim();
    return value ? value : undefined;
  };
  const callSid = p('CallSid');
  if (!callSid) return { kind: 'error', location, message: 'no CallSid: not a Twilio voice callback' };
  const parent = p('ParentCallSid');
  const groupKey = options.groupChildCalls && parent ? parent : callSid;

  if (p('RecordingStatus') !== undefined || (p('RecordingSid') && !p('CallStatus'))) {
    return recordingItem(p, params, { groupKey, location, options });
  }

  const status = p('CallStatus')?.toLowerCase();
  const dialStatus = p('DialCallStatus')?.toLowerCase();
  if (dialStatus !== undefined && !own(DIAL_STATUS, dialStatus)) {
    return { kind: 'error', location, message: `unknown DialCallStatus "${shorten(dialStatus, 60)}" (expected ${Object.keys(DIAL_STATUS).join(', ')})` };
  }
  // The action request carries the parent's CallStatus as it is then (in-progress, or completed when the caller
  // hung up) but no Timestamp: it is not the call's final status callback, whatever its CallStatus says.
  if (dialStatus !== undefined && !(status && own(FINAL_STATUS, status) && p('Timestamp'))) {
    return dialItem(p, params, dialStatus, { groupKey, location, options });
  }
  if (!status) return { kind: 'error', location, message: 'no CallStatus and no RecordingStatus: not a status or recording callback' };
  if (PROGRESS_STATUS.has(status)) {
    return { kind: 'skip', location, reason: `call ${shorten(callSid, 64)} not finished yet (CallStatus=${status}); the final status callback carries the call` };
  }
  const outcome = own(FINAL_STATUS, status);
  if (!outcome) return { kind: 'error', location, message: `unknown CallStatus "${shorten(status, 60)}"` };

  const end = rfc2822(p('Timestamp'));
  if (!end.ok) return { kind: 'error', location, message: `Timestamp: ${end.message}` };
  const callDuration = wholeSeconds(p('CallDuration'));
  if (callDuration === null) return { kind: 'error', location, message: `CallDuration: "${shorten(p('CallDuration') ?? '', 60)}" is not a number of seconds` };
  const talk = outcome === 'answered' ? (callDuration ?? 0) : 0;
  const start = end.dt.minus({ seconds: talk });

  const from = party(p('From') ?? p('Caller'), p('CallerName'));
  const to = party(p('To') ?? p('Called'), undefined);
  const twilioDirection = p('Direction');
  const ours = ourSide(from, to, options, parent !== undefined);
  // Twilio's Direction is its own leg's: a browser (client:) call is "inbound" to Twilio but outgoing for us.
  const direction = ours === 'from' ? 'outgoing' : ours === 'to' ? 'incoming' : twilioDirection !== undefined ? own(options.directionValues, twilioDirection) : undefined;

  const leg: CallRecord = {
    externalId: groupKey,
    location,
    startTime: isoOf(start),
    endTime: isoOf(end.dt),
    durationSec: talk,
    talkSec: talk,
    from,
    to,
    outcome,
    disposition: status,
    legs: 1,
    raw: { callback: 'status', params } satisfies TwilioRaw,
  };
  if (outcome === 'answered') leg.answerTime = leg.startTime;
  if (direction) leg.direction = direction;
  const owner = ours === 'from' ? from.number : ours === 'to' ? to.number : options.ownerRule === 'direction' ? byDirection(from, to, direction) : undefined;
  if (owner) leg.ownerExtension = owner;
  // A call created with Record=true reports its recording on the status callback too.
  const url = recordingUrl(p('RecordingUrl'), options);
  if (url) leg.recording = { url, ...stereoOf(p('RecordingChannels')) };
  return { kind: 'leg', groupKey, leg };
}

interface LegContext {
  groupKey: string;
  location: string;
  options: TwilioOptions;
}

/**
 * The `<Dial>` action request → a leg whose outcome is the `<Dial>`'s. It has no time of its own (Twilio sends
 * none): startTime stays empty and merge takes the times from the status callback.
 */
function dialItem(p: (name: string) => string | undefined, params: Record<string, string>, dialStatus: string, ctx: LegContext): ParseItem {
  const leg: CallRecord = {
    externalId: ctx.groupKey,
    location: ctx.location,
    startTime: '',
    from: party(p('From') ?? p('Caller'), p('CallerName')),
    to: party(p('To') ?? p('Called'), undefined),
    outcome: own(DIAL_STATUS, dialStatus) ?? 'unknown',
    disposition: dialStatus,
    legs: 1,
    raw: { callback: 'dial', params } satisfies TwilioRaw,
  };
  // <Dial record="…"> hands the recording to the action URL too.
  const url = recordingUrl(p('RecordingUrl'), ctx.options);
  if (url) leg.recording = { url, ...stereoOf(p('RecordingChannels')) };
  return { kind: 'leg', groupKey: ctx.groupKey, leg };
}

function recordingItem(p: (name: string) => string | undefined, params: Record<string, string>, ctx: LegContext): ParseItem {
  const { location, options } = ctx;
  const status = p('RecordingStatus')?.toLowerCase() ?? 'completed';
  const sid = shorten(p('RecordingSid') ?? 'recording', 64);
  if (status === 'in-progress') {
    return { kind: 'skip', location, reason: `recording ${sid} still in progress (RecordingStatus=in-progress); the completed callback carries the file` };
  }
  if (status === 'absent' || status === 'failed') {
    const code = p('ErrorCode');
    return { kind: 'skip', location, reason: `recording ${sid} ${status} (RecordingStatus=${status}${code ? `, ErrorCode ${shorten(code, 16)}` : ''}): no file for this call` };
  }
  if (status !== 'completed') return { kind: 'error', location, message: `unknown RecordingStatus "${shorten(status, 60)}"` };

  const url = recordingUrl(p('RecordingUrl'), options);
  if (!url) return { kind: 'error', location, message: 'RecordingUrl: missing or not an http(s) URL' };
  const start = rfc2822(p('RecordingStartTime'));
  if (!start.ok) return { kind: 'error', location, message: `RecordingStartTime: ${start.message}` };
  const duration = wholeSeconds(p('RecordingDuration'));
  if (duration === null) return { kind: 'error', location, message: `RecordingDuration: "${shorten(p('RecordingDuration') ?? '', 60)}" is not a number of seconds` };

  const leg: CallRecord = {
    externalId: ctx.groupKey,
    location,
    startTime: isoOf(start.dt),
    from: party(p('From') ?? p('Caller'), undefined),
    to: party(p('To') ?? p('Called'), undefined),
    // A finished recording means somebody answered: recordings start at answer at the earliest.
    outcome: 'answered',
    recording: { url, ...stereoOf(p('RecordingChannels')) },
    legs: 1,
    raw: { callback: 'recording', params } satisfies TwilioRaw,
  };
  if (duration !== undefined) {
    leg.durationSec = duration;
    leg.endTime = isoOf(start.dt.plus({ seconds: duration }));
  }
  return { kind: 'leg', groupKey: ctx.groupKey, leg };
}

function recordingUrl(value: string | undefined, options: TwilioOptions): string | undefined {
  if (!value || !/^https?:\/\//i.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (options.recordingExtension === 'none' || /\.(mp3|wav)$/i.test(url.pathname)) return value;
  url.pathname += `.${options.recordingExtension}`;
  return url.toString();
}

function stereoOf(channels: string | undefined): { stereo?: boolean } {
  if (channels === '2') return { stereo: true };
  if (channels === '1') return { stereo: false };
  return {};
}

/**
 * `sip:+46701234567@example.sip.twilio.com` → number `+46701234567` (the URI stays as the channel);
 * `client:alice` is an identity, kept whole as number and channel.
 */
export function party(value: string | undefined, name: string | undefined): Party {
  const out: Party = {};
  if (value) {
    const sip = /^sips?:([^@;]+)/i.exec(value);
    if (sip?.[1]) {
      out.number = safeDecode(sip[1]);
      out.channel = value;
    } else {
      out.number = value;
      if (/^client:/i.test(value)) out.channel = value;
    }
  }
  if (name && name !== out.number) out.name = name;
  return out;
}

/**
 * Which party is ours, when the data says so: with ownerRule "own-numbers", the one party whose number is
 * listed; with "direction", a Twilio Client identity (`client:…`) placing a call. Neither or both: unknown,
 * except on a `<Dial>` child leg, where Twilio calls the callee on behalf of the parent: both listed (a forward
 * from the main number, `callerId` set to it, to `client:anna`) means the callee, the one it reached.
 */
function ourSide(from: Party, to: Party, options: TwilioOptions, dialChild: boolean): 'from' | 'to' | undefined {
  let fromOurs: boolean;
  let toOurs: boolean;
  if (options.ownerRule === 'own-numbers') {
    const own = new Set(options.ownNumbers.map(comparable));
    fromOurs = from.number !== undefined && own.has(comparable(from.number));
    toOurs = to.number !== undefined && own.has(comparable(to.number));
  } else {
    fromOurs = /^client:/i.test(from.number ?? '');
    toOurs = false;
  }
  if (fromOurs && toOurs && dialChild) return 'to';
  if (fromOurs === toOurs) return undefined;
  return fromOurs ? 'from' : 'to';
}

function byDirection(from: Party, to: Party, direction: CallRecord['direction']): string | undefined {
  if (direction === 'incoming') return to.number;
  if (direction === 'outgoing') return from.number;
  return undefined;
}

/** "+46 (8) 500-010 00" and "+46850001000" are one number; identities compare case-insensitively. */
function comparable(number: string): string {
  const digits = number.replace(/[\s().-]/g, '');
  return /^\+?\d+$/.test(digits) ? digits.replace(/^\+/, '') : number.trim().toLowerCase();
}

type Parsed = { ok: true; dt: DateTime } | { ok: false; message: string };

/** Twilio dates are RFC 2822 (`Mon, 22 Aug 2022 11:56:46 +0000`); ISO 8601 is accepted for hand-made files. */
function rfc2822(value: string | undefined): Parsed {
  if (!value) return { ok: false, message: 'missing (an RFC 2822 date is required)' };
  let dt = DateTime.fromRFC2822(value, { setZone: true });
  if (!dt.isValid) dt = DateTime.fromISO(value, { setZone: true });
  if (!dt.isValid || !/(?:[+-]\d{2}:?\d{2}|Z|GMT|UT|UTC)\s*$/i.test(value)) {
    return { ok: false, message: `"${shorten(value, 60)}" is not an RFC 2822 date with a zone` };
  }
  return { ok: true, dt };
}

function isoOf(dt: DateTime): string {
  return dt.toISO({ suppressMilliseconds: true }) ?? dt.toUTC().toISO() ?? '';
}

/** undefined = absent, null = present but not seconds. */
function wholeSeconds(value: string | undefined): number | undefined | null {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value) ? Number(value) : null;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
