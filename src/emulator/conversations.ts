import type { ConversationPayload } from '../dstny/payload.js';
import type { ListEnvelope, ListShape } from './config.js';
import type { Seed } from './seed.js';

/** One conversation the emulator accepted. */
export interface ConversationRecord {
  id: string;
  externalId: string;
  payload: ConversationPayload;
  title: string;
  ownerUserId: number | null;
  createdAt: number;
  /** Epoch ms from which it shows in GET /conversations (creation is asynchronous at Dstny). */
  appearsAt: number;
  /** "Accepted but never appears". */
  dropped: boolean;
}

/**
 * The shape the emulator lists and answers per id. The real shape is undocumented (dstny-facts.md), so the
 * `listShape` fault chooses among plausible ones, and the reconciler finds its fields through configuration
 * (reconcile.lookup.idField / externalIdField). "full" (the default):
 *
 *   { id, external_id, type: "call", title, start_time, end_time, duration, direction, outcome,
 *     is_stereo, participant_channel, owner: {id, email, name, phone_number},
 *     participant: {email, first_name, last_name, phone_number, company_name, external_id}, created_at }
 *
 * "minimal": { id, type: "call", title, start_time }: nothing promises the external id comes back.
 */
export function listedConversation(rec: ConversationRecord, shape: ListShape = 'full'): Record<string, unknown> {
  return shape === 'minimal' ? minimalConversation(rec) : fullConversation(rec);
}

/** The least a listed conversation plausibly carries; a client cannot recognise its call in it by external id. */
function minimalConversation(rec: ConversationRecord): Record<string, unknown> {
  return { id: rec.id, type: 'call', title: rec.title, start_time: startTime(rec.payload) };
}

function fullConversation(rec: ConversationRecord): Record<string, unknown> {
  const p = rec.payload;
  return {
    id: rec.id,
    external_id: rec.externalId,
    type: 'call',
    title: rec.title,
    start_time: startTime(p),
    end_time: endTime(p),
    duration: duration(p),
    direction: p.call_direction,
    outcome: p.call_outcome ?? null,
    is_stereo: p.call_is_stereo ?? false,
    participant_channel: p.call_participant_channel ?? 'right',
    owner: { id: rec.ownerUserId, email: p.owner_email, name: p.owner_name ?? nameFromEmail(p.owner_email), phone_number: p.owner_phone_number ?? null },
    participant: {
      email: p.participant_email ?? null,
      first_name: p.participant_first_name ?? null,
      last_name: p.participant_last_name ?? null,
      phone_number: p.participant_phone_number ?? null,
      company_name: p.participant_company_name ?? null,
      external_id: p.participant_external_id ?? null,
    },
    created_at: new Date(rec.createdAt).toISOString(),
  };
}

/**
 * The list answer in the configured envelope: a bare array (as the documentation's sample `[{}]`), or
 * Laravel-style `{ data, meta: { total } }` where `total` counts every match, also those a listLimit left out.
 */
export function listAnswer(items: Array<Record<string, unknown>>, total: number, envelope: ListEnvelope): unknown {
  return envelope === 'data' ? { data: items, meta: { total } } : items;
}

function startTime(p: ConversationPayload): string {
  return new Date(p.call_start_time).toISOString();
}

function endTime(p: ConversationPayload): string {
  if (p.call_end_time) return new Date(p.call_end_time).toISOString();
  return new Date(Date.parse(p.call_start_time) + (p.call_duration ?? 0) * 1000).toISOString();
}

function duration(p: ConversationPayload): number {
  if (p.call_duration !== undefined) return p.call_duration;
  return Math.max(0, Math.round((Date.parse(p.call_end_time ?? p.call_start_time) - Date.parse(p.call_start_time)) / 1000));
}

function nameFromEmail(email: string): string {
  const local = email.split('@')[0] ?? email;
  return local
    .split(/[._-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/** "If not provided system will generate name using provided participant information." */
export function generatedTitle(p: ConversationPayload): string {
  if (p.call_title) return p.call_title;
  const name = [p.participant_first_name, p.participant_last_name].filter(Boolean).join(' ');
  const who = name || p.participant_company_name || p.participant_phone_number || p.participant_email;
  return who ? `Call with ${who}` : 'Call';
}

/** The documented list filters, parsed. */
export interface ListFilter {
  search?: string;
  /** YYYY-MM-DD, inclusive, on the call's start date (UTC). */
  start?: string;
  end?: string;
  recordingTypes?: string[];
  userIds?: number[];
  teamIds?: string[];
}

/**
 * Does a conversation match every given filter? (Full text: title, participant, owner, and the external ids
 * unless the list shape is minimal: a server that does not show the external id is not assumed to index it.)
 */
export function matchesFilter(rec: ConversationRecord, filter: ListFilter, seed: Seed, shape: ListShape): boolean {
  const p = rec.payload;
  const day = new Date(p.call_start_time).toISOString().slice(0, 10);
  if (filter.start && day < filter.start) return false;
  if (filter.end && day > filter.end) return false;
  if (filter.recordingTypes?.length && !filter.recordingTypes.includes('call')) return false;
  if (filter.userIds?.length && (rec.ownerUserId === null || !filter.userIds.includes(rec.ownerUserId))) return false;
  if (filter.teamIds?.length) {
    const owner = rec.ownerUserId;
    const inTeam = seed.teams.some((t) => filter.teamIds!.includes(t.id) && owner !== null && t.members.includes(owner));
    if (!inTeam) return false;
  }
  if (filter.search) {
    const words = filter.search.toLowerCase().split(/\s+/).filter(Boolean);
    const externalIds = shape === 'minimal' ? [] : [rec.externalId, p.participant_external_id];
    const haystack = [
      rec.title,
      p.owner_email,
      p.owner_name,
      p.owner_phone_number,
      p.participant_email,
      p.participant_first_name,
      p.participant_last_name,
      p.participant_phone_number,
      p.participant_company_name,
      ...externalIds,
    ].filter((h): h is string => h !== undefined).map((h) => h.toLowerCase());
    // Every word of the query must occur somewhere (full text, not one exact phrase).
    if (!words.every((w) => haystack.some((h) => h.includes(w)))) return false;
  }
  return true;
}
