import type { FsDocument, FsProfile } from './document.js';

/**
 * Which call a FreeSWITCH channel belongs to, from its own CDR alone (legs arrive one file or one hook post at
 * a time, so the answer cannot wait for the others): the uuid of the call's A leg, and how this channel got there.
 *
 * - `own`: nobody created this channel for another one: it is the A leg of its call (a phone or trunk that
 *   called in, the PBX leg a loopback pair carries into the dialplan, a channel `originate` started).
 * - `created`: `bridge`/`originate` made it for another channel, named in `originating_leg_uuid` or in the
 *   originator profile of its OLDEST callflow entry (the one it was born with). A later entry's originator
 *   does not make a channel a B leg: mod_fifo and `uuid_bridge` add one to a channel that already had a call.
 * - `joined`: created for one call, it ended in another: `uuid_bridge` (an attended transfer) re-bridged it to
 *   another channel, which its NEWEST callflow entry names as originator; it belongs to that channel's call.
 *   Also a mod_fifo agent's channel (`fifo_role=consumer`): it belongs to the call of the caller it took
 *   (`fifo_target`); the caller's channel in turn stays the A leg of its own call.
 * - `behind-loopback`: created by the inner half of a loopback (a follow-me, a forward through the dialplan):
 *   mod_loopback names the real channel on the far side of the loopback in `other_leg_true_id`, i.e. the
 *   call's A leg, where `originating_leg_uuid` only names the loopback half.
 * - `loopback-half`: one half of a `loopback/…` pair whose other half is the call's channel: the `-b` half a
 *   bridge dialed names that bridge's channel in `other_loopback_from_uuid`; the `-a` half of a pair started by
 *   `originate` (no originator: the caller's end of a call that its `-b` half carries into the dialplan) belongs
 *   to its partner's call (`other_loopback_leg_uuid`).
 *
 * `bridge_uuid` and `signal_bond` are never used: both legs of a bridge name each other there.
 */
export type LegLink = 'own' | 'created' | 'joined' | 'behind-loopback' | 'loopback-half';

export interface CallOfLeg {
  /** The A leg's uuid: the group key and call id. */
  callUuid: string;
  link: LegLink;
  /** The channel that created this one (`created`, `behind-loopback`, `joined` by uuid_bridge). */
  createdBy?: string;
  /** `joined`: by an attended transfer (`uuid_bridge`) or by a mod_fifo agent taking the caller. */
  joinedBy?: 'uuid_bridge' | 'fifo';
}

type Lookup = (name: string) => string | undefined;

export function callOfLeg(doc: FsDocument, uuid: string, v: Lookup): CallOfLeg {
  const field = (profile: FsProfile | undefined, name: string) => profile?.[name]?.trim() || undefined;
  const oldest = doc.callflows[doc.callflows.length - 1];
  const newest = doc.callflows[0];
  const createdBy = v('originating_leg_uuid') ?? field(oldest?.originators[0], 'uuid');

  if (createdBy && createdBy !== uuid) {
    const trueOther = v('other_leg_true_id');
    if (trueOther && trueOther !== uuid) return { callUuid: trueOther, link: 'behind-loopback', createdBy };
    const endedWith = field(newest?.originators[0], 'uuid');
    if (endedWith && endedWith !== createdBy && endedWith !== uuid) return { callUuid: endedWith, link: 'joined', createdBy, joinedBy: 'uuid_bridge' };
    return { callUuid: createdBy, link: 'created', createdBy };
  }

  const fifoTarget = v('fifo_target');
  if (fifoTarget && fifoTarget !== uuid && (v('fifo_role') ?? v('fifo_bridge_role'))?.toLowerCase() === 'consumer') {
    return { callUuid: fifoTarget, link: 'joined', joinedBy: 'fifo' };
  }

  const dialedBy = v('other_loopback_from_uuid');
  if (dialedBy && dialedBy !== uuid) return { callUuid: dialedBy, link: 'loopback-half' };
  const partner = v('other_loopback_leg_uuid');
  if (partner && partner !== uuid && isLoopbackA(doc, v)) return { callUuid: partner, link: 'loopback-half' };

  return { callUuid: uuid, link: 'own' };
}

/** The `-a` half of a loopback pair: mod_loopback's `loopback_leg=A`, else the channel name. */
function isLoopbackA(doc: FsDocument, v: Lookup): boolean {
  const leg = v('loopback_leg');
  if (leg) return leg.toUpperCase() === 'A';
  const name = v('channel_name') ?? doc.callflows[0]?.profile.chan_name ?? '';
  return /^loopback\/.*-a$/.test(name);
}
