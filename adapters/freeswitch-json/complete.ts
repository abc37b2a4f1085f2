import type { CallRecord } from '../call-record.js';
import { isPlainObject } from '../shared/input.js';
import { asList, urlDecode } from './document.js';
import type { FsRaw } from './extract-leg.js';

/**
 * Channel variables that name another channel of the same call, by uuid. Every leg of a call is named by at least
 * one other leg of it: the channel that created it lists it in `originated_legs` (every leg a bridge or originate
 * tried, losers and earlier transfer targets included) and in its callflow's originatee profiles; the two halves
 * of a loopback pair name each other; a channel joined by `uuid_bridge` or a queue is the `bridge_uuid` of the
 * channel it joined. Never read: `transfer_history` / `transfer_source` (the uuids of API jobs, not channels) and
 * `record_path` (a file name).
 */
const NAMING_VARIABLES: ReadonlySet<string> = new Set([
  'originated_legs',
  'originate_signal_bond',
  'originating_leg_uuid',
  'originator',
  'loopback_from_uuid',
  'other_loopback_leg_uuid',
  'other_loopback_from_uuid',
  'other_leg_true_id',
  'bridge_uuid',
  'last_bridge_to',
  'signal_bond',
  'call_uuid',
  'fifo_target',
  'fifo_serviced_uuid',
  'fifo_serviced_by',
]);

/**
 * A FreeSWITCH call is whole when its A leg (the channel whose uuid is the call's) is in and every channel that
 * any of its legs names (it created it, is bridged to it, is the other half of its loopback pair, joined it) is in
 * too. FreeSWITCH writes one CDR per channel, so a channel named and not yet arrived is a leg still to come; a
 * named channel that belongs to another call (the consultation call of an attended transfer, the far half of a
 * loopback whose CDR names only the inner legs) never arrives in this group, and the call then waits for its
 * quiet period, as it would without this rule. A leg whose document cannot be read: not known, false.
 *
 * The JSON and XML documents share the tree (document.ts); this reads both as parsed (`FsRaw.cdr`).
 */
export function completeFreeswitchCall(legs: CallRecord[]): boolean {
  const callUuid = legs[0]?.externalId;
  if (!callUuid) return false;
  const arrived = new Set<string>();
  for (const leg of legs) {
    const uuid = rawOf(leg)?.uuid;
    if (typeof uuid !== 'string' || !uuid) return false;
    arrived.add(uuid);
  }
  if (!legs.some((leg) => rawOf(leg)?.leg === 'A' && rawOf(leg)?.uuid === callUuid)) return false;
  for (const leg of legs) {
    const named = channelsNamed(rawOf(leg));
    if (!named) return false;
    for (const uuid of named) if (!arrived.has(uuid)) return false;
  }
  return true;
}

function rawOf(leg: CallRecord): Partial<FsRaw> | undefined {
  return isPlainObject(leg.raw) ? (leg.raw as Partial<FsRaw>) : undefined;
}

/** The uuids of the other channels a leg's CDR names; undefined when its document is not there to read. */
function channelsNamed(raw: Partial<FsRaw> | undefined): Set<string> | undefined {
  const cdr = raw?.cdr;
  if (!isPlainObject(cdr) || !isPlainObject(cdr.variables)) return undefined;
  const named = new Set<string>();
  let unreadable = false;
  const add = (value: unknown) => {
    for (const text of asList(value)) {
      // A value that is no text (an XML element with children) may name a channel this cannot read.
      if (typeof text !== 'string') {
        unreadable = true;
        continue;
      }
      // mod_json_cdr writes a multi-valued variable as `ARRAY::v1|:v2`, mod_xml_cdr as repeated elements; an
      // originated_legs entry is `uuid;caller id name;destination`.
      for (const entry of urlDecode(text).replace(/^ARRAY::/, '').split('|:')) {
        const uuid = entry.split(';', 1)[0]?.trim();
        if (uuid) named.add(uuid);
      }
    }
  };
  for (const [name, value] of Object.entries(cdr.variables)) if (NAMING_VARIABLES.has(name.toLowerCase())) add(value);
  for (const callflow of asList(cdr.callflow)) {
    const profile = isPlainObject(callflow) && isPlainObject(callflow.caller_profile) ? callflow.caller_profile : {};
    for (const [side, list] of [
      ['originator', 'originator_caller_profile'],
      ['originatee', 'originatee_caller_profile'],
    ] as const) {
      const block = profile[side];
      if (!isPlainObject(block)) continue;
      // JSON: `…_caller_profiles` (a list); XML: one `…_caller_profile` element per profile.
      for (const p of [...asList(block[`${list}s`]), ...asList(block[list])]) if (isPlainObject(p)) add(p.uuid);
    }
  }
  if (unreadable) return undefined;
  if (raw?.link?.createdBy) named.add(raw.link.createdBy);
  if (raw?.link?.loopbackPartner) named.add(raw.link.loopbackPartner);
  const own = raw?.uuid;
  if (own) named.delete(own);
  return named;
}
