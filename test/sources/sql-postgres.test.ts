import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallRecord } from '../../adapters/call-record.js';
import type { LedgerRow } from '../../src/ledger/ledger.js';
import { SqlRunner } from '../../src/sources/sql.js';
import { parseSqlCheckpoint, sqlCheckpointKey } from '../../src/sources/sql/window.js';
import { PostgresServer } from '../support/postgres.js';
import { loadConfig } from '../../src/config/load.js';
import { parse as parseYaml } from 'yaml';
import { callShape, detectText, legFileRows, masterCsvRows, messages, rowsOf, sqlParts, sqlSourceOf } from './sql-support.js';
import { waitFor } from './support.js';

const FIXTURE = path.resolve('test/fixtures/freepbx-real');
const PASSWORD = 'pg-Reader-pw-4412';
let db: PostgresServer;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  db = await PostgresServer.create();
  // The cdr_pgsql table as pg_dump wrote it (no index: cdr_pgsql's documented table has none).
  await db.load(path.join(FIXTURE, 'asterisk-pgsql.sql'), 'asterisk');
  await db.readOnlyUser('callbridge', PASSWORD, 'asterisk', 'public.cdr');
  // FusionPBX's v_xml_cdr (its documented columns and indexes), filled from the real FreeSWITCH legs of freeswitch-real.
  await db.load('test/fixtures/fusionpbx/v_xml_cdr.sql', 'fusionpbx');
  await db.readOnlyUser('callbridge', PASSWORD, 'fusionpbx', 'public.v_xml_cdr');
}, 60_000);

afterAll(async () => {
  await db?.destroy();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A body with its signed recording link replaced by what the link serves (`{"id": …, "exp": …}.signature`). */
function withLinkId(payload: LedgerRow['payload']): unknown {
  if (!payload) return payload;
  const token = payload.call_recording_url.split('/recordings/')[1]?.split('.')[0] ?? '';
  return { ...payload, call_recording_url: (JSON.parse(Buffer.from(token, 'base64url').toString()) as { id: string }).id };
}

async function parts(fields: Record<string, unknown> = {}) {
  const p = await sqlParts(sqlSourceOf({ url: db.url('callbridge', PASSWORD, 'asterisk'), profile: 'asterisk-pgsql', ...fields }));
  cleanups.push(p.cleanup);
  return p;
}

describe("an sql source on Asterisk's cdr_pgsql table (real PostgreSQL, the rows a real Asterisk wrote)", () => {
  it('reads the same calls as the same PBX Master.csv gives, its timestamptz read as the instants they are', async () => {
    const table = await parts();
    await table.runner.pollNow();
    await table.settle();
    // cdr_pgsql's table has no index: the source says which column wants one.
    expect(messages(table.lines).filter((l) => l.includes('whole table'))).toEqual([expect.stringMatching(/^asterisk\.cdr on 127\.0\.0\.1:\d+: every poll reads the whole table.*ADD INDEX \(calldate\)/)]);

    const fromTable = new Map((await rowsOf(table.ledger)).map((r) => [r.externalId, r]));
    const fromCsv = await masterCsvRows(path.join(FIXTURE, 'Master.csv'));
    expect([...fromTable.keys()].sort()).toEqual([...fromCsv.keys()].sort());
    expect(fromTable.size).toBe(10);
    for (const [id, csvRow] of fromCsv) {
      const tableRow = fromTable.get(id)!;
      // Master.csv is the PBX's wall clock (CET); the table gives instants, spelled in UTC. From instants the
      // adapter also knows the call's length (durationSec), which it cannot tell from wall-clock times.
      const { durationSec, ...instants } = callShape(tableRow) as { durationSec?: number };
      expect({ id, call: instants }).toEqual({ id, call: callShape(csvRow, 'Europe/Stockholm') });
      expect(durationSec).toBe((Date.parse((tableRow.raw as CallRecord).endTime!) - Date.parse((tableRow.raw as CallRecord).startTime)) / 1000);
      expect({ id, state: tableRow.state, reason: tableRow.reason }).toEqual({ id, state: csvRow.state, reason: csvRow.reason });
    }
    expect((fromTable.get('pbx4-1796591228.0')!.raw as CallRecord).startTime).toBe('2026-12-06T21:07:08Z');
    expect(parseSqlCheckpoint(await table.ledger.getCheckpoint(sqlCheckpointKey('pbx4'))).at).toBe('2026-12-06 21:09:39+00');
  }, 60_000);

  it('with an index on calldate, finds a call committed late and takes nothing twice', async () => {
    await db.sql('CREATE TABLE IF NOT EXISTS late (LIKE cdr INCLUDING ALL); CREATE INDEX IF NOT EXISTS late_calldate ON late (calldate); GRANT SELECT ON late TO callbridge', 'asterisk');
    const table = await parts({ table: 'late' });
    const copy = (n: number, at: string) =>
      `INSERT INTO late SELECT '${at}'::timestamptz + (calldate - '2026-12-06 22:07:08+01'), clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata,
        duration, billsec, disposition, amaflags, accountcode, replace(uniqueid, '1796591228.', '${1796700000 + n}.'), userfield, peeraccount,
        replace(linkedid, '1796591228.', '${1796700000 + n}.'), sequence FROM cdr WHERE linkedid = 'pbx4-1796591228.0'`;
    const slow = db.client('asterisk');
    await slow.connect();
    cleanups.push(() => slow.end());
    await slow.query('BEGIN');
    await slow.query(copy(1, '2026-12-07 10:00:00+01'));
    await db.sql(copy(2, '2026-12-07 10:00:30+01'), 'asterisk');
    await table.runner.pollNow();
    await slow.query('COMMIT');
    await table.runner.pollNow();
    await table.runner.pollNow();
    await table.settle();
    expect(messages(table.lines).filter((l) => l.includes('whole table'))).toEqual([]);
    const rows = await rowsOf(table.ledger);
    expect(rows.map((r) => [r.externalId, (r.raw as CallRecord).legs, r.createdAt === r.updatedAt]).sort()).toEqual([
      ['pbx4-1796700001.0', 3, true],
      ['pbx4-1796700002.0', 3, true],
    ]);
  }, 60_000);

  it('names a wrong password, a missing table and a renamed column plainly, and reads again once the server is back', async () => {
    const wrong = new SqlRunner(sqlSourceOf({ url: db.url('callbridge', 'not-the-password', 'asterisk'), profile: 'asterisk-pgsql' }), {
      ingestor: {} as never,
      ledger: { getCheckpoint: async () => null } as never,
    });
    await wrong.pollNow();
    expect(wrong.lastProblem).toMatch(/^reading failed, will retry: asterisk\.cdr on 127\.0\.0\.1:\d+: the server refused user "callbridge" \(wrong password/);
    await wrong.stop();

    const missing = await parts({ table: 'no_such_table' });
    await missing.runner.pollNow();
    expect(missing.runner.lastProblem).toMatch(/asterisk\.no_such_table on .*: the table does not exist/);

    await db.sql('CREATE TABLE IF NOT EXISTS renamed (LIKE cdr); ALTER TABLE renamed RENAME COLUMN calldate TO start; GRANT SELECT ON renamed TO callbridge', 'asterisk');
    const renamed = await parts({ table: 'renamed' });
    await renamed.runner.pollNow();
    expect(renamed.runner.lastProblem).toMatch(/asterisk\.renamed on .*: the table has no column calldate \(renamed by an upgrade\?\)/);

    const table = await parts({ pollMs: 50 });
    await table.runner.start();
    await waitFor('the first poll', async () => (await table.ledger.getCheckpoint(sqlCheckpointKey('pbx4'))) !== null, 20_000);
    await db.stop();
    await waitFor('the stopped server reported', () => /nothing answers there|connection failed|shutting down/.test(table.runner.lastProblem ?? ''), 20_000);
    await db.start();
    await waitFor('reading again', () => table.runner.lastProblem === null, 40_000);
    for (const r of [wrong, missing.runner, renamed.runner, table.runner]) expect(r.lastProblem ?? '').not.toContain(PASSWORD);
    for (const lines of [missing.lines, renamed.lines, table.lines]) expect(lines.join('\n')).not.toContain(PASSWORD);
  }, 120_000);
});

describe("an sql source on FusionPBX's v_xml_cdr (real PostgreSQL, the legs a real FreeSWITCH wrote)", () => {
  const FS = path.resolve('test/fixtures/freeswitch-real');
  // The sample's own configuration: its PBX's numbers and owners, the recordings folder mapped.
  const config = loadConfig(path.join(FS, 'callbridge.yaml'), {}).config;
  const fsOptions = config.sources.find((s) => s.id === 'fs-json')!.options;

  it('reads the json column as the same calls the mod_json_cdr files give, walking insert_date', async () => {
    // groupQuietMs 0: no memory of calls assembled a moment ago stands in for the checkpoint's (see the update below).
    const table = await sqlParts(sqlSourceOf({ url: db.url('callbridge', PASSWORD, 'fusionpbx'), profile: 'fusionpbx', options: fsOptions, groupQuietMs: 0 }), {
      normalize: config.normalize,
      roots: config.recordings.roots,
    });
    cleanups.push(table.cleanup);
    await table.runner.pollNow();
    await table.settle();
    // FusionPBX does not index insert_date: the source says so.
    expect(messages(table.lines).filter((l) => l.includes('whole table'))).toEqual([expect.stringContaining('ADD INDEX (insert_date)')]);

    const dir = path.join(FS, 'json_cdr');
    const files = readdirSync(dir).map((f) => path.join(dir, f));
    const fromFiles = await legFileRows(files, 'freeswitch-json', fsOptions, { normalize: config.normalize, roots: config.recordings.roots });
    const fromTable = new Map((await rowsOf(table.ledger)).map((r) => [r.externalId, r]));
    // 50 legs; the ten calls of the sample's README are 13 records as the freeswitch-json adapter reads them.
    expect(fromTable.size).toBe(13);
    expect([...fromTable.keys()].sort()).toEqual([...fromFiles.keys()].sort());
    for (const [id, fileRow] of fromFiles) {
      const tableRow = fromTable.get(id)!;
      expect({ id, call: callShape(tableRow), recording: (tableRow.raw as CallRecord).recording }).toEqual({ id, call: callShape(fileRow), recording: (fileRow.raw as CallRecord).recording });
      // The bodies, their recording links named by the call they serve (each link's expiry is its own signing time's).
      expect({ id, state: tableRow.state, reason: tableRow.reason, payload: withLinkId(tableRow.payload) }).toEqual({ id, state: fileRow.state, reason: fileRow.reason, payload: withLinkId(fileRow.payload) });
    }
    expect([...fromTable.values()].filter((r) => r.state === 'pending').length).toBeGreaterThan(3);

    // FusionPBX updates its rows later (processed, update_date): a row read again is still the leg taken before, not
    // one more leg of its call (alone, it would make a call of one leg and replace the whole one).
    await db.sql('UPDATE v_xml_cdr SET processed = true, update_date = now() WHERE xml_cdr_uuid = (SELECT xml_cdr_uuid FROM v_xml_cdr ORDER BY insert_date DESC LIMIT 1)', 'fusionpbx');
    await table.runner.pollNow();
    await table.settle();
    expect((await rowsOf(table.ledger)).map((r) => [r.externalId, r.updatedAt])).toEqual([...fromTable.values()].map((r) => [r.externalId, r.updatedAt]));
    expect(await table.ledger.quietGroups('pbx4', Number.MAX_SAFE_INTEGER)).toEqual([]);
    expect((fromTable.values().next().value!.raw as CallRecord).location).toMatch(/^fusionpbx\.v_xml_cdr:2026-12-06 \d\d:\d\d:\d\d\+00$/);
  }, 60_000);

  it('reads a query instead of the table: the same calls', async () => {
    const read = async (fields: Record<string, unknown>) => {
      const p = await sqlParts(sqlSourceOf({ url: db.url('callbridge', PASSWORD, 'fusionpbx'), profile: 'fusionpbx', options: fsOptions, ...fields }), { normalize: config.normalize, roots: config.recordings.roots });
      cleanups.push(p.cleanup);
      await p.runner.pollNow();
      await p.settle();
      expect(p.runner.lastProblem).toBeNull();
      return (await rowsOf(p.ledger)).map((r) => [r.externalId, r.state, callShape(r)]);
    };
    const fromQuery = await read({ query: 'SELECT * FROM v_xml_cdr WHERE json IS NOT NULL' });
    expect(fromQuery).toHaveLength(13);
    expect(fromQuery).toEqual(await read({}));
  }, 60_000);

  it('names a row without its document, and reads the others', async () => {
    await db.sql('CREATE TABLE IF NOT EXISTS partial AS SELECT * FROM v_xml_cdr; UPDATE partial SET json = NULL WHERE leg = \'b\' AND ctid IN (SELECT ctid FROM partial WHERE leg = \'b\' LIMIT 1); GRANT SELECT ON partial TO callbridge', 'fusionpbx');
    const table = await sqlParts(sqlSourceOf({ url: db.url('callbridge', PASSWORD, 'fusionpbx'), profile: 'fusionpbx', table: 'partial', options: fsOptions }), { normalize: config.normalize });
    cleanups.push(table.cleanup);
    await table.runner.pollNow();
    await table.settle();
    expect(messages(table.lines).filter((l) => l.includes('json: empty'))).toEqual([expect.stringMatching(/^fusionpbx\.partial:2026-12-06 [\d:]+\+00: json: empty; only rows with the mod_json_cdr document/)]);
    expect((await rowsOf(table.ledger)).length).toBe(13);
  }, 60_000);
});

describe('callbridge detect on PostgreSQL', () => {
  it("tells FusionPBX's v_xml_cdr from Asterisk's cdr_pgsql table, and a database with neither", async () => {
    const fusion = await detectText([db.url('callbridge', PASSWORD, 'fusionpbx')]);
    expect(fusion.stderr).toMatch(/fusionpbx\.v_xml_cdr on 127\.0\.0\.1:\d+: fusionpbx \((sure|likely)\)/);
    expect(fusion.code).toBe(0);
    expect(parseYaml(fusion.stdout)).toMatchObject({ sources: [{ type: 'sql', profile: 'fusionpbx', url: `postgres://callbridge:\${CDR_DB_PASSWORD}@127.0.0.1:${db.port}/fusionpbx` }] });
    // FusionPBX does not index insert_date: the evidence says so.
    expect(fusion.stdout).toContain('no index on insert_date');

    const asterisk = await detectText([db.url('callbridge', PASSWORD, 'asterisk')]);
    expect(asterisk.stderr).toMatch(/asterisk\.cdr on 127\.0\.0\.1:\d+: asterisk-pgsql \(sure\)/);
    expect(parseYaml(asterisk.stdout)).toMatchObject({ sources: [{ profile: 'asterisk-pgsql' }], normalize: { internalNumbers: ['^\\d{4}$'] } });

    const none = await detectText([db.url('test', '', 'postgres')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('not recognised: no table could be read');
    for (const out of [fusion, asterisk, none]) expect(out.stdout + out.stderr).not.toContain(PASSWORD);
  }, 60_000);
});
