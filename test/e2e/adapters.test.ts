/**
 * E2E: the emulator and the bridge as real processes. CDR files of four adapters are dropped into folders and
 * FreeSWITCH posts its CDRs to a bearer-authenticated hook; every recorded call must end `confirmed`, created
 * exactly once in the emulator's own records, and the conversation id in the ledger must be the emulator's.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import { BridgeScene, cliStatus, dropFile, nonZero, REPO, waitUntil } from './support.js';

const fixture = (adapter: string, file: string) => readFileSync(path.join(REPO, 'test/fixtures', adapter, file), 'utf8');

/** The recorded calls of the inputs below (from the fixture files), by adapter. */
const expected = {
  asterisk: ['1714634043.1187', '1714636961.1203', '1714642200.1301', '1714652400.1510'],
  cucm: ['CUCM-STHLM-1-310001', 'CUCM-STHLM-1-310002', 'CUCM-STHLM-1-330001'],
  twilio: ['CA2f9d4b61e08c37a5f1b2d3e4c5a6b7d8', 'CA5e0a7c29d4b61f83e2a5c8b1d4e7f0a3'],
  freeswitch: [
    'c41d7e2a-8f60-4b93-a5c2-1e9d3b7f0a64',
    '6f1c2b4e-3a8d-4c21-9e57-0b2d8f4a1c01',
    '5d2e8b41-9c7f-4a06-b1e3-4f8a2c6d0e99',
    '3c8e1a7f-6d2b-4f90-8e5a-2b7d0c9f4a18',
    '8e4b2f7d-0a6c-4c39-9d1e-3f5b7a9c1e02',
  ],
};
const allExpected = Object.values(expected).flat().sort();
/** asterisk unanswered.csv: 4 unanswered calls; cucm basic-calls.csv: one internal call. */
const expectedSkipped = 5;

const scene = new BridgeScene('callbridge-e2e-adapters-');

afterAll(() => scene.stop());

describe('e2e: drop folders and hooks of several adapters', () => {
  it('every recorded call ends confirmed, created exactly once at the emulator, under the id the emulator gave', async () => {
    const spool = (name: string) => path.join(scene.spool, name);
    for (const name of ['asterisk', 'cucm', 'twilio']) mkdirSync(spool(name), { recursive: true });
    const hookToken = randomBytes(16).toString('hex');
    const drop = { type: 'drop', stableMs: 200, rescanMs: 1_000 };
    await scene.start({
      faults: { appearDelayMs: 300, ratePerSecond: 200 },
      roots: [path.join(REPO, 'test/fixtures/freeswitch-json/recordings')],
      sources: (rec) => [
        {
          ...drop,
          id: 'asterisk',
          adapter: 'asterisk-csv',
          path: spool('asterisk'),
          options: { columns: 'auto', userfieldIsRecording: true, recordingTemplate: `${rec}/asterisk/{yyyy}/{mm}/{dd}/{linkedid}.wav` },
        },
        {
          ...drop,
          id: 'cucm',
          adapter: 'cucm',
          path: spool('cucm'),
          options: {
            recordingTemplate: `${rec}/cucm/{yyyy}/{mm}/{dd}/{globalCallID_callManagerId}-{globalCallID_callId}.wav`,
            channel: 'device',
            skipDevices: ['^REC_SIP_TRUNK$'],
          },
        },
        {
          ...drop,
          id: 'twilio',
          adapter: 'twilio',
          path: spool('twilio'),
          // One callback per line or file: legs are stashed and a call assembled once quiet.
          groupQuietMs: 300,
          flushEveryMs: 200,
          options: { recordingExtension: 'mp3', ownerRule: 'own-numbers', ownNumbers: ['+46850001000', '+46850001001', '+46850001009', 'client:anna'] },
        },
        {
          id: 'freeswitch',
          type: 'hook',
          adapter: 'freeswitch-json',
          auth: { type: 'bearer', token: hookToken },
          groupQuietMs: 300,
          flushEveryMs: 200,
          options: {
            decodeValues: true,
            directionVariable: 'call_direction',
            recording: {
              variables: ['recording_url', 'recording_file', '${record_path}/${record_name}'],
              fromApplications: true,
              pathMap: [{ from: '/var/lib/freeswitch/recordings', to: '.' }],
            },
          },
        },
      ],
    });
    const bridge = scene.bridge;
    const emulator = scene.emulator;
    const recordings = scene.recordings;
    const rec = recordings.url;

    // FreeSWITCH posts: without the token → 401; with it → 200 once the legs are in the ledger.
    const unauthorized = await bridge.postHook('freeswitch', fixture('freeswitch-json', 'inbound-answered.form'), {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(unauthorized.status).toBe(401);
    const auth = { authorization: `Bearer ${hookToken}` };
    const posts: Array<{ body: string; type: string }> = [
      { body: fixture('freeswitch-json', 'inbound-answered.form'), type: 'application/x-www-form-urlencoded' },
      { body: fixture('freeswitch-json', 'outbound-base64.form'), type: 'application/x-www-form-base64-encoded' },
      { body: fixture('freeswitch-json', 'a_8e4b2f7d-0a6c-4c39-9d1e-3f5b7a9c1e02.cdr.json'), type: 'application/json' },
      // One post per leg, as mod_json_cdr sends them; the ring group's recording is on a remote server.
      ...fixture('freeswitch-json', 'bridged-outbound.ndjson').split('\n').filter(Boolean).map((body) => ({ body, type: 'application/json' })),
      ...fixture('freeswitch-json', 'ring-group.ndjson')
        .replaceAll('https://recordings.example.com', rec)
        .split('\n')
        .filter(Boolean)
        .map((body) => ({ body, type: 'application/json' })),
    ];
    for (const post of posts) {
      const res = await bridge.postHook('freeswitch', post.body, { ...auth, 'content-type': post.type });
      expect(`${res.status} ${await res.text()}`).toMatch(/^200 /);
    }

    // Files, written aside and renamed into place (recording hosts pointed at the local recording server).
    for (const f of ['incoming-answered.csv', 'outgoing-18-columns.csv', 'queue-ring-all.csv', 'attended-transfer.csv', 'unanswered.csv']) {
      dropFile(spool('asterisk'), f, fixture('asterisk-csv', f).replaceAll('https://recordings.example.se', rec));
    }
    for (const f of ['basic-calls.csv', 'hunt-group.csv']) dropFile(spool('cucm'), f, fixture('cucm', f));
    dropFile(
      spool('twilio'),
      'inbound-with-recording.form',
      fixture('twilio', 'inbound-with-recording.form').replaceAll('https%3A%2F%2Fapi.twilio.com', encodeURIComponent(rec)),
    );
    dropFile(spool('twilio'), 'outbound-api-recorded.ndjson', fixture('twilio', 'outbound-api-recorded.ndjson').replaceAll('https://api.twilio.com', rec));

    const b = bridge;
    const final = await waitUntil(
      async () => {
        const s = await b.status();
        const c = s.ledger.counts;
        return c.confirmed + c.skipped + c.rejected + c.failed + c.missing === allExpected.length + expectedSkipped ? s : null;
      },
      { timeoutMs: 40_000, what: 'every call to reach a final state', describe: async () => `${JSON.stringify(nonZero((await b.status()).ledger.counts))}\n${b.cli.tail(40)}` },
    );
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: allExpected.length, skipped: expectedSkipped });

    // Exactly once in the emulator's own records, and nothing else was created.
    const stats = await emulator.stats();
    expect(Object.keys(stats.creationsByExternalId ?? {}).sort()).toEqual(allExpected);
    expect(Object.values(stats.creationsByExternalId ?? {}).every((n) => n === 1)).toBe(true);
    expect(stats.conversations).toMatchObject({ accepted: allExpected.length, live: allExpected.length, dropped: 0, duplicates: 0 });
    expect(stats.responses.invalid).toBe(0);
    // Each creation was announced to the bridge's webhook receiver, which answered 2xx.
    await waitUntil(async () => (await emulator!.stats()).webhooks.delivered === allExpected.length, { timeoutMs: 5_000, what: 'webhook deliveries' });
    expect((await emulator.stats()).webhooks).toMatchObject({ failed: 0, gaveUp: 0 });
    // The emulator fetched every remote recording (the local ones it fetched from the bridge: it refuses a URL that is not 200).
    for (const id of expected.asterisk.concat(expected.cucm)) expect(recordings.fetched.some((p) => p.includes(id.replace('CUCM-STHLM-', '')))).toBe(true);
    expect(recordings.fetched.filter((p) => p.includes('/Recordings/'))).toHaveLength(2);
    expect(recordings.fetched.filter((p) => p.includes('3c8e1a7f-6d2b-4f90-8e5a-2b7d0c9f4a18'))).toHaveLength(1);

    // Every file left its drop folder for processed/.
    for (const name of ['asterisk', 'cucm', 'twilio']) {
      expect(readdirSync(spool(name)).filter((f) => !f.startsWith('.') && f !== 'processed' && f !== 'failed')).toEqual([]);
      expect(existsSync(path.join(spool(name), 'failed'))).toBe(false);
    }

    // A clean stop, then the offline view from the ledger (callbridge status --json) says the same.
    expect(await bridge.cli.stop()).toEqual({ code: 0, signal: null });
    const offline = await cliStatus(scene.configFile);
    expect(nonZero(offline.ledger.counts)).toEqual({ confirmed: allExpected.length, skipped: expectedSkipped });

    // The ledger holds, per call, the conversation id the emulator created.
    const ledger = await openSqliteLedger(scene.ledgerFile);
    try {
      const rows = await ledger.query({ states: ['confirmed'] });
      const listed = await emulator.conversations();
      const emulatorId = new Map(listed.map((c) => [c.external_id, c.id]));
      expect(rows.map((r) => r.externalId).sort()).toEqual(allExpected);
      for (const row of rows) expect({ id: row.externalId, conversation: row.conversationId }).toEqual({ id: row.externalId, conversation: emulatorId.get(row.externalId) });
    } finally {
      await ledger.close();
    }
  }, 90_000);
});
