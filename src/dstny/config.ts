import { z } from 'zod';

export const dstnyConfigSchema = z
  .strictObject({
    baseUrl: z
      .url()
      .default('https://copilot.dstny.se')
      .describe('Base URL of the Dstny API (env DSTNY_BASE_URL). Unset token = sandbox: the built-in emulator is used instead.'),
    token: z
      .string()
      .min(6)
      .meta({ secret: true })
      .optional()
      .describe('Bearer token (env DSTNY_API_TOKEN; prefer the environment over the file). Never logged.'),
    timeoutMs: z.number().int().positive().default(30_000).describe('Whole-request timeout for one API call, ms.'),
  })
  .prefault({});
export type DstnyConfig = z.infer<typeof dstnyConfigSchema>;
