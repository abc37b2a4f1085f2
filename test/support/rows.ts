import { documentedSample, type ConversationPayload } from '../../src/dstny/payload.js';
import type { NewRow } from '../../src/ledger/ledger.js';

/** A valid API body for call `id`. */
export function payloadFor(id: string, overrides: Partial<ConversationPayload> = {}): ConversationPayload {
  return { ...documentedSample, call_recording_url: `https://recordings.example.com/${id}.wav`, call_external_id: id, ...overrides };
}

/** A pending ledger row for call `id`. */
export function pendingRow(id: string, overrides: Partial<NewRow> = {}): NewRow {
  return {
    externalId: id,
    sourceId: 'test',
    location: `test.csv:${id}`,
    state: 'pending',
    raw: { externalId: id, note: 'raw record' },
    payload: payloadFor(id),
    ...overrides,
  };
}
