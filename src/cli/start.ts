import path from 'node:path';
import type { ReloadPlan } from '../bridge/reload-plan.js';
import { checkPaths } from '../config/checks-paths.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { CallbridgeError, ConfigError } from '../errors.js';
import { createLogger, type Logger } from '../log/logger.js';

/**
 * `callbridge start`: run the bridge until SIGTERM or SIGINT (a second one exits at once). SIGHUP reads the
 * configuration file again and applies it; an invalid one is refused, loudly, and the bridge goes on as it was.
 */
export async function runStart(configFile: string): Promise<void> {
  const { startBridge } = await import('../bridge/start.js');
  const { config } = loadConfig(configFile);
  const configDir = path.dirname(path.resolve(configFile));
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  await checkPathsAtStart(config, configFile, configDir, logger);
  // The bridge has stopped itself (its message logged): a problem to fix before it runs again, as a damaged ledger at
  // the start (exit 2: the systemd unit does not restart it).
  const bridge = await startBridge(config, { configDir, logger, onFatal: () => process.exit(2) });
  let appliedAt = new Date();
  let signals = 0;
  const shutdown = (signal: string) => {
    signals++;
    if (signals > 1) {
      logger.warn(`${signal} again: exiting now; requests in flight will be looked up before being sent again`);
      process.exit(1);
    }
    logger.info(`${signal}: stopping (taking no new work, finishing requests in flight)`);
    bridge.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('stop failed', { error });
        process.exit(1);
      },
    );
  };
  const refused = (error: unknown) => {
    const why = error instanceof CallbridgeError ? error.message : String(error);
    logger.error(`SIGHUP: configuration NOT reloaded; still running on the one applied at ${appliedAt.toISOString()}. ${why}`);
  };
  const reload = () => {
    if (signals > 0) return;
    logger.info(`SIGHUP: reading ${configFile} again`);
    let next;
    try {
      next = loadConfig(configFile).config;
    } catch (error) {
      refused(error);
      return;
    }
    bridge.reload(next, configDir).then((plan) => {
      appliedAt = new Date();
      reportReload(logger, configFile, plan);
    }, refused);
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  // Also what a closed terminal sends: a bridge started with nohup keeps running (and reads its config again).
  process.on('SIGHUP', reload);
}

/**
 * check-config's path checks, before anything is opened. What the bridge cannot start without (dataDir, the ledger,
 * the owners and contacts files) stops the start in the same words as check-config; the rest is logged, and the
 * source or recording concerned reports its own problem in /status (a mount may come later).
 */
async function checkPathsAtStart(config: Config, file: string, configDir: string, logger: Logger): Promise<void> {
  const findings = await checkPaths(config, { configDir, sandbox: !config.dstny.token });
  const fatal = findings.filter((f) => f.severity === 'error' && /^(dataDir|ledger|normalize)\b/.test(f.key));
  if (fatal.length) throw new ConfigError(file, fatal.map((f) => `${f.key}: ${f.message}`));
  for (const f of findings) if (!fatal.includes(f)) logger.warn(`${f.key}: ${f.message}`);
}

function reportReload(logger: Logger, file: string, plan: ReloadPlan): void {
  if (plan.live.length) logger.info(`SIGHUP: reloaded ${file}; applied: ${plan.live.join(', ')}`);
  else logger.info(`SIGHUP: ${file} has no changes that apply live; owner and contact files were read again`);
  if (plan.restart.length) {
    logger.warn(`SIGHUP: ${plan.restart.join(', ')} changed in ${file} but take effect only after a restart; the running values stay until then`);
  }
}
