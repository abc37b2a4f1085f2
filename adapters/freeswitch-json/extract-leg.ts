import type { CallRecord, Party } from '../call-record.js';
import { own, shorten } from '../shared/input.js';
import { type CallOfLeg, callOfLeg, type LegLink } from './call-of-leg.js';
import type { FsCallflow, FsDocument, FsProfile } from './document.js';
import { outcomeOf } from './hangup-causes.js';
import type { FreeswitchExtractOptions } from './options.js';
import { findRecording, fsTrue } from './recording.js';

/** What `raw` holds for a FreeSWITCH leg: which leg it was, its own uuid, how it is tied to its call, and the document as parsed. */
export interface FsRaw {
  leg: 'A' | 'B';
  uuid: string;
  link: FsLink;
  cdr: unknown;
}

/**
 * What `merge` needs from each leg to rebuild the call's connections (merge.ts), read here because only the
 * document has it: how the leg is tied to the call (call-of-leg.ts) and the uuids and times around that.
 */
export interface FsLink {
  how: LegLink;
  /** The channel that created this one. */
  createdBy?: string;
  /** `joined`: what joined it to the call, and when it was connected to it (its newest callflow entry's times). */
  joinedBy?: 'uuid_bridge' | 'fifo';
  joinedStart?: string;
  joinedAnswer?: string;
  /** The other half of this channel's loopback pair. */
  loopbackPartner?: string;
  /** This channel bridged on to a channel it created itself: it ran the dialplan's `bridge`, it is not an endpoint. */
  placedCall?: true;
  /** The destination its creator's dialplan had reached when it created this channel (the originator profile's). */
  dialedFor?: string;
  /**
   * An A leg the PBX answered itself and never bridged to anyone (an IVR, voicemail, a playback, a queue the
   * caller left): answered for FreeSWITCH, not by a person. merge keeps the call unanswered unless a leg
   * connected to it answered.
   */
  answeredByPbx?: true;
}

export type ExtractResult = { ok: true; groupKey: string; leg: CallRecord } | { ok: false; message: string };

export interface ExtractContext {
  location: string;
  /** `?uuid=` of the hook request (mod_json_cdr / mod_xml_cdr add it; `a_` marks an A leg with prefix-a-leg). */
  queryUuid?: string | undefined;
  /** The document as parsed, kept in `raw`. */
  original: unknown;
}

/** Caller-id names that FreeSWITCH fills in by itself and that name nobody. */
const PLACEHOLDER_NAMES = new Set(['outbound call', 'unknown', 'anonymous', 'unavailable']);

/**
 * One FreeSWITCH CDR → one leg of a call.
 *
 * Grouping: every leg of a call gets the A leg's uuid as groupKey, found from this document alone
 * (call-of-leg.ts: the channel that created it, the one it was re-bridged to, the caller a queue agent took,
 * the other half of a loopback pair). Any leg that is not the A leg itself is a B leg: its caller is the
 * originator profile, its callee the channel itself.
 */
export function extractLeg(doc: FsDocument, opts: FreeswitchExtractOptions, ctx: ExtractContext): ExtractResult {
  const v = (name: string): string | undefined => {
    const value = doc.variables.get(name.toLowerCase())?.trim();
    return value ? value : undefined;
  };
  const newest: FsCallflow | undefined = doc.callflows[0];
  const oldest: FsCallflow | undefined = doc.callflows[doc.callflows.length - 1];
  const field = (profile: FsProfile | undefined, name: string): string | undefined => {
    const value = profile?.[name]?.trim();
    return value ? value : undefined;
  };

  const queryUuid = ctx.queryUuid?.trim().replace(/^a_/, '') || undefined;
  const uuid = v('uuid') ?? field(newest?.profile, 'uuid') ?? queryUuid;
  if (!uuid) return { ok: false, message: 'no uuid: variables.uuid is missing' };
  if (queryUuid && queryUuid !== uuid) {
    return { ok: false, message: `the request's ?uuid=${shorten(queryUuid, 64)} is not the CDR's uuid ${shorten(uuid, 64)}` };
  }

  // The originator profile FreeSWITCH last wrote (newest entry first): the caller a B leg was connected to.
  const originator = doc.callflows.map((c) => c.originators[0]).find((p) => p !== undefined);
  const call = callOfLeg(doc, uuid, v);
  const isB = call.link !== 'own';
  const groupKey = call.callUuid;

  // Times: *_uepoch (microseconds) when present, else *_epoch, else the profile times (microseconds).
  const startMs = epochMs(v('start_uepoch'), v('start_epoch')) ?? usecMs(oldest?.times.created_time);
  if (startMs === undefined) return { ok: false, message: 'no start time: start_epoch / start_uepoch are missing' };
  const answerMs = epochMs(v('answer_uepoch'), v('answer_epoch')) ?? usecMs(newest?.times.answered_time);
  const endMs = epochMs(v('end_uepoch'), v('end_epoch')) ?? usecMs(newest?.times.hangup_time);
  const durationSec = seconds(v('duration')) ?? (endMs !== undefined ? Math.max(0, Math.round((endMs - startMs) / 1000)) : undefined);
  const billsec = seconds(v('billsec'));
  const answered = answerMs !== undefined || (billsec ?? 0) > 0;
  let talkSec = billsec;
  if (talkSec === undefined && !answered) talkSec = 0;
  else if (talkSec === undefined && answerMs !== undefined && endMs !== undefined) talkSec = Math.max(0, Math.round((endMs - answerMs) / 1000));

  const { from, to } = isB ? bLegParties(v, field, newest, originator) : aLegParties(doc, v, field, newest, oldest);
  const answeredByPbx = !isB && answered && neverBridged(v);
  if (answeredByPbx) talkSec = 0;

  // Business direction only from a variable that states it; the switch's `direction` is per channel.
  const stated = v(opts.directionVariable);
  const direction = stated !== undefined ? (own(opts.directionValues, stated) ?? own(opts.directionValues, stated.toLowerCase())) : undefined;

  // Directory users: the caller authenticated as one (user_name), the callee was dialed as one (user/…).
  const callerUser = v('user_name') ?? (fsTrue(v('sip_authorized')) ? v('sip_auth_username') : undefined);
  const calleeUser = v('dialed_user');
  let ownerExtension: string | undefined;
  let impliedDirection: CallRecord['direction'];
  if (direction === 'outgoing') ownerExtension = callerUser;
  else if (direction === 'incoming') ownerExtension = calleeUser;
  else if (callerUser && calleeUser && callerUser !== calleeUser) impliedDirection = 'internal';
  else ownerExtension = callerUser ?? calleeUser;

  const cause = v('hangup_cause') ?? v('originate_disposition');
  const leg: CallRecord = {
    externalId: groupKey,
    location: ctx.location,
    startTime: iso(startMs),
    from,
    to,
    outcome: answeredByPbx ? unansweredOutcome(v, opts.outcomes) : outcomeOf(answered, cause, opts.outcomes),
    legs: 1,
    raw: { leg: isB ? 'B' : 'A', uuid, link: linkOf(doc, v, call, answeredByPbx), cdr: ctx.original } satisfies FsRaw,
  };
  if (answerMs !== undefined && !answeredByPbx) leg.answerTime = iso(answerMs);
  if (endMs !== undefined) leg.endTime = iso(endMs);
  if (durationSec !== undefined) leg.durationSec = durationSec;
  if (talkSec !== undefined) leg.talkSec = talkSec;
  if (direction ?? impliedDirection) leg.direction = direction ?? impliedDirection;
  if (ownerExtension) leg.ownerExtension = ownerExtension;
  if (cause) leg.disposition = cause;

  const recording = findRecording(doc, v, opts.recording, answered);
  const stereo = fsTrue(v('record_stereo'));
  if (recording || stereo !== undefined) {
    leg.recording = {};
    if (recording?.url) leg.recording.url = recording.url;
    if (recording?.path) leg.recording.path = recording.path;
    if (stereo !== undefined) leg.recording.stereo = stereo;
  }
  return { ok: true, groupKey, leg };
}

type Lookup = (name: string) => string | undefined;
type FieldOf = (profile: FsProfile | undefined, name: string) => string | undefined;

/**
 * A leg: the caller as the call arrived (the oldest caller profile, before any transfer: a queue or an
 * attended transfer adds a newer one with someone else's caller id), and the party it was connected to: the
 * last one it bridged to (originatee), else the channel that took it (the originator of a later entry: a
 * mod_fifo agent), else the user it dialed or where the dialplan last routed it (the newest entry's
 * destination: the extension, not the DID the call arrived on).
 */
function aLegParties(doc: FsDocument, v: Lookup, field: FieldOf, newest?: FsCallflow, oldest?: FsCallflow): { from: Party; to: Party } {
  const caller = oldest?.profile ?? newest?.profile;
  const bridged =
    doc.callflows.map((c) => c.originatees[c.originatees.length - 1]).find((p) => p !== undefined) ??
    doc.callflows.map((c) => c.originators[0]).find((p) => p !== undefined);
  const fromNumber =
    field(caller, 'caller_id_number') ?? v('caller_id_number') ?? v('origination_caller_id_number') ?? v('sip_from_user');
  const from = party(
    fromNumber,
    field(caller, 'caller_id_name') ?? v('caller_id_name') ?? v('origination_caller_id_name') ?? v('sip_from_display'),
    field(caller, 'chan_name') ?? v('channel_name'),
  );
  const toNumber =
    field(bridged, 'destination_number') ??
    v('dialed_user') ??
    field(newest?.profile, 'destination_number') ??
    field(caller, 'destination_number') ??
    v('destination_number') ??
    v('sip_req_user') ??
    v('sip_to_user');
  const to = party(toNumber, v('callee_id_name') ?? v('last_sent_callee_id_name'), field(bridged, 'chan_name') ?? v('bridge_channel'));
  return { from, to };
}

/** B leg: the caller is its originator (the A leg's caller profile); the callee is this channel itself. */
function bLegParties(v: Lookup, field: FieldOf, newest?: FsCallflow, originator?: FsProfile): { from: Party; to: Party } {
  const own = newest?.profile;
  const from = party(
    field(originator, 'caller_id_number') ?? field(own, 'caller_id_number') ?? v('caller_id_number') ?? v('origination_caller_id_number'),
    field(originator, 'caller_id_name') ?? field(own, 'caller_id_name') ?? v('caller_id_name') ?? v('origination_caller_id_name'),
    field(originator, 'chan_name'),
  );
  const to = party(
    field(own, 'destination_number') ?? v('dialed_user') ?? v('callee_id_number') ?? v('sip_req_user') ?? v('sip_to_user'),
    v('callee_id_name'),
    field(own, 'chan_name') ?? v('channel_name'),
  );
  return { from, to };
}

/**
 * Answered, yet bridged to nobody, on the record's own word: FreeSWITCH writes `bridge_epoch=0` on a channel
 * it never bridged (a CDR without the variable tells nothing, and counts as bridged), and `last_bridge_to` /
 * `bridge_uuid` / `signal_bond` once it was. A conference connects people without a bridge: not counted.
 */
function neverBridged(v: Lookup): boolean {
  const marks = [v('bridge_epoch'), v('bridge_uepoch')].filter((m): m is string => m !== undefined);
  if (!marks.length || marks.some((m) => m !== '0')) return false;
  if (v('last_bridge_to') ?? v('bridge_uuid') ?? v('signal_bond')) return false;
  return !(v('conference_name') ?? v('conference_uuid') ?? v('conference_member_id')) && v('last_app')?.toLowerCase() !== 'conference';
}

/** A call the PBX answered itself: what its bridge attempt ended with (`originate_disposition`), else no-answer. */
function unansweredOutcome(v: Lookup, overrides: FreeswitchExtractOptions['outcomes']): CallRecord['outcome'] {
  const tried = outcomeOf(false, v('originate_disposition') ?? v('last_bridge_hangup_cause'), overrides);
  return tried === 'unknown' ? 'no-answer' : tried;
}

/** The facts of this leg that merge.ts needs to tell who the call was connected to, and when. */
function linkOf(doc: FsDocument, v: Lookup, call: CallOfLeg, answeredByPbx: boolean): FsLink {
  const link: FsLink = { how: call.link };
  if (answeredByPbx) link.answeredByPbx = true;
  if (call.createdBy) link.createdBy = call.createdBy;
  const partner = v('other_loopback_leg_uuid');
  if (partner) link.loopbackPartner = partner;
  if (doc.callflows.some((c) => c.originatees.length > 0) || v('originated_legs')) link.placedCall = true;
  const creator = doc.callflows[doc.callflows.length - 1]?.originators[0];
  const dialedFor = creator?.destination_number?.trim();
  if (dialedFor) link.dialedFor = dialedFor;
  if (call.joinedBy) {
    link.joinedBy = call.joinedBy;
    const times = doc.callflows[0]?.times ?? {};
    const start = usecMs(times.profile_created_time) ?? usecMs(times.bridged_time);
    const answer = usecMs(times.bridged_time) ?? epochMs(v('bridge_uepoch'), v('bridge_epoch'));
    if (start !== undefined) link.joinedStart = iso(start);
    if (answer !== undefined) link.joinedAnswer = iso(answer);
  }
  return link;
}

function party(number: string | undefined, name: string | undefined, channel: string | undefined): Party {
  const p: Party = {};
  if (number) p.number = number;
  if (name && name !== number && !PLACEHOLDER_NAMES.has(name.toLowerCase())) p.name = name;
  if (channel) p.channel = channel;
  return p;
}

function epochMs(uepoch: string | undefined, epoch: string | undefined): number | undefined {
  return usecMs(uepoch) ?? (epoch && /^\d+$/.test(epoch) && Number(epoch) > 0 ? Number(epoch) * 1000 : undefined);
}

function usecMs(usec: string | undefined): number | undefined {
  return usec && /^\d+$/.test(usec) && Number(usec) > 0 ? Math.floor(Number(usec) / 1000) : undefined;
}

function seconds(value: string | undefined): number | undefined {
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
