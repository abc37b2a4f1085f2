import { z } from 'zod';

export const retentionConfigSchema = z
  .strictObject({
    keepDetailDays: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(90)
      .describe(
        'Confirmed and skipped calls keep their full record, request and history this many days after they last changed, then are compacted to what duplicate detection and audit need (external id, content hash, state, conversation id, times, source location): a compacted call still refuses its CDR dropped again. null: never compact. Failed, missing, rejected and held calls are never compacted.',
      ),
    keepIdsDays: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'Delete compacted calls this many days after they last changed; null (the default): keep them. After that a CDR dropped again is a new call and is sent again: set it only longer than any PBX could re-send a CDR.',
      ),
  })
  .superRefine((retention, ctx) => {
    if (retention.keepIdsDays === null) return;
    if (retention.keepDetailDays === null || retention.keepIdsDays <= retention.keepDetailDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['keepIdsDays'],
        params: { plain: true },
        message: `only compacted calls are deleted, so keepIdsDays must be longer than keepDetailDays; e.g. keepDetailDays: 90, keepIdsDays: 730`,
      });
    }
  })
  .prefault({});
export type RetentionConfig = z.infer<typeof retentionConfigSchema>;

export const ledgerConfigSchema = z
  .strictObject({
    driver: z.enum(['sqlite']).default('sqlite').describe('Ledger implementation. sqlite: a WAL-mode file under dataDir.'),
    path: z.string().optional().describe('SQLite file; default <dataDir>/callbridge.sqlite.'),
    retention: retentionConfigSchema,
  })
  .prefault({});
export type LedgerConfig = z.infer<typeof ledgerConfigSchema>;
