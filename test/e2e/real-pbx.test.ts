/**
 * E2E over real PBX output, dropped into the folders of one running bridge configured the way a new user would
 * (adapter defaults, time zone, internal numbers, owners):
 * - the Master.csv a real Asterisk 22 wrote (queues, ring groups, transfers, AMI click-to-call, all on Local
 *   channels): every answered outside call created exactly once at the emulator, with the body the README's ground
 *   truth gives and the caller row's recording (which the emulator fetches from the bridge), every other call
 *   skipped with its reason;
 * - the 50 mod_json_cdr files a real FreeSWITCH 1.10.12 wrote for ten calls, one file per leg: each answered call
 *   created once, owned by the internal party who answered it.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { parse as parseYaml } from 'yaml';
import { openSqliteLedger } from '../../src/ledger/sqlite.js';
import type { CallRecord } from '../../adapters/call-record.js';
import { REAL_CONFIG, REAL_DIR, REAL_MASTER, SENT, SKIPPED } from '../adapters/asterisk-real-truth.js';
import { BridgeScene, dropFile, nonZero, REPO, waitUntil } from './support.js';

const scene = new BridgeScene('callbridge-e2e-real-pbx-');
afterAll(() => scene.stop());

const FS_DIR = path.join(REPO, 'test/fixtures/freeswitch-real');

/** The ten FreeSWITCH calls (test/fixtures/freeswitch-real/README.md): who answered each call that was answered. */
const FS_ANSWERED: Record<string, string> = {
  'a6caeed6-e329-44d7-8a05-9061ff1d8200': 'sara.lund@kustvind.example', // B1 inbound to 5003
  '8fb0e1e1-65db-46d9-80cf-5fa621cd0719': 'nils.forsberg@kustvind.example', // B2 5001 calls out
  'a5f2de60-cc65-400b-80ab-b6747e85ecf9': 'ida.sjoberg@kustvind.example', // B3 ring group, 5002 answers
  '53db8ca3-10ec-4a26-a6df-e70eb171969c': 'ahmed.karimi@kustvind.example', // B6 5004 answers, blind transfer to 5001
  'fecf2006-5cc0-4238-9a8a-3d106e7a73d6': 'ida.sjoberg@kustvind.example', // B7 the caller name with a comma, to 5002
  '5be7fe6f-95bc-4559-9c73-f4314855ec1e': 'nils.forsberg@kustvind.example', // B8 5001 answers, attended transfer to 5004
  'edc6b344-9fe3-4384-92ff-0ddeef07e5b8': 'johanna.wester@kustvind.example', // B9 5005's follow-me to her mobile
  '25de33b9-6465-455e-8f9a-99ba30412bb1': 'sara.lund@kustvind.example', // B10 queue, agent 5003 takes it
};
/**
 * B4 (no answer) and B5 (busy), and three rows of legs that no file ties to their call: the B8 consultation call
 * (an internal call of its own), and the far halves of B9's and B10's loopback pairs (artefacts of a test PBX that
 * plays every phone with a loopback pair).
 */
const FS_SKIPPED = 5;

/** The fixture config's normalize section and source options: what the user wrote. */
const userConfig = parseYaml(readFileSync(path.join(REPO, REAL_CONFIG), 'utf8')) as {
  normalize: Record<string, unknown>;
  sources: Array<{ timezone: string; options: Record<string, unknown> }>;
};

describe('e2e: real Asterisk and FreeSWITCH CDRs through drop folders', () => {
  it('every answered outside call is created once with the ground-truth body; the rest are skipped with their reasons', async () => {
    const folder = (name: string) => {
      const dir = path.join(scene.spool, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    };
    const fsConfig = parseYaml(readFileSync(path.join(FS_DIR, 'callbridge.yaml'), 'utf8')) as typeof userConfig & { normalize: { internalNumbers: string[]; owners: { map: object } } };
    const asterisk = userConfig.normalize as { internalNumbers: string[]; owners: { map: object } };
    await scene.start({
      faults: { appearDelayMs: 300, ratePerSecond: 200 },
      roots: [path.join(REPO, REAL_DIR, 'rec'), path.join(FS_DIR, 'recordings')],
      overrides: {
        normalize: {
          ...userConfig.normalize,
          // Both PBXs' extensions and people (the zone and the country are the same).
          internalNumbers: [...asterisk.internalNumbers, ...fsConfig.normalize.internalNumbers],
          owners: { map: { ...asterisk.owners.map, ...fsConfig.normalize.owners.map } },
        },
      },
      sources: () => [
        { id: 'asterisk', type: 'drop', adapter: 'asterisk-csv', path: folder('asterisk'), stableMs: 200, rescanMs: 1_000, timezone: userConfig.sources[0]?.timezone, options: userConfig.sources[0]?.options },
        {
          id: 'freeswitch',
          type: 'drop',
          adapter: 'freeswitch-json',
          path: folder('freeswitch'),
          stableMs: 200,
          rescanMs: 1_000,
          groupQuietMs: 1_000,
          flushEveryMs: 200,
          options: fsConfig.sources[0]?.options,
        },
      ],
    });
    dropFile(folder('asterisk'), 'Master.csv', readFileSync(path.join(REPO, REAL_MASTER)));
    const fsFiles = readdirSync(path.join(FS_DIR, 'json_cdr')).sort();
    expect(fsFiles).toHaveLength(50);
    for (const file of fsFiles) dropFile(folder('freeswitch'), file, readFileSync(path.join(FS_DIR, 'json_cdr', file)));

    const b = scene.bridge;
    const total = SENT.length + SKIPPED.length + Object.keys(FS_ANSWERED).length + FS_SKIPPED;
    const final = await waitUntil(
      async () => {
        const s = await b.status();
        const c = s.ledger.counts;
        return c.confirmed + c.skipped + c.rejected + c.failed + c.missing === total ? s : null;
      },
      { timeoutMs: 40_000, what: 'every call to reach a final state', describe: async () => `${JSON.stringify(nonZero((await b.status()).ledger.counts))}\n${b.cli.tail(40)}` },
    );
    expect(nonZero(final.ledger.counts)).toEqual({ confirmed: SENT.length + Object.keys(FS_ANSWERED).length, skipped: SKIPPED.length + FS_SKIPPED });

    // Created exactly once each, and nothing else; the emulator fetched each recording link (it refuses one that is not 200).
    const stats = await scene.emulator.stats();
    const ids = [...SENT.map((t) => t.payload.call_external_id as string), ...Object.keys(FS_ANSWERED)].sort();
    expect(stats.creationsByExternalId).toEqual(Object.fromEntries(ids.map((id) => [id, 1])));
    expect(stats.responses.invalid).toBe(0);

    expect(await b.cli.stop()).toEqual({ code: 0, signal: null });
    const ledger = await openSqliteLedger(scene.ledgerFile);
    try {
      const rows = await ledger.query({ states: ['confirmed', 'skipped'] });
      const byId = new Map(rows.map((r) => [r.externalId, r]));
      for (const truth of SENT) {
        const row = byId.get(truth.payload.call_external_id as string);
        const { call_recording_url: url, ...payload } = (row?.payload ?? {}) as Record<string, unknown>;
        expect({ scenario: truth.scenario, payload }).toEqual({ scenario: truth.scenario, payload: truth.payload });
        expect(url).toMatch(new RegExp(`^${b.url}/recordings/`));
        expect({ scenario: truth.scenario, recording: (row?.raw as CallRecord).recording?.path }).toEqual({
          scenario: truth.scenario,
          recording: `./2026/12/06/${truth.recording}`,
        });
      }
      for (const [id, owner] of Object.entries(FS_ANSWERED)) expect({ id, owner: byId.get(id)?.payload?.owner_email }).toEqual({ id, owner });
      const skipped = rows.filter((r) => r.state === 'skipped' && r.sourceId === 'asterisk').map((r) => [r.location, r.reason]);
      expect(skipped.sort()).toEqual(SKIPPED.map((s) => [`${path.join(folder('asterisk'), 'Master.csv')}:${s.line}`, s.reason]).sort());
    } finally {
      await ledger.close();
    }
  }, 90_000);
});
