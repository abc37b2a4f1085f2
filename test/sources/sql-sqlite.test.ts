import { copyFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { CallRecord } from '../../adapters/call-record.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { parseSqlCheckpoint, sqlCheckpointKey } from '../../src/sources/sql/window.js';
import { tempDir } from '../support/tmp.js';
import { configProblems } from '../config/support.js';
import { parse as parseYaml } from 'yaml';
import { callShape, detectText, masterCsvRows, rowsOf, sqlParts, sqlSourceOf } from './sql-support.js';

const FIXTURE = path.resolve('test/fixtures/asterisk-real');
// The fixture's own configuration (its PBX's zone, internal numbers and owners), as a new user would write it.
const NORMALIZE = loadConfig(path.join(FIXTURE, 'callbridge.yaml'), {}).config.normalize;
const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function parts(file: string) {
  const p = await sqlParts(sqlSourceOf({ url: `sqlite:${file}`, profile: 'asterisk-sqlite' }), { normalize: NORMALIZE });
  cleanups.push(p.cleanup);
  return p;
}

describe("an sql source on Asterisk's cdr_sqlite3_custom master.db (the file a real Asterisk wrote)", () => {
  it('reads the same calls as the same PBX Master.csv gives, and then only the rows Asterisk adds', async () => {
    const tmp = tempDir('callbridge-masterdb-');
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'master.db');
    copyFileSync(path.join(FIXTURE, 'master.db'), file);
    const table = await parts(file);
    await table.runner.pollNow();
    await table.settle();

    const fromTable = new Map((await rowsOf(table.ledger)).map((r) => [r.externalId, r]));
    const fromCsv = await masterCsvRows(path.join(FIXTURE, 'Master.csv'), { normalize: NORMALIZE });
    expect(fromTable.size).toBeGreaterThan(5);
    expect([...fromTable.keys()].sort()).toEqual([...fromCsv.keys()].sort());
    for (const [id, csvRow] of fromCsv) {
      const tableRow = fromTable.get(id)!;
      expect({ id, call: callShape(tableRow) }).toEqual({ id, call: callShape(csvRow) });
      expect({ id, state: tableRow.state, reason: tableRow.reason }).toEqual({ id, state: csvRow.state, reason: csvRow.reason });
    }
    expect((fromTable.values().next().value!.raw as CallRecord).location).toMatch(/^cdr:\d+$/);
    // A serial cursor: the last id read, and only its row remembered.
    const checkpoint = parseSqlCheckpoint(await table.ledger.getCheckpoint(sqlCheckpointKey('pbx4')));
    expect([checkpoint.at, Object.values(checkpoint.seen)]).toEqual(['55', [55]]);

    // Asterisk writes one more row (a copy of the first call under a new linkedid): only it is read.
    const writer = new Database(file);
    writer.prepare(`INSERT INTO cdr (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, answer, end, duration, billsec, disposition, amaflags, accountcode, uniqueid, userfield, peeraccount, linkedid, sequence)
      SELECT calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, answer, end, duration, billsec, disposition, amaflags, accountcode, uniqueid || 'x', userfield, peeraccount, 'late-call', sequence FROM cdr WHERE AcctId = 1`).run();
    writer.close();
    await table.runner.pollNow();
    await table.settle();
    const after = await rowsOf(table.ledger);
    expect(after.length).toBe(fromTable.size + 1);
    expect(after.filter((r) => r.updatedAt !== r.createdAt)).toEqual([]);
    expect(after.find((r) => r.externalId === 'late-call')?.location).toBe('cdr:56');
  });

  it('names a file it cannot open and a table that is not there', async () => {
    const missing = await parts('/nonexistent/master.db');
    await missing.runner.pollNow();
    expect(missing.runner.lastProblem).toBe('reading failed, will retry: cdr in /nonexistent/master.db: the file cannot be opened (is the path right, and may this user read it?)');
    const tmp = tempDir('callbridge-masterdb-');
    cleanups.push(tmp.cleanup);
    const empty = path.join(tmp.dir, 'empty.db');
    new Database(empty).close();
    const noTable = await parts(empty);
    await noTable.runner.pollNow();
    expect(noTable.runner.lastProblem).toBe(`reading failed, will retry: cdr in ${empty}: the table does not exist`);
  });

  it('is recognised by detect, which writes the source that reads it and the rules its rows suggest', async () => {
    const tmp = tempDir('callbridge-masterdb-');
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'master.db');
    copyFileSync(path.join(FIXTURE, 'master.db'), file);
    const { code, stdout, stderr } = await detectText([`sqlite:${file}`]);
    expect(stderr).toContain(`cdr in ${file}: asterisk-sqlite (sure)`);
    expect(code).toBe(0);
    const config = validateConfig(parseYaml(stdout));
    expect(config.sources).toEqual([expect.objectContaining({ id: 'asterisk-sqlite', type: 'sql', profile: 'asterisk-sqlite', url: `sqlite:${file}`, adapter: 'asterisk-csv' })]);
    // The office's extensions (3101-3108) and its zone, read from the table's rows.
    expect(config.normalize).toMatchObject({ timezone: 'Europe/Stockholm', defaultCountry: 'SE', internalNumbers: ['^\\d{4}$'] });
  });
});

describe('an sql source on a table of any other PBX (profile generic)', () => {
  it("maps the table's columns by name as the generic adapter maps a CSV's, walking the cursor the source names", async () => {
    const tmp = tempDir('callbridge-generic-table-');
    cleanups.push(tmp.cleanup);
    const file = path.join(tmp.dir, 'pbx.db');
    const db = new Database(file);
    db.exec(`CREATE TABLE calls (id INTEGER PRIMARY KEY, call_id TEXT, started TEXT, ended TEXT, caller TEXT, callee TEXT, agent_ext TEXT, dir TEXT, status TEXT, talk INTEGER)`);
    const insert = db.prepare('INSERT INTO calls (call_id, started, ended, caller, callee, agent_ext, dir, status, talk) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run('c-1', '2026-12-07 09:00:00', '2026-12-07 09:03:00', '+46701234567', '201', '201', 'IN', 'ANSWERED', 170);
    insert.run('c-2', '2026-12-07 09:05:00', '2026-12-07 09:05:20', '202', '+46812345678', '202', 'OUT', 'NO ANSWER', 0);
    const options = {
      fields: { externalId: 'call_id', startTime: 'started', endTime: 'ended', talkSec: 'talk', fromNumber: 'caller', toNumber: 'callee', ownerExtension: 'agent_ext', recording: 'https://rec.example.com/{call_id}.wav', disposition: 'status' },
      time: { format: 'iso', zone: 'source' },
      direction: { field: 'dir', values: { IN: 'incoming', OUT: 'outgoing' } },
      outcome: { values: { ANSWERED: 'answered', 'NO ANSWER': 'no-answer' } },
    };
    const p = await sqlParts(sqlSourceOf({ url: `sqlite:${file}`, profile: 'generic', table: 'calls', cursor: 'id', cursorType: 'serial', options }), {
      normalize: { timezone: 'Europe/Stockholm', defaultCountry: 'SE', owners: { map: { '201': 'anna@example.se', '202': 'bo@example.se' } } },
    });
    cleanups.push(p.cleanup);
    await p.runner.pollNow();
    insert.run('c-3', '2026-12-07 09:10:00', '2026-12-07 09:12:00', '+46709999999', '202', '202', 'IN', 'ANSWERED', 100);
    db.close();
    await p.runner.pollNow();
    await p.settle();
    const rows = await rowsOf(p.ledger);
    expect(rows.map((r) => [r.externalId, r.state, r.reason ?? r.payload?.owner_email, r.location])).toEqual([
      ['c-1', 'pending', 'anna@example.se', 'calls:1'],
      ['c-2', 'skipped', 'unanswered call (no-answer)', 'calls:2'],
      ['c-3', 'pending', 'bo@example.se', 'calls:3'],
    ]);
    expect(rows[0]?.payload).toMatchObject({ call_direction: 'incoming', call_start_time: '2026-12-07T08:00:00Z', call_recording_url: 'https://rec.example.com/c-1.wav' });
  });

  it('needs the table (or a query) and the cursor named, and not a table and a query', () => {
    expect(configProblems({ sources: [{ id: 'x', type: 'sql', profile: 'freepbx', url: 'mysql://u:p@h/db', table: 'cdr', query: 'SELECT * FROM cdr' }] })).toEqual([
      'sources[0].query: give table or query, not both',
    ]);
    expect(configProblems({ sources: [{ id: 'x', type: 'sql', profile: 'freepbx', url: 'mysql://u:p@h/db', query: 'DELETE FROM cdr' }] })).toEqual([
      expect.stringMatching(/^sources\[0\]\.query: .*one SELECT statement/),
    ]);
    expect(configProblems({ sources: [{ id: 'x', type: 'sql', profile: 'generic', url: 'sqlite:/srv/pbx.db', options: { fields: { externalId: 'id', startTime: 'start' } } }] })).toEqual([
      'sources[0].table: the generic profile reads the table (or query) and cursor the source names: set table',
      'sources[0].cursor: the generic profile reads the table (or query) and cursor the source names: set cursor',
    ]);
  });
});
