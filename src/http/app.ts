import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { RecordingLinks } from '../recordings/links.js';
import type { SourceConfig } from '../sources/config.js';
import { createHealthRouter, type ReadinessCheck } from './health.js';
import { createHooksRouter } from './hooks.js';
import { createRecordingsRouter } from './recordings.js';

export interface HttpAppDeps {
  sources: readonly SourceConfig[];
  ingestor: Pick<Ingestor, 'ingestLegs'>;
  ledger: Pick<Ledger, 'get'>;
  recordings: { links: Pick<RecordingLinks, 'verify'>; roots: readonly string[] };
  /** /readyz checks by name (see health.ts: ledgerWritable, submitterNotHalted, sourcesRunning). */
  readiness: Record<string, ReadinessCheck>;
  /** Routers mounted after ours: /status, /metrics, the Dstny webhook receiver. */
  extraRouters?: RequestHandler[];
  logger?: Logger;
  /** Retry-After for 503 answers, seconds (http.retryAfterSec). */
  retryAfterSec?: number;
  /** http.publicBaseUrl (Twilio signs the URL it calls). */
  publicBaseUrl?: string;
  now?: () => number;
}

/** The bridge's HTTP surface: health, PBX hooks, recording links, and whatever the caller adds. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const logger = deps.logger ?? silentLogger();
  const log = logger.child({ component: 'http' });
  const app = express();
  app.disable('x-powered-by');
  app.use(createHealthRouter({ checks: deps.readiness, logger }));
  app.use(
    createHooksRouter({ sources: deps.sources, ingestor: deps.ingestor, logger, retryAfterSec: deps.retryAfterSec, publicBaseUrl: deps.publicBaseUrl, now: deps.now }),
  );
  app.use(
    createRecordingsRouter({
      ledger: deps.ledger,
      links: deps.recordings.links,
      roots: deps.recordings.roots,
      logger,
      now: deps.now,
      retryAfterSec: deps.retryAfterSec,
    }),
  );
  for (const router of deps.extraRouters ?? []) app.use(router);
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: 'not found' });
  });
  // Last resort: never echo an internal message (it may hold a path); client errors from body parsers keep theirs.
  app.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    const e = error as { status?: number; expose?: boolean; message?: string };
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ error: e.expose && e.message ? e.message : 'bad request' });
      return;
    }
    log.error('request failed', { error });
    res.status(500).json({ error: 'internal error' });
  });
  return app;
}

export interface RunningHttpServer {
  server: Server;
  host: string;
  port: number;
  /** http://host:port, for logs and the default public base URL. */
  url: string;
  /** Stop accepting, let requests in flight finish (up to graceMs), then close the rest. */
  close(graceMs?: number): Promise<void>;
}

/** Listen on host:port (port 0: a free one) and resolve with the bound address. */
export async function startHttpServer(app: Express, opts: { host: string; port: number }): Promise<RunningHttpServer> {
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(opts.port, opts.host, (error?: Error) => (error ? reject(error) : resolve(s)));
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    host: address.address,
    port: address.port,
    url: `http://${host}:${address.port}`,
    close: (graceMs = 5_000) =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), graceMs);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}
