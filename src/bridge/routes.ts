import type { Express, RequestHandler } from 'express';
import type { Config } from '../config/schema.js';
import { createHttpApp } from '../http/app.js';
import { ledgerWritable, sourcesRunning, submitterNotHalted } from '../http/health.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import { createWebhookRouter } from '../reconcile/webhook.js';
import type { RecordingLinks } from '../recordings/links.js';
import { madeRecordingsDir } from './recordings.js';
import type { SourceRunner } from '../sources/index.js';
import type { StatusReport } from '../status/report.js';
import type { BridgeMetrics } from '../status/metrics.js';
import { createStatusRouter } from '../status/router.js';
import type { Submitter } from '../submit/submitter.js';

/** Every route of a running bridge, over the parts that answer them. */
export function bridgeRoutes(deps: {
  config: Config;
  ledger: Ledger;
  ingestor: Ingestor;
  links: RecordingLinks;
  submitter: Pick<Submitter, 'status'>;
  runners: readonly SourceRunner[];
  status: () => Promise<StatusReport>;
  webhookSecret: string | undefined;
  metrics: BridgeMetrics;
  logger: Logger;
}): Express {
  const { config, ledger, submitter, metrics, logger } = deps;
  // The webhook has its own authentication; /status and /metrics go behind the admin check (http.admin).
  const extraRouters: RequestHandler[] = [];
  if (deps.webhookSecret || config.webhook.signingSecret) {
    extraRouters.push(createWebhookRouter({ ledger, logger, secret: deps.webhookSecret, signingSecret: config.webhook.signingSecret, telemetry: metrics }));
  }
  return createHttpApp({
    sources: config.sources,
    ingestor: deps.ingestor,
    ledger,
    recordings: { links: deps.links, roots: config.recordings.roots, madeDir: madeRecordingsDir(config), telemetry: metrics },
    readiness: {
      ledger: ledgerWritable(ledger),
      submitter: submitterNotHalted(() => (submitter.status().state === 'halted' ? submitter.status().reason : null)),
      sources: sourcesRunning(deps.runners),
    },
    extraRouters,
    adminRouters: [createStatusRouter(deps.status, metrics, ledger)],
    admin: config.http.admin,
    logger,
    retryAfterSec: config.http.retryAfterSec,
    publicBaseUrl: config.http.publicBaseUrl,
  });
}
