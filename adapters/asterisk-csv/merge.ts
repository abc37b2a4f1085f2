import path from 'node:path';
import type { CallRecord, Connection } from '../call-record.js';
import { localChannel, otherHalf } from './channels.js';
import { connectionOf, type Row } from './row.js';
import { mergeLegs } from '../shared/merge-legs.js';

/**
 * The rows of one call (one linkedid) → one CallRecord that keeps every connection the PBX made, so that
 * normalization, which knows which numbers are ours, can tell the outside party and who answered it.
 *
 * - The call was started by the channel created first: the bridge row whose uniqueid is the linkedid, else the
 *   lowest uniqueid (`<epoch>.<counter>` counts channels as Asterisk creates them), else the earliest start.
 *   Its caller is `from`; `to` is the first party that caller reached (else the first it rang).
 * - A connection to a Local channel's `;1` half takes its answer time from the row of the `;2` half when that
 *   row was answered later: the Dial row of an originated channel (click-to-call) or of a transferred party
 *   carries its own channel's answer, not the callee's. Its talk time is then the shorter of the two rows'.
 * - Rows without a dstchannel (a callee's own leg, the originated channel of a CLI/AMI Originate, a
 *   post-Dial `Hangup`, the zero-length row of an optimised Local channel) add times, never parties.
 * - A call with no dstchannel in any row was answered by the PBX, not by a person (`bridgedToNobody`).
 *   A call with Dial/Queue rows is answered when one of them is (a post-Dial VoiceMail row does not count).
 * - The recording is the starting caller's (MixMonitor runs on the caller's channel, and every row of that channel
 *   repeats its userfield); a call that also has another one (a recording started after a blind transfer) says in
 *   `recording.note` which one is sent.
 * `legs` are single rows, as the grouper and the stash hand them over (not calls merged before).
 * - Times, talk seconds and `raw` as `mergeLegs` gives them; `location` is the call's first row in the file.
 */
export function mergeAsteriskLegs(legs: CallRecord[]): CallRecord {
  // One row says all it can as from → to.
  if (legs.length === 1) return bridgedToNobody(mergeLegs(legs), legs);
  const bridged = legs.map((leg) => ({ leg, connection: connectionOf(leg) })).filter((b): b is { leg: CallRecord; connection: Connection } => b.connection !== undefined);
  if (!bridged.length) return bridgedToNobody(mergeLegs(legs), legs);
  const merged = mergeLegs(legs);

  const answers = ownAnswers(legs);
  const origin = startingLeg(bridged.map((b) => b.leg));
  const ordered = bridged
    .map((b) => ({ leg: b.leg, connection: withOwnAnswer(b.connection, answers) }))
    .sort((a, b) => compare(a.leg.startTime, b.leg.startTime) || (a.leg === origin ? -1 : b.leg === origin ? 1 : 0) || sequence(a.leg) - sequence(b.leg));
  const connections = ordered.map((b) => b.connection);
  const caller = (ordered.find((b) => b.leg === origin) as (typeof ordered)[number]).connection;
  const reached = connections.find((c) => c.answered && c.from.number === caller.from.number);

  merged.location = (legs[0] as CallRecord).location;
  merged.from = caller.from;
  merged.to = (reached ?? caller).to;
  merged.connections = connections;
  if (!connections.some((c) => c.answered)) merged.outcome = origin.outcome;
  const disposition = (reached ? ordered.find((b) => b.connection === reached)?.leg : origin)?.disposition;
  if (disposition !== undefined) merged.disposition = disposition;
  const recording = recordingOf(origin, legs);
  if (recording) merged.recording = recording;
  else delete merged.recording;
  return merged;
}

const CONFERENCE_APPS: ReadonlySet<string> = new Set(['confbridge', 'meetme']);

/**
 * A call none of whose rows names a dstchannel was bridged to nobody: its ANSWERED is the PBX's own answer
 * (VoiceMail, Playback, an IVR's Background, a Queue the caller left before an agent took it), not a person's.
 * Decided only when the rows carry dstchannel and lastapp (a custom column layout may leave them out); a
 * conference (ConfBridge, MeetMe) connects people without a dstchannel and stays answered.
 */
function bridgedToNobody(merged: CallRecord, legs: CallRecord[]): CallRecord {
  if (merged.outcome !== 'answered') return merged;
  const rows = legs.flatMap((leg) => (Array.isArray(leg.raw) ? (leg.raw as Row[]) : [leg.raw as Row]));
  for (const row of rows) {
    if (row.dstchannel === undefined || row.lastapp === undefined || row.dstchannel.trim()) return merged;
    if (CONFERENCE_APPS.has(row.lastapp.trim().toLowerCase())) return merged;
  }
  merged.outcome = 'no-answer';
  delete merged.answerTime;
  merged.talkSec = 0;
  return merged;
}

/** Channel name → the leg's own answer time and talk seconds, for rows that are a channel's own record. */
function ownAnswers(legs: CallRecord[]): Map<string, { answerTime: string; talkSec: number | undefined }> {
  const out = new Map<string, { answerTime: string; talkSec: number | undefined }>();
  for (const leg of legs) {
    if ((leg.raw as Row).dstchannel || !leg.answerTime || !leg.from.channel) continue;
    out.set(leg.from.channel, { answerTime: leg.answerTime, talkSec: leg.talkSec });
  }
  return out;
}

function withOwnAnswer(c: Connection, answers: ReturnType<typeof ownAnswers>): Connection {
  const channel = c.answered && c.answerTime ? localChannel(c.to.channel) : undefined;
  if (!channel) return c;
  const own = answers.get(otherHalf(channel));
  if (!own || own.answerTime <= (c.answerTime as string)) return c;
  const corrected: Connection = { ...c, answerTime: own.answerTime };
  const talks = [c.talkSec, own.talkSec].filter((s): s is number => s !== undefined);
  if (talks.length) corrected.talkSec = Math.min(...talks);
  return corrected;
}

function startingLeg(bridged: CallRecord[]): CallRecord {
  let best = bridged[0] as CallRecord;
  for (const leg of bridged.slice(1)) if (startsBefore(leg, best)) best = leg;
  return best;
}

function startsBefore(a: CallRecord, b: CallRecord): boolean {
  const ra = a.raw as Row;
  const rb = b.raw as Row;
  const firstA = Boolean(ra.uniqueid) && ra.uniqueid === ra.linkedid;
  const firstB = Boolean(rb.uniqueid) && rb.uniqueid === rb.linkedid;
  if (firstA !== firstB) return firstA;
  const created = compareUniqueids(ra.uniqueid, rb.uniqueid);
  if (created !== 0) return created < 0;
  const started = compare(a.startTime, b.startTime);
  if (started !== 0) return started < 0;
  return sequence(a) < sequence(b);
}

/** `[system-]<epoch>.<counter>`: by epoch, then counter; 0 when either is missing or not of that form. */
function compareUniqueids(a: string | undefined, b: string | undefined): number {
  const pa = a ? UNIQUEID.exec(a) : null;
  const pb = b ? UNIQUEID.exec(b) : null;
  if (!pa || !pb) return 0;
  return Number(pa[1]) - Number(pb[1]) || Number(pa[2]) - Number(pb[2]);
}

const UNIQUEID = /(\d+)\.(\d+)$/;

function sequence(leg: CallRecord): number {
  const value = Number((leg.raw as Row).sequence);
  return Number.isFinite(value) ? value : 0;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The caller's recording: of its first row, else of its channel's earliest row that has one, else the earliest of all. */
function recordingOf(origin: CallRecord, legs: CallRecord[]): CallRecord['recording'] {
  const byStart = legs.filter((leg) => leg.recording).sort((a, b) => compare(a.startTime, b.startTime));
  const sent = origin.recording ?? (byStart.find((leg) => leg.from.channel === origin.from.channel) ?? byStart[0])?.recording;
  if (!sent) return undefined;
  const where = (r: NonNullable<CallRecord['recording']>) => r.url ?? r.path ?? '';
  const others = new Map<string, CallRecord>();
  for (const leg of legs) {
    if (leg.recording && where(leg.recording) !== where(sent) && !others.has(where(leg.recording))) others.set(where(leg.recording), leg);
  }
  if (!others.size) return { ...sent };
  const list = [...others].map(([file, leg]) => `${path.basename(file)} (started ${leg.startTime.replace('T', ' ')})`).join(', ');
  return {
    ...sent,
    note: `sent ${path.basename(where(sent))}, the recording of the caller's channel; the call also has ${list}, which is not sent: a conversation takes one recording`,
  };
}
