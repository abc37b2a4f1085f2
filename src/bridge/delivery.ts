import type { Config } from '../config/schema.js';
import type { ApiGate } from '../dstny/gate.js';
import type { ConversationPayload } from '../dstny/payload.js';
import type { Ledger, LedgerRow } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { Reconciler } from '../reconcile/reconciler.js';
import type { RecordingLinks } from '../recordings/links.js';
import { Submitter } from '../submit/submitter.js';
import { Held } from '../ledger/held.js';
import type { Locks } from '../ledger/locks.js';
import { definePart } from './lifecycle.js';
import type { Telemetry } from '../telemetry.js';

/** The role of the replica that submits and reconciles: the one that talks to the Dstny API. */
export const DELIVER_ROLE = 'deliver';

export const deliveryPart = definePart({
  name: 'delivery',
  summary: 'The submitter (due rows to POST /api/v2/conversations, once each) and the reconciler (what Dstny has, for rows whose answer was lost).',
  build(deps: {
    config: Config;
    ledger: Ledger;
    locks: Locks;
    gate: ApiGate;
    links: Pick<RecordingLinks, 'refresh' | 'isOwn'>;
    /** recordings.delivery: upload: a fresh link to an object in the bucket. */
    presign: ((key: string) => Promise<string>) | null;
    logger: Logger;
    telemetry: Telemetry;
  }) {
    const { config, ledger, locks, gate, links, presign, logger, telemetry } = deps;
    const submitter = new Submitter({ ledger, api: gate, config: config.submit, importShare: config.import.maxShareOfDailyQuota, logger, telemetry, prepare: (row) => bodyToSend(row, links, presign) });
    const reconciler = new Reconciler({ ledger, api: gate, config: config.reconcile, logger, telemetry });
    // One replica at a time talks to the API, so the rate limit and the daily quota (per token) hold for all of them
    // together; a new holder waits a second, while the requests of the last one still count against the rate.
    const delivering = new Held(
      locks,
      DELIVER_ROLE,
      {
        start() {
          submitter.start();
          reconciler.start();
        },
        async stop() {
          await reconciler.stop().catch((error: unknown) => logger.error('error while stopping the reconciler', { error }));
          await submitter.stop();
        },
      },
      { takeoverWaitMs: 1_000, what: 'submitting and reconciling', logger },
    );
    return {
      submitter,
      reconciler,
      delivering,
      start: () => delivering.start(),
      stop: () => delivering.stop(),
    };
  },
});

/**
 * The body for a row about to be sent. A row may wait longer than a recording link lives, so our links are made
 * anew: a presigned link to the bucket's copy when the recording was uploaded, else one to this bridge.
 */
export async function bodyToSend(
  row: Pick<LedgerRow, 'externalId' | 'upload'> & { payload: ConversationPayload },
  links: Pick<RecordingLinks, 'refresh' | 'isOwn'>,
  presign: ((key: string) => Promise<string>) | null,
): Promise<ConversationPayload> {
  if (presign && row.upload && row.upload.deletedAt === null && links.isOwn(row.payload.call_recording_url)) {
    return { ...row.payload, call_recording_url: await presign(row.upload.key) };
  }
  return links.refresh(row.payload, row.externalId);
}
