import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DstnyClient } from '../../src/dstny/client.js';
import { documentedSample, type ConversationPayload } from '../../src/dstny/payload.js';
import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { type EmulatorHandle, startEmulator } from '../../src/emulator/index.js';
import type { Ledger, LedgerRow } from '../../src/ledger/ledger.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { startRecordingServer, type TestServer } from '../emulator/support.js';

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
  const client = clientFor(emu);
  const claimed = await ledger.claimDue({ now: Date.now() + 1, limit: 10_000, owner: 'test-submitter', leaseMs: 60_000 });
  for (const row of claimed) {
    const { conversationId } = await client.createConversation(row.payload!);
    const ok = await ledger.update(
      row.externalId,
      { state: 'submitted', conversationId, submittedAt, leaseOwner: null, leaseUntil: null, attempts: 'increment' },
      { states: ['submitting'], leaseOwner: 'test-submitter' },
    );
    if (!ok) throw new Error(`submit ${row.externalId}: row moved on`);
  }
  return claimed;
}

/** The real Dstny client pointed at the emulator (got over loopback). */
export function clientFor(emu: Pick<EmulatorHandle, 'url' | 'token'>, token = emu.token): DstnyClient {
  return new DstnyClient({ baseUrl: emu.url, token, timeoutMs: 5_000 });
}

/**
 * A row whose request was in doubt: claimed and started by a process that then died (or whose answer was lost),
 * recovered as `verify`. With `reachedDstny` the POST did create the conversation first.
 */
export async function inDoubt(ledger: Ledger, emu: Pick<EmulatorHandle, 'url' | 'token'>, payload: ConversationPayload, reachedDstny: boolean): Promise<void> {
  const externalId = payload.call_external_id;
  await putPending(ledger, [payload]);
  const claimed = await ledger.claimDue({ now: Date.now() + 1, limit: 10_000, owner: 'dead-process', leaseMs: 1 });
  if (!claimed.some((r) => r.externalId === externalId)) throw new Error(`inDoubt: ${externalId} was not claimed`);
  if (!(await ledger.update(externalId, { sendingAt: Date.now() }, { states: ['submitting'], leaseOwner: 'dead-process' }))) throw new Error('inDoubt: lease lost');
  if (reachedDstny) await clientFor(emu).createConversation(payload);
  await new Promise((r) => setTimeout(r, 5));
  await ledger.recoverExpiredLeases(Date.now());
  const row = await ledger.get(externalId);
  if (row?.state !== 'verify') throw new Error(`inDoubt: ${externalId} is ${row?.state}, not verify`);
}

/**
 * Per test: an emulator that creates at once and a fresh temp ledger; per file: a server for the recordings the
 * payloads link to. Read the parts through the returned object (they are replaced before each test).
 */
export function reconcileScene(): { readonly emu: EmulatorHandle; readonly t: TempLedger; readonly recordings: TestServer } {
  const scene = {} as { emu: EmulatorHandle; t: TempLedger; recordings: TestServer };
  beforeAll(async () => {
    scene.recordings = await startRecordingServer();
  });
  afterAll(async () => {
    await scene.recordings.close();
  });
  beforeEach(async () => {
    scene.emu = await startEmulator({ appearDelayMs: 0, ratePerSecond: 10_000, fetchRecordings: false });
    scene.t = await tempLedger();
  });
  afterEach(async () => {
    await scene.emu.close();
    await scene.t.cleanup();
  });
  return scene;
}
