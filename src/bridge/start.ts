import { mkdirSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import type { LedgerDamagedError } from '../errors.js';
import type { EmulatorHandle } from '../emulator/index.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import type { Reconciler } from '../reconcile/reconciler.js';
import type { SourceRunner } from '../sources/index.js';
import { loadOrCreateSigningSecret } from '../recordings/signing-secret.js';
import type { StatusReport } from '../status/report.js';
import type { Submitter } from '../submit/submitter.js';
import type { RecordingPreparer } from '../prepare/preparer.js';
import { BridgeMetrics } from '../status/metrics.js';
import { VERSION } from '../version.js';
import { apiPart } from './api.js';
import { deliveryPart } from './delivery.js';
import { httpPart } from './http.js';
import { ledgerPart } from './ledger.js';
import { Lifecycle } from './lifecycle.js';
import { pipelinePart } from './pipeline.js';
import { recordingLinksFor } from './recording-links.js';
import { bridgeRoutes } from './routes.js';
import { reloader } from './reload.js';
import type { ReloadPlan } from './reload-plan.js';
import { sourcesPart } from './sources.js';
import { statusOf } from './status.js';
import { recordingsPart } from './recordings.js';

/** The parts of a bridge in the order they are built and started (stopped in reverse). The docs list them from here. */
export const bridgeParts = [ledgerPart, apiPart, httpPart, recordingsPart, deliveryPart, pipelinePart, sourcesPart] as const;

export interface Bridge {
  mode: 'sandbox' | 'live';
  /** The bridge's own HTTP address (hooks, recordings, /status). */
  url: string;
  apiBaseUrl: string;
  ledger: Ledger;
  submitter: Submitter;
  /** When recordings are uploaded, merged or converted; null otherwise. */
  preparer: RecordingPreparer | null;
  reconciler: Reconciler;
  emulator: EmulatorHandle | null;
  /** The names of the running parts, in start order. */
  parts: string[];
  status(): Promise<StatusReport>;
  /**
   * Apply a new, valid configuration (SIGHUP): see reload.ts for what changes live. Reloads run one at a time;
   * when one fails the bridge goes on with the configuration it had and the error is thrown.
   */
  reload(next: Config, configDir: string): Promise<ReloadPlan>;
  /** Stop taking work, finish what is in flight (bounded), close everything. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Build and start the whole bridge. `configDir` resolves the relative CSV paths of the normalize section.
 * Without a token the built-in emulator stands in for Dstny: sandbox mode. When the ledger file turns out damaged
 * while running, the bridge stops by itself and then tells `onFatal` (`callbridge start` exits).
 */
export async function startBridge(config: Config, opts: { configDir: string; logger: Logger; onFatal?: (error: Error) => void }): Promise<Bridge> {
  const { configDir, logger } = opts;
  mkdirSync(config.dataDir, { recursive: true });
  const life = new Lifecycle(logger);
  // Counts for the bridge's life: a reload keeps them.
  const metrics = new BridgeMetrics(VERSION);
  // Every write would fail until the file is restored: a bridge answering 503 for ever helps nobody.
  const onDamaged = (error: LedgerDamagedError) => {
    logger.error(`${error.message}; the bridge stops`);
    void life.stop().then(() => opts.onFatal?.(error));
  };
  try {
    const { ledger, where, heartbeat, locks } = await life.build(ledgerPart, { config, logger, onDamaged });
    const api = await life.build(apiPart, { config, logger, ledger, telemetry: metrics });
    const http = await life.build(httpPart, { config });
    heartbeat.announce(http.url);
    const links = recordingLinksFor(config, await loadOrCreateSigningSecret(config), http.localUrl);
    if (!config.http.publicBaseUrl && !api.emulator && config.recordings.roots.length) {
      logger.warn(`http.publicBaseUrl is not set: local recordings are linked as ${http.localUrl}, which Dstny cannot reach`);
    }
    // Parts start only after all are built: by the first upload, the submitter exists.
    const { preparer, presign } = await life.build(recordingsPart, { config, ledger, locks, logger, onReady: () => submitter.wake() });
    const { submitter, reconciler, delivering } = await life.build(deliveryPart, { config, ledger, locks, gate: api.gate, links, presign, logger, telemetry: metrics });
    const onDue = () => {
      preparer?.wake();
      submitter.wake();
    };
    const pipeline = await life.build(pipelinePart, { config, configDir, ledger, links, users: api.gate, logger, telemetry: metrics, onDue });
    const { ingestor } = pipeline;
    let runners: readonly SourceRunner[] = (await life.build(sourcesPart, { config, ingestor, ledger, locks, logger })).runners;
    let status!: () => Promise<StatusReport>;
    const serve = (config: Config, running: readonly SourceRunner[] = runners) => {
      runners = running;
      metrics.knowSources(config.sources);
      status = statusOf({
        config,
        api,
        ledger,
        submitter,
        preparer,
        runners,
        lastInput: (id) => metrics.lastInputOf(id),
        replica: { shared: locks.shared, delivering: () => delivering.active, id: heartbeat.id },
      });
      http.serve(bridgeRoutes({ config, ledger, ingestor, links, submitter, runners, status, webhookSecret: api.webhookSecret, metrics, logger }));
    };
    serve(config, runners);
    api.emulator?.registerWebhook({ url: `${http.localUrl}/webhooks/dstny/${api.webhookSecret}` });
    await life.start();
    logger.info(`callbridge ${VERSION} running (pid ${process.pid}): ${config.sources.length} source(s), HTTP on ${http.url}, API ${api.baseUrl}${api.emulator ? ' (emulator)' : ''}, ledger ${where}`);
    return {
      mode: api.mode,
      url: http.url,
      apiBaseUrl: api.baseUrl,
      ledger,
      submitter,
      preparer,
      reconciler,
      emulator: api.emulator,
      parts: life.names,
      status: () => status(),
      reload: reloader({ life, pipeline, gate: api.gate, ledger, locks, ingestor, logger, serve }, config),
      stop: () => life.stop(),
    };
  } catch (error) {
    await life.stop();
    throw error;
  }
}
