import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { getAdapter } from '../adapters/registry.js';
import type { Config } from './config/schema.js';
import { DstnyClient } from './dstny/client.js';
import { ApiGate } from './dstny/gate.js';
import { type EmulatorHandle, startEmulator } from './emulator/index.js';
import express, { type Express } from 'express';
import { type RunningHttpServer, createHttpApp, startHttpServer } from './http/app.js';
import { ledgerWritable, sourcesRunning, submitterNotHalted } from './http/health.js';
import { recordingUrl } from './http/recording-token.js';
import { loadOrCreateSigningSecret } from './http/signing-secret.js';
import type { ConversationPayload } from './dstny/payload.js';
import { CallbridgeError } from './errors.js';
import type { Ledger } from './ledger/ledger.js';
import { openSqliteLedger } from './ledger/sqlite.js';
import type { Logger } from './log/logger.js';
import { registerSecret } from './log/redact.js';
import { PipelineIngestor } from './pipeline/ingestor.js';
import { createNormalizer } from './pipeline/normalizer.js';
import { renormalizeDueHeld } from './pipeline/renormalize.js';
import { Reconciler } from './reconcile/reconciler.js';
import { createWebhookRouter } from './reconcile/webhook.js';
import { seedSandbox } from './sandbox.js';
import { type SourceRunner, createSourceRunners } from './sources/index.js';
import type { StatusReport } from './status/report.js';
import { createStatusRouter } from './status/router.js';
import { Submitter } from './submit/submitter.js';
import { VERSION } from './version.js';

export interface Bridge {
  mode: 'sandbox' | 'live';
  /** The bridge's own HTTP address (hooks, recordings, /status). */
  url: string;
  apiBaseUrl: string;
  ledger: Ledger;
  submitter: Submitter;
  reconciler: Reconciler;
  emulator: EmulatorHandle | null;
  status(): Promise<StatusReport>;
  /** Stop taking work, finish what is in flight (bounded), close everything. Safe to call twice. */
  stop(): Promise<void>;
}

export function ledgerFile(config: Config): string {
  return path.resolve(config.ledger.path ?? path.join(config.dataDir, 'callbridge.sqlite'));
}

/**
 * Compose and start the whole bridge (DESIGN.md "The walk of one call"). `configDir` resolves the relative
 * CSV paths of the normalize section. Without a token the built-in emulator is started: sandbox mode.
 */
export async function startBridge(config: Config, opts: { configDir: string; logger: Logger }): Promise<Bridge> {
  const { logger } = opts;
  mkdirSync(config.dataDir, { recursive: true });
  const stops: Array<() => Promise<void> | void> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        logger.error('error while stopping', { error });
      }
    }
  };

  try {
    let emulator: EmulatorHandle | null = null;
    let baseUrl = config.dstny.baseUrl;
    let token = config.dstny.token;
    const webhookSecret = config.webhook.secret ?? (token ? undefined : randomBytes(24).toString('base64url'));
    registerSecret(webhookSecret);
    if (!token) {
      emulator = await startEmulator({ ...config.emulator, logger: logger.child({ component: 'emulator' }) });
      stops.push(() => emulator?.close());
      baseUrl = emulator.url;
      token = emulator.token;
      registerSecret(token);
      const banner = '*'.repeat(78);
      logger.warn(
        `\n${banner}\n  SANDBOX MODE: no DSTNY_API_TOKEN is set. Calls go to the built-in Dstny EMULATOR at ${emulator.url},\n  a test double; nothing reaches Dstny. Set DSTNY_API_TOKEN to deliver to the real API.\n${banner}`,
      );
      seedSandbox(config, logger);
    }

    const ledger = await openSqliteLedger(ledgerFile(config));
    stops.push(() => ledger.close());
    const signingSecret = await loadOrCreateSigningSecret(config);
    registerSecret(signingSecret);

    const client = new DstnyClient({ baseUrl, token, timeoutMs: config.dstny.timeoutMs, maxPauseMs: config.submit.maxPauseMs });
    const gate = new ApiGate(client, { ...config.submit.rateLimit, concurrency: config.submit.concurrency, logger });
    stops.push(() => gate.close());

    // The public base URL must be known before the server listens (links are signed into payloads).
    // Listen first (answering 503 until the app is ready): the port may be 0, and links must name the real one.
    let ready: Express | null = null;
    const front = express();
    front.use((req, res, next) => (ready ? ready(req, res, next) : res.status(503).json({ error: 'starting' })));
    const server: RunningHttpServer = await startHttpServer(front, { host: config.http.host, port: config.http.port }).catch((error: unknown) => {
      const code = (error as { code?: string }).code;
      throw new CallbridgeError(
        `cannot listen on ${config.http.host}:${config.http.port}: ${code ?? (error as Error).message}${code === 'EADDRINUSE' ? ' (another process uses that port: set http.port or CALLBRIDGE_HTTP_PORT)' : ''}`,
      );
    });
    stops.push(() => server.close(config.submit.shutdownTimeoutMs));
    const localUrl = server.url.replace(/\/\/(0\.0\.0\.0|\[::\])(?=:)/, '//127.0.0.1');
    const publicBaseUrl = config.http.publicBaseUrl ?? localUrl;
    if (!config.http.publicBaseUrl && !emulator && config.recordings.roots.length) {
      logger.warn(`http.publicBaseUrl is not set: local recordings are linked as ${publicBaseUrl}, which Dstny cannot reach`);
    }
    const normalizer = createNormalizer(config.normalize, {
      baseDir: opts.configDir,
      publicBaseUrl,
      signingSecret,
      linkTtlHours: config.recordings.linkTtlHours,
      linkClock: 'now',
      roots: config.recordings.roots,
      fetchUsers: () => gate.listUsers(),
      onDirectoryError: (error) => logger.warn('the Dstny users directory could not be refreshed; the last copy is used', { error }),
    });
    const ingestor = new PipelineIngestor({
      ledger,
      normalizer,
      windowLegs: config.normalize.groupWindowLegs,
      batchSize: config.normalize.ingestBatchSize,
      logger,
    });

    // A local recording's link is signed again when the call is sent: the row may have waited longer than its lifetime.
    const ownLinks = `${publicBaseUrl.replace(/\/+$/, '')}/recordings/`;
    const prepare = (row: { externalId: string; payload: ConversationPayload }): ConversationPayload =>
      row.payload.call_recording_url.startsWith(ownLinks)
        ? { ...row.payload, call_recording_url: recordingUrl(publicBaseUrl, row.externalId, signingSecret, config.recordings.linkTtlHours) }
        : row.payload;
    const submitter = new Submitter({ ledger, api: gate, config: config.submit, logger, prepare });
    stops.push(() => submitter.stop());
    const reconciler = new Reconciler({ ledger, api: gate, config: config.reconcile, logger });
    stops.push(() => reconciler.stop());

    const runners: SourceRunner[] = createSourceRunners(config.sources, { ingestor, ledger, getAdapter, logger });
    const sourceFor = (id: string) => config.sources.find((s) => s.id === id);
    const status = async (): Promise<StatusReport> => ({
      version: VERSION,
      mode: emulator ? 'sandbox' : 'live',
      apiBaseUrl: emulator ? emulator.url : baseUrl,
      ledger: await ledger.stats(),
      submitter: submitter.status(),
      api: gate.status(),
      sources: runners.map((r) => {
        const s = sourceFor(r.sourceId);
        return { id: r.sourceId, type: s?.type ?? '?', adapter: s?.adapter ?? '?', running: r.running, lastProblem: r.lastProblem };
      }),
    });

    const extraRouters = [createStatusRouter(status)];
    if (webhookSecret || config.webhook.signingSecret) {
      extraRouters.push(createWebhookRouter({ ledger, logger, secret: webhookSecret, signingSecret: config.webhook.signingSecret }));
    }
    const app = createHttpApp({
      sources: config.sources,
      ingestor,
      ledger,
      recordings: { signingSecret, roots: config.recordings.roots },
      readiness: {
        ledger: ledgerWritable(ledger),
        submitter: submitterNotHalted(() => (submitter.status().state === 'halted' ? submitter.status().reason : null)),
        sources: sourcesRunning(runners),
      },
      extraRouters,
      logger,
      retryAfterSec: config.http.retryAfterSec,
      publicBaseUrl: config.http.publicBaseUrl,
    });
    ready = app;
    if (emulator) emulator.registerWebhook({ url: `${localUrl}/webhooks/dstny/${webhookSecret}` });

    // Held rows (recording not written yet) are normalized again when due.
    const heldTimer = setInterval(() => {
      renormalizeDueHeld({ ledger, normalizer, sourceFor }, Date.now()).catch((error: unknown) => logger.error('re-checking held calls failed', { error }));
    }, config.normalize.recordingRetrySeconds * 1000);
    stops.push(() => clearInterval(heldTimer));

    for (const runner of runners) {
      await runner.start();
      stops.push(() => runner.stop());
    }
    submitter.start();
    reconciler.start();
    logger.info(
      `callbridge ${VERSION} running: ${config.sources.length} source(s), HTTP on ${server.url}, API ${emulator ? `${emulator.url} (emulator)` : baseUrl}, ledger ${ledgerFile(config)}`,
    );

    let stopping: Promise<void> | null = null;
    return {
      mode: emulator ? 'sandbox' : 'live',
      url: server.url,
      apiBaseUrl: baseUrl,
      ledger,
      submitter,
      reconciler,
      emulator,
      status,
      stop: () => (stopping ??= stopAll()),
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
