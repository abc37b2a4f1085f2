import type { Config } from '../config/schema.js';
import type { ApiGate } from '../dstny/gate.js';
import type { ConversationPayload } from '../dstny/payload.js';
import type { Ledger, LedgerRow } from '../ledger/ledger.js';
import type { Logger } from '../log/logger.js';
import { Reconciler } from '../reconcile/reconciler.js';
import type { RecordingLinks } from '../recordings/links.js';
import { Submitter } from '../submit/submitter.js';
import { definePart } from './lifecycle.js';
import type { Telemetry } from '../telemetry.js';

export const deliveryPart = definePart({
  name: 'delivery',
  summary: 'The submitter (due rows to POST /api/v2/conversations, once each) and the reconciler (what Dstny has, for rows whose answer was lost).',
  build(deps: {
    config: Config;
    ledger: Ledger;
    gate: ApiGate;
    links: Pick<RecordingLinks, 'refresh' | 'isOwn'>;
    /** recordings.delivery: upload: a fresh link to an object in the bucket. */
    presign: ((key: string) => Promise<string>) | null;
    logger: Logger;
    telemetry: Telemetry;
  }) {
    const { config, ledger, gate, links, presign, logger, telemetry } = deps;
    const submitter = new Submitter({ ledger, api: gate, config: config.submit, importShare: config.import.maxShareOfDailyQuota, logger, telemetry, prepare: (row) => bodyToSend(row, links, presign) });
    const reconciler = new Reconciler({ ledger, api: gate, config: config.reconcile, logger, telemetry });
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
