import type { CallRecord, Connection, Party } from '../call-record.js';
import { mergeByRootLeg } from '../shared/merge-root-leg.js';
import type { FsRaw } from './extract-leg.js';

/**
 * The legs of one FreeSWITCH call (one CDR per channel, grouped by call-of-leg.ts) → one CallRecord.
 *
 * The A leg is the root (mergeByRootLeg): id, location, caller, times, recording. What the root alone cannot
 * say comes from the legs that were connected to it, its B legs:
 *
 * - the channels it created (`bridge`: a phone, a ring group's phones, each target after a blind transfer)
 *   and the channels that joined it later (the agent a mod_fifo queue connected, the leg an attended transfer
 *   re-bridged to it with `uuid_bridge`) are its connections: who it rang, who answered, when;
 * - a B leg that is a loopback whose other half re-entered the dialplan and placed a call of its own is a
 *   forward (follow-me to a mobile): the party is the extension whose dialplan forwarded it (the destination
 *   the root had reached when it created the loopback), not the forward's target;
 * - the other halves of loopback pairs (the caller's handset a test `originate` started, the desk phone at the
 *   end of `loopback/5003/phones`) and the channels behind a loopback are the same parties seen again: they
 *   only add their CDR to `legs` and `raw`.
 *
 * An A leg the PBX answered itself and never bridged (extract-leg.ts `answeredByPbx`) leaves the call unanswered
 * unless one of its connections answered.
 *
 * `connections` are given when there is more than one, or when one joined after the call was answered (a
 * queue): then the caller's conversation starts when a person took it, not when the PBX answered. A call of one
 * plain bridge is its `from` → `to`.
 */
export function mergeFreeswitchLegs(legs: CallRecord[]): CallRecord {
  const merged = mergeByRootLeg(legs, (leg) => rawOf(leg)?.leg === 'A');
  const root = merged.externalId;
  const byUuid = new Map<string, CallRecord>();
  for (const leg of legs) {
    const uuid = rawOf(leg)?.uuid;
    if (uuid) byUuid.set(uuid, leg);
  }

  const connected = legs
    .filter((leg) => {
      const link = rawOf(leg)?.link;
      return link !== undefined && ((link.how === 'created' && link.createdBy === root) || link.how === 'joined');
    })
    .map((leg) => ({ leg, party: partyOf(leg, byUuid) }));
  // Answered by the PBX (IVR, voicemail) and connected to nobody who answered: no person took the call, whatever
  // the other halves of its loopback pairs say.
  const rootLeg = legs.find((leg) => rawOf(leg)?.leg === 'A');
  if (rootLeg && rawOf(rootLeg)?.link?.answeredByPbx && !connected.some((c) => c.leg.outcome === 'answered')) {
    merged.outcome = rootLeg.outcome;
    delete merged.answerTime;
    merged.talkSec = 0;
  }
  if (!connected.length) return merged;

  // The root's `to` names the channel it was last bridged to; a forward names the extension that forwarded.
  const forwarded = connected.find((c) => c.party !== c.leg.to && c.leg.to.number !== undefined && c.leg.to.number === merged.to.number);
  if (forwarded) merged.to = forwarded.party;

  if (connected.length > 1 || connected.some((c) => rawOf(c.leg)?.link?.how === 'joined')) {
    // The root's first bridge: a leg created for another destination later came after a (blind) transfer.
    const first = connected
      .filter((c) => rawOf(c.leg)?.link?.how === 'created')
      .sort((a, b) => compare(a.leg.startTime, b.leg.startTime) || compare(rawOf(a.leg)?.uuid ?? '', rawOf(b.leg)?.uuid ?? ''))[0];
    // In the order they started; legs of one ring group start together, and then the arrival order of their
    // files must not matter: the channel uuid decides.
    merged.connections = connected
      .map(({ leg, party }) => ({ uuid: rawOf(leg)?.uuid ?? '', connection: connectionOf(leg, party, merged.from, connected, rawOf(first?.leg)?.link?.dialedFor) }))
      .sort((a, b) => compare(a.connection.startTime, b.connection.startTime) || compare(a.uuid, b.uuid))
      .map((c) => c.connection);
  }
  return merged;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function rawOf(leg: CallRecord | undefined): Partial<FsRaw> | undefined {
  return leg?.raw as Partial<FsRaw> | undefined;
}

/** Who a B leg reached: the leg's own callee, or, for a forward through a loopback, the extension that forwarded. */
function partyOf(leg: CallRecord, byUuid: Map<string, CallRecord>): Party {
  const link = rawOf(leg)?.link;
  const otherHalf = link?.loopbackPartner ? byUuid.get(link.loopbackPartner) : undefined;
  if (link?.dialedFor && rawOf(otherHalf)?.link?.placedCall) return { number: link.dialedFor };
  return leg.to;
}

/**
 * One B leg as a connection of the caller. A leg that joined later counts from when it was connected to the
 * caller (its newest callflow entry), not from its own answer: the agent's line of a queue, or the transfer
 * target that first talked with the colleague who transferred.
 */
function connectionOf(
  leg: CallRecord,
  party: Party,
  caller: Party,
  all: Array<{ leg: CallRecord }>,
  firstDialedFor: string | undefined,
): Connection {
  const link = rawOf(leg)?.link;
  const joined = link?.how === 'joined';
  const connection: Connection = {
    from: caller,
    to: party,
    answered: leg.outcome === 'answered',
    startTime: (joined ? link?.joinedStart : undefined) ?? leg.startTime,
  };
  const answerTime = joined ? (link?.joinedAnswer ?? leg.answerTime) : leg.answerTime;
  if (connection.answered && answerTime) connection.answerTime = answerTime;
  if (leg.endTime) connection.endTime = leg.endTime;
  if (joined && connection.answerTime && leg.endTime) {
    connection.talkSec = Math.max(0, Math.round((Date.parse(leg.endTime) - Date.parse(connection.answerTime)) / 1000));
  } else if (leg.talkSec !== undefined) {
    connection.talkSec = leg.talkSec;
  }
  const via = viaOf(link, all, firstDialedFor);
  if (via) connection.via = via;
  return connection;
}

/**
 * What rang this party, for messages: the queue, an attended transfer; a blind transfer (the root was routed
 * somewhere else before it created this leg); a ring group (one destination, several legs).
 */
function viaOf(link: FsRaw['link'] | undefined, all: Array<{ leg: CallRecord }>, firstDialedFor: string | undefined): string | undefined {
  if (!link) return undefined;
  if (link.joinedBy === 'fifo') return 'queue';
  if (link.joinedBy === 'uuid_bridge') return 'attended transfer';
  if (link.dialedFor === undefined) return undefined;
  if (firstDialedFor !== undefined && link.dialedFor !== firstDialedFor) return 'transfer';
  const sameDestination = all.filter((c) => {
    const other = rawOf(c.leg)?.link;
    return other?.how === 'created' && other.dialedFor === link.dialedFor;
  });
  return sameDestination.length > 1 ? 'ring group' : undefined;
}
