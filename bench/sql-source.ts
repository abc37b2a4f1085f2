/**
 * `npx tsx bench/sql-source.ts [ROWS]`: a FreePBX CDR table in a real MariaDB (its own server, loopback), ROWS rows
 * (default 1,000,000, one answered outside call each):
 *
 * - read from scratch by an sql source into a real ledger (pages, dedupe, parse, stash, assemble, normalize,
 *   commit), in rows per second beside a plain `SELECT` of the same rows streamed through the same driver (mysql2),
 *   printed as a ratio: what reading the table through callbridge costs over reading it at all;
 * - the cost of one poll that finds nothing new, on a table of 10,000 rows and on the full table, median of 50:
 *   goal within 2x of each other (the poll reads the cursor's index, not the table).
 */
import path from 'node:path';
import mysql from 'mysql2';
import { silentLogger } from '../src/log/logger.js';
import { emptySummary } from '../src/pipeline/ingestor.js';
import { sourcesConfigSchema } from '../src/sources/config.js';
import { type SqlSource, SqlRunner } from '../src/sources/sql.js';
import { MariaDbServer } from '../test/support/mariadb.js';
import { openLedger, realPipeline } from '../test/sources/support.js';
import { tempDir } from '../test/support/tmp.js';

const ROWS = Number(process.argv.slice(2).find((a) => !a.startsWith('--')) ?? 1_000_000);
const SMALL = 10_000;
const POLLS = 50;

/** Answered outside calls from extension 201/202, one row each, 31 s apart from 2025-01-01 on; the recording a URL. */
function fill(table: string, rows: number): string {
  return `INSERT INTO ${table} (calldate, clid, src, dst, dcontext, channel, dstchannel, lastapp, lastdata, duration, billsec, disposition, amaflags,
      uniqueid, userfield, linkedid, sequence)
    SELECT '2025-01-01 00:00:00' + INTERVAL seq * 31 SECOND, CONCAT('"Anna" <', 201 + seq % 2, '>'), 201 + seq % 2, CONCAT('070', 1000000 + seq % 8999999),
      'from-internal', CONCAT('PJSIP/', 201 + seq % 2, '-', LPAD(HEX(seq), 8, '0')), CONCAT('PJSIP/telia-', LPAD(HEX(seq), 8, '0')), 'Dial',
      'PJSIP/telia', 35, 30, 'ANSWERED', 3, CONCAT('pbx-', seq), CONCAT('https://rec.example.com/', seq, '.wav'), CONCAT('pbx-', seq), seq
    FROM seq.seq_1_to_${rows}`;
}

function sourceFor(db: MariaDbServer, table: string): SqlSource {
  const [source] = sourcesConfigSchema.parse([
    { id: `bench-${table}`, type: 'sql', profile: 'freepbx', table, url: db.url('root', '', 'asteriskcdrdb'), timezone: 'Europe/Stockholm', groupQuietMs: 0 },
  ]);
  return source as SqlSource;
}

/** Every row of the table streamed through mysql2 and counted: the floor of reading it at all. */
function plainSelect(db: MariaDbServer, table: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const c = mysql.createConnection({ host: '127.0.0.1', port: db.port, user: 'root', database: 'asteriskcdrdb', dateStrings: true });
    let n = 0;
    c.query(`SELECT * FROM ${table} ORDER BY calldate`)
      .stream()
      .on('data', () => {
        n++;
      })
      .on('error', reject)
      .on('end', () => {
        c.end();
        resolve(n);
      });
  });
}

async function main(): Promise<void> {
  const db = await MariaDbServer.create();
  const tmp = tempDir('callbridge-bench-sql-');
  try {
    await db.load(path.resolve('test/fixtures/freepbx-real/configs/mariadb-asteriskcdrdb-schema.sql'), 'asteriskcdrdb');
    await db.sql('CREATE DATABASE seq; CREATE TABLE asteriskcdrdb.small LIKE asteriskcdrdb.cdr');
    let t = Date.now();
    await db.sql(fill('asteriskcdrdb.cdr', ROWS));
    await db.sql(fill('asteriskcdrdb.small', SMALL));
    console.log(`filled: ${ROWS.toLocaleString('en')} + ${SMALL.toLocaleString('en')} rows in ${((Date.now() - t) / 1000).toFixed(1)} s`);

    t = performance.now();
    const selected = await plainSelect(db, 'cdr');
    const selectSec = (performance.now() - t) / 1000;

    // The reader alone (pages, row hashes, the window), its rows handed to an ingestor that only counts them.
    let counted = 0;
    const counting = {
      ingestLegs: async (_s: unknown, input: { rows?: Iterable<unknown> }) => {
        for (const _ of input.rows ?? []) counted++;
        return emptySummary();
      },
      flushQuiet: async () => emptySummary(),
    };
    const readerOnly = new SqlRunner(sourceFor(db, 'cdr'), { ingestor: counting as never, ledger: { getCheckpoint: async () => null, setCheckpoint: async () => undefined }, logger: silentLogger() });
    t = performance.now();
    await readerOnly.pollNow();
    const readerSec = (performance.now() - t) / 1000;
    await readerOnly.stop();

    const polls: Record<string, number> = {};
    let sourceSec = 0;
    let calls = 0;
    for (const table of ['cdr', 'small']) {
      const ledger = await openLedger(path.join(tmp.dir, table));
      const { ingestor } = realPipeline(ledger, { normalize: { timezone: 'Europe/Stockholm', trunkPatterns: ['^PJSIP/telia-'], owners: { map: { '201': 'anna@example.com', '202': 'bo@example.com' } } } });
      const source = sourceFor(db, table);
      const runner = new SqlRunner(source, { ingestor, ledger, logger: silentLogger() });
      t = performance.now();
      await runner.pollNow();
      await ingestor.flushQuiet(source, Date.now(), Number.MAX_SAFE_INTEGER);
      if (table === 'cdr') {
        sourceSec = (performance.now() - t) / 1000;
        const stats = await ledger.stats();
        calls = Object.values(stats.counts).reduce((a, b) => a + b, 0);
        if (runner.lastProblem) throw new Error(runner.lastProblem);
      }
      const times: number[] = [];
      for (let i = 0; i < POLLS; i++) {
        const p = performance.now();
        await runner.pollNow();
        times.push(performance.now() - p);
      }
      polls[table] = times.sort((a, b) => a - b)[Math.floor(POLLS / 2)] as number;
      await runner.stop();
      await ledger.close();
    }

    const ratio = ROWS / sourceSec / (selected / selectSec);
    const pollRatio = (polls.cdr as number) / (polls.small as number);
    console.log(`plain SELECT (mysql2 stream):  ${selected.toLocaleString('en')} rows in ${selectSec.toFixed(1)} s = ${Math.round(selected / selectSec).toLocaleString('en')} rows/s`);
    console.log(`its reader alone:              ${counted.toLocaleString('en')} rows in ${readerSec.toFixed(1)} s = ${Math.round(counted / readerSec).toLocaleString('en')} rows/s (ratio ${(counted / readerSec / (selected / selectSec)).toFixed(3)})`);
    console.log(`sql source, from scratch:      ${ROWS.toLocaleString('en')} rows → ${calls.toLocaleString('en')} calls in the ledger in ${sourceSec.toFixed(1)} s = ${Math.round(ROWS / sourceSec).toLocaleString('en')} rows/s`);
    console.log(`ratio source ÷ plain SELECT:   ${ratio.toFixed(3)}`);
    console.log(`one poll, nothing new (median of ${POLLS}): ${polls.small?.toFixed(2)} ms at ${SMALL.toLocaleString('en')} rows, ${polls.cdr?.toFixed(2)} ms at ${ROWS.toLocaleString('en')} rows: ratio ${pollRatio.toFixed(2)} (goal ≤ 2)`);
    const met = pollRatio <= 2 && calls === ROWS;
    console.log(met ? 'goal met' : 'GOAL MISSED');
    process.exitCode = met ? 0 : 1;
  } finally {
    tmp.cleanup();
    await db.destroy();
  }
}

await main();
