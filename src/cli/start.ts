import path from 'node:path';
import { loadConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';

/** `callbridge start`: run the bridge until SIGTERM or SIGINT; a second signal exits at once. */
export async function runStart(configFile: string): Promise<void> {
  const { startBridge } = await import('../bridge/start.js');
  const { config } = loadConfig(configFile);
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  const bridge = await startBridge(config, { configDir: path.dirname(path.resolve(configFile)), logger });
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
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
