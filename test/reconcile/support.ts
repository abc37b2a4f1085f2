import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { documentedSample, type ConversationPayload } from '../../src/dstny/payload.js';
import type { EmulatorHandle } from '../../src/emulator/index.js';
import type { Ledger, LedgerRow } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import type { ConversationLookup } from '../../src/reconcile/reconciler.js';

export interface TempLedger {
  ledger: Ledger;
  dir: string;
  cleanup(): Promise<void>;
}

/** The real SQLite ledger on a file in a fresh temp dir. */
export async function tempLedger(): Promise<TempLedger> {
  const dir = mkdtempSync(path.join(tmpdir(), 'callbridge-reconcile-'));
  const ledger = await openSqliteLedger(path.join(dir, 'ledger.db'));
  return {
    ledger,
    dir,
    cleanup: async () => {
      await ledger.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function callPayload(externalId: string, startTime: string, recordingBase: string): ConversationPayload {
  return {
    ...documentedSample,
    call_external_id: externalId,
    call_start_time: startTime,
    call_end_time: new Date(Date.parse(startTime) + 60_000).toISOString(),
    call_duration: 60,
    call_recording_url: `${recordingBase}/rec/${externalId}.wav`,
  };
}

/** Put pending rows into the ledger. */
export async function putPending(ledger: Ledger, payloads: ConversationPayload[]): Promise<void> {
  const results = await ledger.put(
    payloads.map((p) => ({ externalId: p.call_external_id, sourceId: 'test', location: `test:${p.call_external_id}`, state: 'pending' as const, raw: { id: p.call_external_id }, payload: p })),
  );
  if (results.some((r) => r.outcome !== 'inserted')) throw new Error(`put: ${JSON.stringify(results)}`);
}

/**
 * What the submitter does, in its simplest form: claim due rows, POST them to the emulator and record
 * `submitted` with the conversation id at `submittedAt`. Used to bring rows into the state the
 * reconciler works on, through the real API.
 */
export async function submitDue(ledger: Ledger, emu: Pick<EmulatorHandle, 'url' | 'token'>, submittedAt: number): Promise<LedgerRow[]> {
  const claimed = await ledger.claimDue({ now: Date.now() + 1, limit: 10_000, owner: 'test-submitter', leaseMs: 60_000 });
  for (const row of claimed) {
    const res = await fetch(`${emu.url}/api/v2/conversations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${emu.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(row.payload),
    });
    if (res.status !== 200) throw new Error(`submit ${row.externalId}: HTTP ${res.status} ${await res.text()}`);
    const { conversation_id } = (await res.json()) as { conversation_id: string };
    const ok = await ledger.update(
      row.externalId,
      { state: 'submitted', conversationId: conversation_id, submittedAt, leaseOwner: null, leaseUntil: null, attempts: 'increment' },
      { states: ['submitting'], leaseOwner: 'test-submitter' },
    );
    if (!ok) throw new Error(`submit ${row.externalId}: row moved on`);
  }
  return claimed;
}

/**
 * A minimal Dstny look-up client over real HTTP (fetch), shaped like src/dstny/client.ts: array params
 * go as `name[]=v`, a 404 from getByPath is null, any other non-2xx throws.
 */
export function fetchLookup(emu: Pick<EmulatorHandle, 'url' | 'token'>): ConversationLookup & { calls: string[] } {
  const calls: string[] = [];
  const get = async (pathAndQuery: string): Promise<Response> => {
    calls.push(pathAndQuery);
    return fetch(`${emu.url}/${pathAndQuery}`, { headers: { authorization: `Bearer ${emu.token}` } });
  };
  return {
    calls,
    async listConversations(query) {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (Array.isArray(v)) for (const item of v) search.append(`${k}[]`, item);
        else search.append(k, v);
      }
      const res = await get(`api/v2/conversations?${search.toString()}`);
      if (!res.ok) throw new Error(`list: HTTP ${res.status}`);
      return (await res.json()) as unknown[];
    },
    async getByPath(p) {
      const res = await get(p);
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`get ${p}: HTTP ${res.status}`);
      return (await res.json()) as unknown;
    },
  };
}
