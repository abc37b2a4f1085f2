import express, { type Request, type Router } from 'express';
import type { Ledger } from '../ledger/ledger.js';
import { type Logger, silentLogger } from '../log/logger.js';
import { redactPaths } from '../status/redact-paths.js';

export type CheckOutcome = { ok: true; detail?: string } | { ok: false; detail: string };
/** A readiness check; a throw or a timeout counts as failing. */
export type ReadinessCheck = () => Promise<CheckOutcome> | CheckOutcome;

export interface HealthDeps {
  /** By name, e.g. { ledger: ledgerWritable(ledger), submitter: ..., sources: ... }. */
  checks: Record<string, ReadinessCheck>;
  /** A check that has not answered by then fails (readyz must answer even when the disk hangs). */
  timeoutMs?: number;
  logger?: Logger;
  /**
   * Whether a request may read which check fails and why (the admin rule of admin.ts). Others get `{ ready }` and
   * the status code only, which is all a load balancer or an orchestrator reads. Default: nobody.
   */
  showDetail?: (req: Request) => boolean;
}

/**
 * `/healthz`: the process answers (liveness; 200 always).
 * `/readyz`: 200 only when every check passes, else 503. To an admin (showDetail) the JSON body says which check
 * fails and why, with absolute paths cut to their file name; to anyone else only `{ ready }`. A change of what fails
 * is logged whole, so the operator learns why without asking over HTTP.
 */
export function createHealthRouter(deps: HealthDeps): Router {
  const log = (deps.logger ?? silentLogger()).child({ component: 'health' });
  const timeoutMs = deps.timeoutMs ?? 2_000;
  const showDetail = deps.showDetail ?? (() => false);
  let lastFailing = '';
  const router = express.Router();
  router.get('/healthz', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok' });
  });
  router.get('/readyz', async (req, res) => {
    const entries = await Promise.all(
      Object.entries(deps.checks).map(async ([name, check]) => [name, await runCheck(name, check, timeoutMs, log)] as const),
    );
    const checks = Object.fromEntries(entries.map(([name, outcome]) => [name, outcome.detail === undefined ? outcome : { ...outcome, detail: redactPaths(outcome.detail) }]));
    const ready = entries.every(([, outcome]) => outcome.ok);
    const failing = entries.filter(([, o]) => !o.ok).map(([name, o]) => `${name}: ${o.detail ?? 'failing'}`).join('; ');
    if (failing !== lastFailing) {
      if (failing) log.warn(`not ready: ${failing}`);
      else log.info('ready');
      lastFailing = failing;
    }
    res.set('Cache-Control', 'no-store').status(ready ? 200 : 503).json(showDetail(req) ? { ready, checks } : { ready });
  });
  return router;
}

async function runCheck(name: string, check: ReadinessCheck, timeoutMs: number, log: Logger): Promise<CheckOutcome> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<CheckOutcome>((resolve) => {
      timer = setTimeout(() => resolve({ ok: false, detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
    });
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch (error) {
    log.warn(`readiness check ${name} failed`, { error });
    return { ok: false, detail: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** The ledger can take writes (ledger.ping). */
export function ledgerWritable(ledger: Pick<Ledger, 'ping'>): ReadinessCheck {
  return async () => {
    await ledger.ping();
    return { ok: true };
  };
}

/** The submitter is not stopped (by 401/403 from the API): `haltedReason()` returns why it is, or null. */
export function submitterNotHalted(haltedReason: () => string | null): ReadinessCheck {
  return () => {
    const reason = haltedReason();
    return reason === null ? { ok: true } : { ok: false, detail: `submitting is stopped: ${reason}` };
  };
}

/** Every source runner is running. */
export function sourcesRunning(runners: ReadonlyArray<{ sourceId: string; running: boolean; lastProblem: string | null }>): ReadinessCheck {
  return () => {
    const down = runners.filter((r) => !r.running).map((r) => (r.lastProblem ? `${r.sourceId} (${r.lastProblem})` : r.sourceId));
    return down.length === 0 ? { ok: true, detail: `${runners.length} running` } : { ok: false, detail: `not running: ${down.join(', ')}` };
  };
}
