/**
 * A live call while a backlog waits (issue 11): from its hook post to its POST at the emulator, with 100,000 imported
 * calls queued in the ledger and without any, side by side in one run, at 2 requests/s (a slot is 500 ms). The
 * backlog is put as `callbridge import` puts it (the import lane) before the bridge starts, so the submitter sends it
 * without pause all along. Goals: a live call's median latency with the backlog within one slot of the same without,
 * and no live call sent after more than one imported request that started after its post. Also: how fast /metrics
 * and the status page answer with that ledger (the 1,000,000-row figure belongs to the ledger issue).
 *
 * The real bridge (startBridge) runs in this process against the emulator (fetchRecordings off, no 429s), one hook
 * source with the generic adapter (a JSON body per call).
 *
 * Run: npx tsx bench/backlog.ts [backlog=100000] [live=20]   (about a minute)
 * Exits 1 when a goal is missed.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startBridge } from '../src/bridge/start.js';
import { loadConfig } from '../src/config/load.js';
import { startEmulator } from '../src/emulator/index.js';
import type { NewRow } from '../src/ledger/ledger.js';
import { openSqliteLedger } from '../src/ledger/sqlite.js';
import { createLogger } from '../src/log/logger.js';
import { payloadFor } from '../test/support/rows.js';
import { tempDir } from '../test/support/tmp.js';

const BACKLOG = Number(process.argv[2] ?? 100_000);
const LIVE = Number(process.argv[3] ?? 20);
const RATE = 2;
const SLOT_MS = 1_000 / RATE;
const LIVE_SPACING_MS = 1_300;
const TOKEN = 'bench-backlog-hook-token-0123456789';

if (!Number.isInteger(BACKLOG) || BACKLOG < 1 || !Number.isInteger(LIVE) || LIVE < 3) {
  console.error('usage: npx tsx bench/backlog.ts [backlog>=1] [live>=3]');
  process.exit(2);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function configFor(dir: string, emulator: { url: string; token: string }) {
  return {
    dataDir: path.join(dir, 'data'),
    log: { level: 'warn' },
    dstny: { baseUrl: emulator.url, token: emulator.token },
    http: { host: '127.0.0.1', port: 0 },
    submit: { rateLimit: { perSecond: RATE, adaptive: false }, concurrency: 2, dailyQuota: 0 },
    reconcile: { schedule: '0 0 1 1 *' },
    sources: [
      {
        id: 'pbx',
        type: 'hook',
        adapter: 'generic',
        auth: { type: 'bearer', token: TOKEN },
        groupQuietMs: 0,
        flushEveryMs: 50,
        options: {
          format: 'json',
          fields: { externalId: 'id', startTime: 'start', endTime: 'end', talkSec: 'talk', fromNumber: 'from', toNumber: 'to', recording: 'rec' },
          time: { format: 'iso' },
        },
      },
    ],
    normalize: { timezone: 'UTC', defaultCountry: 'SE', internalNumbers: ['^\\d{3}$'], owners: { map: { '201': 'anna@example.com' } } },
  };
}

/** The backlog as `callbridge import` leaves it: pending rows in the import lane, in batches of 5,000. */
async function putBacklog(file: string, count: number): Promise<void> {
  const ledger = await openSqliteLedger(file);
  try {
    for (let i = 0; i < count; i += 5_000) {
      const rows: NewRow[] = [];
      for (let k = i; k < Math.min(count, i + 5_000); k += 1) {
        const id = `old-${k}`;
        rows.push({ externalId: id, sourceId: 'pbx', location: `backlog.csv:${k + 1}`, state: 'pending', raw: { externalId: id }, payload: payloadFor(id), lane: 'import' });
      }
      await ledger.put(rows);
    }
  } finally {
    await ledger.close();
  }
}

interface Run {
  latencies: number[];
  /** Per live call: imported requests created after its post and before it. */
  overtaken: number[];
  metricsMs: number[];
  pageMs: number[];
  importedSent: number;
}

async function timed(url: string): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url);
  await res.text();
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return performance.now() - t0;
}

async function measure(backlog: number): Promise<Run> {
  const tmp = tempDir('callbridge-bench-backlog-');
  const emulator = await startEmulator({ fetchRecordings: false, appearDelayMs: 0, ratePerSecond: 1_000 });
  try {
    const file = path.join(tmp.dir, 'callbridge.yaml');
    writeFileSync(file, stringify(configFor(tmp.dir, emulator)));
    const { config } = loadConfig(file);
    if (backlog) await putBacklog(path.join(config.dataDir, 'callbridge.sqlite'), backlog);
    const bridge = await startBridge(config, { configDir: tmp.dir, logger: createLogger({ level: 'warn' }) });
    try {
      // Let the submitter settle into sending the backlog.
      await sleep(2_000);
      const run: Run = { latencies: [], overtaken: [], metricsMs: [], pageMs: [], importedSent: 0 };
      for (let i = 0; i < LIVE; i += 1) {
        const id = `live-${i}`;
        const end = new Date(Date.now() - 5_000);
        const body = JSON.stringify({ id, start: new Date(end.getTime() - 60_000).toISOString(), end: end.toISOString(), talk: 55, from: '0701234567', to: '201', rec: `https://rec.example.com/${id}.wav` });
        const posted = Date.now();
        const res = await fetch(`${bridge.url}/hooks/pbx`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` } });
        if (res.status !== 200) throw new Error(`hook: HTTP ${res.status} ${await res.text()}`);
        let created: number | undefined;
        const until = posted + 30_000;
        while ((created = emulator.state.recordsFor(id)[0]?.createdAt) === undefined) {
          if (Date.now() > until) throw new Error(`live call ${id} never reached the emulator`);
          await sleep(5);
        }
        run.latencies.push(created - posted);
        run.overtaken.push([...emulator.state.conversations.values()].filter((c) => c.externalId.startsWith('old-') && c.createdAt > posted && c.createdAt < created).length);
        run.metricsMs.push(await timed(`${bridge.url}/metrics`));
        run.pageMs.push(await timed(`${bridge.url}/`));
        await sleep(Math.max(0, LIVE_SPACING_MS - (Date.now() - posted)));
      }
      run.importedSent = [...emulator.state.conversations.values()].filter((c) => c.externalId.startsWith('old-')).length;
      return run;
    } finally {
      await bridge.stop();
    }
  } finally {
    await emulator.close();
    tmp.cleanup();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const max = (values: number[]) => Math.max(...values);

const without = await measure(0);
const withBacklog = await measure(BACKLOG);
const row = (name: string, r: Run) =>
  `| ${name} | ${median(r.latencies).toFixed(0)} | ${max(r.latencies).toFixed(0)} | ${max(r.overtaken)} | ${r.importedSent} | ${median(r.metricsMs).toFixed(1)} | ${median(r.pageMs).toFixed(1)} |`;
console.log(`live call: hook post → POST at the emulator, ${LIVE} calls ${LIVE_SPACING_MS} ms apart, rate ${RATE}/s (a slot is ${SLOT_MS} ms)\n`);
console.log('| backlog | p50 ms | max ms | imported sent ahead (max) | imported sent during the run | /metrics p50 ms | status page p50 ms |');
console.log('|---|---|---|---|---|---|---|');
console.log(row('none', without));
console.log(row(`${BACKLOG.toLocaleString('en')} imported`, withBacklog));
const extra = median(withBacklog.latencies) - median(without.latencies);
console.log(`\nmedian latency with the backlog − without: ${extra.toFixed(0)} ms (goal ≤ ${SLOT_MS} ms, one slot); ratio ${(median(withBacklog.latencies) / median(without.latencies)).toFixed(2)}`);
console.log(`imported requests a live call went after, at most: ${max(withBacklog.overtaken)} (goal ≤ 1)`);
const missed = extra > SLOT_MS || max(withBacklog.overtaken) > 1;
console.log(missed ? 'GOAL MISSED' : 'goals met');
process.exit(missed ? 1 : 0);
