import type { LedgerRow } from '../ledger/ledger.js';
import type { ReconcileLookupConfig } from './config.js';
import { fieldAt } from './windows.js';

/**
 * Is this call at Dstny? Decided from what the list answers show, by the strongest evidence each listed
 * conversation carries (the list's shape is undocumented: it may carry our external id, or only an id, a title
 * and a start time):
 *
 * 1. the conversation id Dstny answered our POST with → found;
 * 2. our call_external_id in the listed conversation → found; a listed conversation with ANOTHER external id is
 *    certainly not this call;
 * 3. otherwise "what we sent": a listed conversation without an external id whose start time equals our
 *    call_start_time to the second, and whose title equals our call_title when we sent one, is a candidate,
 *    unless another of our rows already owns its conversation id. Exactly one candidate, wanted by no other row
 *    of ours → found. No candidate → absent. Several candidates, or one that two of our rows could be → ambiguous:
 *    never sent again automatically, an operator decides (callbridge confirm / retry).
 *
 * A listed conversation that carries neither an external id nor a readable start time could be any call: rows
 * that nothing else identifies are then ambiguous, never absent.
 */
export type Verdict =
  | { kind: 'found'; conversationId: string | null; by: 'conversation id' | 'external id' | 'start time and title' | 'start time' }
  | { kind: 'absent' }
  | { kind: 'ambiguous'; candidates: string[]; why: string };

type Lookup = Pick<ReconcileLookupConfig, 'idField' | 'externalIdField' | 'startTimeField' | 'titleField'>;

interface Anonymous {
  id: string | undefined;
  /** Whole seconds since the epoch; null when the item shows no readable start time. */
  startSec: number | null;
  title: string | undefined;
}

/** What the list answers of one reconcile run showed. */
export class Sightings {
  private readonly byId = new Map<string, unknown>();
  private readonly byExternalId = new Map<string, string | null>();
  private readonly anonymous = new Map<string, Anonymous>();
  private readonly unreadable: Anonymous[] = [];
  /** Listed conversations, and those that carried the configured external-id field. */
  listed = 0;
  withExternalId = 0;

  constructor(private readonly lookup: Lookup) {}

  add(items: unknown[]): void {
    for (const item of items) {
      this.listed++;
      const id = fieldAt(item, this.lookup.idField);
      if (id !== undefined) {
        if (this.byId.has(id)) continue; // the same conversation from an overlapping window or a search
        this.byId.set(id, item);
      }
      const ext = fieldAt(item, this.lookup.externalIdField);
      if (ext !== undefined) {
        this.withExternalId++;
        if (!this.byExternalId.has(ext)) this.byExternalId.set(ext, id ?? null);
        continue;
      }
      const start = fieldAt(item, this.lookup.startTimeField);
      const ms = start === undefined ? Number.NaN : Date.parse(start);
      const seen: Anonymous = { id, startSec: Number.isNaN(ms) ? null : Math.floor(ms / 1000), title: fieldAt(item, this.lookup.titleField) };
      if (seen.startSec === null || id === undefined) this.unreadable.push(seen);
      else this.anonymous.set(id, seen);
    }
  }

  /** Conversation ids that could be one of these rows by what was sent: ask the ledger which belong to other rows. */
  candidateIds(rows: LedgerRow[]): string[] {
    const ids = new Set<string>();
    for (const row of rows) for (const id of this.candidatesOf(row)) ids.add(id);
    return [...ids];
  }

  /**
   * A verdict for each row. `owned`: conversation id → external id of the row that owns it (from the ledger and
   * from this run); such a conversation is no other row's candidate.
   */
  judge(rows: LedgerRow[], owned: ReadonlyMap<string, string>): Map<string, Verdict> {
    const verdicts = new Map<string, Verdict>();
    const open: LedgerRow[] = [];
    const taken = new Map(owned);
    for (const row of rows) if (row.conversationId) taken.set(row.conversationId, row.externalId);
    for (const row of rows) {
      const found = this.byIdentity(row);
      if (found) verdicts.set(row.externalId, found);
      else open.push(row);
    }
    const candidates = new Map<string, string[]>();
    const wantedBy = new Map<string, number>();
    for (const row of open) {
      const mine = this.candidatesOf(row).filter((id) => (taken.get(id) ?? row.externalId) === row.externalId);
      candidates.set(row.externalId, mine);
      for (const id of mine) wantedBy.set(id, (wantedBy.get(id) ?? 0) + 1);
    }
    for (const row of open) {
      const mine = candidates.get(row.externalId)!;
      if (this.unreadable.length) {
        const ids = [...mine, ...this.unreadable.map((u) => u.id ?? '(no id)')];
        verdicts.set(row.externalId, {
          kind: 'ambiguous',
          candidates: ids.slice(0, 10),
          why: `${this.unreadable.length} listed conversation(s) show neither an external id nor a ${this.unreadable.some((u) => u.id === undefined) ? 'conversation id' : 'start time'}, so any of them could be this call`,
        });
      } else if (mine.length === 0) {
        verdicts.set(row.externalId, { kind: 'absent' });
      } else if (mine.length === 1 && wantedBy.get(mine[0]!) === 1) {
        verdicts.set(row.externalId, { kind: 'found', conversationId: mine[0]!, by: row.payload?.call_title ? 'start time and title' : 'start time' });
      } else {
        const why =
          mine.length > 1
            ? `${mine.length} listed conversations have the same start time${row.payload?.call_title ? ' and title' : ''}`
            : 'another call of ours has the same start time and could be this conversation';
        verdicts.set(row.externalId, { kind: 'ambiguous', candidates: mine.slice(0, 10), why });
      }
    }
    return verdicts;
  }

  /** Found by what identifies the call itself (rules 1 and 2), whatever else the lists hold; null otherwise. */
  byIdentity(row: LedgerRow): Extract<Verdict, { kind: 'found' }> | null {
    if (row.conversationId && this.byId.has(row.conversationId)) return { kind: 'found', conversationId: row.conversationId, by: 'conversation id' };
    if (this.byExternalId.has(row.externalId)) return { kind: 'found', conversationId: this.byExternalId.get(row.externalId) ?? null, by: 'external id' };
    return null;
  }

  private candidatesOf(row: LedgerRow): string[] {
    const sent = row.payload;
    if (!sent) return [];
    const ms = Date.parse(sent.call_start_time);
    if (Number.isNaN(ms)) return [];
    const startSec = Math.floor(ms / 1000);
    const title = sent.call_title?.trim().toLowerCase();
    const out: string[] = [];
    for (const [id, seen] of this.anonymous) {
      if (seen.startSec !== startSec) continue;
      if (title && seen.title !== undefined && seen.title.trim().toLowerCase() !== title) continue;
      out.push(id);
    }
    return out;
  }
}

/** What to search for when a window's list may be cut short: our external id if the list shows it, else what we sent. */
export function searchTermFor(row: LedgerRow, externalIdsListed: boolean): string | null {
  if (externalIdsListed) return row.externalId;
  const p = row.payload;
  return p?.call_title ?? p?.participant_phone_number ?? p?.participant_email ?? null;
}
