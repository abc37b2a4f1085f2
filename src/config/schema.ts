import { z } from 'zod';
import { dstnyConfigSchema } from '../dstny/config.js';
import { emulatorConfigSchema } from '../emulator/config.js';
import { httpConfigSchema, webhookConfigSchema } from '../http/config.js';
import { ledgerConfigSchema } from '../ledger/config.js';
import { normalizeConfigSchema } from '../pipeline/config.js';
import { reconcileConfigSchema } from '../reconcile/config.js';
import { recordingsConfigSchema } from '../recordings/config.js';
import { sourcesConfigSchema } from '../sources/config.js';
import { submitConfigSchema } from '../submit/config.js';
import { importConfigSchema } from '../submit/import-config.js';

/**
 * The whole configuration file. Each section is owned by the module that uses it. Every object in it is strict:
 * a misspelt key such as `submit.rateLimt` is a problem, not a quiet fallback to the default.
 */
export const configSchema = z.strictObject({
  dataDir: z.string().default('./data').describe('Folder for the ledger, generated secrets and state.'),
  log: z
    .strictObject({
      level: z.enum(['error', 'warn', 'info', 'debug']).default('info').describe('Log level (env LOG_LEVEL).'),
      format: z.enum(['auto', 'json', 'pretty']).default('auto').describe('auto: pretty on a terminal, JSON otherwise.'),
    })
    .prefault({}),
  dstny: dstnyConfigSchema,
  submit: submitConfigSchema,
  import: importConfigSchema,
  ledger: ledgerConfigSchema,
  normalize: normalizeConfigSchema,
  sources: sourcesConfigSchema,
  http: httpConfigSchema,
  recordings: recordingsConfigSchema,
  webhook: webhookConfigSchema,
  reconcile: reconcileConfigSchema,
  emulator: emulatorConfigSchema,
});

export type Config = z.infer<typeof configSchema>;
