/**
 * Replicas and the shared rate limit: the same calls delivered by one bridge and by three bridges on one PostgreSQL
 * ledger, side by side in one run, each against an emulator whose limit is N requests/s, the bridges configured to
 * the same N. For each:
 *
 *   - achieved submission rate / N     goal ≥ 0.95   (three replicas send as one: only the holder of the deliver role)
 *   - highest requests in one second   goal ≤ N      (as the emulator counts them, every route)
 *   - 429s provoked                    goal 0
 *   - every call created exactly once
 *
 * Input: `calls` generated answered Asterisk calls in one Master.csv dropped into the folder every bridge watches
 * (one replica reads it: source:asterisk). Webhooks confirm the calls.
 *
 * Run: npx tsx bench/replicas.ts [calls=1000] [rate=20]      Exits 1 when a goal is missed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PostgresServer } from '../test/support/postgres.js';
import {
  asteriskCalls,
  asteriskDropSource,
  BridgeProcess,
  bridgeConfig,
  dropFile,
  EmulatorProcess,
  freePort,
  nonZero,
  sleep,
  startRecordingServer,
  tempDir,
  writeConfig,
} from '../test/e2e/support.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const CALLS = Number(positional[0] ?? 1_000);
const RATE = Number(positional[1] ?? 20);
const GOAL = 0.95;

interface Result {
  replicas: number;
  created: number;
  duplicates: number;
  rate: number;
  peak: number;
  rateLimited: number;
  confirmed: number;
}

async function run(replicas: number, server: PostgresServer): Promise<Result> {
  const tmp = tempDir('callbridge-bench-replicas-');
  const database = `bench_${replicas}`;
  await server.sql(`CREATE DATABASE ${database}`);
  const recordings = await startRecordingServer();
  const emulator = await EmulatorProcess.start();
  const bridges: BridgeProcess[] = [];
  try {
    await emulator.faults({ ratePerSecond: RATE, appearDelayMs: 500 });
    const spool = path.join(tmp.dir, 'spool');
    mkdirSync(spool, { recursive: true });
    const ports = await Promise.all(Array.from({ length: replicas }, () => freePort()));
    const configFile = writeConfig(
      path.join(tmp.dir, 'callbridge.yaml'),
      bridgeConfig({
        dataDir: path.join(tmp.dir, 'data'),
        port: ports[0]!,
        sources: [{ ...asteriskDropSource('asterisk', spool), stableMs: 500 }],
        overrides: {
          log: { level: 'warn', format: 'json' },
          ledger: { url: '${DATABASE_URL}' },
          submit: { rateLimit: { perSecond: RATE }, concurrency: 4, leaseMs: 60_000, backoff: { baseMs: 1_000, maxMs: 30_000 } },
          reconcile: { schedule: '*/5 * * * * *', graceMinutes: 0.05, deadlineMinutes: 120, verifyWaitMinutes: 30 },
        },
      }),
    );
    const webhookSecret = randomBytes(16).toString('hex');
    const env = { DATABASE_URL: server.url('test', '', database), CALLBRIDGE_SIGNING_SECRET: randomBytes(32).toString('hex') };
    for (let i = 0; i < replicas; i++) {
      bridges.push(
        await BridgeProcess.start({ configFile, port: ports[i]!, emulator, webhookSecret, name: `replica-${i}`, env: { ...env, CALLBRIDGE_HTTP_PORT: String(ports[i]) } }),
      );
    }
    await emulator.registerWebhook(`${bridges[0]!.url}/webhooks/dstny/${webhookSecret}`);
    const calls = asteriskCalls({ count: CALLS, prefix: `bench${replicas}`, recordingBase: recordings.url });
    const t0 = Date.now();
    dropFile(spool, 'Master.csv', calls.csv);
    let confirmed = 0;
    while (Date.now() < t0 + (CALLS / (RATE * 0.9)) * 1000 + 120_000) {
      await sleep(1_000);
      const status = await bridges[0]!.status();
      confirmed = status.ledger.counts.confirmed;
      if (confirmed === CALLS) break;
      if ((Date.now() - t0) % 15_000 < 1_000) console.log(`  ${replicas} replica(s), ${((Date.now() - t0) / 1000).toFixed(0)} s: ${JSON.stringify(nonZero(status.ledger.counts))}`);
    }
    const stats = await emulator.stats();
    const c = stats.creations;
    const span = c.firstAt !== null && c.lastAt !== null ? c.lastAt - c.firstAt : 0;
    const created = stats.conversations.accepted;
    return {
      replicas,
      created,
      duplicates: stats.conversations.duplicates,
      // n creations spaced over `span` ms: (n - 1) intervals.
      rate: span > 0 ? ((created - 1) / span) * 1000 : 0,
      peak: stats.requests.peakPerSecond,
      rateLimited: stats.responses.rateLimited,
      confirmed,
    };
  } finally {
    for (const bridge of bridges) await bridge.cli.stop(10_000);
    await emulator.cli.stop(3_000);
    await recordings.close();
    tmp.cleanup();
  }
}

async function main(): Promise<number> {
  console.log(`bench/replicas: ${CALLS} calls, rate limit N = ${RATE}/s at the emulator and in every bridge; one bridge, then three, on one PostgreSQL`);
  const server = await PostgresServer.create({ durable: true });
  const results: Result[] = [];
  try {
    for (const replicas of [1, 3]) results.push(await run(replicas, server));
  } finally {
    await server.destroy();
  }
  console.log('');
  console.log('replicas  rate / N              peak/s  429s  created (duplicates)  confirmed  goals');
  let ok = true;
  for (const r of results) {
    const good = r.rate / RATE >= GOAL && r.peak <= RATE && r.rateLimited === 0 && r.created === CALLS && r.duplicates === 0 && r.confirmed === CALLS;
    ok &&= good;
    console.log(
      `${String(r.replicas).padEnd(8)}  ${`${r.rate.toFixed(2)}/s = ${(r.rate / RATE).toFixed(3)}`.padEnd(20)}  ${String(r.peak).padEnd(6)}  ${String(r.rateLimited).padEnd(4)}  ` +
        `${`${r.created} (${r.duplicates})`.padEnd(20)}  ${String(r.confirmed).padEnd(9)}  ${good ? 'ok' : 'MISSED'}`,
    );
  }
  console.log(`goals: rate / N ≥ ${GOAL}, peak ≤ N, no 429, every call created once and confirmed`);
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
