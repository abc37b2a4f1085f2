import type { CallRecord, Connection, Party } from '../../adapters/call-record.js';

/**
 * A call the PBX recorded as several connections (a queue or ring group trying members, a transfer, a
 * click-to-call that rings the agent first) → who the conversation was between, by the normalize rules:
 *
 * - The call came from `call.from`, the party that started it: from outside → incoming, from an internal
 *   party → outgoing.
 * - The outside party is that caller when it is external; otherwise the external side of the first answered
 *   connection between an internal and an external party (else the first external party rung).
 * - The owner is the internal party on the other side of an answered connection with the outside party: the
 *   queue member or ring-group phone that answered, the agent of a click-to-call. After a transfer there are
 *   several, ordered by when each answered: the first (default) or the last (`ownerAfterTransfer`).
 * - The conversation starts when the outside party was first answered; its talk time is the PBX's own count
 *   when one connection spans it to the call's end, else the call's end minus that answer (in the PBX zone).
 *
 * `undecided`: no outside party or no internal party among the connections (an internal call, a call forwarded
 * from trunk to trunk): the call's from → to decides, as for a call of one record.
 */
export type ConnectionsDecision =
  | {
      kind: 'connected';
      direction: 'incoming' | 'outgoing';
      owner: Party;
      participant: Party;
      answerTime: string;
      talkSec: number | undefined;
    }
  | { kind: 'unanswered'; direction: 'incoming' | 'outgoing'; owner: Party; participant: Party; detail: string | undefined }
  | { kind: 'undecided' };

export type OwnerAfterTransfer = 'first' | 'last';

export function readConnections(
  call: Pick<CallRecord, 'from' | 'endTime' | 'connections'>,
  isInternal: (party: Party) => boolean,
  ownerAfterTransfer: OwnerAfterTransfer,
): ConnectionsDecision {
  const connections = call.connections ?? [];
  const internal = new Map<Party, boolean>();
  const inside = (party: Party): boolean => {
    let known = internal.get(party);
    if (known === undefined) internal.set(party, (known = isInternal(party)));
    return known;
  };
  const fromInside = inside(call.from);
  let outside: Party | undefined;
  if (!fromInside) outside = call.from;
  else {
    const reached = connections.find((c) => c.answered && inside(c.from) !== inside(c.to));
    outside = reached ? (inside(reached.from) ? reached.to : reached.from) : connections.find((c) => !inside(c.to))?.to;
  }
  if (!outside) return { kind: 'undecided' };
  const direction = fromInside ? 'outgoing' : 'incoming';

  // The other side of each connection with the outside party, when it is one of ours.
  const ours = (c: Connection): Party | undefined => {
    if (same(c.from, outside) && inside(c.to)) return c.to;
    if (same(c.to, outside) && inside(c.from)) return c.from;
    return undefined;
  };
  const links = connections
    .map((c, index) => ({ c, index, owner: ours(c) }))
    .filter((l): l is { c: Connection; index: number; owner: Party } => l.owner !== undefined);
  if (!links.length) return { kind: 'undecided' };
  const answered = links
    .filter((l) => l.c.answered && l.c.answerTime !== undefined)
    .sort((a, b) => compare(a.c.answerTime as string, b.c.answerTime as string) || a.index - b.index);
  if (!answered.length) {
    const owner = (fromInside ? call.from : (links[0] as (typeof links)[number]).owner) as Party;
    return { kind: 'unanswered', direction, owner, participant: outside, detail: attempts(links.map((l) => l.c), outside) };
  }

  const chosen = (ownerAfterTransfer === 'last' ? answered[answered.length - 1] : answered[0]) as (typeof answered)[number];
  const answerTime = (answered[0] as (typeof answered)[number]).c.answerTime as string;
  const spanning = answered.find((l) => l.c.answerTime === answerTime && l.c.endTime === call.endTime && l.c.talkSec !== undefined);
  return { kind: 'connected', direction, owner: chosen.owner, participant: outside, answerTime, talkSec: spanning?.c.talkSec };
}

/**
 * What was tried, when there is more than one attempt to tell about: "queue order rang 3106, 3107; nobody
 * answered". One plain attempt says nothing the outcome does not already say.
 */
function attempts(connections: Connection[], outside: Party): string | undefined {
  if (connections.length < 2 && !connections.some((c) => c.via)) return undefined;
  const rung = (c: Connection) => (same(c.to, outside) ? c.from : c.to);
  const groups = new Map<string, string[]>();
  const named = new Set<string>();
  // What a queue or ring group rang first: a member's own leg (FreePBX's Local/2001@from-queue dialling the phone)
  // then adds nothing.
  for (const c of [...connections.filter((x) => x.via), ...connections.filter((x) => !x.via)]) {
    const name = rung(c).number ?? rung(c).channel ?? 'unknown';
    if (named.has(name)) continue;
    named.add(name);
    const key = c.via ?? 'the call';
    groups.set(key, [...(groups.get(key) ?? []), name]);
  }
  const parts = [...groups].map(([via, names]) => `${via} rang ${names.join(', ')}`);
  return `${parts.join('; ')}; nobody answered`;
}

function same(a: Party, b: Party): boolean {
  if (a === b) return true;
  const x = a.number?.trim();
  return x !== undefined && x !== '' && x === b.number?.trim();
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
