/**
 * Ledger write speed: 100,000 payloads through `SqliteLedger.put` (batches, duplicate detection, content hashes)
 * against plain batched better-sqlite3 inserts of the same rows into the same table layout, side by side in one run.
 * Goal: ratio ≥ 0.5. Beside them, where PostgreSQL 15 is installed, the same rows through `PostgresLedger.put` into a
 * server of its own on loopback with PostgreSQL's durable defaults (fsync, synchronous commit), and the same for
 * calls put one at a time (as hooks put them), SQLite beside PostgreSQL.
 * Run: npx tsx bench/ledger.ts [rows] [batch]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { documentedSample } from '../src/dstny/payload.js';
import type { NewRow } from '../src/ledger/ledger.js';
import { migrations } from '../src/ledger/migrations/index.js';
import type { Ledger } from '../src/ledger/ledger.js';
import { PostgresLedger } from '../src/ledger/postgres.js';
import { openSqliteLedger } from '../src/ledger/sqlite.js';
import { PostgresServer } from '../test/support/postgres.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const BATCH = Number(process.argv[3] ?? 1_000);
const GOAL = 0.5;

function makeRows(): NewRow[] {
  return Array.from({ length: ROWS }, (_, i) => {
    const id = `bench-${i}`;
    return {
      externalId: id,
      sourceId: 'bench',
      location: `Master.csv:${i + 1}`,
      state: 'pending',
      raw: { externalId: id, startTime: '2026-11-27T09:14:03', from: { number: '201' }, to: { number: '0701234567' }, legs: 1 },
      payload: { ...documentedSample, call_external_id: id, call_recording_url: `https://rec.example.com/${id}.wav` },
    };
  });
}

async function timeLedger(ledger: Ledger, rows: NewRow[], batch = BATCH): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += batch) await ledger.put(rows.slice(i, i + batch));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const stats = await ledger.stats();
  await ledger.close();
  if (stats.counts.pending !== rows.length) throw new Error(`ledger holds ${stats.counts.pending} rows, expected ${rows.length}`);
  return ms;
}

function timePlain(dir: string, rows: NewRow[]): number {
  const db = new Database(path.join(dir, 'plain.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  for (const m of migrations) db.exec(m.sql);
  const insert = db.prepare(
    `INSERT INTO calls (external_id, source_id, location, state, raw, payload, content_hash, next_attempt_at, created_at, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, '', ?, ?, ?)`,
  );
  const batch = db.transaction((chunk: NewRow[]) => {
    const now = Date.now();
    for (const r of chunk) insert.run(r.externalId, r.sourceId, r.location, r.state, JSON.stringify(r.raw), JSON.stringify(r.payload), now, now, now);
  });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += BATCH) batch(rows.slice(i, i + BATCH));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  db.close();
  return ms;
}

const rows = makeRows();
/** Calls put one at a time: fewer, each its own transaction. */
const single = rows.slice(0, Math.min(ROWS, 2_000));
const postgres = existsSync('/usr/lib/postgresql/15/bin/postgres') ? await PostgresServer.create({ durable: true }) : null;
let databases = 0;
async function freshPostgres(): Promise<Ledger> {
  const name = `bench_${++databases}`;
  await postgres!.sql(`CREATE DATABASE ${name}`);
  return PostgresLedger.open(postgres!.url('test', '', name));
}

type Timing = { ledger: number; plain: number; pg: number; sqliteSingle: number; pgSingle: number };
const results: Timing[] = [];
// Alternate them, three rounds each, and keep the best of each: the machine is shared and noisy.
try {
  for (let round = 0; round < 3; round++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-ledger-'));
    try {
      const plain = timePlain(dir, rows);
      const ledger = await timeLedger(await openSqliteLedger(path.join(dir, 'ledger.sqlite')), rows);
      const sqliteSingle = await timeLedger(await openSqliteLedger(path.join(dir, 'single.sqlite')), single, 1);
      const pg = postgres ? await timeLedger(await freshPostgres(), rows) : Number.NaN;
      const pgSingle = postgres ? await timeLedger(await freshPostgres(), single, 1) : Number.NaN;
      results.push({ ledger, plain, pg, sqliteSingle, pgSingle });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await postgres?.destroy();
}
const best = (k: keyof Timing) => Math.min(...results.map((r) => r[k]));
const rate = (ms: number, n = ROWS) => Math.round((n / ms) * 1000);
const ratio = best('plain') / best('ledger');
console.log(`rows: ${ROWS}, batch: ${BATCH}, rounds: ${results.length} (best of each)`);
console.log(`plain better-sqlite3 inserts : ${rate(best('plain')).toLocaleString('en')} rows/s`);
console.log(`SqliteLedger.put              : ${rate(best('ledger')).toLocaleString('en')} rows/s`);
console.log(`ratio ledger/plain            : ${ratio.toFixed(2)} (goal ≥ ${GOAL})`);
if (postgres) {
  console.log(`PostgresLedger.put            : ${rate(best('pg')).toLocaleString('en')} rows/s (${(best('ledger') / best('pg')).toFixed(2)} of SqliteLedger's)`);
  console.log(`one call per put, ${single.length} calls : SqliteLedger ${rate(best('sqliteSingle'), single.length).toLocaleString('en')} calls/s, PostgresLedger ${rate(best('pgSingle'), single.length).toLocaleString('en')} calls/s (${(best('sqliteSingle') / best('pgSingle')).toFixed(2)} of SqliteLedger's)`);
} else console.log('PostgresLedger.put            : not measured (PostgreSQL 15 is not installed here)');
if (ratio < GOAL) {
  console.error('GOAL MISSED');
  process.exit(1);
}
