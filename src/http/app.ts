import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { RecordingLinks } from '../recordings/links.js';
import type { SourceConfig } from '../sources/config.js';
import { adminAllowed, adminGuard } from './admin.js';
import type { AdminConfig } from './config.js';
import { createHealthRouter, type ReadinessCheck } from './health.js';
import { createHooksRouter } from './hooks.js';
import { createRecordingsRouter } from './recordings.js';
import { setSecurityHeaders } from './security-headers.js';
import type { Telemetry } from '../telemetry.js';

export interface HttpAppDeps {
  sources: readonly SourceConfig[];
  ingestor: Pick<Ingestor, 'ingestLegs'>;
  ledger: Pick<Ledger, 'get'>;
  recordings: { links: Pick<RecordingLinks, 'verify'>; roots: readonly string[]; madeDir?: string; telemetry?: Pick<Telemetry, 'recordingServed'> };
  /** /readyz checks by name (see health.ts: ledgerWritable, submitterNotHalted, sourcesRunning). */
  readiness: Record<string, ReadinessCheck>;
  /** Routers with their own authentication, mounted after ours: the Dstny webhook receiver. */
  extraRouters?: RequestHandler[];
  /**
   * Routers that reveal internals (/status, /metrics): mounted last, behind the admin check (admin.ts). Every
   * request that no public route answered passes that check first, so an unknown path is 404 only to an admin.
   */
  adminRouters?: RequestHandler[];
  /** http.admin: credentials for adminRouters and the detail of /readyz; unset, only loopback clients see them. */
  admin?: AdminConfig;
  /** The peer address of a request, for the loopback rule; tests stand in another. Default: the socket's. */
  remoteAddress?: (req: Request) => string | undefined;
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
  const access = { admin: deps.admin, remoteAddress: deps.remoteAddress, logger };
  app.use(createHealthRouter({ checks: deps.readiness, logger, showDetail: adminAllowed(access) }));
  app.use(
    createHooksRouter({ sources: deps.sources, ingestor: deps.ingestor, logger, retryAfterSec: deps.retryAfterSec, publicBaseUrl: deps.publicBaseUrl, now: deps.now }),
  );
  app.use(
    createRecordingsRouter({
      ledger: deps.ledger,
      links: deps.recordings.links,
      roots: deps.recordings.roots,
      ...(deps.recordings.madeDir ? { madeDir: deps.recordings.madeDir } : {}),
      ...(deps.recordings.telemetry ? { telemetry: deps.recordings.telemetry } : {}),
      logger,
      now: deps.now,
      retryAfterSec: deps.retryAfterSec,
    }),
  );
  for (const router of deps.extraRouters ?? []) app.use(router);
  if (deps.adminRouters?.length) {
    app.use(adminGuard(access));
    for (const router of deps.adminRouters) app.use(router);
  }
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

/**
 * Listen on host:port (port 0: a free one) and resolve with the bound address. Whatever app it serves answers
 * without a framework banner and with the security headers, even before the app itself runs.
 */
export async function startHttpServer(app: Express, opts: { host: string; port: number }): Promise<RunningHttpServer> {
  app.disable('x-powered-by');
  const server = createServer((req, res) => {
    setSecurityHeaders(res);
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
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
