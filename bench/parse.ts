/**
 * Parse benchmark (issue 3): `npx tsx bench/parse.ts [rows]` (default 1,000,000).
 *
 * 1. Generates a Master.csv of N realistic Asterisk cdr_csv rows (21 columns: uniqueid, userfield and the
 *    newcdrcolumns; incoming and outgoing calls over a trunk, unanswered and busy calls, transfers and queue
 *    calls of 2–3 legs sharing a linkedid) into a temp folder.
 * 2. In the same run, each in its own child process (the same file, and the node flags `npm start` runs the bridge with):
 *    (a) csv-parse alone over the file: the floor any CSV adapter stands on;
 *    (b) the asterisk-csv adapter → streaming grouper → normalizer (owners, E.164, zone → UTC, payload check),
 *        everything `callbridge parse` does except writing the output.
 * 3. Prints rows/s of each, the ratio (b)/(a) (goal ≥ 0.25) and the peak RSS of (b) (goal < 200 MB, whatever
 *    the file's size: streaming, not loading), and (b)'s peak RSS without the heap flag for comparison.
 *    Exits 1 when a goal is missed.
 *
 * `--keep` keeps the generated file; `--file PATH` measures an existing Master.csv instead of generating one;
 * `--stages` also runs (b) cut after the adapter and after grouping, and prints each stage's share of the CPU time;
 * `--times` also times normalizing's speed tricks (src/pipeline/fast-*.ts) against the plain calls they replace.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { seededRandom } from '../src/emulator/seeded-random.js';

const USAGE = `usage: npx tsx bench/parse.ts [rows] [--keep] [--file PATH] [--stages] [--times]
  rows         rows of the generated Master.csv (default 1,000,000)
  --keep       keep the generated file
  --file PATH  measure an existing Master.csv instead of generating one
  --stages     also run (b) cut after the adapter and after grouping: each stage's share of the CPU time
  --times      also time normalizing's speed tricks against the plain calls they replace, per time of the file`;
/**
 * A regression guard at what (b) measures now (~0.25 of csv-parse alone), not a target: what costs the rest (E.164
 * through libphonenumber-js, every API body validated before it is queued) is worth more than the last part of the
 * speed. A run below it means something got slower since: find what before lowering the goal.
 */
const RATIO_GOAL = 0.25;
const RSS_GOAL_MB = 200;
const EXTENSIONS = 120;
const SELF = fileURLToPath(import.meta.url);
const ROOT = path.dirname(path.dirname(SELF));

interface ChildResult {
  rows: number;
  calls?: number;
  payloads?: number;
  errors?: number;
  ms: number;
  /** CPU time (user + system) of the measured part: what the work costs, whatever else the machine runs. */
  cpuMs: number;
  maxRssMb: number;
}

function cpuSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

// ---------------------------------------------------------------------------------------------- generation

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const stamp = (ms: number) => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
};
const q = (s: string) => `"${s.replace(/"/g, '""')}"`;

const FIRST = ['Anna', 'Erik', 'Maria', 'Lars', 'Karin', 'Johan', 'Eva', 'Anders', 'Sara', 'Per', 'Lena', 'Nils'];
const LAST = ['Andersson', 'Johansson', 'Karlsson', 'Nilsson', 'Eriksson', 'Larsson', 'Olsson', 'Persson', 'Svensson', 'Berg'];

export async function generateMasterCsv(file: string, rows: number): Promise<void> {
  const rand = seededRandom(rows); // the same N gives the same file
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T;
  const out = createWriteStream(file);
  let clock = Date.UTC(2024, 2, 1, 7, 0, 0); // wall-clock times (the PBX's zone), across the March DST change
  let seq = 0;
  let written = 0;
  let buffer = '';
  const emit = async (fields: Array<string | number>) => {
    buffer += `${fields.map((f) => (typeof f === 'number' ? String(f) : q(f))).join(',')}\n`;
    written += 1;
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain');
      buffer = '';
    }
  };
  while (written < rows) {
    clock += Math.floor(rand() * 20_000);
    const epoch = Math.floor(clock / 1000);
    const linkedid = `${epoch}.${seq}`;
    const ext = String(1000 + Math.floor(rand() * EXTENSIONS));
    const external = `07${Math.floor(rand() * 10)}${String(Math.floor(rand() * 1e7)).padStart(7, '0')}`;
    const name = `${pick(FIRST)} ${pick(LAST)}`;
    const kind = rand();
    const ring = 2 + Math.floor(rand() * 20);
    const talk = 5 + Math.floor(rand() * 900);
    const recording = `/var/spool/asterisk/monitor/${linkedid}.wav`;
    const leg = (o: {
      src: string;
      dst: string;
      clid: string;
      channel: string;
      dstchannel: string;
      start: number;
      answered: boolean;
      disposition: string;
      talkSec: number;
      uniqueid: string;
      sequence: number;
      userfield?: string;
      lastapp?: string;
    }) => {
      const answer = o.answered ? stamp(o.start + ring * 1000) : '';
      const endMs = o.start + (ring + o.talkSec) * 1000;
      return emit([
        '',
        o.src,
        o.dst,
        'from-internal',
        o.clid,
        o.channel,
        o.dstchannel,
        o.lastapp ?? 'Dial',
        `${o.dstchannel.split('-')[0]},30,tTr`,
        stamp(o.start),
        answer,
        stamp(endMs),
        ring + o.talkSec,
        o.answered ? o.talkSec : 0,
        o.disposition,
        'DOCUMENTATION',
        o.uniqueid,
        o.userfield ?? '',
        '',
        linkedid,
        o.sequence,
      ]);
    };
    const trunk = `PJSIP/trunk-telia-${pad(seq % 4096, 8)}`;
    const phone = (e: string) => `PJSIP/${e}-${pad((seq * 7) % 65536, 8)}`;
    if (kind < 0.55) {
      // Incoming from the trunk, answered by an extension, recorded.
      await leg({ src: external, dst: ext, clid: `"${name}" <${external}>`, channel: trunk, dstchannel: phone(ext), start: clock, answered: true, disposition: 'ANSWERED', talkSec: talk, uniqueid: linkedid, sequence: seq, userfield: recording });
    } else if (kind < 0.8) {
      // Outgoing from an extension over the trunk.
      await leg({ src: ext, dst: external, clid: `"Ext ${ext}" <${ext}>`, channel: phone(ext), dstchannel: trunk, start: clock, answered: true, disposition: 'ANSWERED', talkSec: talk, uniqueid: linkedid, sequence: seq, userfield: recording });
    } else if (kind < 0.9) {
      // Not answered / busy: skipped by normalization.
      await leg({ src: external, dst: ext, clid: `"${name}" <${external}>`, channel: trunk, dstchannel: phone(ext), start: clock, answered: false, disposition: rand() < 0.7 ? 'NO ANSWER' : 'BUSY', talkSec: 0, uniqueid: linkedid, sequence: seq });
    } else {
      // A queue call: rings two agents (one no answer), the second answers, sometimes transfers: 2–3 legs, one linkedid.
      const other = String(1000 + ((Number(ext) - 1000 + 1) % EXTENSIONS));
      await leg({ src: external, dst: '600', clid: `"${name}" <${external}>`, channel: trunk, dstchannel: phone(other), start: clock, answered: false, disposition: 'NO ANSWER', talkSec: 0, uniqueid: `${epoch}.${seq + 1}`, sequence: seq + 1, lastapp: 'Queue' });
      await leg({ src: external, dst: '600', clid: `"${name}" <${external}>`, channel: trunk, dstchannel: phone(ext), start: clock + 15_000, answered: true, disposition: 'ANSWERED', talkSec: talk, uniqueid: linkedid, sequence: seq + 2, userfield: recording, lastapp: 'Queue' });
      if (rand() < 0.4 && written < rows) {
        await leg({ src: ext, dst: other, clid: `"Ext ${ext}" <${ext}>`, channel: phone(ext), dstchannel: phone(other), start: clock + 60_000, answered: true, disposition: 'ANSWERED', talkSec: 30, uniqueid: `${epoch}.${seq + 3}`, sequence: seq + 3 });
      }
    }
    seq += 4;
  }
  out.end(buffer);
  await once(out, 'finish');
}

// ---------------------------------------------------------------------------------------------- children

async function childCsv(file: string): Promise<ChildResult> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let rows = 0;
  const parser = createReadStream(file).pipe(parse({ relax_column_count: true }));
  for await (const _record of parser) rows += 1;
  return { rows, ms: performance.now() - started, cpuMs: cpuSince(cpu), maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

interface TimesResult {
  rows: number;
  times: number;
  /** CPU nanoseconds per time: resolveCallTimes (hour cache) and luxon alone; formatUtc (tables) and toISOString. */
  resolveNs: number;
  luxonNs: number;
  formatNs: number;
  isoStringNs: number;
}

const TIMES_ROWS = 20_000;

/**
 * What each speed trick of normalizing saves, against the plain call it replaces, over the times of the file's
 * first rows as the adapter passes them on. The plain zone → UTC call, luxon's DateTime.fromISO in the zone, is
 * the least a time would cost without the hour cache (the ratio understates the saving). formatUtc's text is
 * checked against toISOString's for every instant before it is timed.
 */
async function childTimes(file: string): Promise<TimesResult> {
  const { DateTime } = await import('luxon');
  const { wallClockToIso } = await import('../adapters/shared/wall-clock.js');
  const { resolveCallTimes } = await import('../src/pipeline/call-times.js');
  const { formatUtc } = await import('../src/pipeline/fast-utc.js');
  const zone = 'Europe/Stockholm'; // as (b) normalizes
  const calls: Array<{ startTime: string; answerTime?: string; endTime?: string; durationSec: number }> = [];
  const times: string[] = [];
  for await (const record of createReadStream(file).pipe(parse({ relax_column_count: true, to: TIMES_ROWS }))) {
    const [start, answer, end, duration] = (record as string[]).slice(9, 13).map((text) => wallClockToIso(text ?? '') ?? text);
    const call: (typeof calls)[number] = { startTime: start as string, durationSec: Number(duration) };
    if (answer) call.answerTime = answer;
    if (end) call.endTime = end;
    calls.push(call);
    times.push(...[start, answer, end].filter((t): t is string => Boolean(t)));
  }
  const instants = calls.flatMap((call) => {
    const resolved = resolveCallTimes(call, zone);
    return resolved.end === undefined ? [resolved.start] : [resolved.start, resolved.end];
  });
  const isoString = (ms: number) => {
    const iso = new Date(ms).toISOString();
    return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
  };
  for (const ms of instants) if (formatUtc(ms) !== isoString(ms)) throw new Error(`formatUtc(${ms}) = ${formatUtc(ms)}, not ${isoString(ms)}`);
  let sink = 0;
  const resolveNs = nsPerItem(times.length, () => {
    for (const call of calls) sink += resolveCallTimes(call, zone).start;
  });
  const luxonNs = nsPerItem(times.length, () => {
    for (const time of times) sink += DateTime.fromISO(time, { zone }).toMillis();
  });
  const formatNs = nsPerItem(instants.length, () => {
    for (const ms of instants) sink += formatUtc(ms).length;
  });
  const isoStringNs = nsPerItem(instants.length, () => {
    for (const ms of instants) sink += isoString(ms).length;
  });
  if (sink === 0) throw new Error('nothing measured');
  return { rows: calls.length, times: times.length, resolveNs, luxonNs, formatNs, isoStringNs };
}

/** CPU nanoseconds per item of `pass` over `items`: passes repeated for at least 300 ms, the fastest of three such runs. */
function nsPerItem(items: number, pass: () => void): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    let passes = 0;
    const started = performance.now();
    const cpu = process.cpuUsage();
    do {
      pass();
      passes += 1;
    } while (performance.now() - started < 300);
    best = Math.min(best, (cpuSince(cpu) * 1e6) / (passes * items));
  }
  return best;
}

type Stage = 'adapter' | 'group' | 'pipeline';

async function childPipeline(file: string, rows: number, stage: Stage = 'pipeline'): Promise<ChildResult> {
  // Imported here so that (a) does not pay for loading the pipeline.
  const { getAdapter } = await import('../adapters/registry.js');
  const { parseWhole } = await import('../src/pipeline/ingestor.js');
  const { normalizeConfigSchema } = await import('../src/pipeline/config.js');
  const { createNormalizer } = await import('../src/pipeline/normalizer.js');
  const { RecordingLinks } = await import('../src/recordings/links.js');
  const adapter = getAdapter('asterisk-csv');
  // Recordings as URLs on the PBX's web server: the benchmark measures parsing and normalizing, not disk look-ups.
  const options = adapter.configSchema.parse({ userfieldIsRecording: false, recordingTemplate: 'https://pbx.example.com/recordings/{yyyy}/{mm}/{dd}/{linkedid}.wav' });
  const map: Record<string, string> = {};
  for (let i = 0; i < EXTENSIONS; i++) map[String(1000 + i)] = `agent${1000 + i}@example.com`;
  const normalize = normalizeConfigSchema.parse({
    timezone: 'Europe/Stockholm',
    defaultCountry: 'SE',
    trunkPatterns: ['^PJSIP/trunk-'],
    owners: { map },
  });
  const normalizer = createNormalizer(normalize, {
    baseDir: process.cwd(),
    links: new RecordingLinks({ publicBaseUrl: 'https://bridge.example.com', secret: 'bench-signing-secret-0123456789', ttlHours: 72 }),
    linkClock: 'now',
    roots: ['/var/spool/asterisk/monitor'],
  });
  const source = { type: 'drop' as const, id: 'bench', adapter: 'asterisk-csv', options: options as Record<string, unknown>, path: '.', stableMs: 0, rescanMs: 10_000, groupQuietMs: 0 };
  const started = performance.now();
  const cpu = process.cpuUsage();
  const now = Date.now();
  let calls = 0;
  let payloads = 0;
  let errors = 0;
  const outcomes: Record<string, number> = {};
  if (stage === 'adapter') {
    for await (const item of adapter.parse({ name: file, stream: createReadStream(file) }, options)) {
      if (item.kind === 'leg') calls += 1;
      else errors += 1;
    }
    return { rows, calls, errors, ms: performance.now() - started, cpuMs: cpuSince(cpu), maxRssMb: process.resourceUsage().maxRSS / 1024 };
  }
  for await (const item of parseWhole(adapter, source, { name: file, stream: createReadStream(file) }, normalize.groupWindowLegs)) {
    if (stage === 'group') {
      if (item.kind === 'call') calls += 1;
      else errors += 1;
      continue;
    }
    if (item.kind !== 'call') {
      errors += 1;
      continue;
    }
    calls += 1;
    const result = await normalizer.normalize(item.call, source, now);
    outcomes[result.kind] = (outcomes[result.kind] ?? 0) + 1;
    if (result.kind === 'payload') payloads += 1;
  }
  const ms = performance.now() - started;
  const cpuMs = cpuSince(cpu);
  process.stderr.write(`  (b) outcomes: ${JSON.stringify(outcomes)}\n`);
  return { rows, calls, payloads, errors, ms, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024 };
}

/**
 * The children run plain JavaScript under plain `node`, as the bridge runs in production (`node dist/...`):
 * under tsx, the TypeScript loader's own thread would be counted in the peak RSS. The sources are transpiled
 * (no type-check) into node_modules/.cache so that bare imports resolve to the project's packages.
 */
async function transpileProject(): Promise<string> {
  // Loaded here, not at the top: the children run this same file and must not carry the compiler.
  const { default: ts } = await import('typescript');
  const out = path.join(ROOT, 'node_modules', '.cache', 'callbridge-bench');
  rmSync(out, { recursive: true, force: true });
  const walk = (dir: string): string[] =>
    readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) return walk(rel);
      return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [rel] : [];
    });
  for (const rel of [...walk('src'), ...walk('adapters'), 'bench/parse.ts']) {
    const js = ts.transpileModule(readFileSync(path.join(ROOT, rel), 'utf8'), {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
      fileName: rel,
    }).outputText;
    const target = path.join(out, rel.replace(/\.ts$/, '.js'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, js);
  }
  // Inside node_modules the project's "type": "module" does not reach: say it again.
  writeFileSync(path.join(out, 'package.json'), '{"type":"module"}\n');
  return path.join(out, 'bench', 'parse.js');
}

/**
 * The V8 flags the bridge runs with (`npm start`, `npm run callbridge` and the Docker image pin the heap limit):
 * read from package.json's start script, so that the benchmark measures the bridge as it is run.
 */
function bridgeNodeFlags(): string[] {
  const scripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return (scripts.start ?? '').split(/\s+/).filter((word) => /^--max-(?:old|semi)-space-size=\d+$/.test(word));
}

async function runChild<T = ChildResult>(script: string, mode: 'csv' | 'times' | Stage, file: string, rows: number, nodeFlags: readonly string[]): Promise<T> {
  const child = spawn(process.execPath, [...nodeFlags, script, `--child=${mode}`, file, String(rows)], { stdio: ['ignore', 'pipe', 'inherit'], cwd: ROOT });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`child ${mode} exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop() as string) as T;
}

// ---------------------------------------------------------------------------------------------- main

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const child = args.find((a) => a.startsWith('--child='))?.slice('--child='.length);
  if (child) {
    const [file, rows] = args.filter((a) => !a.startsWith('--'));
    // (b) reports against the row count (a) measured: cdr_csv writes one record per line.
    const result =
      child === 'csv' ? await childCsv(file as string) : child === 'times' ? await childTimes(file as string) : await childPipeline(file as string, Number(rows), child as Stage);
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  if (args.includes('--help') || args.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const keep = args.includes('--keep');
  const fileArg = args.indexOf('--file');
  const rowsArg = args.find((a) => /^\d[\d_,]*$/.test(a));
  let rows = rowsArg ? Number(rowsArg.replace(/[_,]/g, '')) : 1_000_000;
  let dir: string | undefined;
  let file: string;
  if (fileArg >= 0 && args[fileArg + 1]) {
    file = args[fileArg + 1] as string;
  } else {
    dir = mkdtempSync(path.join(tmpdir(), 'callbridge-bench-'));
    file = path.join(dir, 'Master.csv');
    const t0 = performance.now();
    await generateMasterCsv(file, rows);
    console.log(`generated ${rows.toLocaleString('en')} rows (${(statSync(file).size / 1e6).toFixed(0)} MB) in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${file}`);
  }
  try {
    const script = await transpileProject();
    const flags = bridgeNodeFlags();
    const csv = await runChild(script, 'csv', file, rows, flags);
    rows = csv.rows;
    const ours = await runChild(script, 'pipeline', file, rows, flags);
    // For comparison only: the same run with V8's own heap sizing, which scales with the host's RAM.
    const defaultHeap = await runChild(script, 'pipeline', file, rows, []);
    const fmt = (n: number) => Math.round(n).toLocaleString('en');
    const line = (label: string, r: ChildResult) =>
      `${label} ${fmt(r.rows / (r.cpuMs / 1000)).padStart(9)} rows/s CPU  ${fmt(r.rows / (r.ms / 1000)).padStart(9)} rows/s wall  ` +
      `(${(r.cpuMs / 1000).toFixed(1)} s CPU, ${(r.ms / 1000).toFixed(1)} s wall)  peak RSS ${r.maxRssMb.toFixed(0)} MB`;
    console.log('');
    console.log(line('(a) csv-parse alone             ', csv));
    console.log(line('(b) asterisk-csv+group+normalize', ours));
    console.log(`    node flags of (a) and (b), as package.json's start script runs the bridge: ${flags.join(' ') || '(none)'}`);
    console.log(line('(b) without those flags         ', defaultHeap));
    console.log(`    ${fmt(ours.calls ?? 0)} calls, ${fmt(ours.payloads ?? 0)} payloads, ${fmt(ours.errors ?? 0)} errors/skips from ${fmt(rows)} rows`);
    if (args.includes('--stages')) {
      // Where (b)'s time goes: the same run cut after the adapter, and after grouping.
      const adapterOnly = await runChild(script, 'adapter', file, rows, flags);
      const grouped = await runChild(script, 'group', file, rows, flags);
      console.log(line('    stage: adapter.parse only    ', adapterOnly));
      console.log(line('    stage: adapter + grouping    ', grouped));
      console.log(`    CPU share of (b): adapter ${((100 * adapterOnly.cpuMs) / ours.cpuMs).toFixed(0)}%, grouping ${((100 * (grouped.cpuMs - adapterOnly.cpuMs)) / ours.cpuMs).toFixed(0)}%, normalizing ${((100 * (ours.cpuMs - grouped.cpuMs)) / ours.cpuMs).toFixed(0)}%`);
    }
    if (args.includes('--times')) {
      // What normalizing's speed tricks save, each against the plain call it replaces (a ratio: the machine's load cancels out).
      const t = await runChild<TimesResult>(script, 'times', file, rows, flags);
      const ns = (n: number) => `${n >= 1000 ? `${(n / 1000).toFixed(1)} µs` : `${n.toFixed(0)} ns`}`.padStart(8);
      console.log(`    speed tricks, CPU time per time of the first ${fmt(t.rows)} rows (${fmt(t.times)} times, Europe/Stockholm):`);
      console.log(`    zone → UTC: resolveCallTimes (hour cache, fast-hour-offsets.ts) ${ns(t.resolveNs)}   luxon per time ${ns(t.luxonNs)}   x${(t.luxonNs / t.resolveNs).toFixed(1)}`);
      console.log(`    UTC → text: formatUtc (tables, fast-utc.ts)                     ${ns(t.formatNs)}   toISOString    ${ns(t.isoStringNs)}   x${(t.isoStringNs / t.formatNs).toFixed(1)}`);
    }
    console.log('');
    // The verdict uses CPU time: on a shared machine, wall time measures the neighbours as much as the code.
    const ratio = csv.cpuMs / ours.cpuMs;
    const wallRatio = csv.ms / ours.ms;
    const ratioOk = ratio >= RATIO_GOAL;
    const rssOk = ours.maxRssMb < RSS_GOAL_MB;
    console.log(`ratio (b)/(a): ${ratio.toFixed(2)} by CPU time (${wallRatio.toFixed(2)} by wall time)   goal >= ${RATIO_GOAL}   ${ratioOk ? 'OK' : 'MISSED'}`);
    console.log(`peak RSS (b):  ${ours.maxRssMb.toFixed(0)} MB (${defaultHeap.maxRssMb.toFixed(0)} MB without the flags)   goal < ${RSS_GOAL_MB} MB   ${rssOk ? 'OK' : 'MISSED'}`);
    return ratioOk && rssOk ? 0 : 1;
  } finally {
    if (dir && !keep) rmSync(dir, { recursive: true, force: true });
    else if (dir) console.log(`kept ${file}`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 2;
  },
);
