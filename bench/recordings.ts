/**
 * Local recordings made ready before their calls are sent (issue 14): calls recorded as two 60 s mono files, merged
 * into one stereo WAV with ffmpeg (recordings.split) and uploaded to an S3 server on loopback (recordings.delivery:
 * upload, presigned links), recordings.concurrency at its default (2). Measured side by side in one run:
 *
 *   - calls made ready per second        merged + uploaded, from the drop to the last one uploaded (a figure, no goal)
 *   - CPU seconds per recorded minute    the bridge process's ffmpeg and ffprobe children (cutime + cstime in
 *                                        /proc/<bridge>/stat: children it waited for) plus the bridge's own CPU
 *                                        (utime + stime) beyond what its remote calls cost at run B's per-call cost
 *                                        (a figure, no goal)
 *   - peak RSS of the bridge process     goal < 200 MB (streaming: recordings never pile up in memory): the higher of
 *                                        the kernel's high-water mark VmHWM of the bridge process over its whole life
 *                                        (updated lazily: it can lag) and its VmRSS sampled every 50 ms
 *   - submission rate while merges run   goal ≥ 0.95 of submit.rateLimit.perSecond, beside the same ratio without
 *                                        merges (run B)
 *
 * Every server is its own process on 127.0.0.1, so the bridge's RSS and CPU are its own: the bridge as deployed
 * (compiled once into the temp folder with tsconfig.build.json, as the Docker image's dist/, and run by node with
 * bin/callbridge.js's heap flag; `--tsx` runs it from the sources instead, which adds about 40 MB of RSS), the
 * emulator (fetchRecordings on: it fetches every link and checks it is audio, as Dstny does), and a helper holding
 * s3rver and a tiny recording server (this file with --helper).
 *
 *   run A  `calls` calls whose two legs are local files (a 440 Hz participant tone and a 1 kHz owner tone, 8 kHz mono
 *          16-bit WAV, made once with ffmpeg and hard-linked per call: every merge still reads and writes real audio)
 *          are dropped at once. Beside them, calls whose recordings are http URLs on the helper (nothing to prepare)
 *          are dropped in batches whenever fewer than 4 N calls wait, so the submitter always has work and the
 *          merged calls, sent oldest due first, wait behind a few seconds of others only. The ratio counts the
 *          emulator's creations from the first one to the moment the last merged recording was uploaded (/status,
 *          polled every 500 ms), when the batches stop.
 *   run B  the same batches of remote calls alone for 30 s (a fresh bridge, same configuration); the ratio over them.
 * Rate N at the bridge and at the emulator, submit.concurrency 4.
 *
 * Run: npx tsx bench/recordings.ts [calls=200] [rate=10] [--tsx] [--ffmpeg=PATH (recordings.ffmpeg)]
 * Each merge starts ffmpeg once (the WAV headers are read by the bridge itself).
 * Exits 1 when a goal is missed (or a call was not sent exactly once, or a recording was not merged and uploaded).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { copyFileSync, linkSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Pacer } from '../src/dstny/pacer.js';
import type { StatusReport } from '../src/status/report.js';
import {
  EmulatorProcess,
  REPO,
  asteriskCalls,
  asteriskDropSource,
  bridgeConfig,
  dropFile,
  freePort,
  nonZero,
  sleep,
  startRecordingServer,
  tempDir,
  writeConfig,
} from '../test/e2e/support.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const CALLS = Number(positional[0] ?? 200);
const RATE = Number(positional[1] ?? 10);
const SECONDS = 60;
const B_SECONDS = 30;
const GOALS = { peakRssMb: 200, rateRatio: 0.95 };
const HELPER = process.argv.includes('--helper');
const TSX = process.argv.includes('--tsx');
const FFMPEG = process.argv.find((a) => a.startsWith('--ffmpeg='))?.slice('--ffmpeg='.length);
/** Remote calls are dropped BATCH at a time whenever fewer than BACKLOG calls wait to be sent. */
const BACKLOG = Math.ceil(4 * RATE);
const BATCH = Math.ceil(2 * RATE);
const RECONCILE = { schedule: '*/5 * * * * *', graceMinutes: 0.05, deadlineMinutes: 120, verifyWaitMinutes: 30 };

if (!HELPER && (!Number.isInteger(CALLS) || CALLS < 2 || !(RATE > 0))) {
  console.error('usage: npx tsx bench/recordings.ts [calls>=2] [rate>0] [--tsx] [--ffmpeg=PATH]');
  process.exit(2);
}

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const fmt = (n: number, digits = 3) => n.toFixed(digits);
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

// ---------------------------------------------------------------- helper process: s3rver + recording server

interface HelperInfo {
  s3: { endpoint: string; bucket: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
  recordingsUrl: string;
}

interface HelperCounts {
  puts: number;
  gets: number;
  recordingFetches: number;
}

/** Child side: start both servers, say where they are on one line, stop them when stdin closes (the parent ended). */
async function helper(): Promise<void> {
  const { startS3Server } = await import('../test/support/s3-server.js');
  const s3 = await startS3Server({ bucket: 'callbridge-bench' });
  const rec = await startRecordingServer();
  const info: HelperInfo = { s3: { endpoint: s3.endpoint, bucket: s3.bucket, region: s3.region, credentials: s3.credentials }, recordingsUrl: rec.url };
  process.stdout.write(`${JSON.stringify(info)}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    const counts: HelperCounts = {
      puts: s3.requests.filter((r) => r.method === 'PUT').length,
      gets: s3.requests.filter((r) => r.method === 'GET').length,
      recordingFetches: rec.fetched.length,
    };
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    await rec.close();
    await s3.stop();
    process.exit(0);
  };
  process.stdin.on('end', () => void stop());
  process.stdin.on('close', () => void stop());
  process.on('SIGTERM', () => void stop());
  process.stdin.resume();
}

/** Parent side: the helper as a child process, stopped by closing its stdin (so it also ends when this process dies). */
class HelperProcess {
  private constructor(
    readonly pid: number,
    readonly info: HelperInfo,
    private readonly stdin: NodeJS.WritableStream,
    private readonly kill: () => void,
    private readonly lines: string[],
    private readonly closed: Promise<void>,
  ) {}

  static async start(): Promise<HelperProcess> {
    const proc = spawn(process.execPath, ['--import', 'tsx', process.argv[1] as string, '--helper'], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] });
    const closed = new Promise<void>((resolve) => proc.once('close', () => resolve()));
    const lines: string[] = [];
    let first: (line: string | null) => void = () => {};
    const started = new Promise<string | null>((resolve) => (first = resolve));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      lines.push(line);
      first(line);
    });
    void closed.then(() => first(null));
    const line = await Promise.race([started, sleep(30_000).then(() => null)]);
    if (!line) {
      proc.kill('SIGKILL');
      throw new Error('the helper process (s3rver, recording server) did not start within 30 s');
    }
    return new HelperProcess(proc.pid as number, JSON.parse(line) as HelperInfo, proc.stdin!, () => proc.kill('SIGKILL'), lines, closed);
  }

  /** It prints its request counts and stops both servers. */
  async stop(): Promise<HelperCounts | null> {
    this.stdin.end();
    const timer = setTimeout(this.kill, 10_000);
    await this.closed;
    clearTimeout(timer);
    const last = this.lines.length > 1 ? this.lines.at(-1) : undefined;
    return last ? (JSON.parse(last) as HelperCounts) : null;
  }
}

// ---------------------------------------------------------------- CPU and memory of another process

const TICK = Number((await promisify(execFile)('getconf', ['CLK_TCK'])).stdout.trim()) || 100;

/** utime + stime (own) and cutime + cstime (children it waited for) of a process, seconds. */
function procCpu(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": the first is field 3 (state), so field k is f[k - 3].
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { own: (Number(f[11]) + Number(f[12])) / TICK, children: (Number(f[13]) + Number(f[14])) / TICK };
}

/** VmRSS and the kernel's high-water mark VmHWM of a process, bytes. */
function procMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

function memorySampler(pid: number, everyMs: number): { stop: () => { rss: number; samples: number } } {
  const peak = { rss: 0, samples: 0 };
  const take = () => {
    try {
      peak.rss = Math.max(peak.rss, procMemory(pid).rss);
      peak.samples++;
    } catch {
      // gone: the run ends anyway
    }
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return peak;
    },
  };
}

// ---------------------------------------------------------------- the bridge process

/** Environment that would change what the bridge does: never inherited (as test/e2e/support.ts does), AWS_ included. */
const CONTROLLED_ENV = /^(DSTNY_|CALLBRIDGE_|AWS_|LOG_LEVEL$|NODE_OPTIONS$)/;

/**
 * How to start the bridge as deployed: compiled (tsc -p tsconfig.build.json, into the temp folder, as the Docker image's
 * dist/) and run by node with bin/callbridge.js's heap flag. `--tsx`: from the sources through tsx, as a checkout
 * runs it; tsx's compiler and caches add about 40 MB of RSS.
 */
async function bridgeCommand(dir: string): Promise<string[]> {
  const heap = '--max-old-space-size=1024';
  if (TSX) return [heap, '--import', 'tsx', path.join(REPO, 'src/cli/main.ts')];
  const out = path.join(dir, 'dist');
  const tsc = path.join(REPO, 'node_modules/typescript/bin/tsc');
  try {
    await promisify(execFile)(process.execPath, [tsc, '-p', path.join(REPO, 'tsconfig.build.json'), '--outDir', out], { cwd: REPO, timeout: 180_000, maxBuffer: 16 * MB });
  } catch (error) {
    const said = (error as { stdout?: string }).stdout ?? String(error);
    throw new Error(`compiling the bridge failed (run with --tsx to measure it from the sources):\n${said.slice(0, 3_000)}`);
  }
  symlinkSync(path.join(REPO, 'node_modules'), path.join(out, 'node_modules'));
  copyFileSync(path.join(REPO, 'package.json'), path.join(out, 'package.json'));
  return [heap, path.join(out, 'src/cli/main.js')];
}

/** `callbridge start --config FILE` in live mode against the emulator; its output kept (the last lines) for errors. */
class BridgeChild {
  private readonly lines: string[] = [];
  private readonly closed: Promise<void>;
  private alive = true;

  private constructor(
    readonly proc: ChildProcess,
    readonly url: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      this.lines.splice(0, Math.max(0, this.lines.length - 40));
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    this.closed = new Promise((resolve) =>
      proc.once('close', () => {
        this.alive = false;
        resolve();
      }),
    );
  }

  static async start(command: string[], configFile: string, port: number, env: Record<string, string>): Promise<BridgeChild> {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONTROLLED_ENV.test(k))) as Record<string, string>;
    const proc = spawn(process.execPath, [...command, 'start', '--config', configFile], { cwd: REPO, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const bridge = new BridgeChild(proc, `http://127.0.0.1:${port}`);
    const end = Date.now() + 60_000;
    for (;;) {
      if (!bridge.running) throw new Error(`the bridge exited before it was ready\n${bridge.tail()}`);
      const res = await fetch(`${bridge.url}/readyz`).catch(() => null);
      if (res?.status === 200) return bridge;
      if (Date.now() > end) {
        await bridge.stop();
        throw new Error(`the bridge was not ready on ${bridge.url} within 60 s\n${bridge.tail()}`);
      }
      await sleep(100);
    }
  }

  get running(): boolean {
    return this.alive;
  }

  get pid(): number {
    return this.proc.pid as number;
  }

  tail(): string {
    return `--- last output of the bridge ---\n${this.lines.join('\n')}`;
  }

  async status(): Promise<StatusReport> {
    const res = await fetch(`${this.url}/status`);
    if (!res.ok) throw new Error(`GET /status: HTTP ${res.status}`);
    return (await res.json()) as StatusReport;
  }

  /** SIGTERM, SIGKILL after 10 s. */
  async stop(): Promise<void> {
    if (this.alive) this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.alive && this.proc.kill('SIGKILL'), 10_000);
    await this.closed;
    clearTimeout(timer);
  }
}

// ---------------------------------------------------------------- the runs

interface RunResult {
  name: string;
  merged: number;
  /** Remote calls dropped. */
  fed: number;
  /** Drop → the last merged recording uploaded (null: no merges). */
  readyMs: number | null;
  /** Drop → every call created at the emulator. */
  allSentMs: number;
  /** The ratio's window: from the first creation to when the batches stopped. */
  windowMs: number;
  inWindow: number;
  rate: number;
  /** Fewest calls waiting (dropped or made ready, not yet created) seen while the window was open. */
  minBacklog: number;
  created: number;
  duplicates: number;
  mergedOk: number;
  rateLimited: number;
  bridgeCpu: number;
  childCpu: number;
  helperCpu: number;
  emulatorCpu: number;
  startRss: number;
  peakHwm: number;
  sampledRss: { rss: number; samples: number };
  recordings: { merged: number; uploaded: number; alreadyThere: number; bytes: number } | null;
  ledger: Record<string, number>;
}

interface Shared {
  dir: string;
  recRoot: string;
  participantWav: string;
  ownerWav: string;
  emulator: EmulatorProcess;
  helper: HelperProcess;
  command: string[];
}

function configFor(shared: Shared, dir: string, port: number): Record<string, unknown> {
  const { s3 } = shared.helper.info;
  return bridgeConfig({
    dataDir: path.join(dir, 'data'),
    port,
    roots: [shared.recRoot],
    sources: [asteriskDropSource('merged', path.join(dir, 'spool-merged')), asteriskDropSource('remote', path.join(dir, 'spool-remote'))],
    overrides: {
      log: { level: 'warn', format: 'json' },
      dstny: { timeoutMs: 30_000 },
      submit: { rateLimit: { perSecond: RATE }, concurrency: 4, dailyQuota: 0, pumpIntervalMs: 200, leaseMs: 120_000, backoff: { baseMs: 1_000, maxMs: 30_000 } },
      reconcile: RECONCILE,
      recordings: {
        split: { participant: '{dir}/{name}-in{ext}', owner: '{dir}/{name}-out{ext}' },
        delivery: 'upload',
        ...(FFMPEG ? { ffmpeg: FFMPEG } : {}),
        upload: { endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, forcePathStyle: true, prefix: `bench-${path.basename(dir)}/` },
      },
    },
  });
}

/** Both legs of each call: hard links of the two tones (copies where links are refused). */
function placeLegs(shared: Shared, ids: string[]): void {
  const folder = path.join(shared.recRoot, 'rec');
  mkdirSync(folder, { recursive: true });
  const place = (from: string, to: string) => {
    try {
      linkSync(from, to);
    } catch {
      copyFileSync(from, to);
    }
  };
  for (const id of ids) {
    place(shared.participantWav, path.join(folder, `${id}-in.wav`));
    place(shared.ownerWav, path.join(folder, `${id}-out.wav`));
  }
}

/**
 * One bridge process: `merged` calls with two local legs dropped at once, remote calls in batches until the merges
 * are done (or, without merges, for `feedMs`); then waits until every call was created at the emulator.
 */
async function run(shared: Shared, name: string, merged: number, feedMs: number): Promise<RunResult> {
  const dir = path.join(shared.dir, name);
  const spoolMerged = path.join(dir, 'spool-merged');
  const spoolRemote = path.join(dir, 'spool-remote');
  for (const spool of [spoolMerged, spoolRemote]) mkdirSync(spool, { recursive: true });
  const mergedCalls = asteriskCalls({ count: merged, prefix: `${name}-rec`, recordingBase: shared.recRoot });
  placeLegs(shared, mergedCalls.ids);

  const port = await freePort();
  const configFile = writeConfig(path.join(dir, 'callbridge.yaml'), configFor(shared, dir, port));
  const { credentials } = shared.helper.info.s3;
  const bridge = await BridgeChild.start(shared.command, configFile, port, {
    DSTNY_API_TOKEN: shared.emulator.token,
    DSTNY_BASE_URL: shared.emulator.url,
    LOG_LEVEL: 'warn',
    // The bucket's credentials reach the AWS SDK through the environment, as in production.
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  });
  try {
    const pid = bridge.pid;
    const emuPid = shared.emulator.cli.proc.pid as number;
    const startRss = procMemory(pid).rss;
    const sampler = memorySampler(pid, 50);
    const cpu0 = procCpu(pid);
    const emu0 = procCpu(emuPid);
    const help0 = procCpu(shared.helper.pid);
    const stats0 = await shared.emulator.stats();

    let fed = 0;
    let batches = 0;
    const feed = () => {
      const calls = asteriskCalls({ count: BATCH, prefix: `${name}-url`, recordingBase: shared.helper.info.recordingsUrl, from: fed });
      dropFile(spoolRemote, `batch-${String(batches++).padStart(5, '0')}.csv`, calls.csv);
      fed += BATCH;
    };
    const t0 = Date.now();
    if (merged) dropFile(spoolMerged, 'Master.csv', mergedCalls.csv);
    while (fed < BACKLOG) feed();

    const deadline = t0 + feedMs + 600_000;
    let readyAt: number | null = null;
    let feedingUntil: number | null = null;
    let lastPrint = t0;
    let created = 0;
    let ready = 0;
    let minBacklog = Number.POSITIVE_INFINITY;
    let report = await bridge.status();
    for (;;) {
      await sleep(500);
      const now = Date.now();
      report = await bridge.status();
      const r = report.recordings;
      ready = r ? r.uploaded + r.alreadyThere : 0;
      created = (await shared.emulator.stats()).conversations.accepted - stats0.conversations.accepted;
      if (readyAt === null && merged && ready >= merged) readyAt = now;
      if (feedingUntil === null) {
        if (created > 0) minBacklog = Math.min(minBacklog, fed + ready - created);
        if (merged ? readyAt !== null : now - t0 >= feedMs) feedingUntil = now;
        else if (fed + ready - created < BACKLOG) feed();
      }
      if (now - lastPrint >= 15_000) {
        lastPrint = now;
        const recs = r ? `; recordings ${ready}/${merged} uploaded, ${r.inFlight} in flight${r.reason ? ` (${r.reason})` : ''}` : '';
        console.log(`  run ${name} ${secs(now - t0)}: ${created}/${fed + merged} sent${recs}; ledger ${JSON.stringify(nonZero(report.ledger.counts))}`);
      }
      if (feedingUntil !== null && created >= fed + merged) break;
      if (!bridge.running) throw new Error(`bridge ${name} exited\n${bridge.tail()}`);
      if (now > deadline) throw new Error(`run ${name}: gave up after ${secs(now - t0)}: ${created}/${fed + merged} sent; ledger ${JSON.stringify(nonZero(report.ledger.counts))}; recordings ${JSON.stringify(r)}`);
    }
    const cpu1 = procCpu(pid);
    const emu1 = procCpu(emuPid);
    const help1 = procCpu(shared.helper.pid);
    const peakHwm = procMemory(pid).hwm;
    const sampledRss = sampler.stop();

    const stats = await shared.emulator.stats();
    const conversations = (await shared.emulator.conversations()).filter((c) => c.external_id.startsWith(`${name}-`));
    const times = conversations.map((c) => c.created_at).sort((a, b) => a - b);
    const first = times[0] ?? t0;
    const end = feedingUntil as number;
    const inside = times.filter((t) => t <= end);
    const span = (inside.at(-1) ?? first) - first;
    const bucketLink = `${shared.helper.info.s3.endpoint}/${shared.helper.info.s3.bucket}/bench-${name}/`;
    const mergedOk = conversations.filter(
      (c) => c.external_id.startsWith(`${name}-rec.`) && c.payload.call_is_stereo === true && String(c.payload.call_recording_url).startsWith(bucketLink),
    ).length;
    const byId = new Map<string, number>();
    for (const c of conversations) byId.set(c.external_id, (byId.get(c.external_id) ?? 0) + 1);
    const r = report.recordings;
    return {
      name,
      merged,
      fed,
      readyMs: readyAt === null ? null : readyAt - t0,
      allSentMs: (times.at(-1) ?? t0) - t0,
      windowMs: end - first,
      inWindow: inside.length,
      rate: inside.length > 1 && span > 0 ? ((inside.length - 1) / span) * 1000 : 0,
      minBacklog,
      created: byId.size,
      duplicates: [...byId.values()].filter((n) => n > 1).length,
      mergedOk,
      rateLimited: stats.responses.rateLimited - stats0.responses.rateLimited,
      bridgeCpu: cpu1.own - cpu0.own,
      childCpu: cpu1.children - cpu0.children,
      helperCpu: help1.own - help0.own,
      emulatorCpu: emu1.own - emu0.own,
      startRss,
      peakHwm,
      sampledRss,
      recordings: r ? { merged: r.merged, uploaded: r.uploaded, alreadyThere: r.alreadyThere, bytes: r.bytes } : null,
      ledger: nonZero(report.ledger.counts) as Record<string, number>,
    };
  } finally {
    await bridge.stop();
  }
}

async function tone(file: string, hz: number): Promise<string> {
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${hz}:duration=${SECONDS}:sample_rate=8000`, '-ac', '1', '-c:a', 'pcm_s16le', file];
  await promisify(execFile)('ffmpeg', args, { timeout: 30_000 });
  return file;
}

async function main(): Promise<number> {
  console.log(
    `bench/recordings: run A ${CALLS} calls with two ${SECONDS} s mono legs (8 kHz WAV) merged to stereo and uploaded to s3rver, ` +
      `beside remote-URL calls dropped ${BATCH} at a time whenever fewer than ${BACKLOG} wait; run B the remote calls alone for ${B_SECONDS} s. ` +
      `N = ${RATE}/s (bridge and emulator), submit.concurrency 4, recordings.concurrency 2 (default); the emulator fetches every recording link; ` +
      `bridge (${TSX ? 'from the sources through tsx' : 'compiled, as deployed'}${FFMPEG ? `, ffmpeg ${FFMPEG}` : ''}), emulator and s3rver are separate processes.`,
  );
  const tmp = tempDir('callbridge-bench-recordings-');
  let emulator: EmulatorProcess | null = null;
  let helperProc: HelperProcess | null = null;
  try {
    const recRoot = path.join(tmp.dir, 'recordings');
    mkdirSync(recRoot, { recursive: true });
    const [participantWav, ownerWav] = await Promise.all([tone(path.join(tmp.dir, 'participant.wav'), 440), tone(path.join(tmp.dir, 'owner.wav'), 1000)]);
    const command = await bridgeCommand(tmp.dir);
    [emulator, helperProc] = await Promise.all([EmulatorProcess.start(), HelperProcess.start()]);
    await emulator.faults({ ratePerSecond: RATE, appearDelayMs: 0, fetchRecordings: true });
    const shared: Shared = { dir: tmp.dir, recRoot, participantWav, ownerWav, emulator, helper: helperProc, command };

    const a = await run(shared, 'a', CALLS, 0);
    const b = await run(shared, 'b', 0, B_SECONDS * 1000);
    const s3 = await helperProc.stop();
    helperProc = null;

    const minutes = (CALLS * SECONDS) / 60;
    const perRemote = b.bridgeCpu / b.fed;
    const bridgeExtra = a.bridgeCpu - a.fed * perRemote;
    const perMinute = (a.childCpu + bridgeExtra) / minutes;
    const peakA = Math.max(a.peakHwm, a.sampledRss.rss);
    const peakB = Math.max(b.peakHwm, b.sampledRss.rss);
    const ratioA = a.rate / RATE;
    const ratioB = b.rate / RATE;
    const ceiling = 1000 / new Pacer(RATE).spacingMs;
    const allSent = a.created === CALLS + a.fed && b.created === b.fed && a.duplicates + b.duplicates === 0;
    const allMerged = a.recordings?.merged === CALLS && a.recordings.uploaded === CALLS && a.mergedOk === CALLS;

    console.log('');
    console.log(
      `run A: ${CALLS} recordings uploaded ${secs(a.readyMs ?? 0)} after the drop; with ${a.fed} remote calls, all ${CALLS + a.fed} sent after ${secs(a.allSentMs)}; ` +
        `${a.recordings?.merged} merged, ${a.recordings?.uploaded} uploaded (${mb(a.recordings?.bytes ?? 0)}), ${a.recordings?.alreadyThere} already there; ` +
        `${a.mergedOk} merged calls sent as stereo with a bucket link; s3rver saw ${s3?.puts ?? '?'} PUTs and ${s3?.gets ?? '?'} GETs; ledger ${JSON.stringify(a.ledger)}`,
    );
    console.log(`run B: ${b.fed} remote calls, all sent after ${secs(b.allSentMs)}; ledger ${JSON.stringify(b.ledger)}`);
    console.log(
      `CPU of the bridge process: run A ${fmt(a.bridgeCpu, 2)} s own + ${fmt(a.childCpu, 2)} s ffmpeg/ffprobe; run B ${fmt(b.bridgeCpu, 2)} s own + ${fmt(b.childCpu, 2)} s children ` +
        `(${fmt(perRemote * 1000, 1)} ms per remote call, so A's merged calls took ${fmt(a.bridgeCpu, 2)} - ${a.fed} × that = ${fmt(bridgeExtra, 2)} s of the bridge's own). ` +
        `Other processes, not counted: s3rver + recording server ${fmt(a.helperCpu, 2)} s / ${fmt(b.helperCpu, 2)} s, emulator ${fmt(a.emulatorCpu, 2)} s / ${fmt(b.emulatorCpu, 2)} s (A / B)`,
    );
    console.log(
      `memory of the bridge process: run A RSS ${mb(a.startRss)} when ready, peak ${mb(a.peakHwm)} (VmHWM, its whole life), ${mb(a.sampledRss.rss)} sampled every 50 ms (${a.sampledRss.samples} samples); ` +
        `run B (no merges) RSS ${mb(b.startRss)} when ready, peak ${mb(b.peakHwm)} (VmHWM), ${mb(b.sampledRss.rss)} sampled`,
    );
    console.log(
      `submission windows: A from its first creation to the last upload, ${secs(a.windowMs)}, ${a.inWindow} creations, at least ${a.minBacklog} calls waiting throughout; ` +
        `B ${secs(b.windowMs)}, ${b.inWindow} creations, at least ${b.minBacklog} waiting; 429s A ${a.rateLimited}, B ${b.rateLimited}; ` +
        `the submitter's spacing allows at most ${fmt(ceiling / RATE)} N`,
    );
    if (a.minBacklog <= 0) console.log('  note: the queue ran empty in run A while merges ran: the ratio then measures waiting for merges, not submission');
    console.log('');
    const rows: Array<[string, string, string, boolean | null]> = [
      ['calls merged + uploaded per second', `${CALLS} / ${secs(a.readyMs ?? 0)} = ${fmt(CALLS / ((a.readyMs ?? 1) / 1000), 2)}/s`, '', null],
      ['CPU s per recorded minute', `(ffmpeg ${fmt(a.childCpu, 2)} + bridge ${fmt(bridgeExtra, 2)}) s / ${minutes} min = ${fmt(perMinute, 3)}`, '', null],
      ['peak RSS of the bridge (run A)', `${mb(peakA)}  (no merges, run B: ${mb(peakB)})`, `< ${GOALS.peakRssMb} MB`, peakA < GOALS.peakRssMb * MB],
      ['submission rate / N while merging (A)', `${fmt(a.rate, 2)}/s / ${RATE}/s = ${fmt(ratioA)}`, `≥ ${GOALS.rateRatio}`, ratioA >= GOALS.rateRatio && a.minBacklog > 0],
      ['submission rate / N, no merges (B)', `${fmt(b.rate, 2)}/s / ${RATE}/s = ${fmt(ratioB)}  (A/B ${fmt(ratioA / ratioB)})`, '', null],
      ['every call sent once', `A ${a.created}/${CALLS + a.fed}, B ${b.created}/${b.fed}, ${a.duplicates + b.duplicates} duplicates`, 'all, 0', allSent],
      ['every recording merged and uploaded', `${a.recordings?.merged ?? 0} merged, ${a.recordings?.uploaded ?? 0} uploaded, ${a.mergedOk} sent as stereo`, `${CALLS}`, allMerged],
    ];
    const w0 = Math.max(...rows.map((r) => r[0].length));
    const w1 = Math.max(...rows.map((r) => r[1].length));
    for (const [label, value, goal, ok] of rows) {
      console.log(`${label.padEnd(w0)}  ${value.padEnd(w1)}  ${goal ? `goal ${goal.padEnd(9)}  ${ok ? 'ok' : 'MISSED'}` : ''}`.trimEnd());
    }
    return rows.every((r) => r[3] !== false) ? 0 : 1;
  } finally {
    await helperProc?.stop();
    await emulator?.stop();
    tmp.cleanup();
  }
}

if (HELPER) {
  helper().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
} else {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}
