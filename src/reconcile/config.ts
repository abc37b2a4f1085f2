import cron from 'node-cron';
import { z } from 'zod';

/**
 * How the reconciler finds a conversation at Dstny. The v2 list's response shape is undocumented
 * (reference/dstny-facts.md), so where the id and the external id live in a listed conversation is
 * configuration, as dotted paths ("id", "data.id", "metadata.external_id"); an empty string means
 * "the listed conversation does not carry it".
 */
export const reconcileLookupSchema = z
  .strictObject({
    mode: z
      .enum(['list', 'perId'])
      .default('list')
      .describe('list: one GET /api/v2/conversations per date window covers many rows; perId: GET <perIdPath> per submitted row.'),
    perIdPath: z.string().default('api/v2/conversations/{id}').describe('Per-conversation look-up path (perId mode), {id} = conversation id; 404 = not there (yet).'),
    idField: z.string().default('id').describe('Dotted path of the conversation id in a listed conversation ("" = not listed).'),
    externalIdField: z
      .string()
      .default('external_id')
      .describe(
        'Dotted path of call_external_id in a listed conversation ("" = not listed). Conversations listed without it are matched on what the bridge sent (startTimeField, titleField); see "Exactly once" in the README.',
      ),
    startTimeField: z.string().default('start_time').describe('Dotted path of the call\'s start time in a listed conversation ("" = not listed).'),
    titleField: z.string().default('title').describe('Dotted path of the title in a listed conversation ("" = not listed); compared when the bridge sent a call_title.'),
    recordingTypes: z.array(z.enum(['meeting', 'call', 'live'])).default(['call']).describe('recording_types[] sent with each list query.'),
    windowPaddingDays: z
      .number()
      .int()
      .nonnegative()
      .default(1)
      .describe('Widen each date window by this many days on both sides (Dstny may read global_start/global_end in the account\'s time zone).'),
    maxWindowDays: z.number().int().positive().default(7).describe('Longest date range one list query covers; rows further apart get separate queries.'),
    listPageSize: z
      .number()
      .int()
      .nonnegative()
      .default(0)
      .describe('If a list answer holds this many conversations it may be truncated: rows not found in it are searched one by one (search=<external id>). 0 = lists are complete.'),
    maxSearchesPerRun: z.number().int().nonnegative().default(50).describe('Per-row searches (truncated lists) per run at most; the rest wait for the next run.'),
  })
  .refine((l) => l.idField !== '' || l.externalIdField !== '', {
    message: 'idField and externalIdField are both empty: a listed conversation could never be matched',
    path: ['idField'],
  })
  .prefault({});

export const reconcileConfigSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Run the reconciler (the webhook receiver confirms independently).'),
    schedule: z
      .string()
      .refine((s) => cron.validate(s), { message: 'not a valid cron expression (e.g. "*/5 * * * *")' })
      .default('*/5 * * * *')
      .describe('node-cron expression for reconciliation runs.'),
    graceMinutes: z.number().nonnegative().default(5).describe('A submitted row is looked up only after this long (creation is asynchronous).'),
    deadlineMinutes: z.number().positive().default(120).describe('A row not found this long after submission becomes missing.'),
    resubmitMissing: z.boolean().default(true).describe('Resubmit a missing row once (then report it).'),
    verifyWaitMinutes: z
      .number()
      .nonnegative()
      .default(30)
      .describe('A row left in flight by a crash (state verify) is sent again only if still not found this long after the crash.'),
    maxRowsPerRun: z.number().int().positive().default(10_000).describe('Rows looked at per run at most (oldest first).'),
    lookup: reconcileLookupSchema,
  })
  .prefault({});
export type ReconcileConfig = z.infer<typeof reconcileConfigSchema>;
export type ReconcileLookupConfig = z.infer<typeof reconcileLookupSchema>;
