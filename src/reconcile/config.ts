import { z } from 'zod';

export const reconcileConfigSchema = z
  .object({
    schedule: z.string().default('*/5 * * * *').describe('node-cron expression for reconciliation runs.'),
    graceMinutes: z.number().nonnegative().default(5).describe('A submitted row is looked up only after this long (creation is asynchronous).'),
    deadlineMinutes: z.number().positive().default(120).describe('A row not found this long after submission becomes missing.'),
    resubmitMissing: z.boolean().default(true).describe('Resubmit a missing row once (then report it).'),
    lookup: z
      .object({
        mode: z.enum(['list', 'perId']).default('list').describe('list: GET /api/v2/conversations by date window; perId: GET <perIdPath>.'),
        perIdPath: z.string().default('api/v2/conversations/{id}').describe('Per-conversation look-up path, {id} = conversation id.'),
        idField: z.string().default('id').describe('Field of a listed conversation holding its id.'),
        externalIdField: z.string().default('external_id').describe('Field of a listed conversation holding call_external_id, if any.'),
      })
      .prefault({}),
  })
  .prefault({});
