/**
 * End-to-end harness: the emulator and the bridge as REAL child processes (`node --import tsx src/cli/main.ts ...`)
 * on loopback, a tiny recording server in this process, temp folders for data and spools.
 * Used by test/e2e/*.test.ts and bench/bridge.ts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import type { EmulatorFaultsPatch, EmulatorStatsSnapshot } from '../../src/emulator/index.js';
import type { RowState } from '../../src/ledger/ledger.js';
import { stereoWav } from '../../src/bridge/sandbox.js';
import { freePort, listenLoopback } from '../support/loopback.js';
import type { StatusReport } from '../../src/status/report.js';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = path.join(REPO, 'src/cli/main.ts');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `check` until it returns a truthy value; on timeout the error says what was awaited and the last `describe()`. */
export async function waitUntil<T>(
  check: () => Promise<T | null | undefined | false> | T | null | undefined | false,
  opts: { timeoutMs: number; what: string; pollMs?: number; describe?: () => Promise<string> | string },
): Promise<T> {
  const end = Date.now() + opts.timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      lastError = null;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= end) break;
    await sleep(opts.pollMs ?? 200);
  }
  const detail = opts.describe ? await opts.describe() : '';
  throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${lastError ? ` (last error: ${String(lastError)})` : ''}${detail ? `\n${detail}` : ''}`);
}

// The bridge links recordings through its own port, so it must be known up front.
export { freePort };

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Environment variables that would change what the child processes do: never inherited from the test runner. */
const CONTROLLED_ENV = /^(DSTNY_|CALLBRIDGE_|LOG_LEVEL$|NODE_OPTIONS$)/;

/** A CLI child process with its output kept (bounded) for waiting on log lines and for diagnostics. */
export class CliProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly lines: string[] = [];
  private readonly stdoutChunks: Buffer[] = [];
  private readonly waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  private partial = '';
  private alive = true;

  constructor(
    readonly name: string,
    args: string[],
    env: Record<string, string> = {},
  ) {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !CONTROLLED_ENV.test(k))) as Record<string, string>;
    this.proc = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      cwd: REPO,
      env: { ...base, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (chunk: Buffer) => {
      this.stdoutChunks.push(chunk);
      this.take(chunk);
    });
    this.proc.stderr!.on('data', (chunk: Buffer) => this.take(chunk));
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': by then every byte of stdout and stderr has been read.
      this.proc.once('close', (code, signal) => {
        this.alive = false;
        resolve({ code, signal });
      });
    });
  }

  get running(): boolean {
    return this.alive;
  }

  /** Everything written to stdout so far (the CLI's results; logs go to stderr). */
  get stdout(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  private take(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    for (const line of parts) {
      this.lines.push(line);
      if (this.lines.length > 5_000) this.lines.shift();
      for (const w of [...this.waiters]) {
        const m = w.re.exec(line);
        if (m) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  }

  /** Resolve with the first output line (already seen or coming) matching `re`. */
  waitForLine(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    for (const line of this.lines) {
      const m = re.exec(line);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolve, reject) => {
      const waiter = { re, resolve: (m: RegExpMatchArray) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name}: no output line matching ${re} within ${timeoutMs} ms\n${this.tail(30)}`));
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.exited.then(({ code, signal }) => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        clearTimeout(timer);
        reject(new Error(`${this.name} exited (code ${code}, signal ${signal}) before printing ${re}\n${this.tail(30)}`));
      });
    });
  }

  /** Output lines matching `re` so far. */
  grep(re: RegExp): string[] {
    return this.lines.filter((l) => re.test(l));
  }

  tail(n: number): string {
    return `--- last output of ${this.name} ---\n${this.lines.slice(-n).join('\n')}`;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) {
      this.proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (this.alive) this.proc.kill('SIGKILL');
      }, graceMs);
      const result = await this.exited;
      clearTimeout(timer);
      return result;
    }
    return this.exited;
  }

  async kill(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.alive) this.proc.kill('SIGKILL');
    return this.exited;
  }
}

// ---------------------------------------------------------------- emulator

/** What GET /_emulator/stats?creations answers. */
export type EmulatorStats = EmulatorStatsSnapshot & { creationsByExternalId?: Record<string, number> };

export interface EmulatorConversation {
  id: string;
  external_id: string;
  created_at: number;
  appears_at: number;
  dropped: boolean;
  visible: boolean;
  /** The creation's body as the emulator received it. */
  payload: Record<string, unknown>;
}

/** `callbridge emulator --port 0` as a child process, driven through its admin endpoints. */
export class EmulatorProcess {
  private constructor(
    readonly cli: CliProcess,
    readonly url: string,
    readonly token: string,
  ) {}

  static async start(opts: { startTimeoutMs?: number } = {}): Promise<EmulatorProcess> {
    const token = `emu-${randomBytes(12).toString('hex')}`;
    const cli = new CliProcess('emulator', ['emulator', '--port', '0'], { DSTNY_API_TOKEN: token, LOG_LEVEL: 'warn' });
    try {
      const m = await cli.waitForLine(/listening on (http:\/\/127\.0\.0\.1:\d+)\/api\/v2/, opts.startTimeoutMs ?? 30_000);
      return new EmulatorProcess(cli, m[1]!, token);
    } catch (error) {
      await cli.kill();
      throw error;
    }
  }

  private async admin(method: string, route: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}/_emulator${route}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`emulator ${method} /_emulator${route}: HTTP ${res.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : null;
  }

  faults(patch: EmulatorFaultsPatch): Promise<unknown> {
    return this.admin('POST', '/faults', patch);
  }

  async stats(): Promise<EmulatorStats> {
    return (await this.admin('GET', '/stats?creations')) as EmulatorStats;
  }

  async conversations(externalId?: string): Promise<EmulatorConversation[]> {
    return (await this.admin('GET', `/conversations${externalId ? `?external_id=${encodeURIComponent(externalId)}` : ''}`)) as EmulatorConversation[];
  }

  registerWebhook(url: string): Promise<unknown> {
    return this.admin('POST', '/webhooks', { url });
  }

  stop(): Promise<unknown> {
    return this.cli.stop();
  }
}

// ---------------------------------------------------------------- recordings

/** A loopback "recording server" Dstny (the emulator) fetches recording URLs from: 200 + a small WAV for .wav/.mp3 paths. */
export interface RecordingServer {
  url: string;
  /** Paths fetched, in order. */
  fetched: string[];
  close(): Promise<void>;
}

export async function startRecordingServer(): Promise<RecordingServer> {
  const wav = stereoWav(1, 8_000);
  const fetched: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    fetched.push(url);
    if (/\.(wav|mp3)(\?|$)/.test(url)) {
      res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': wav.length });
      res.end(req.method === 'HEAD' ? undefined : wav);
    } else {
      res.writeHead(404).end();
    }
  });
  server.keepAliveTimeout = 1_000;
  return { ...(await listenLoopback(server)), fetched };
}

// ---------------------------------------------------------------- bridge

export type BridgeConfig = Record<string, unknown>;

/** The office the generated calls and the fixture configs describe (union of the fixture folders' rules and owners). */
export const officeNormalize = {
  timezone: 'Europe/Stockholm',
  defaultCountry: 'SE',
  internalNumbers: ['^\\d{3}$', '^\\d{4}$', '^\\+4685000100\\d$', '^client:'],
  trunkPatterns: ['^(?:PJSIP|SIP)/telia-', '^PSTN_SIP_TRUNK$', '^sofia/(?:gateway|external)/'],
  owners: {
    map: {
      // asterisk-csv
      '201': 'anna.lindqvist@example.se',
      '202': 'bjorn.ek@example.se',
      '203': 'cecilia.strand@example.se',
      '204': 'david.nord@example.se',
      '205': 'elin.falk@example.se',
      '206': 'erik.sjoberg@example.se',
      // cucm
      '2001': 'anna.lindqvist@example.se',
      '2002': 'bjorn.ek@example.se',
      '2003': 'cecilia.strand@example.se',
      '2004': 'david.nord@example.se',
      // freeswitch-json
      '1001': 'anna.berg@example.com',
      '1002': 'johan.lind@example.com',
      '1003': 'eva.holm@example.com',
      // twilio
      '+46850001000': 'support@example.com',
      '+46850001001': 'sales@example.com',
      'client:anna': 'anna.berg@example.com',
    },
  },
};

/**
 * A bridge config for tests: fast schedules, a short lease, no daily quota; `overrides` are merged one level
 * deep per section (e.g. `{ reconcile: { verifyWaitMinutes: 0.02 } }`).
 */
export function bridgeConfig(opts: {
  dataDir: string;
  port: number;
  sources: unknown[];
  roots?: string[];
  overrides?: Record<string, Record<string, unknown>>;
}): BridgeConfig {
  const sections: Record<string, Record<string, unknown>> = {
    log: { level: 'info', format: 'json' },
    dstny: { timeoutMs: 2_000 },
    submit: {
      rateLimit: { perSecond: 25 },
      concurrency: 4,
      dailyQuota: 0,
      maxAttempts: 20,
      backoff: { baseMs: 100, maxMs: 1_000 },
      pumpIntervalMs: 100,
      leaseMs: 3_000,
      shutdownTimeoutMs: 2_000,
    },
    normalize: officeNormalize,
    http: { host: '127.0.0.1', port: opts.port },
    recordings: { roots: opts.roots ?? [] },
    reconcile: {
      schedule: '* * * * * *',
      graceMinutes: 0.01,
      deadlineMinutes: 10,
      verifyWaitMinutes: 0.02,
      lookup: { windowPaddingDays: 1 },
    },
  };
  for (const [key, value] of Object.entries(opts.overrides ?? {})) sections[key] = { ...(sections[key] ?? {}), ...value };
  return { dataDir: opts.dataDir, sources: opts.sources, ...sections };
}

/** `callbridge start --config FILE` against an emulator process (live mode: DSTNY_API_TOKEN + DSTNY_BASE_URL). */
export class BridgeProcess {
  private constructor(
    readonly cli: CliProcess,
    readonly url: string,
  ) {}

  /** Start it and wait until GET /readyz on `port` (the config's http.port) answers 200: ledger, submitter and sources up. */
  static async start(opts: {
    configFile: string;
    port: number;
    emulator: Pick<EmulatorProcess, 'url' | 'token'>;
    webhookSecret?: string;
    name?: string;
    startTimeoutMs?: number;
    /** More environment for the bridge (e.g. the bucket's AWS_ACCESS_KEY_ID). */
    env?: Record<string, string>;
    /** Start it at this niceness (root only), and at `niceOnceReady` (default 0) once ready: its start does not hold up the rest. */
    niceWhileStarting?: number;
    niceOnceReady?: number;
  }): Promise<BridgeProcess> {
    const env: Record<string, string> = { DSTNY_API_TOKEN: opts.emulator.token, DSTNY_BASE_URL: opts.emulator.url, ...opts.env };
    if (opts.webhookSecret) env.CALLBRIDGE_WEBHOOK_SECRET = opts.webhookSecret;
    const cli = new CliProcess(opts.name ?? 'bridge', ['start', '--config', opts.configFile], env);
    const url = `http://127.0.0.1:${opts.port}`;
    const nice = (priority: number) => opts.niceWhileStarting !== undefined && cli.proc.pid !== undefined && os.setPriority(cli.proc.pid, priority);
    try {
      nice(opts.niceWhileStarting ?? 0);
      const end = Date.now() + (opts.startTimeoutMs ?? 30_000);
      for (;;) {
        if (!cli.running) throw new Error(`${cli.name} exited before it was ready\n${cli.tail(30)}`);
        const res = await fetch(`${url}/readyz`).catch(() => null);
        if (res?.status === 200) break;
        if (Date.now() > end) throw new Error(`${cli.name} not ready on ${url} in time (last: ${res ? `HTTP ${res.status} ${await res.text()}` : 'no answer'})\n${cli.tail(30)}`);
        await sleep(100);
      }
      nice(opts.niceOnceReady ?? 0);
      return new BridgeProcess(cli, url);
    } catch (error) {
      await cli.kill();
      throw error;
    }
  }

  async status(): Promise<StatusReport> {
    const res = await fetch(`${this.url}/status`);
    if (!res.ok) throw new Error(`GET /status: HTTP ${res.status}`);
    return (await res.json()) as StatusReport;
  }

  postHook(sourceId: string, body: string, headers: Record<string, string>): Promise<Response> {
    return fetch(`${this.url}/hooks/${sourceId}`, { method: 'POST', headers, body });
  }
}

/** The list shapes the e2e fault tests run against: one that carries our external id, and the documented minimum. */
export const LIST_SHAPES = [{ listShape: 'full' as const }, { listShape: 'minimal' as const }];

/** Wait until all `calls` rows are confirmed; on timeout the error shows the counts per state and the bridge's last output. */
export function allConfirmed(bridge: BridgeProcess, calls: number, opts: { timeoutMs: number; what?: string; describe?: () => Promise<string> }): Promise<StatusReport> {
  return waitUntil(
    async () => {
      const s = await bridge.status();
      return s.ledger.counts.confirmed === calls ? s : null;
    },
    {
      timeoutMs: opts.timeoutMs,
      what: opts.what ?? `all ${calls} calls confirmed`,
      describe: async () => `${JSON.stringify(nonZero((await bridge.status()).ledger.counts))}\n${opts.describe ? `${await opts.describe()}\n` : ''}${bridge.cli.tail(30)}`,
    },
  );
}

/** Write the config as YAML. */
export function writeConfig(file: string, config: BridgeConfig): string {
  writeFileSync(file, stringify(config));
  return file;
}

/** Put a file into a drop folder the way a PBX export should: written aside, then renamed into place. */
export function dropFile(folder: string, name: string, content: string | Buffer): void {
  mkdirSync(folder, { recursive: true });
  const tmp = path.join(folder, `.${name}.partial`);
  writeFileSync(tmp, content);
  renameSync(tmp, path.join(folder, name));
}

/** Counts of the states that are not zero, e.g. {confirmed: 12, skipped: 5}: readable in a failing assertion. */
export function nonZero(counts: Record<RowState, number>): Partial<Record<RowState, number>> {
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0)) as Partial<Record<RowState, number>>;
}

/** `callbridge status --json --config FILE` (reads the ledger directly; works whether or not the bridge runs). */
export async function cliStatus(configFile: string): Promise<StatusReport> {
  const cli = new CliProcess('status', ['status', '--json', '--config', configFile]);
  const { code } = await cli.exited;
  if (code !== 0) throw new Error(`callbridge status exited ${code}\n${cli.tail(30)}`);
  return JSON.parse(cli.stdout) as StatusReport;
}

// ---------------------------------------------------------------- generated calls

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** "YYYY-MM-DD HH:MM:SS" of a UTC epoch, written as local wall time (the generator's calls are in the PBX's zone). */
function wall(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())}`;
}

/**
 * `count` answered, recorded outgoing calls as Asterisk cdr_csv lines (18 columns), from extensions 201/202 to
 * mobile numbers, one every `spacingMs` (7 s) from `startWall` (a wall-clock time in the PBX's zone, as epoch of that wall time
 * read as UTC). userfield holds the recording URL on `recordingBase`. External ids are `<prefix>.<n>`.
 */
export function asteriskCalls(opts: { count: number; prefix: string; recordingBase: string; startWall?: number; from?: number; spacingMs?: number }): {
  csv: string;
  ids: string[];
} {
  const start = opts.startWall ?? Date.UTC(2026, 10, 20, 6, 0, 0);
  const first = opts.from ?? 0;
  const lines: string[] = [];
  const ids: string[] = [];
  for (let i = first; i < first + opts.count; i++) {
    const ext = i % 2 === 0 ? '201' : '202';
    const name = ext === '201' ? 'Anna Lindqvist' : 'Bjorn Ek';
    const mobile = `070${String(1_000_000 + ((i * 7919) % 8_999_999)).padStart(7, '0')}`;
    const t0 = start + i * (opts.spacingMs ?? 7_000);
    const talk = 30 + (i % 300);
    const id = `${opts.prefix}.${i}`;
    ids.push(id);
    const chan = (i * 2).toString(16).padStart(8, '0');
    const peer = (i * 2 + 1).toString(16).padStart(8, '0');
    lines.push(
      [
        '""',
        `"${ext}"`,
        `"${mobile}"`,
        '"from-internal"',
        `"""${name}"" <${ext}>"`,
        `"PJSIP/${ext}-${chan}"`,
        `"PJSIP/telia-${peer}"`,
        '"Dial"',
        `"PJSIP/${mobile}@telia,60,T"`,
        `"${wall(t0)}"`,
        `"${wall(t0 + 5_000)}"`,
        `"${wall(t0 + 5_000 + talk * 1_000)}"`,
        String(talk + 5),
        String(talk),
        '"ANSWERED"',
        '"DOCUMENTATION"',
        `"${id}"`,
        `"${opts.recordingBase}/rec/${id}.wav"`,
      ].join(','),
    );
  }
  return { csv: `${lines.join('\n')}\n`, ids };
}

/** A drop source for generated Asterisk calls (userfield = recording URL). */
export function asteriskDropSource(id: string, folder: string): Record<string, unknown> {
  return { id, type: 'drop', adapter: 'asterisk-csv', path: folder, stableMs: 200, rescanMs: 1_000, options: { userfieldIsRecording: true } };
}

/**
 * The usual end-to-end set-up: a recording server, the emulator with `faults`, and a bridge configured against
 * them (`<dir>/callbridge.yaml`, ledger in `<dir>/data`) whose sources read below `<dir>/spool` (by default one
 * Asterisk drop folder there), its `conversation_created` webhook registered at the emulator unless
 * `webhooks: false`. `stop()` stops every process it started and removes the folder; a set-up that fails
 * half-way stops what it had started.
 */
export class BridgeScene {
  readonly spool: string;
  readonly dataDir: string;
  readonly configFile: string;
  readonly webhookSecret = randomBytes(16).toString('hex');
  private recordingServer: RecordingServer | null = null;
  private emulatorProcess: EmulatorProcess | null = null;
  /** Every bridge started, in order; `bridge` is the latest. */
  readonly bridges: BridgeProcess[] = [];
  private port = 0;
  private env: Record<string, string> = {};
  private readonly tmp: { dir: string; cleanup: () => void };

  constructor(tmpPrefix: string) {
    this.tmp = tempDir(tmpPrefix);
    this.spool = path.join(this.tmp.dir, 'spool');
    this.dataDir = path.join(this.tmp.dir, 'data');
    this.configFile = path.join(this.tmp.dir, 'callbridge.yaml');
  }

  get bridge(): BridgeProcess {
    const latest = this.bridges[this.bridges.length - 1];
    if (!latest) throw new Error('no bridge started');
    return latest;
  }

  get emulator(): EmulatorProcess {
    if (!this.emulatorProcess) throw new Error('no emulator started');
    return this.emulatorProcess;
  }

  get recordings(): RecordingServer {
    if (!this.recordingServer) throw new Error('no recording server started');
    return this.recordingServer;
  }

  /** The ledger file the bridges write. */
  get ledgerFile(): string {
    return path.join(this.dataDir, 'callbridge.sqlite');
  }

  async start(opts: {
    faults: EmulatorFaultsPatch;
    overrides?: Record<string, Record<string, unknown>>;
    /** Fields over the default Asterisk drop source's (e.g. stableMs). */
    source?: Record<string, unknown>;
    /** Instead of the default source: the sources (below `spool`), given the recording server's URL. */
    sources?: (recordingsUrl: string) => unknown[];
    /** recordings.roots of the bridge. */
    roots?: string[];
    webhooks?: boolean;
    bridgeName?: string;
    /** More environment for every bridge of the scene. */
    env?: Record<string, string>;
  }): Promise<this> {
    this.env = opts.env ?? {};
    try {
      this.recordingServer = await startRecordingServer();
      this.emulatorProcess = await EmulatorProcess.start();
      await this.emulatorProcess.faults(opts.faults);
      mkdirSync(this.spool, { recursive: true });
      this.port = await freePort();
      const sources = opts.sources?.(this.recordings.url) ?? [{ ...asteriskDropSource('asterisk', this.spool), ...opts.source }];
      writeConfig(this.configFile, bridgeConfig({ dataDir: this.dataDir, port: this.port, sources, roots: opts.roots ?? [], overrides: opts.overrides ?? {} }));
      const bridge = await this.startBridge(opts.bridgeName);
      if (opts.webhooks !== false) await this.emulatorProcess.registerWebhook(`${bridge.url}/webhooks/dstny/${this.webhookSecret}`);
      return this;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Another bridge on the same configuration and data folder (after the previous one stopped or was killed). */
  async startBridge(name?: string): Promise<BridgeProcess> {
    const bridge = await BridgeProcess.start({ configFile: this.configFile, port: this.port, emulator: this.emulator, webhookSecret: this.webhookSecret, env: this.env, ...(name ? { name } : {}) });
    this.bridges.push(bridge);
    return bridge;
  }

  /** `count` generated calls dropped into the spool as NAME, recordings on this scene's server. */
  dropCalls(name: string, opts: { count: number; prefix: string; from?: number; spacingMs?: number }): { csv: string; ids: string[] } {
    const calls = asteriskCalls({ ...opts, recordingBase: this.recordings.url });
    dropFile(this.spool, name, calls.csv);
    return calls;
  }

  async stop(bridgeTimeoutMs = 3_000): Promise<void> {
    for (const bridge of this.bridges) await bridge.cli.stop(bridgeTimeoutMs);
    await this.emulatorProcess?.cli.stop(3_000);
    await this.recordingServer?.close();
    this.tmp.cleanup();
  }
}
