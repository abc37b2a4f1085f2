import type { Config } from '../config/schema.js';
import type { ApiGate } from '../dstny/gate.js';
import type { Ledger } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { Reconciler } from '../reconcile/reconciler.js';
import type { RecordingLinks } from '../recordings/links.js';
import { Submitter } from '../submit/submitter.js';
import { definePart } from './lifecycle.js';

export const deliveryPart = definePart({
  name: 'delivery',
  summary: 'The submitter (due rows to POST /api/v2/conversations, once each) and the reconciler (what Dstny has, for rows whose answer was lost).',
  build(deps: { config: Config; ledger: Ledger; gate: ApiGate; links: Pick<RecordingLinks, 'refresh'>; logger: Logger }) {
    const { config, ledger, gate, links, logger } = deps;
    // A row may wait longer than a recording link lives: our links are signed anew when the row is sent.
    const submitter = new Submitter({ ledger, api: gate, config: config.submit, logger, prepare: (row) => links.refresh(row.payload, row.externalId) });
    const reconciler = new Reconciler({ ledger, api: gate, config: config.reconcile, logger });
    return {
      submitter,
      reconciler,
      start() {
        submitter.start();
        reconciler.start();
      },
      async stop() {
        await reconciler.stop().catch((error: unknown) => logger.error('error while stopping the reconciler', { error }));
        await submitter.stop();
      },
    };
  },
});
