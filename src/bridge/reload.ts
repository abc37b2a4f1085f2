import type { Config } from '../config/schema.js';
import type { ApiGate } from '../dstny/gate.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Locks } from '../ledger/locks.js';
import type { Logger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import type { SourceRunner } from '../sources/index.js';
import type { Lifecycle } from './lifecycle.js';
import { effectiveConfig, planReload, type ReloadPlan } from './reload-plan.js';
import { sourcesPart } from './sources.js';

export interface ReloadDeps {
  life: Lifecycle;
  pipeline: { reconfigure(next: { config: Config; configDir: string }): void };
  gate: Pick<ApiGate, 'setRate'>;
  ledger: Ledger;
  locks: Locks;
  ingestor: Ingestor;
  logger: Logger;
  /** Route HTTP requests (hooks, /status) over this configuration from now on, and these runners when given. */
  serve(config: Config, runners?: readonly SourceRunner[]): void;
}

/**
 * Apply a new, already validated configuration to a running bridge (SIGHUP). What can change live is applied;
 * the rest is reported and waits for a restart. When the new normalizer or sources cannot be built or started,
 * the bridge goes on with the configuration it had and the error is thrown for the caller to report.
 */
export async function applyReload(deps: ReloadDeps, current: Config, next: Config, configDir: string): Promise<{ plan: ReloadPlan; config: Config }> {
  const plan = planReload(current, next);
  const config = effectiveConfig(current, next, plan.live);
  // First what can fail without touching anything running: owners and contacts files are read again here.
  deps.pipeline.reconfigure({ config, configDir });
  if (plan.sourcesChanged) {
    const runSources = async (on: Config) => {
      const { runners } = await deps.life.replace(sourcesPart, { config: on, ingestor: deps.ingestor, ledger: deps.ledger, locks: deps.locks, logger: deps.logger });
      deps.serve(on, runners);
    };
    try {
      await runSources(config);
    } catch (error) {
      deps.pipeline.reconfigure({ config: current, configDir });
      await runSources(current);
      throw error;
    }
  } else {
    deps.serve(config);
  }
  if (current.log.level !== config.log.level) deps.logger.level = config.log.level;
  if (current.submit.rateLimit.perSecond !== config.submit.rateLimit.perSecond) deps.gate.setRate(config.submit.rateLimit.perSecond);
  return { plan, config };
}

/** The configuration a running bridge is on, and the reloads that change it, one at a time. */
export function reloader(deps: ReloadDeps, initial: Config): (next: Config, configDir: string) => Promise<ReloadPlan> {
  let current = initial;
  let previous: Promise<unknown> = Promise.resolve();
  return (next, configDir) => {
    const run = previous.then(async () => {
      const { plan, config } = await applyReload(deps, current, next, configDir);
      current = config;
      return plan;
    });
    previous = run.catch(() => undefined);
    return run;
  };
}
