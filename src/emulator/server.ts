import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import { type Logger, silentLogger } from '../log/logger.js';
import { createEmulatorApp } from './app.js';
import { type EmulatorConfigInput, type EmulatorFaults, type EmulatorFaultsPatch, type EmulatorWebhook, emulatorConfigSchema } from './config.js';
import type { ConversationRecord } from './conversations.js';
import { defaultSeed, type Seed } from './seed.js';
import { EmulatorState } from './state.js';
import { type WebhookDelivery, WebhookDispatcher } from './webhooks.js';
import { seededRandom } from './seeded-random.js';

export type EmulatorOptions = NonNullable<EmulatorConfigInput> & {
  logger?: Logger;
  /** Users and teams answered by GET /users and /global-filters (owner → user id for the user/team filters). */
  seed?: Seed;
};

export interface EmulatorHandle {
  /** Base URL, e.g. http://127.0.0.1:40123 (the API is under /api/v2). */
  url: string;
  port: number;
  /** The bearer token it accepts. */
  token: string;
  state: EmulatorState;
  setFaults(patch: EmulatorFaultsPatch): EmulatorFaults;
  registerWebhook(target: EmulatorWebhook): void;
  deliveries(): WebhookDelivery[];
  close(): Promise<void>;
}

/**
 * Fires `conversation_created` webhooks when conversations appear. Visibility itself is decided by
 * `appearsAt` at query time; this only drives the events, with one timer for the earliest pending one.
 */
class AppearanceScheduler {
  private readonly pending: ConversationRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(
    private readonly onAppear: (rec: ConversationRecord) => void,
    private readonly clock: () => number,
  ) {}

  add(rec: ConversationRecord): void {
    // Appearance delays can change at runtime, so keep the queue sorted (binary insert, usually at the end).
    let lo = 0;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pending[mid]!.appearsAt <= rec.appearsAt) lo = mid + 1;
      else hi = mid;
    }
    this.pending.splice(lo, 0, rec);
    if (lo === 0) this.arm();
  }

  private arm(): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.pending[0];
    if (!next) return;
    this.timer = setTimeout(() => this.fire(), Math.max(0, next.appearsAt - this.clock()));
  }

  private fire(): void {
    this.timer = null;
    const now = this.clock();
    while (this.pending.length && this.pending[0]!.appearsAt <= now) this.onAppear(this.pending.shift()!);
    this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.pending.length = 0;
  }
}

/** Start the Dstny API emulator (a test double, and its log says so) on host:port (default 127.0.0.1, a free port). */
export async function startEmulator(options: EmulatorOptions = {}): Promise<EmulatorHandle> {
  const { logger = silentLogger(), seed = defaultSeed, ...input } = options;
  const config = emulatorConfigSchema.parse(input);
  const token = config.token ?? randomBytes(24).toString('base64url');
  const clock = Date.now;
  const state = new EmulatorState(config, clock);
  const random = config.randomSeed === undefined ? Math.random : seededRandom(config.randomSeed);
  const webhooks = new WebhookDispatcher(
    { retryDelaysMs: config.webhookRetryDelaysMs, timeoutMs: 10_000, logger, counts: state.webhookCounts, clock },
    config.webhooks,
  );
  const appearances = new AppearanceScheduler((rec) => webhooks.dispatch(rec), clock);
  const app = createEmulatorApp({
    state,
    seed,
    token,
    webhooks,
    logger,
    random,
    recordingTimeoutMs: config.recordingTimeoutMs,
    onCreated: (rec) => appearances.add(rec),
  });

  const server: Server = createServer(app);
  server.listen(config.port, config.host);
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  logger.warn(`Dstny API emulator listening on ${url}/api/v2 — a TEST DOUBLE, not the real Dstny API; nothing sent here reaches Dstny`, {
    component: 'emulator',
  });
  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    token,
    state,
    setFaults: (patch) => state.setFaults(patch),
    registerWebhook: (target) => {
      webhooks.register(target);
    },
    deliveries: () => [...webhooks.deliveries],
    close: () => {
      closing ??= (async () => {
        appearances.close();
        webhooks.close();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        // Requests held open by the timeout fault (and idle keep-alive sockets) would keep close() waiting.
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}

/**
 * `callbridge emulator --port N`: start it (it says loudly what it is). A generated token is printed to
 * stdout once (it is the emulator's own throwaway credential, and nothing can use the emulator without it).
 */
export async function runEmulator(
  options: EmulatorOptions & { stdout?: NodeJS.WritableStream } = {},
): Promise<EmulatorHandle> {
  const { stdout = process.stdout, logger = silentLogger(), ...rest } = options;
  const handle = await startEmulator({ ...rest, logger });
  if (options.token === undefined) {
    stdout.write(`DSTNY_BASE_URL=${handle.url}\nDSTNY_API_TOKEN=${handle.token}\n`);
  }
  return handle;
}
