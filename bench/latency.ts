/**
 * Latency of a complete call (issue 12): from its last leg received (the hangup: the last hook post, the appended
 * tail line) to the conversation's POST at the emulator, p50 and p99 over N calls per adapter, with early assembly
 * (the adapter's `complete`) and without it (every call waits for its quiet period, as before), side by side in one
 * run. Goal: p99 under 1 s at idle with early assembly.
 *
 * The real bridge (startBridge) runs in this process against the emulator, in live mode; one source per case:
 *   - freeswitch-json hook: the four mod_json_cdr documents of the real call B1 (test/fixtures/freeswitch-real),
 *     posted one per request with fresh channel uuids, the A leg last;
 *   - asterisk-csv tail: the three Master.csv rows of the real call D1 (test/fixtures/asterisk-real), appended one
 *     line at a time with fresh uniqueids and channel ids;
 *   - twilio hook: the status and recording callbacks of test/fixtures/twilio/inbound-with-recording.form, with a
 *     fresh CallSid, the recording last.
 * Each case starts a call every 300 ms, the three cases 100 ms apart, so the bridge is idle between calls. Settings as in config/examples: tail
 * pollMs 1000, flushEveryMs 5000, submit.pumpIntervalMs 1000 (its default). With early assembly groupQuietMs is the
 * examples' 120000 (it plays no part for a complete call). Without, waiting that long would take minutes per run:
 * "without" uses groupQuietMs 5000 instead, so its figures are far below what the examples' quiet periods give
 * (120 s, 180 s, 600 s plus up to flushEveryMs).
 *
 * Run: npx tsx bench/latency.ts [calls=50]   (about a minute)
 * Exits 1 when the goal is missed.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import asteriskCsv from '../adapters/asterisk-csv/index.js';
import freeswitchJson from '../adapters/freeswitch-json/index.js';
import twilio from '../adapters/twilio/index.js';
import type { AdapterDefinition } from '../adapters/types.js';
import { startBridge } from '../src/bridge/start.js';
import { loadConfig } from '../src/config/load.js';
import { startEmulator } from '../src/emulator/index.js';
import { createLogger } from '../src/log/logger.js';
import { tempDir } from '../test/support/tmp.js';

const CALLS = Number(process.argv[2] ?? 50);
const GOAL_MS = 1_000;
const SPACING_MS = 300;
const QUIET_WITHOUT_MS = 5_000;
const QUIET_EXAMPLES_MS = 120_000;
const GIVE_UP_MS = 60_000;

if (!Number.isInteger(CALLS) || CALLS < 2) {
  console.error('usage: npx tsx bench/latency.ts [calls>=2]');
  process.exit(2);
}

const FS_DIR = 'test/fixtures/freeswitch-real';
const AST_DIR = 'test/fixtures/asterisk-real';
/** B1's four CDRs in the order their posts are sent: the desk phone, the bridge's leg, the caller's handset, the A leg. */
const B1 = ['a_5268d38b-31c6-4b1e-b41d-654ed99d711d', 'cfb93277-4d46-4fa7-be40-75f5c7c87897', 'a_4e79588c-77ce-444b-b0f2-3e132b8be50c', 'a_a6caeed6-e329-44d7-8a05-9061ff1d8200'];
const B1_CALL = 'a6caeed6-e329-44d7-8a05-9061ff1d8200';
const B1_UUIDS = B1.map((f) => f.replace(/^a_/, ''));

interface Call {
  externalId: string;
  /** Each leg: deliver it. The last one's moment is the hangup. */
  legs: Array<() => Promise<void>>;
}

interface Case {
  name: string;
  adapter: AdapterDefinition;
  calls: Call[];
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function post(url: string, body: string, contentType: string): Promise<void> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': contentType } });
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`);
}

/** Fresh copies of the real calls, their recordings in `root` where the fixture configs map them. */
function makeCases(bridgeUrl: string, tail: string, root: string): Case[] {
  const fsDocs = B1.map((f) => readFileSync(path.join(FS_DIR, 'json_cdr', `${f}.cdr.json`), 'utf8'));
  const fsWav = path.join(FS_DIR, 'recordings/2026-12-06', `${B1_CALL}.wav`);
  mkdirSync(path.join(root, '2026-12-06'), { recursive: true });
  const freeswitch: Call[] = Array.from({ length: CALLS }, () => {
    const fresh = new Map(B1_UUIDS.map((u) => [u, randomUUID()]));
    const docs = fsDocs.map((doc) => B1_UUIDS.reduce((text, u) => text.replaceAll(u, fresh.get(u) as string), doc));
    const externalId = fresh.get(B1_CALL) as string;
    copyFileSync(fsWav, path.join(root, '2026-12-06', `${externalId}.wav`));
    return { externalId, legs: docs.map((doc) => () => post(`${bridgeUrl}/hooks/fs`, doc, 'application/json')) };
  });

  const d1 = readFileSync(path.join(AST_DIR, 'Master.csv'), 'utf8').split(/(?<=\n)/).slice(0, 3);
  const astWav = readdirSync(path.join(AST_DIR, 'rec/2026/12/06')).find((f) => f.endsWith('pbx2-1796588649.1.wav')) as string;
  mkdirSync(path.join(root, '2026/12/06'), { recursive: true });
  const asterisk: Call[] = Array.from({ length: CALLS }, (_, i) => {
    const epoch = 1796600000 + i;
    const hex = (n: number) => n.toString(16).padStart(8, '0');
    const rows = d1.map((row) =>
      row
        .replace(/pbx2-1796588649\./g, `pbx2-${epoch}.`)
        .replace('callgen-00000000', `callgen-${hex(2 * i)}`)
        .replace('desk-00000001', `desk-${hex(2 * i + 1)}`),
    );
    copyFileSync(path.join(AST_DIR, 'rec/2026/12/06', astWav), path.join(root, '2026/12/06', astWav.replace('pbx2-1796588649.', `pbx2-${epoch}.`)));
    return {
      externalId: `pbx2-${epoch}.0`,
      legs: rows.map((row) => async () => appendFileSync(tail, row)),
    };
  });

  const callbacks = readFileSync('test/fixtures/twilio/inbound-with-recording.form', 'utf8').split('\n').filter(Boolean);
  const sid = 'CA2f9d4b61e08c37a5f1b2d3e4c5a6b7d8';
  const twilioCalls: Call[] = Array.from({ length: CALLS }, () => {
    const fresh = `CA${randomUUID().replaceAll('-', '')}`;
    return { externalId: fresh, legs: callbacks.map((body) => () => post(`${bridgeUrl}/hooks/twilio`, body.replaceAll(sid, fresh), 'application/x-www-form-urlencoded')) };
  });

  return [
    { name: 'freeswitch-json hook', adapter: freeswitchJson as AdapterDefinition, calls: freeswitch },
    { name: 'asterisk-csv tail', adapter: asteriskCsv as AdapterDefinition, calls: asterisk },
    { name: 'twilio hook', adapter: twilio as AdapterDefinition, calls: twilioCalls },
  ];
}

function configFor(dir: string, emulator: { url: string; token: string }, quietMs: number, tail: string, root: string) {
  const fsSource = loadConfig(path.join(FS_DIR, 'callbridge.yaml')).config.sources[0];
  const astConfig = loadConfig(path.join(AST_DIR, 'callbridge.yaml')).config;
  const twilioSource = loadConfig('test/fixtures/twilio/callbridge.yaml').config.sources[0];
  const fsNormalize = loadConfig(path.join(FS_DIR, 'callbridge.yaml')).config.normalize;
  const twilioNormalize = loadConfig('test/fixtures/twilio/callbridge.yaml').config.normalize;
  return {
    dataDir: path.join(dir, 'data'),
    log: { level: 'warn' },
    dstny: { baseUrl: emulator.url, token: emulator.token },
    http: { host: '127.0.0.1', port: 0, publicBaseUrl: 'http://127.0.0.1:1' },
    recordings: { roots: [root] },
    submit: { rateLimit: { perSecond: 50 }, concurrency: 8 },
    sources: [
      { id: 'fs', type: 'hook', adapter: 'freeswitch-json', options: fsSource?.options, groupQuietMs: quietMs, flushEveryMs: 5_000 },
      { id: 'pbx2', type: 'tail', path: tail, adapter: 'asterisk-csv', options: astConfig.sources[0]?.options, timezone: 'Europe/Stockholm', pollMs: 1_000, groupQuietMs: quietMs, flushEveryMs: 5_000 },
      { id: 'twilio', type: 'hook', adapter: 'twilio', options: twilioSource?.options, groupQuietMs: quietMs, flushEveryMs: 5_000 },
    ],
    normalize: {
      timezone: 'Europe/Stockholm',
      defaultCountry: 'SE',
      internalNumbers: [...fsNormalize.internalNumbers, ...astConfig.normalize.internalNumbers, ...twilioNormalize.internalNumbers],
      owners: { map: { ...fsNormalize.owners.map, ...astConfig.normalize.owners.map, ...twilioNormalize.owners.map } },
    },
  };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

interface Latencies {
  /** Last leg → the call's row in the ledger (assembled, normalized, put), ms, sorted. */
  ledger: number[];
  /** Last leg → its POST at the emulator, ms, sorted. */
  post: number[];
}

/** One bridge, every case's calls started SPACING_MS apart; per case, the latencies of its calls. */
async function measure(early: boolean): Promise<Map<string, Latencies>> {
  const tmp = tempDir('callbridge-bench-latency-');
  const emulator = await startEmulator({ fetchRecordings: false, appearDelayMs: 0, ratePerSecond: 100 });
  const tail = path.join(tmp.dir, 'Master.csv');
  writeFileSync(tail, '');
  const root = path.join(tmp.dir, 'recordings');
  const file = path.join(tmp.dir, 'callbridge.yaml');
  writeFileSync(file, stringify(configFor(tmp.dir, emulator, early ? QUIET_EXAMPLES_MS : QUIET_WITHOUT_MS, tail, root)));
  const { config } = loadConfig(file);
  const bridge = await startBridge(config, { configDir: tmp.dir, logger: createLogger({ level: 'warn' }) });
  try {
    const cases = makeCases(bridge.url, tail, root);
    const hangups = new Map<string, number>();
    const sent: Array<Promise<void>> = [];
    for (let i = 0; i < CALLS; i += 1) {
      for (const c of cases) {
        const call = c.calls[i] as Call;
        sent.push(
          (async () => {
            for (const leg of call.legs.slice(0, -1)) {
              await leg();
              await sleep(20);
            }
            hangups.set(call.externalId, Date.now());
            await (call.legs.at(-1) as () => Promise<void>)();
          })(),
        );
        await sleep(SPACING_MS / cases.length);
      }
    }
    await Promise.all(sent);
    const until = Date.now() + GIVE_UP_MS + (early ? 0 : QUIET_WITHOUT_MS);
    const out = new Map<string, Latencies>();
    for (const c of cases) {
      const latencies: Latencies = { ledger: [], post: [] };
      for (const call of c.calls) {
        let created: number | undefined;
        while ((created = emulator.state.recordsFor(call.externalId)[0]?.createdAt) === undefined) {
          if (Date.now() > until) throw new Error(`${c.name}: call ${call.externalId} never reached the emulator (${early ? 'with' : 'without'} early assembly)`);
          await sleep(20);
        }
        const hangup = hangups.get(call.externalId) as number;
        latencies.post.push(created - hangup);
        latencies.ledger.push(((await bridge.ledger.get(call.externalId))?.createdAt ?? Number.NaN) - hangup);
      }
      latencies.ledger.sort((a, b) => a - b);
      latencies.post.sort((a, b) => a - b);
      out.set(c.name, latencies);
    }
    return out;
  } finally {
    await bridge.stop();
    await emulator.close();
    tmp.cleanup();
  }
}

async function main(): Promise<number> {
  const rules = [freeswitchJson, asteriskCsv, twilio] as AdapterDefinition[];
  console.log(
    `bench/latency: ${CALLS} complete calls per case, one every ${SPACING_MS} ms (the cases staggered); last leg → POST at the emulator. ` +
      `With early assembly (groupQuietMs ${QUIET_EXAMPLES_MS} as in config/examples) and without (groupQuietMs ${QUIET_WITHOUT_MS}, ` +
      `not the examples' 120–600 s: the real "without" is minutes); tail pollMs 1000, flushEveryMs 5000, submit.pumpIntervalMs 1000 (a commit wakes the submitter).`,
  );
  const withEarly = await measure(true);
  const saved = rules.map((a) => a.complete);
  for (const a of rules) delete a.complete;
  let without: Map<string, Latencies>;
  try {
    without = await measure(false);
  } finally {
    rules.forEach((a, i) => {
      a.complete = saved[i];
    });
  }

  const rows = [...withEarly.keys()].map((name) => {
    const a = withEarly.get(name) as Latencies;
    const b = without.get(name) as Latencies;
    return {
      name,
      p50: percentile(a.post, 50),
      p99: percentile(a.post, 99),
      w50: percentile(b.post, 50),
      w99: percentile(b.post, 99),
      l50: percentile(a.ledger, 50),
      l99: percentile(a.ledger, 99),
    };
  });
  const ms = (n: number) => `${Math.round(n)} ms`;
  const w = Math.max(...rows.map((r) => r.name.length));
  console.log('');
  console.log('last leg → POST at the emulator, p50 / p99:');
  console.log(`${'case'.padEnd(w)}  early             without              ratio early/without   goal p99 < ${GOAL_MS} ms`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(w)}  ${`${ms(r.p50)} / ${ms(r.p99)}`.padEnd(18)}${`${ms(r.w50)} / ${ms(r.w99)}`.padEnd(21)}` +
        `${`${(r.p50 / r.w50).toFixed(3)} / ${(r.p99 / r.w99).toFixed(3)}`.padEnd(22)}${r.p99 < GOAL_MS ? 'ok' : 'MISSED'}`,
    );
  }
  console.log('');
  console.log('of which, with early assembly, last leg → the row in the ledger, p50 / p99:');
  for (const r of rows) console.log(`${r.name.padEnd(w)}  ${ms(r.l50)} / ${ms(r.l99)}`);
  return rows.every((r) => r.p99 < GOAL_MS) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
