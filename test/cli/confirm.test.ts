import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { stringify } from 'yaml';
import { runConfirm } from '../../src/cli/confirm.js';
import { runRetry } from '../../src/cli/retry.js';
import { loadConfig } from '../../src/config/load.js';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { ledgerFile } from '../../src/ledger/open.js';
import { pendingRow } from '../support/rows.js';
import { capture } from '../support/capture.js';
import { tempDir } from '../support/tmp.js';


/** An operator settles calls the reconciler kept because several Dstny conversations could be them. */
describe('callbridge confirm, and retry of a verify row', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;

  beforeEach(async () => {
    tmp = tempDir('callbridge-cli-confirm-');
    file = path.join(tmp.dir, 'callbridge.yaml');
    writeFileSync(file, stringify({ dataDir: path.join(tmp.dir, 'data'), sources: [], normalize: { timezone: 'Europe/Stockholm' } }));
    const ledger = await openSqliteLedger(ledgerFile(loadConfig(file).config));
    await ledger.put(['twin-a', 'twin-b', 'done', 'fresh'].map((id) => pendingRow(id)));
    for (const id of ['twin-a', 'twin-b']) await ledger.update(id, { state: 'verify', reason: 'needs an operator: 2 listed conversations have the same start time (c-1, c-2)' });
    await ledger.update('done', { state: 'confirmed', conversationId: 'c-1' });
    await ledger.close();
  });
  afterEach(() => tmp.cleanup());

  const row = async (id: string) => {
    const ledger = await openSqliteLedger(ledgerFile(loadConfig(file).config));
    try {
      return await ledger.get(id);
    } finally {
      await ledger.close();
    }
  };

  it('confirm marks the call delivered under the given conversation, sending nothing', async () => {
    expect(await capture((out) => runConfirm(file, out, { externalId: 'twin-a', conversationId: 'c-2' }))).toEqual({ code: 0, text: 'twin-a: confirmed as conversation c-2\n' });
    expect(await row('twin-a')).toMatchObject({ state: 'confirmed', conversationId: 'c-2', reason: 'confirmed by an operator', confirmedAt: expect.any(Number) });
  });

  it('refuses a conversation another call owns, an unknown call, and a call not in doubt', async () => {
    const owned = await capture((out) => runConfirm(file, out, { externalId: 'twin-a', conversationId: 'c-1' }));
    expect(owned).toEqual({ code: 1, text: 'conversation c-1 already belongs to call done (confirmed); not confirmed\n' });
    expect((await row('twin-a'))!.state).toBe('verify');
    expect(await capture((out) => runConfirm(file, out, { externalId: 'nope', conversationId: 'c-9' }))).toEqual({ code: 1, text: 'no call with external id "nope" in the ledger\n' });
    const pending = await capture((out) => runConfirm(file, out, { externalId: 'fresh', conversationId: 'c-9' }));
    expect(pending.code).toBe(1);
    expect(pending.text).toContain('fresh is pending: only verify, submitted, missing calls can be confirmed by hand');
  });

  it('retry --state verify sends the chosen call again; the other stays kept', async () => {
    const r = await capture((out) => runRetry(file, out, { states: ['verify'], ids: ['twin-b'] }));
    expect(r.code).toBe(0);
    expect(r.text).toContain('twin-b: verify → pending (will be sent again)');
    expect(r.text).toContain('1 call(s) queued to be sent again: 1 verify resent\n');
    expect(await row('twin-b')).toMatchObject({ state: 'pending', attempts: 0 });
    expect((await row('twin-a'))!.state).toBe('verify');
  });
});
