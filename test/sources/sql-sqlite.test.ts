import { copyFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { CallRecord } from '../../adapters/call-record.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { parseSqlCheckpoint, sqlCheckpointKey } from '../../src/sources/sql/window.js';
import { tempDir } from '../support/tmp.js';
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
