import type { CallRecord, Party } from '../call-record.js';

/**
 * Who was on a 3CX call. A record names three parties: from, to, and final (who the call ended up with after a
 * transfer, queue or forward). 3CX marks extensions as `Ext.610`; its from/to/final types are `Internal`/`External`
 * (v16) or `Extension`/`Line`/`Queue`/`RingGroup`/… (v18+). v16's final-type echoes to-type rather than
 * describing the final party, so the number's own form is trusted before any type.
 */

export interface CxParty {
  /** from-no / to-no / final-number as written, e.g. `Ext.610`, `0611360468`, `+46703014082`. */
  number: string;
  /** from-dn / to-dn / final-dn: the extension's DN, or for an outside party the line (trunk) DN. */
  dn: string;
  type: string;
  name: string;
}

export type Side = 'internal' | 'external';

const EXTENSION = /^Ext\.(.+)$/i;
/** 3CX's own endpoints written in place of a party: MakeCall (click-to-call), PlayFile, EndCall, … */
const SYSTEM_ENDPOINT = /^[A-Za-z][A-Za-z_]*$/;
const PHONE = /^\+?\d[\d ()-]*$/;
const EXTERNAL_TYPES = /^(?:External|Line|ExternalLine|Trunk|Provider)$/i;
const INTERNAL_TYPES =
  /^(?:Internal|Extension|Queue|RingGroup|Ring ?Group|IVR|Voice ?Mail|Fax|Conference|Parking|Park|Script|Special|Wextension|Wqueue|Wagent|Wmenu)$/i;

/** Types (v18+) of the 3CX services that answer a call themselves: no person is on the line. */
const PBX_SERVICE_TYPES = /^(?:IVR|Voice ?Mail|Wmenu)$/i;

/**
 * The party that took the call is 3CX itself: one of its endpoints written as a word (`EndCall`, `PlayFile`) or,
 * from v18 on, a party typed `IVR` / `VoiceMail`. v16 types every extension `Internal`, its voicemail included.
 */
export function isPbxService(p: CxParty): boolean {
  return SYSTEM_ENDPOINT.test(p.number) || PBX_SERVICE_TYPES.test(p.type);
}

export function sideOf(p: CxParty): Side | undefined {
  if (EXTENSION.test(p.number)) return 'internal';
  if (SYSTEM_ENDPOINT.test(p.number)) return undefined;
  // An outside number arrives through a line, so its DN is the line's (digits), not the number.
  if (/^\d+$/.test(p.dn) && PHONE.test(p.number) && p.number !== p.dn) return 'external';
  if (EXTERNAL_TYPES.test(p.type)) return 'external';
  if (INTERNAL_TYPES.test(p.type)) return 'internal';
  return undefined;
}

/** The number to report: an extension's DN (`Ext.999` dialled but DN 315 rang: 315), an outside party's number. */
export function numberOf(p: CxParty, side: Side | undefined): string | undefined {
  if (side === 'internal') {
    if (/^\d+$/.test(p.dn)) return p.dn;
    return EXTENSION.exec(p.number)?.[1] ?? (p.number || p.dn || undefined);
  }
  return p.number || undefined;
}

export function toParty(p: CxParty, side: Side | undefined): Party {
  const party: Party = {};
  const number = numberOf(p, side);
  if (number) party.number = number;
  const name = p.name.trim();
  if (name && name !== number && name !== p.number) party.name = name;
  if (p.dn) party.channel = p.dn;
  return party;
}

/** `Chain: 0611360468,Ext.610,Ext.185,` (v16, quoted) or `Chain: Ext.10016;+46703014082;` (v18+). */
export function parseChain(text: string): string[] {
  return text
    .replace(/^\s*Chain:\s*/i, '')
    .split(/[;,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export interface Resolved {
  from: CxParty;
  to: CxParty;
  fromSide?: Side;
  toSide?: Side;
}

/**
 * Applies the final party: `ReplacedSrc` means the caller's side was handed over (the caller transferred the
 * call away), anything else (ReplacedDst, QFwdToDNA, PickedUp, Fwd_NoAnswer…) that the called side was.
 * A failed handover (`Failed…`) or a final party equal to the other side changes nothing. Without final-*
 * fields, a chain of three or more parties names the final party last.
 */
export function resolveParties(from: CxParty, to: CxParty, final: CxParty, reasonChanged: string, chain: string[]): Resolved {
  let last = final;
  if (!last.number && !last.dn && chain.length >= 3) last = { number: chain[chain.length - 1] ?? '', dn: '', type: '', name: '' };
  const lastSide = sideOf(last);
  const handedOver = (last.number || last.dn) && !/^Failed/i.test(reasonChanged);
  const replaceFrom = handedOver && /ReplacedSrc/i.test(reasonChanged);
  const replaceTo = handedOver && !replaceFrom;
  const same = (a: CxParty, b: CxParty): boolean => numberOf(a, sideOf(a)) === numberOf(b, lastSide);
  const result: Resolved = { from, to };
  if (replaceFrom && !same(to, last)) result.from = last;
  if (replaceTo && !same(from, last)) result.to = last;
  const fromSide = sideOf(result.from);
  const toSide = sideOf(result.to);
  if (fromSide) result.fromSide = fromSide;
  if (toSide) result.toSide = toSide;
  return result;
}

/** Direction and owner as 3CX tells them: inside to outside is outgoing, outside to inside incoming. */
export function directionOf(r: Resolved): { direction?: CallRecord['direction']; ownerExtension?: string } {
  if (r.fromSide === 'internal' && r.toSide === 'external') return { direction: 'outgoing', ownerExtension: numberOf(r.from, 'internal') };
  if (r.fromSide === 'external' && r.toSide === 'internal') return { direction: 'incoming', ownerExtension: numberOf(r.to, 'internal') };
  if (r.fromSide === 'internal' && r.toSide === 'internal') return { direction: 'internal' };
  return {};
}
