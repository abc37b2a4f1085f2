/**
 * A ledger after years of calls (issue 13): grow a real SQLite ledger to each size (3,000 calls a day backwards from
 * now, a year's mix of states, each sent call with its history) and time, side by side in one run, the paths a
 * running bridge takes on a schedule or per request: stats() (every /status, /metrics, `callbridge status`), the
 * daily quota count (every submitter pump), claimDue, a hook's put, and the status page and a /metrics scrape of
 * the real bridge on that file (the ledger on its own thread, as the bridge opens it). Then compact it
 * (keepDetailDays: 1, so nearly every row is compacted and the bytes per row after are a compacted row's) while
 * monitorEventLoopDelay watches for the longest stall and a hook's put is timed every 50 ms; the same number of
 * calls first with the ledger on the event loop, then on its own thread, side by side. Print the file size per row
 * before and after.
 *
 * Goals: each path within 2x of its time at the smallest size (a difference under 0.1 ms counts as met: timer
 * noise); no stall over 50 ms while compacting; a compacted row under 300 bytes.
 *
 * The rows are written straight into the ledger's own tables (migrated by SqliteLedger, counts kept by its
 * triggers), not through put: growing 10,000,000 rows through put would take most of an hour.
 *
 * Run: npx tsx bench/ledger-scale.ts [sizes=10000,100000,1000000] [--cold]   (10,000,000: about an hour and 19 GB)
 * --cold drops the page cache before compacting (Linux, root): a ledger larger than memory, at a size that fits.
 * Exits 1 when a goal is missed.
 */
import { execFileSync } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { startOfUtcDay } from '../src/backoff.js';
import { startBridge } from '../src/bridge/start.js';
import { loadConfig } from '../src/config/load.js';
import { startEmulator } from '../src/emulator/index.js';
import { RetentionSweeper } from '../src/ledger/retention.js';
import { contentHash } from '../src/ledger/rows.js';
import type { Ledger } from '../src/ledger/ledger.js';
import { openSqliteLedger } from '../src/ledger/sqlite.js';
import { ThreadedSqliteLedger } from '../src/ledger/sqlite-threaded.js';
import { createLogger } from '../src/log/logger.js';
import { payloadFor } from '../test/support/rows.js';
import { tempDir } from '../test/support/tmp.js';

const args = process.argv.slice(2);
const COLD = args.includes('--cold');
const SIZES = (args.find((a) => !a.startsWith('--')) ?? '10000,100000,1000000').split(',').map(Number);
const PER_DAY = 3_000;
const SPACING_MS = 86_400_000 / PER_DAY;
const RUNS = 21;
const GOAL_RATIO = 2;
const NOISE_MS = 0.1;
const GOAL_STALL_MS = 50;
const GOAL_COMPACTED_BYTES = 300;
/** Calls compacted by the ledger on the event loop and on its own thread, for the side-by-side stall (a tenth of smaller ledgers). */
const SIDE_BY_SIDE_ROWS = 200_000;

if (SIZES.some((n) => !Number.isInteger(n) || n < 1_000)) {
  console.error('usage: npx tsx bench/ledger-scale.ts [sizes, each >= 1000, comma-separated]');
  process.exit(2);
}

/** The row `k` places back from now (k = 0: the newest): its state and times, as a year of traffic leaves them. */
function rowAt(k: number, now: number) {
  const id = `pbx1-${1_733_500_000 + k}.${k % 997}`;
  const created = now - k * SPACING_MS;
  const age = now - created;
  const raw = {
    externalId: id,
    startTime: new Date(created - 300_000).toISOString(),
    answerTime: new Date(created - 290_000).toISOString(),
    endTime: new Date(created).toISOString(),
    talkSec: 290,
    direction: 'inbound',
    from: { number: `+4670${String(1_000_000 + (k % 9_000_000)).padStart(7, '0')}`, name: 'Caller' },
    to: { number: String(200 + (k % 50)) },
    recording: { path: `/var/spool/asterisk/monitor/2026/11/27/in-${id}.wav` },
    legs: [{ channel: `PJSIP/trunk-${k}`, dstchannel: `PJSIP/${200 + (k % 50)}-0000${k % 100}`, disposition: 'ANSWERED', billsec: 290 }],
  };
  const base = {
    external_id: id,
    source_id: 'asterisk',
    location: `/var/log/asterisk/cdr-csv/Master.csv:${k + 1}`,
    raw: JSON.stringify(raw),
    payload: JSON.stringify(payloadFor(id)) as string | null,
    content_hash: contentHash(raw),
    reason: null as string | null,
    attempts: 0,
    next_attempt_at: created,
    conversation_id: null as string | null,
    created_at: created,
    updated_at: created,
    submitted_at: null as number | null,
    confirmed_at: null as number | null,
    lane: 0,
  };
  const sent = (confirmed: boolean) => ({
    ...base,
    state: confirmed ? 'confirmed' : 'submitted',
    attempts: 1,
    conversation_id: `0b5e${String(k).padStart(8, '0')}-1c2b-4f5e-9a8b-0c1d2e3f4a5b`,
    submitted_at: created + 60_000,
    confirmed_at: confirmed ? created + 300_000 : null,
    updated_at: created + (confirmed ? 300_000 : 60_000),
  });
  if (age < 600_000) return { ...base, state: 'pending' };
  if (age < 7_200_000) return sent(false);
  if (k % 1_000 === 5 && age < 86_400_000) return { ...base, state: 'held', payload: null, reason: 'recording file not there yet' };
  const m = k % 200;
  if (m < 4) return { ...base, state: 'failed', attempts: 8, reason: 'HTTP 422: owner_email is not a user', updated_at: created + 120_000 };
  if (m < 6) return { ...base, state: 'rejected', payload: null, reason: 'no owner for extension 1003' };
  if (m < 7) return { ...sent(false), state: 'missing', reason: 'not listed by Dstny 24 hours after it was sent' };
  if (m < 77) return { ...base, state: 'skipped', payload: null, reason: 'internal call (both ends are extensions)' };
  return sent(true);
}

/** The ledger's own tables, written directly: 20,000 rows a transaction, each sent call with one attempt in its history. */
async function grow(file: string, size: number, now: number): Promise<void> {
  (await openSqliteLedger(file)).close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const row = rowAt(0, now);
  const columns = ['state', ...Object.keys(row).filter((c) => c !== 'state')];
  const insert = db.prepare(`INSERT INTO calls (${columns.join(', ')}) VALUES (${columns.map((c) => `@${c}`).join(', ')})`);
  const event = db.prepare(
    "INSERT INTO events (external_id, at, kind, outcome, status, message, conversation_id, duration_ms) VALUES (?, ?, 'attempt', '2xx', 201, NULL, ?, 180)",
  );
  const batch = db.transaction((from: number, to: number) => {
    // Oldest first, as they came.
    for (let k = to - 1; k >= from; k--) {
      const r = rowAt(k, now);
      insert.run(r);
      if (r.submitted_at !== null) event.run(r.external_id, r.submitted_at, r.conversation_id);
    }
  });
  for (let to = size; to > 0; to -= 20_000) batch(Math.max(0, to - 20_000), to);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

/**
 * --cold: the file as if it were larger than memory (10,000,000 calls are 19 GB): written out and dropped from the
 * page cache before compacting, so each batch reads its pages from the disk. Linux, as root.
 */
function dropPageCache(): void {
  execFileSync('sync');
  writeFileSync('/proc/sys/vm/drop_caches', '1');
}

function fileBytes(file: string): number {
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  return statSync(file).size;
}

function breakdown(file: string, rows: number): Array<{ name: string; bytes: number }> {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare<[], { name: string; bytes: number }>('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC')
      .all()
      .map((r) => ({ name: r.name, bytes: r.bytes / rows }))
      .filter((r) => r.bytes >= 1);
  } finally {
    db.close();
  }
}

async function median(fn: () => Promise<unknown>, after?: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
    await after?.();
  }
  return times.sort((a, b) => a - b)[Math.floor(RUNS / 2)]!;
}

type Paths = Record<'stats' | 'quota' | 'claimDue' | 'put' | 'statusPage' | 'metrics', number>;

async function ledgerPaths(ledger: Ledger): Promise<Omit<Paths, 'statusPage' | 'metrics'>> {
  let hook = 0;
  const now = Date.now();
  let claimed: string[] = [];
  return {
    stats: await median(() => ledger.stats()),
    quota: await median(() => ledger.countSubmittedSince(startOfUtcDay(now))),
    claimDue: await median(
      async () => {
        claimed = (await ledger.claimDue({ now, limit: 10, owner: 'bench', leaseMs: 60_000 })).map((r) => r.externalId);
      },
      async () => {
        for (const id of claimed) await ledger.update(id, { state: 'pending', leaseOwner: null, leaseUntil: null });
      },
    ),
    put: await median(() => ledger.put([hookRow(`hook-${hook++}`)])),
  };
}

function hookRow(id: string) {
  return { externalId: id, sourceId: 'pbx', location: 'hook:pbx', state: 'pending' as const, raw: { externalId: id, talkSec: 40 }, payload: payloadFor(id) };
}

/** The real bridge on the grown file: its status page and /metrics, over HTTP on loopback. */
async function bridgePaths(dir: string, file: string): Promise<Pick<Paths, 'statusPage' | 'metrics'>> {
  const emulator = await startEmulator({ fetchRecordings: false, appearDelayMs: 0, ratePerSecond: 1_000 });
  try {
    const configFile = path.join(dir, 'callbridge.yaml');
    writeFileSync(
      configFile,
      stringify({
        dataDir: path.join(dir, 'data'),
        log: { level: 'warn' },
        dstny: { baseUrl: emulator.url, token: emulator.token },
        http: { host: '127.0.0.1', port: 0 },
        ledger: { path: file, retention: { keepDetailDays: null } },
        reconcile: { schedule: '0 0 1 1 *' },
        sources: [],
      }),
    );
    const { config } = loadConfig(configFile);
    const bridge = await startBridge(config, { configDir: dir, logger: createLogger({ level: 'warn' }) });
    try {
      const get = async (url: string) => {
        const res = await fetch(url);
        await res.text();
        if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      };
      return { statusPage: await median(() => get(`${bridge.url}/`)), metrics: await median(() => get(`${bridge.url}/metrics`)) };
    } finally {
      await bridge.stop();
    }
  } finally {
    await emulator.close();
  }
}

interface Result {
  size: number;
  growSec: number;
  paths: Paths;
  bytesBefore: number;
  bytesAfter: number;
  /** The file after, less the rows not compacted at the bytes a row had before, per compacted row. */
  bytesCompacted: number;
  /** Bytes per row of the calls table and of each index, after compaction (dbstat), the largest first. */
  breakdown: Array<{ name: string; bytes: number }>;
  compacted: number;
  compactSec: number;
  /**
   * The longest stalls (ms) while the sweep compacted: `before` the oldest calls, the ledger on the event loop (as
   * before this version, its checkpoints in their own thread); `thread` as many next, the ledger on its own thread
   * (as the bridge runs it now); `rest` the rest and the reclaim, on its own thread.
   */
  stall: { before: number; thread: number; rest: number };
  /** The longest a hook's put took while the sweep ran on the thread (it waits for the batch before it). */
  putDuringMs: number;
  after: Omit<Paths, 'statusPage' | 'metrics'>;
}

/** The retention sweep (its batches, its waits for the ledger's upkeep), over no more than `rows` calls, no reclaim. */
async function sweepAtMost(ledger: Ledger, rows: number): Promise<number> {
  let left = rows;
  const bounded = {
    compact: async (opts: { before: number; limit: number; now: number }) => {
      // Once `rows` are done, the next batch has room for none: a short batch, which ends the sweep.
      const n = await ledger.compact({ ...opts, limit: Math.min(opts.limit, left) });
      left -= n;
      return n;
    },
    forget: ledger.forget,
    reclaim: async () => 0,
    settle: ledger.settle,
  };
  await new RetentionSweeper(bounded, { keepDetailDays: 1, keepIdsDays: null }).sweep();
  return rows - left;
}

/**
 * The longest the event loop waited while `work` ran (monitorEventLoopDelay at 1 ms), on a cold cache with --cold;
 * and the longest of the hook puts made every 50 ms meanwhile.
 */
async function longestStall(ledger: Ledger, work: () => Promise<number>): Promise<{ done: number; stallMs: number; putMs: number; puts: number }> {
  if (COLD) dropPageCache();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // The monitor's timer must tick once first, or a stall in the first batch goes unseen.
  await sleep(20);
  let putMs = 0;
  let working = true;
  const hooks = (async () => {
    let puts = 0;
    for (; working; puts++) {
      const t0 = performance.now();
      await ledger.put([hookRow(`during-${Date.now()}-${puts}`)]);
      putMs = Math.max(putMs, performance.now() - t0);
      await sleep(50);
    }
    return puts;
  })();
  try {
    const done = await work();
    const stallMs = delay.max / 1e6;
    working = false;
    return { done, stallMs, putMs, puts: await hooks };
  } finally {
    working = false;
    delay.disable();
  }
}

async function measure(size: number): Promise<Result> {
  const tmp = tempDir('callbridge-bench-scale-');
  try {
    const file = path.join(tmp.dir, 'callbridge.sqlite');
    const now = Date.now();
    const g0 = performance.now();
    await grow(file, size, now);
    const growSec = (performance.now() - g0) / 1_000;
    // As the running bridge opens it: on its own thread, its checkpoints on another.
    let ledger: Ledger = await ThreadedSqliteLedger.open(file, { checkpointInBackground: true });
    const fromLedger = await ledgerPaths(ledger);
    await ledger.close();
    const paths = { ...fromLedger, ...(await bridgePaths(tmp.dir, file)) };
    const bytesBefore = fileBytes(file);
    // Side by side, the same work: the oldest calls compacted by the sweep with the ledger on the event loop (as
    // before this version), the next as many with the ledger on its own thread.
    const share = Math.min(SIDE_BY_SIDE_ROWS, Math.floor(size / 10));
    ledger = await openSqliteLedger(file, { checkpointInBackground: true });
    const before = await longestStall(ledger, () => sweepAtMost(ledger, share));
    await ledger.close();
    ledger = await ThreadedSqliteLedger.open(file, { checkpointInBackground: true });
    const thread = await longestStall(ledger, () => sweepAtMost(ledger, share));
    // Then the whole rest, and the space given back.
    const sweeper = new RetentionSweeper(ledger, { keepDetailDays: 1, keepIdsDays: null });
    const c0 = performance.now();
    const rest = await longestStall(ledger, async () => (await sweeper.sweep()).compacted);
    const compactSec = (performance.now() - c0) / 1_000;
    const after = await ledgerPaths(ledger);
    await ledger.close();
    // The paths' hook puts (twice) and those made while compacting (three phases).
    const rows = size + 2 * RUNS + before.puts + thread.puts + rest.puts;
    const compacted = before.done + thread.done + rest.done;
    const bytesAfter = fileBytes(file);
    const bytesCompacted = (bytesAfter - (rows - compacted) * (bytesBefore / rows)) / compacted;
    return {
      size,
      growSec,
      paths,
      bytesBefore: bytesBefore / rows,
      bytesAfter: bytesAfter / rows,
      bytesCompacted,
      breakdown: breakdown(file, rows),
      compacted,
      compactSec,
      stall: { before: before.stallMs, thread: thread.stallMs, rest: rest.stallMs },
      putDuringMs: Math.max(thread.putMs, rest.putMs),
      after,
    };
  } finally {
    tmp.cleanup();
  }
}

const results: Result[] = [];
for (const size of SIZES) {
  results.push(await measure(size));
  const r = results.at(-1)!;
  console.error(`${size.toLocaleString('en')} rows: grown in ${r.growSec.toFixed(0)} s, compacted ${r.compacted.toLocaleString('en')} in ${r.compactSec.toFixed(1)} s`);
}

const base = results[0]!;
const names = Object.keys(base.paths) as Array<keyof Paths>;
const missed: string[] = [];
const ratio = (ms: number, baseMs: number, what: string) => {
  const r = ms / baseMs;
  if (r > GOAL_RATIO && ms - baseMs > NOISE_MS) missed.push(what);
  return r;
};
console.log(`| rows | ${names.map((n) => `${n} ms`).join(' | ')} | bytes/row before | bytes/row after compaction | bytes per compacted row | longest stall ms, ledger on the event loop | on its own thread (ratio), same calls | the rest of the sweep | longest hook put meanwhile ms |`);
console.log(`|---:|${names.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|---:|`);
for (const r of results) {
  const cells = names.map((n) => `${r.paths[n].toFixed(2)} (${ratio(r.paths[n], base.paths[n], `${n} at ${r.size}`).toFixed(1)}x)`);
  if (Math.max(r.stall.thread, r.stall.rest) > GOAL_STALL_MS) missed.push(`stall at ${r.size}`);
  if (r.bytesCompacted > GOAL_COMPACTED_BYTES) missed.push(`compacted row at ${r.size}`);
  console.log(
    `| ${r.size.toLocaleString('en')} | ${cells.join(' | ')} | ${r.bytesBefore.toFixed(0)} | ${r.bytesAfter.toFixed(0)} | ${r.bytesCompacted.toFixed(0)} | ${r.stall.before.toFixed(1)} | ${r.stall.thread.toFixed(1)} (${(r.stall.thread / r.stall.before).toFixed(2)}) | ${r.stall.rest.toFixed(1)} | ${r.putDuringMs.toFixed(1)} |`,
  );
}
const largest = results.at(-1)!;
console.log(`\nbytes per row after compaction at ${largest.size.toLocaleString('en')} rows: ${largest.breakdown.map((b) => `${b.name} ${b.bytes.toFixed(0)}`).join(', ')}`);
const small = Object.keys(base.after) as Array<keyof Result['after']>;
console.log(`\nafter compaction: ${results.map((r) => `${r.size.toLocaleString('en')} rows: ${small.map((n) => `${n} ${r.after[n].toFixed(2)} ms`).join(', ')}`).join('; ')}`);
console.log(missed.length ? `goals missed: ${missed.join(', ')}` : `goals met: every path within ${GOAL_RATIO}x, stalls under ${GOAL_STALL_MS} ms, a compacted row under ${GOAL_COMPACTED_BYTES} bytes`);
process.exit(missed.length ? 1 : 0);
