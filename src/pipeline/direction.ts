import type { CallRecord, Party } from '../../adapters/call-record.js';
import { type OwnerAfterTransfer, readConnections } from './connections.js';

/**
 * Which way a call went, and which party is ours (the owner) and which is theirs (the participant).
 *
 * The PBX's own word wins (`call.direction`). Otherwise each party is classified:
 * a party on a trunk channel (trunkPatterns) is external whatever its number; a number matching
 * internalNumbers is internal; any other number is external. internal → external is outgoing,
 * external → internal incoming. Both internal or both external: skipped with a reason, unless the
 * matching `skip` switch is off — then the caller's side is treated as ours (outgoing) for internal-only
 * calls, and the callee's side (incoming) for external-only calls (a forwarded call through the PBX).
 * A record that names neither party (no number, no channel on either side) is rejected as such, not called
 * external-only: no rule can place it.
 * When the PBX names the internal party (`ownerExtension`) and it is exactly one side's number, that side is ours.
 * A call recorded as several connections (queues, ring groups, transfers) is read by `readConnections` first.
 */
export interface DirectionRules {
  internalNumbers: RegExp[];
  trunkPatterns: RegExp[];
  skipInternal: boolean;
  skipExternal: boolean;
  ownerAfterTransfer: OwnerAfterTransfer;
}

export type DirectionDecision =
  | {
      kind: 'ok';
      direction: 'incoming' | 'outgoing';
      owner: Party;
      participant: Party;
      ownerExtension?: string | undefined;
      /** From the connections: whether the outside party was answered by one of ours, when, and for how long. */
      conversation?: Conversation | undefined;
    }
  | { kind: 'skip'; reason: string }
  /** Not a call we can place by the rules, and not one to drop either: kept as rejected, to retry once the rules are fixed. */
  | { kind: 'reject'; reason: string };

export type Conversation =
  | { answered: true; answerTime: string; talkSec: number | undefined }
  | { answered: false; detail: string | undefined };

export function compileDirectionRules(config: {
  internalNumbers: string[];
  trunkPatterns: string[];
  skip: { internal: boolean; external: boolean };
  ownerAfterTransfer?: OwnerAfterTransfer;
}): DirectionRules {
  return {
    internalNumbers: config.internalNumbers.map((p) => new RegExp(p)),
    trunkPatterns: config.trunkPatterns.map((p) => new RegExp(p)),
    skipInternal: config.skip.internal,
    skipExternal: config.skip.external,
    ownerAfterTransfer: config.ownerAfterTransfer ?? 'first',
  };
}

export type PartyKind = 'internal' | 'external';

export function classifyParty(party: Party, rules: DirectionRules): PartyKind {
  if (party.channel && anyMatches(rules.trunkPatterns, party.channel)) return 'external';
  const number = party.number?.trim();
  if (number && anyMatches(rules.internalNumbers, number)) return 'internal';
  return 'external';
}

/** `patterns.some((re) => re.test(text))`, without a closure per call (this runs for both parties of every call). */
function anyMatches(patterns: readonly RegExp[], text: string): boolean {
  for (const re of patterns) if (re.test(text)) return true;
  return false;
}

export function decideDirection(
  call: Pick<CallRecord, 'direction' | 'from' | 'to' | 'ownerExtension' | 'connections' | 'endTime' | 'answerTime'>,
  rules: DirectionRules,
): DirectionDecision {
  if (call.direction === undefined && saysMore(call)) {
    const read = readConnections(call, (party) => classifyParty(party, rules) === 'internal', rules.ownerAfterTransfer);
    if (read.kind !== 'undecided') {
      const { direction, owner } = read;
      const participant = asSeen(read.participant, rules);
      const conversation: Conversation =
        read.kind === 'connected' ? { answered: true, answerTime: read.answerTime, talkSec: read.talkSec } : { answered: false, detail: read.detail };
      return { kind: 'ok', direction, owner, participant, ownerExtension: owner.number?.trim() || undefined, conversation };
    }
  }
  const { from, to } = call;
  // Nothing to classify: "external-only" would be a guess, and no rule can place the call.
  if (!isNamed(from) && !isNamed(to)) return { kind: 'reject', reason: UNKNOWN_PARTIES };
  let direction: 'incoming' | 'outgoing';
  if (call.direction === 'incoming' || call.direction === 'outgoing') {
    direction = call.direction;
  } else if (call.direction === 'internal') {
    if (rules.skipInternal) return { kind: 'skip', reason: 'internal call (the PBX says both parties are internal)' };
    direction = 'outgoing';
  } else if (call.ownerExtension && sameNumber(call.ownerExtension, from.number) !== sameNumber(call.ownerExtension, to.number)) {
    // The PBX named our side: that settles it even when the other side looks internal too (a short number).
    direction = sameNumber(call.ownerExtension, from.number) ? 'outgoing' : 'incoming';
  } else {
    const fromKind = classifyParty(from, rules);
    const toKind = classifyParty(to, rules);
    if (fromKind === 'internal' && toKind === 'external') direction = 'outgoing';
    else if (fromKind === 'external' && toKind === 'internal') direction = 'incoming';
    else if (fromKind === 'internal') {
      // An "internal" call whose caller id is an outside number is a rule that misread a trunk: not dropped, kept to retry.
      const misread = [from, to].find((party) => readFromChannel(party, rules));
      if (misread) return { kind: 'reject', reason: misreadReason(misread) };
      if (rules.skipInternal) return { kind: 'skip', reason: `internal call (${describe(from, rules)} → ${describe(to, rules)})` };
      direction = 'outgoing';
    } else {
      if (rules.skipExternal) return { kind: 'skip', reason: `external-only call, no internal party (${describe(from, rules)} → ${describe(to, rules)})` };
      direction = 'incoming';
    }
  }
  const owner = direction === 'outgoing' ? from : to;
  const participant = asSeen(direction === 'outgoing' ? to : from, rules);
  const ownerExtension = call.ownerExtension?.trim() || owner.number?.trim() || undefined;
  return { kind: 'ok', direction, owner, participant, ownerExtension };
}

const UNKNOWN_PARTIES =
  'caller and callee unknown: the call record has no number and no channel for either party ' +
  '(the record that names them did not arrive, or the source does not map them)';

/** A party the record names at all: by a number or by a channel. */
function isNamed(party: Party): boolean {
  return Boolean(party.number?.trim() || party.channel?.trim());
}

/** Connections tell more than from → to: there are several, or the one there is was answered at another time than the call. */
function saysMore(call: Pick<CallRecord, 'connections' | 'answerTime'>): boolean {
  const connections = call.connections;
  if (!connections?.length) return false;
  return connections.length > 1 || connections[0]?.answerTime !== call.answerTime;
}

function sameNumber(a: string, b: string | undefined): boolean {
  return b !== undefined && a.trim() === b.trim();
}

/** A party as a message names it; a number that looks internal but is external by its trunk says so. */
function describe(party: Party, rules: DirectionRules): string {
  const number = party.number?.trim();
  const onTrunk = party.channel !== undefined && anyMatches(rules.trunkPatterns, party.channel);
  if (number && onTrunk && anyMatches(rules.internalNumbers, number)) return `${number} on trunk ${party.channel}`;
  return number || party.channel || 'unknown';
}

/** A party on a trunk whose number the adapter read from the channel name is its caller id. */
function asSeen(party: Party, rules: DirectionRules): Party {
  if (!party.callerNumber || !party.channel || !anyMatches(rules.trunkPatterns, party.channel)) return party;
  return { ...party, number: party.callerNumber };
}

/** An internal number the adapter read from a channel name, whose caller id is an outside number. */
function readFromChannel(party: Party, rules: DirectionRules): boolean {
  const number = party.number?.trim();
  const shown = party.callerNumber?.trim();
  return Boolean(number && shown && party.channel && anyMatches(rules.internalNumbers, number) && !anyMatches(rules.internalNumbers, shown));
}

function misreadReason(party: Party): string {
  const device = party.channel?.replace(/-[0-9a-f]+$/i, '');
  return (
    `looks like an internal call only because ${party.number} was read from the channel name ${party.channel} by the adapter's extension pattern, ` +
    `while its caller id is the outside number ${party.callerNumber}: if ${device} is a trunk, add it to normalize.trunkPatterns ` +
    '(or narrow the extension pattern), then run callbridge retry'
  );
}
