import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallRecord } from '../../adapters/call-record.js';
import type { LedgerRow } from '../../src/ledger/ledger.js';
import { SqlRunner } from '../../src/sources/sql.js';
import { parseSqlCheckpoint, sqlCheckpointKey } from '../../src/sources/sql/window.js';
import { PostgresServer } from '../support/postgres.js';
import { loadConfig } from '../../src/config/load.js';
import { checkSqlSources } from '../../src/config/checks-sources.js';
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
  // A current FusionPBX (cdr.format json, cdr.storage db): v_xml_cdr.json empty, each leg's CDR in v_xml_cdr_json as
  // PHP's json_encode() of the mod_xml_cdr file (made by PHP itself: test/fixtures/fusionpbx/make-v_xml_cdr_json.php).
  await db.load('test/fixtures/fusionpbx/v_xml_cdr.sql', 'fusionpbx_now');
  await db.load('test/fixtures/fusionpbx/v_xml_cdr_json.sql', 'fusionpbx_now');
  await db.sql('UPDATE v_xml_cdr SET json = NULL', 'fusionpbx_now');
  await db.readOnlyUser('callbridge', PASSWORD, 'fusionpbx_now', 'public.v_xml_cdr, public.v_xml_cdr_json');
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

  /** The calls a FusionPBX source gives, read to the end, beside its log. */
  async function fusionCalls(fields: Record<string, unknown>, database = 'fusionpbx') {
    const p = await sqlParts(sqlSourceOf({ url: db.url('callbridge', PASSWORD, database), profile: 'fusionpbx', options: fsOptions, ...fields }), { normalize: config.normalize, roots: config.recordings.roots });
    cleanups.push(p.cleanup);
    await p.runner.pollNow();
    await p.settle();
    return { rows: new Map((await rowsOf(p.ledger)).map((r) => [r.externalId, r])), log: messages(p.lines), problem: p.runner.lastProblem };
  }

  /** The calls the sample's mod_xml_cdr files give through freeswitch-xml: the documents FusionPBX imports. */
  const fromXmlFiles = () => {
    const dir = path.join(FS, 'xml_cdr');
    const xmlOptions = Object.fromEntries(Object.entries(fsOptions).filter(([k]) => k !== 'decodeValues')); // always decoded in XML
    return legFileRows(readdirSync(dir).map((f) => path.join(dir, f)), 'freeswitch-xml', xmlOptions, { normalize: config.normalize, roots: config.recordings.roots });
  };

  function expectSameCalls(got: Map<string, LedgerRow>, want: Map<string, LedgerRow>): void {
    expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
    for (const [id, wanted] of want) {
      const row = got.get(id)!;
      expect({ id, call: callShape(row), state: row.state, reason: row.reason, payload: withLinkId(row.payload) }).toEqual({ id, call: callShape(wanted), state: wanted.state, reason: wanted.reason, payload: withLinkId(wanted.payload) });
    }
  }

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
      const { rows, problem } = await fusionCalls(fields);
      expect(problem).toBeNull();
      return [...rows.values()].map((r) => [r.externalId, r.state, callShape(r)]);
    };
    const fromQuery = await read({ query: 'SELECT * FROM v_xml_cdr WHERE json IS NOT NULL' });
    expect(fromQuery).toHaveLength(13);
    expect(fromQuery).toEqual(await read({}));
    // Only the walk's columns and the document are needed: a table of an older FusionPBX gives the same calls.
    expect(await read({ query: 'SELECT xml_cdr_uuid, insert_date, leg, json FROM v_xml_cdr' })).toEqual(fromQuery);
  }, 60_000);

  it("reads a current FusionPBX's v_xml_cdr_json (PHP's json_encode of each leg's mod_xml_cdr file): the same calls as those files", async () => {
    const now = await fusionCalls({}, 'fusionpbx_now');
    expect(now.problem).toBeNull();
    expect(now.rows.size).toBe(13);
    expectSameCalls(now.rows, await fromXmlFiles());
    // Each leg's record keeps the document as FusionPBX stored it.
    const legs = [...now.rows.values()].flatMap((r) => (r.raw as CallRecord & { raw: Array<{ cdr: Record<string, unknown> }> }).raw);
    expect(legs).toHaveLength(50);
    for (const leg of legs) expect(leg.cdr['@attributes']).toMatchObject({ switchname: 'vm', 'core-uuid': '69542700-5813-4681-8b49-ce0af5276eee' });
  }, 60_000);

  it('names v_xml_cdr_json when the login may not read it (the source and check-config), and warns when the database has none', async () => {
    await db.sql(`DO $$ BEGIN CREATE ROLE half LOGIN PASSWORD '${PASSWORD}'; EXCEPTION WHEN duplicate_object THEN NULL; END $$`, 'fusionpbx_now');
    await db.sql('GRANT CONNECT ON DATABASE fusionpbx_now TO half; GRANT USAGE ON SCHEMA public TO half; GRANT SELECT ON v_xml_cdr TO half', 'fusionpbx_now');
    const url = db.url('half', PASSWORD, 'fusionpbx_now');
    const half = await fusionCalls({ url });
    const refused = /fusionpbx_now\.v_xml_cdr_json on 127\.0\.0\.1:\d+: user "half" may not read it; GRANT SELECT on the table to that user/;
    expect(half.problem).toMatch(refused);
    expect(half.rows.size).toBe(0);
    const [error, ...rest] = await checkSqlSources({ sources: [sqlSourceOf({ url, profile: 'fusionpbx' })] });
    expect(error).toEqual({ severity: 'error', key: 'sources[0].url', message: expect.stringMatching(refused) });
    expect(rest).toEqual([]);
    const absent = await checkSqlSources({ sources: [sqlSourceOf({ url: db.url('callbridge', PASSWORD, 'fusionpbx'), profile: 'fusionpbx' })] });
    expect(absent.map((f) => `${f.severity} ${f.key}`)).toEqual(['warning sources[0].table', 'warning sources[0].table']);
    expect(absent[1]?.message).toMatch(/^fusionpbx\.v_xml_cdr on 127\.0\.0\.1:\d+: the database has no v_xml_cdr_json/);
    for (const text of [half.problem, ...[error, ...absent].map((f) => f?.message)]) expect(text).not.toContain(PASSWORD);
  }, 60_000);

  it("reads the xml column (FusionPBX's cdr.format xml): the same calls as the files", async () => {
    await db.sql('CREATE TABLE IF NOT EXISTS with_xml AS SELECT * FROM v_xml_cdr; UPDATE with_xml SET json = NULL; GRANT SELECT ON with_xml TO callbridge', 'fusionpbx');
    const c = db.client('fusionpbx');
    await c.connect();
    try {
      const dir = path.join(FS, 'xml_cdr');
      for (const file of readdirSync(dir)) {
        await c.query('UPDATE with_xml SET xml = $1 WHERE xml_cdr_uuid = $2', [readFileSync(path.join(dir, file), 'utf8'), file.replace(/^a_/, '').replace('.cdr.xml', '')]);
      }
    } finally {
      await c.end();
    }
    const fromXml = await fusionCalls({ table: 'with_xml' });
    expect(fromXml.problem).toBeNull();
    expectSameCalls(fromXml.rows, await fromXmlFiles());
  }, 60_000);

  it('a FusionPBX that keeps no CDR in its database (cdr.storage dir): every row read from its columns, the calls they can tell sent as the files send them', async () => {
    await db.sql('CREATE TABLE IF NOT EXISTS columns_only AS SELECT * FROM v_xml_cdr; UPDATE columns_only SET json = NULL; GRANT SELECT ON columns_only TO callbridge', 'fusionpbx');
    const columns = await fusionCalls({ table: 'columns_only' });
    expect(columns.problem).toBeNull();
    // Every leg is read (none refused), and each is in one call.
    expect(columns.log.filter((l) => /columns_only:\d{4}-/.test(l))).toEqual([]);
    expect([...columns.rows.values()].reduce((n, r) => n + (r.raw as CallRecord).legs, 0)).toBe(50);
    // The sample's PBX runs on loopback channels, whose pairs only the documents tie together: from columns alone a
    // call falls apart into its loopback halves, and a half without the other's caller is no call to send. Those it
    // sends are calls the files send, by the same id, with the same recording, owner, participant and length.
    const files = await fromXmlFiles();
    const sent = [...columns.rows.values()].filter((r) => r.state === 'pending');
    expect(sent).toHaveLength(5);
    for (const row of sent) {
      const file = files.get(row.externalId)!;
      expect(file.state).toBe('pending');
      const pick = (p: LedgerRow['payload']) => {
        const { call_external_id, call_duration, call_direction, call_outcome, owner_email, participant_phone_number } = p!;
        return { call_external_id, call_duration, call_direction, call_outcome, owner_email, participant_phone_number, recording: (withLinkId(p) as { call_recording_url: string }).call_recording_url, start: p!.call_start_time.slice(0, 19) };
      };
      expect(pick(row.payload)).toEqual(pick(file.payload));
    }
  }, 60_000);

  it('reads a row without its CDR from its columns, and says once that the database keeps no v_xml_cdr_json', async () => {
    await db.sql("CREATE TABLE IF NOT EXISTS partial AS SELECT * FROM v_xml_cdr; UPDATE partial SET json = NULL WHERE xml_cdr_uuid = '41430eeb-d4df-496e-a38a-314f5354bce7'; GRANT SELECT ON partial TO callbridge", 'fusionpbx');
    const partial = await fusionCalls({ table: 'partial' });
    expect(partial.log.filter((l) => l.includes('v_xml_cdr_json'))).toEqual([expect.stringMatching(/^fusionpbx\.partial on 127\.0\.0\.1:\d+: the database has no v_xml_cdr_json .*read from their columns$/)]);
    expect(partial.log.filter((l) => /json|document/.test(l) && !l.includes('v_xml_cdr_json'))).toEqual([]);
    // The B leg of the call from Zoë Ström-Lind to 5002, read from its columns, still joins its call: the same calls.
    const full = await fusionCalls({});
    expect([...partial.rows.keys()].sort()).toEqual([...full.rows.keys()].sort());
    const call = partial.rows.get('fecf2006-5cc0-4238-9a8a-3d106e7a73d6')!;
    expect((call.raw as CallRecord).legs).toBe((full.rows.get('fecf2006-5cc0-4238-9a8a-3d106e7a73d6')!.raw as CallRecord).legs);
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

  it('recognises a current FusionPBX, whose v_xml_cdr keeps no document, by the CDRs in v_xml_cdr_json', async () => {
    const now = await detectText([db.url('callbridge', PASSWORD, 'fusionpbx_now')]);
    expect(now.stderr).toMatch(/fusionpbx_now\.v_xml_cdr on 127\.0\.0\.1:\d+: fusionpbx \((sure|likely)\)/);
    expect(now.code).toBe(0);
    // The same starter config as the table with its documents in json gives, but for the database's name.
    const before = await detectText([db.url('callbridge', PASSWORD, 'fusionpbx')]);
    expect(now.stdout.replaceAll('fusionpbx_now', 'fusionpbx')).toBe(before.stdout);
  }, 60_000);
});
