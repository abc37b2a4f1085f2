import { getAdapter } from '../../adapters/registry.js';
import type { Config } from '../config/schema.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Locks } from '../ledger/locks.js';
import type { Logger } from '../log/logger.js';
import type { Ingestor } from '../pipeline/types.js';
import { type SourceRunner, createSourceRunners } from '../sources/index.js';
import { definePart } from './lifecycle.js';

export const sourcesPart = definePart({
  name: 'sources',
  summary: 'One runner per configured drop folder, tailed file and CDR table, and the flusher that assembles the quiet calls of hook sources.',
  build(deps: { config: Config; ingestor: Ingestor; ledger: Ledger; locks: Locks; logger: Logger }) {
    const { config, ingestor, ledger, locks, logger } = deps;
    const runners: SourceRunner[] = createSourceRunners(config.sources, { ingestor, ledger, locks, getAdapter, logger, zone: config.normalize.timezone });
    const started: SourceRunner[] = [];
    return {
      runners,
      async start() {
        for (const runner of runners) {
          await runner.start();
          started.push(runner);
        }
      },
      async stop() {
        for (const runner of started.splice(0).reverse()) {
          await runner.stop().catch((error: unknown) => logger.error(`error while stopping source ${runner.sourceId}`, { error }));
        }
      },
    };
  },
});
