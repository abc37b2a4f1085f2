import { Router } from 'express';
import type { BridgeMetrics } from './metrics.js';
import { redactStatusReport } from './redact-paths.js';
import type { StatusReport } from './report.js';

/**
 * GET /status (JSON) and GET /metrics (Prometheus text), both computed on request from the same report.
 * The bridge mounts this router behind the admin check (src/http/admin.ts: http.admin credentials, or loopback
 * clients only); still, /status shows reasons and source problems with their absolute paths cut to the file name
 * (redactPaths); `callbridge status`, run on the host, reads the ledger and keeps them whole.
 */
export function createStatusRouter(report: () => Promise<StatusReport>, metrics: Pick<BridgeMetrics, 'text' | 'contentType'>): Router {
  const router = Router();
  router.get('/status', async (_req, res) => {
    res.json(redactStatusReport(await report()));
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.text(await report()));
  });
  return router;
}
