import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallRecord } from '../../adapters/call-record.js';
import type { LedgerRow } from '../../src/ledger/ledger.js';
import { SqlRunner } from '../../src/sources/sql.js';
import { parseSqlCheckpoint, sqlCheckpointKey } from '../../src/sources/sql/window.js';
import { MariaDbServer } from '../support/mariadb.js';
import { tempDir } from '../support/tmp.js';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { callShape, detectText, masterCsvRows, messages, rowsOf, sqlParts, sqlSourceOf } from './sql-support.js';
import { waitFor } from './support.js';

const FIXTURE = path.resolve('test/fixtures/freepbx-real');
const MONITOR = path.join(FIXTURE, 'monitor');
const PASSWORD = 'cdr-Reader-pw-7731';
let db: MariaDbServer;
const cleanups: Array<() => Promise<void> | void> = [];

beforeAll(async () => {
  db = await MariaDbServer.create();
  await db.load(path.join(FIXTURE, 'asteriskcdrdb.sql'), 'asteriskcdrdb');
  await db.readOnlyUser('callbridge', PASSWORD, 'asteriskcdrdb.*');
}, 60_000);

afterAll(async () => {
  await db?.destroy();
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function sqlSource(fields: Record<string, unknown> = {}) {
  return sqlSourceOf({
    url: db.url('callbridge', PASSWORD, 'asteriskcdrdb'),
    profile: 'freepbx',
    options: { recordingPathMap: [{ from: '/var/spool/asterisk/monitor', to: MONITOR }] },
    ...fields,
  });
}

async function bridgeParts(source = sqlSource()) {
  const parts = await sqlParts(source, { roots: [MONITOR] });
  cleanups.push(parts.cleanup);
  return parts;
}

describe('an sql source on FreePBX asteriskcdrdb.cdr (real MariaDB, the rows a real Asterisk wrote)', () => {
  it('reads the same calls as the same PBX Master.csv gives, and adds the recording only the table names', async () => {
    const table = await bridgeParts();
    await table.runner.pollNow();
    await table.settle();

    const fromTable = new Map((await rowsOf(table.ledger)).map((r) => [r.externalId, r]));
    const fromCsv = await masterCsvRows(path.join(FIXTURE, 'Master.csv'));
    expect(messages(table.lines).filter((l) => l.includes('whole table'))).toEqual([]);
    expect([...fromTable.keys()].sort()).toEqual([...fromCsv.keys()].sort());
    expect(fromTable.size).toBe(10);
    for (const [id, csvRow] of fromCsv) {
      const tableRow = fromTable.get(id) as LedgerRow;
      expect({ id, call: callShape(tableRow) }).toEqual({ id, call: callShape(csvRow) });
      // Master.csv names no recording: there its answered outside calls are skipped for it, here they are sent.
      if (csvRow.reason === 'no recording') expect({ id, state: tableRow.state }).toEqual({ id, state: 'pending' });
      else expect({ id, state: tableRow.state, reason: tableRow.reason }).toEqual({ id, state: csvRow.state, reason: csvRow.reason });
    }

    // The truth (README): six answered outside calls, each with the caller channel's recording and its owner.
    const sent = [...fromTable.values()].filter((r) => r.state === 'pending');
    const summary = Object.fromEntries(
      sent.map((r) => [r.externalId, [path.basename((r.raw as CallRecord).recording?.path ?? ''), r.payload?.call_direction, r.payload?.owner_email]]),
    );
    expect(summary).toEqual({
      'pbx4-1796591228.0': ['in-+4690123402-+46761112233-20261206-220708-pbx4-1796591228.1.wav', 'incoming', 'hanna.ohman@pbx4.example.se'],
      'pbx4-1796591242.4': ['out-0761234567-4004-20261206-220722-pbx4-1796591242.5.wav', 'outgoing', 'linnea.borg@pbx4.example.se'],
      'pbx4-1796591280.12': ['rg-4600-+46702223344-20261206-220800-pbx4-1796591280.13.wav', 'incoming', 'viktor.dahl@pbx4.example.se'],
      'pbx4-1796591294.22': ['q-4700-+46186667788-20261206-220814-pbx4-1796591294.23.wav', 'incoming', 'per-erik.sandberg@pbx4.example.se'],
      'pbx4-1796591344.46': ['in-+4690123401-+46611200300-20261206-220904-pbx4-1796591344.47.wav', 'incoming', expect.stringMatching(/@pbx4\.example\.se$/)],
      'pbx4-1796591367.52': ['in-+4690123401-+46901234567-20261206-220927-pbx4-1796591367.53.wav', 'incoming', 'jonas.wikstrom@pbx4.example.se'],
    });
    // Calldate is the PBX's wall clock (CET): 22:07:08 there is 21:07:08 UTC.
    expect(fromTable.get('pbx4-1796591228.0')?.payload?.call_start_time).toMatch(/^2026-12-06T21:07:08/);
    expect((fromTable.get('pbx4-1796591228.0')?.raw as CallRecord).location).toBe('asteriskcdrdb.cdr:2026-12-06 22:07:08');
  }, 60_000);

  it('reads a query instead of the table, with the same calls, named as the query', async () => {
    const table = await bridgeParts();
    await table.runner.pollNow();
    await table.settle();
    const query = await bridgeParts(sqlSource({ query: 'SELECT * FROM cdr WHERE disposition <> \'\';' }));
    await query.runner.pollNow();
    await query.settle();
    expect(query.runner.lastProblem).toBeNull();
    // The derived table is merged into the poll: the index on calldate still serves it.
    expect(messages(query.lines).filter((l) => l.includes('whole table'))).toEqual([]);
    const fromTable = await rowsOf(table.ledger);
    const fromQuery = await rowsOf(query.ledger);
    expect(fromQuery.map((r) => [r.externalId, r.state, callShape(r)])).toEqual(fromTable.map((r) => [r.externalId, r.state, callShape(r)]));
    expect(fromQuery.find((r) => r.externalId === 'pbx4-1796591228.0')?.location).toBe('query:2026-12-06 22:07:08');
  }, 60_000);

  it('reads nothing twice: a second poll, and a runner started again on the same ledger, take no row again', async () => {
    const parts = await bridgeParts();
    await parts.runner.pollNow();
    await parts.settle();
    const first = await rowsOf(parts.ledger);
    const checkpoint = parseSqlCheckpoint(await parts.ledger.getCheckpoint(sqlCheckpointKey('pbx4')));
    expect(checkpoint.at).toBe('2026-12-06 22:09:39');

    await parts.runner.pollNow();
    const again = new SqlRunner(parts.source, { ingestor: parts.ingestor, ledger: parts.ledger });
    await again.pollNow();
    await again.stop();
    const stashed = await parts.ledger.quietGroups('pbx4', Number.MAX_SAFE_INTEGER);
    expect(stashed).toEqual([]);
    const after = await rowsOf(parts.ledger);
    expect(after.map((r) => [r.externalId, r.state, r.updatedAt])).toEqual(first.map((r) => [r.externalId, r.state, r.updatedAt]));
  }, 60_000);
});

/** A copy of one real call's rows (README B1: three rows) under a new linkedid, its calldates moved to `at`. */
async function copyCall(connection: { query: (sql: string, values?: unknown[]) => Promise<unknown> }, table: string, n: number, at: string): Promise<void> {
  await connection.query(
    `INSERT INTO ${table} SELECT TIMESTAMPADD(SECOND, TIMESTAMPDIFF(SECOND, '2026-12-06 22:07:08', calldate), ?), clid, src, dst, dcontext, channel, dstchannel,
       lastapp, lastdata, duration, billsec, disposition, amaflags, accountcode, REPLACE(uniqueid, '1796591228.', ?), userfield, did, recordingfile, cnum, cnam,
       outbound_cnum, outbound_cnam, dst_cnam, REPLACE(linkedid, '1796591228.', ?), peeraccount, sequence
     FROM asteriskcdrdb.cdr WHERE linkedid = 'pbx4-1796591228.0'`,
    [at, `${1796600000 + n}.`, `${1796600000 + n}.`],
  );
}

async function freshTable(name: string, opts: { index?: boolean } = {}): Promise<string> {
  const table = `asteriskcdrdb.${name}`;
  await db.sql(`DROP TABLE IF EXISTS ${table}; CREATE TABLE ${table} LIKE asteriskcdrdb.cdr`);
  if (opts.index === false) await db.sql(`ALTER TABLE ${table} DROP INDEX calldate`);
  return name;
}

describe('an sql source reading while the PBX writes', () => {
  it('finds a call whose transaction committed after later calls were read, and takes every call once', async () => {
    const table = await freshTable('late');
    const parts = await bridgeParts(sqlSource({ table }));
    const slow = await db.root('asteriskcdrdb');
    const fast = await db.root('asteriskcdrdb');
    cleanups.push(async () => {
      await slow.end();
      await fast.end();
    });
    // Writer 1 begins a call at 10:00:00 and holds its transaction open.
    await slow.query('START TRANSACTION');
    await copyCall(slow, table, 1, '2026-12-07 10:00:00');
    // Writer 2 commits two later calls; the source reads them and moves past 10:00:00.
    await copyCall(fast, table, 2, '2026-12-07 10:00:20');
    await copyCall(fast, table, 3, '2026-12-07 10:00:40');
    await parts.runner.pollNow();
    expect(parseSqlCheckpoint(await parts.ledger.getCheckpoint(sqlCheckpointKey('pbx4'))).at).toBe('2026-12-07 10:00:40');
    // Then writer 1 commits: its rows are behind the cursor, within the overlap.
    await slow.query('COMMIT');
    await copyCall(fast, table, 4, '2026-12-07 10:01:00');
    await parts.runner.pollNow();
    await parts.runner.pollNow();
    await parts.settle();

    const rows = await rowsOf(parts.ledger);
    expect(rows.map((r) => [r.externalId, r.state]).sort()).toEqual([
      ['pbx4-1796600001.0', 'pending'],
      ['pbx4-1796600002.0', 'pending'],
      ['pbx4-1796600003.0', 'pending'],
      ['pbx4-1796600004.0', 'pending'],
    ]);
    // Each call assembled from its three rows once: no second version of any.
    expect(rows.every((r) => (r.raw as CallRecord).legs === 3 && r.createdAt === r.updatedAt)).toBe(true);
  }, 60_000);

  it('pages through more rows than a query takes, also when more rows share one second than a page holds', async () => {
    const table = await freshTable('pages');
    const c = await db.root('asteriskcdrdb');
    cleanups.push(() => c.end());
    // 12 calls of 3 rows each at the same second, then 20 calls a second apart: 96 rows, pages of 10.
    for (let n = 1; n <= 12; n++) await copyCall(c, table, n, '2026-12-07 09:00:00');
    for (let n = 13; n <= 32; n++) await copyCall(c, table, n, `2026-12-07 09:01:${String(n).padStart(2, '0')}`);
    const parts = await bridgeParts(sqlSource({ table, batchRows: 10 }));
    await parts.runner.pollNow();
    await parts.settle();
    const rows = await rowsOf(parts.ledger);
    expect(rows).toHaveLength(32);
    expect(rows.every((r) => r.state === 'pending' && (r.raw as CallRecord).legs === 3)).toBe(true);
  }, 60_000);
});

describe('an sql source when the database fails', () => {
  it('says what is wrong with host and table, never the password, retries, and resumes from its checkpoint', async () => {
    const table = await freshTable('faults');
    const c = await db.root('asteriskcdrdb');
    cleanups.push(() => c.end().catch(() => undefined));
    await copyCall(c, table, 1, '2026-12-07 11:00:00');
    const parts = await bridgeParts(sqlSource({ table, pollMs: 50 }));
    await parts.runner.start();
    await waitFor('the first call', async () => (await rowsOf(parts.ledger)).length === 1 || (await parts.ledger.quietGroups('pbx4', Number.MAX_SAFE_INTEGER)).length === 1);

    // A column renamed by an upgrade.
    await c.query(`ALTER TABLE ${table} CHANGE calldate start_time DATETIME NOT NULL`);
    await waitFor('the renamed column reported', () => /has no column calldate/.test(parts.runner.lastProblem ?? ''), 20_000);
    expect(parts.runner.lastProblem).toContain(`asteriskcdrdb.faults on 127.0.0.1:${db.port}`);
    expect(parts.runner.running).toBe(true);
    await c.query(`ALTER TABLE ${table} CHANGE start_time calldate DATETIME NOT NULL`);
    await copyCall(c, table, 2, '2026-12-07 11:01:00');
    await waitFor('reading again after the column is back', () => parts.runner.lastProblem === null, 70_000);

    // The database stopped: a call written just before is read once it is back.
    await copyCall(c, table, 3, '2026-12-07 11:02:00');
    await c.end();
    await db.stop();
    await waitFor('the stopped database reported', () => /nothing answers there|connection failed/.test(parts.runner.lastProblem ?? ''), 20_000);
    await db.start();
    await waitFor('reading again after the restart', () => parts.runner.lastProblem === null, 70_000);

    await parts.settle();
    const rows = await rowsOf(parts.ledger);
    expect(rows.map((r) => r.externalId).sort()).toEqual(['pbx4-1796600001.0', 'pbx4-1796600002.0', 'pbx4-1796600003.0']);
    expect(parts.lines.join('\n')).not.toContain(PASSWORD);
    expect(parts.lines.some((l) => l.includes('can be read again'))).toBe(true);
  }, 120_000);

  it('names a wrong password, a missing table and a table it may not read plainly', async () => {
    const wrong = new SqlRunner(sqlSource({ url: db.url('callbridge', 'not-the-password', 'asteriskcdrdb') }), { ingestor: {} as never, ledger: { getCheckpoint: async () => null } as never });
    await wrong.pollNow();
    expect(wrong.lastProblem).toMatch(/asteriskcdrdb\.cdr on 127\.0\.0\.1:\d+: the server refused user "callbridge" \(wrong password/);
    await wrong.stop();

    const missing = new SqlRunner(sqlSource({ table: 'no_such_table' }), { ingestor: {} as never, ledger: { getCheckpoint: async () => null } as never });
    await missing.pollNow();
    expect(missing.lastProblem).toMatch(/asteriskcdrdb\.no_such_table on .*: the table does not exist/);
    await missing.stop();

    await db.sql(`CREATE DATABASE IF NOT EXISTS other; CREATE TABLE IF NOT EXISTS other.cdr LIKE asteriskcdrdb.cdr`);
    const denied = new SqlRunner(sqlSource({ table: 'other.cdr' }), { ingestor: {} as never, ledger: { getCheckpoint: async () => null } as never });
    await denied.pollNow();
    expect(denied.lastProblem).toMatch(/other\.cdr on .*: user "callbridge" may not read it; GRANT SELECT/);
    await denied.stop();
    for (const r of [wrong, missing, denied]) expect(r.lastProblem).not.toContain(PASSWORD);
  }, 60_000);

  it('warns, naming the column, when its query would read the whole table, and reads it still', async () => {
    const table = await freshTable('noindex', { index: false });
    const c = await db.root('asteriskcdrdb');
    cleanups.push(() => c.end());
    await copyCall(c, table, 1, '2026-12-07 12:00:00');
    const parts = await bridgeParts(sqlSource({ table }));
    await parts.runner.pollNow();
    expect(messages(parts.lines).filter((l) => l.includes('every poll reads the whole table'))).toEqual([expect.stringContaining('ADD INDEX (calldate)')]);
    await parts.settle();
    expect(await rowsOf(parts.ledger)).toHaveLength(1);
  }, 60_000);

  it('reads names stored as bytes: UTF-8 as UTF-8, Latin-1 (a PBX client with the wrong charset) as Latin-1', async () => {
    const table = await freshTable('bytes');
    const c = await db.root('asteriskcdrdb');
    cleanups.push(() => c.end());
    await c.query(`ALTER TABLE ${table} MODIFY clid VARBINARY(80) NOT NULL DEFAULT ''`);
    await copyCall(c, table, 1, '2026-12-07 14:00:00');
    await copyCall(c, table, 2, '2026-12-07 14:01:00');
    // Call 1's caller name in Latin-1 bytes, call 2's in UTF-8 bytes: "Café Ångström".
    await c.query(`UPDATE ${table} SET clid = CONCAT(X'22436166E920C56E67737472F66D2220', '<+46761112233>') WHERE linkedid = 'pbx4-1796600001.0' AND clid <> ''`);
    await c.query(`UPDATE ${table} SET clid = CONCAT(X'22436166C3A920C3856E67737472C3B66D2220', '<+46761112233>') WHERE linkedid = 'pbx4-1796600002.0' AND clid <> ''`);
    const parts = await bridgeParts(sqlSource({ table }));
    await parts.runner.pollNow();
    await parts.settle();
    const names = (await rowsOf(parts.ledger)).map((r) => [r.externalId, (r.raw as CallRecord).from.name]);
    expect(names).toEqual([
      ['pbx4-1796600001.0', 'Café Ångström'],
      ['pbx4-1796600002.0', 'Café Ångström'],
    ]);
  }, 60_000);

  it('gives a located error for a row it cannot read (the zero date, NULLs) and reads the rows after it', async () => {
    const table = await freshTable('badrows');
    const c = await db.root('asteriskcdrdb');
    cleanups.push(() => c.end());
    await c.query(`ALTER TABLE ${table} MODIFY src varchar(80) NULL, MODIFY clid varchar(80) NULL`);
    await c.query(`SET SESSION sql_mode = ''`);
    await c.query(`INSERT INTO ${table} (calldate, src, dst, disposition, uniqueid, linkedid, channel) VALUES ('0000-00-00 00:00:00', '100', '200', 'ANSWERED', 'x-1.1', 'x-1.1', 'SIP/100-1')`);
    await copyCall(c, table, 1, '2026-12-07 13:00:00');
    await c.query(`UPDATE ${table} SET src = NULL, clid = NULL WHERE uniqueid LIKE 'pbx4-1796600001.%' AND channel LIKE '%;1'`);
    const parts = await bridgeParts(sqlSource({ table }));
    await parts.runner.pollNow();
    await parts.settle();
    expect(messages(parts.lines).filter((l) => l.includes('0000-00-00'))).toEqual([
      expect.stringContaining('asteriskcdrdb.badrows:0000-00-00 00:00:00: start: "0000-00-00 00:00:00" is not a time'),
    ]);
    const rows = await rowsOf(parts.ledger);
    expect(rows.map((r) => [r.externalId, r.state])).toEqual([['pbx4-1796600001.0', 'pending']]);
    expect(parts.runner.lastProblem).toBeNull();
  }, 60_000);
});

describe('callbridge detect on a FreePBX database', () => {
  it('names the profile, writes the source with the password left to the environment, and the rules the rows suggest', async () => {
    const url = db.url('callbridge', PASSWORD, 'asteriskcdrdb');
    const { code, stdout, stderr } = await detectText([url]);
    expect(stderr).toContain(`asteriskcdrdb.cdr on 127.0.0.1:${db.port}: freepbx (sure)`);
    expect(code).toBe(0);
    expect(stdout + stderr).not.toContain(PASSWORD);
    const tmp = tempDir('callbridge-detect-sql-');
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'callbridge.yaml');
    writeFileSync(file, stdout);
    const { config } = loadConfig(file, { CDR_DB_PASSWORD: PASSWORD });
    expect(config.sources).toEqual([expect.objectContaining({ id: 'freepbx', type: 'sql', profile: 'freepbx', url })]);
    expect(config.normalize).toMatchObject({ timezone: 'Europe/Stockholm', internalNumbers: ['^\\d{4}$'] });
    expect(parseYaml(stdout)).toMatchObject({ sources: [{ url: `mysql://callbridge:\${CDR_DB_PASSWORD}@127.0.0.1:${db.port}/asteriskcdrdb` }] });
  });

  it('says why when it cannot log in, never with the password', async () => {
    const { code, stderr } = await detectText([db.url('callbridge', 'wrong-password-123', 'asteriskcdrdb')]);
    expect(code).toBe(1);
    expect(stderr).toMatch(/not recognised: no table could be read; asteriskcdrdb\.cdr on 127\.0\.0\.1:\d+: the server refused user "callbridge"/);
    expect(stderr).not.toContain('wrong-password-123');
  });
});
