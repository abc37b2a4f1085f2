import { type Request, type Response, Router } from 'express';
import { CallbridgeError } from '../errors.js';
import type { Ledger } from '../ledger/ledger.js';
import { callView } from './call-view.js';
import type { BridgeMetrics } from './metrics.js';
import { APP_CSS, APP_JS } from './pages/assets.js';
import { callPage, type SearchForm, searchPage } from './pages/call-pages.js';
import { readDashboard } from './pages/dashboard.js';
import { statusMain, statusPage } from './pages/status-page.js';
import { redactStatusReport } from './redact-paths.js';
import type { StatusReport } from './report.js';
import { searchQuery } from './search-query.js';

export type PagesLedger = Pick<Ledger, 'get' | 'events' | 'search' | 'hourly' | 'countConfirmedSince'>;

/** The pages load only what the bridge serves; their script only talks back to it. */
const PAGE_CSP = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const PAGE_LIMIT = 100;

/**
 * What an operator reads: GET /status (JSON) and GET /metrics (Prometheus text), computed on request from the same
 * report; the status page (GET /, or /status asked for as HTML), a call's page (/calls/<id>) and the search (/calls).
 * The bridge mounts this router behind the admin check (src/http/admin.ts: http.admin credentials, or loopback
 * clients only); still, what it shows has absolute paths cut to the file name (redactPaths) and links without their
 * secrets: `callbridge status` and `callbridge inspect`, run on the host, show them whole.
 */
export function createStatusRouter(report: () => Promise<StatusReport>, metrics: Pick<BridgeMetrics, 'text' | 'contentType'>, ledger: PagesLedger): Router {
  const router = Router();
  const htmlPage = (res: Response, body: string, status = 200) => {
    res.status(status).set('Content-Security-Policy', PAGE_CSP).type('html').send(body);
  };
  const dashboard = async (req: Request, res: Response) => {
    const d = await readDashboard(await report(), ledger);
    if (req.query.part === 'main') {
      htmlPage(res, statusMain(d).text);
      return;
    }
    const refresh = Number(req.query.refresh);
    htmlPage(res, statusPage(d, Number.isFinite(refresh) && refresh >= 1 ? Math.min(refresh, 3_600) : 10));
  };

  router.get('/', dashboard);
  router.get('/status', async (req, res) => {
    // A browser asks for HTML first; curl, Prometheus' json exporters and scripts get JSON as before.
    if (req.accepts(['json', 'html']) === 'html') return dashboard(req, res);
    res.json(redactStatusReport(await report()));
  });
  router.get('/metrics', async (_req, res) => {
    res.type(metrics.contentType).send(await metrics.text(await report()));
  });
  router.get('/calls/:id', async (req: Request<{ id: string }>, res) => {
    const row = await ledger.get(req.params.id);
    if (!row) {
      htmlPage(res, searchPage({ q: req.params.id, since: '', until: '', state: '' }, await ledger.search({ text: req.params.id, limit: PAGE_LIMIT }), `No call with external id "${req.params.id}". Calls that match it:`, PAGE_LIMIT), 404);
      return;
    }
    htmlPage(res, callPage(callView(row, await ledger.events(row.externalId))));
  });
  router.get('/calls', async (req, res) => {
    const text = (name: string) => (typeof req.query[name] === 'string' ? (req.query[name] as string).trim() : '');
    const form: SearchForm = { q: text('q'), since: text('since'), until: text('until'), state: text('state') };
    let query;
    try {
      query = searchQuery({ ...(form.q ? { text: form.q } : {}), since: form.since, until: form.until, state: form.state, limit: String(PAGE_LIMIT) }, { since: 'taken since', until: 'before', state: 'state', limit: 'limit' });
    } catch (error) {
      if (!(error instanceof CallbridgeError)) throw error;
      htmlPage(res, searchPage(form, null, error.message, PAGE_LIMIT), 400);
      return;
    }
    htmlPage(res, searchPage(form, await ledger.search(query), null, PAGE_LIMIT));
  });
  router.get('/ui/app.css', (_req, res) => {
    res.type('css').set('Cache-Control', 'private, max-age=300').send(APP_CSS);
  });
  router.get('/ui/app.js', (_req, res) => {
    res.type('js').set('Cache-Control', 'private, max-age=300').send(APP_JS);
  });
  return router;
}
