import { DateTime } from 'luxon';
import type { CallRecord, Party } from '../call-record.js';
import { own, shorten } from '../shared/input.js';
import type { ParseItem } from '../types.js';
import type { TwilioOptions } from './options.js';

/** What `raw` holds for a Twilio leg: which callback it was and its parameters as posted. */
export interface TwilioRaw {
  callback: 'status' | 'recording';
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
 * One Twilio callback (its form parameters) → a leg, a skip or a located error.
 *
 * - Voice status callback (CallStatus): final statuses become a leg with the parties, direction and times
 *   (`Timestamp` is when the call ended; `CallDuration` its answered length); progress statuses are skipped.
 * - Recording status callback (RecordingStatus): `completed` becomes a leg carrying the recording; the
 *   others (in-progress, absent, failed) are skipped with the reason.
 * Both carry the call's CallSid, which is the groupKey: the two callbacks of one call become one call.
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
  const ours = ourSide(from, to, options);
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

interface RecordingContext {
  groupKey: string;
  location: string;
  options: TwilioOptions;
}

function recordingItem(p: (name: string) => string | undefined, params: Record<string, string>, ctx: RecordingContext): ParseItem {
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
 * listed; with "direction", a Twilio Client identity (`client:…`) placing a call. Neither or both: unknown.
 */
function ourSide(from: Party, to: Party, options: TwilioOptions): 'from' | 'to' | undefined {
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
