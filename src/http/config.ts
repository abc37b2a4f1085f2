import { z } from 'zod';

export const httpConfigSchema = z
  .strictObject({
    host: z.string().default('0.0.0.0').describe('Address the bridge listens on (hooks, recordings, webhooks, /status, /metrics).'),
    port: z.number().int().min(0).max(65535).default(8080).describe('Port; 0 picks a free one.'),
    publicBaseUrl: z
      .url()
      .optional()
      .describe('How Dstny reaches this bridge (e.g. https://callbridge.example.com); needed for local recordings. Default http://<host>:<port>.'),
    retryAfterSec: z
      .number()
      .int()
      .positive()
      .default(30)
      .describe('Retry-After sent with 503 when the ledger cannot take a hook body, seconds.'),
  })
  .prefault({});

export const recordingsConfigSchema = z
  .strictObject({
    signingSecret: z.string().min(16).meta({ secret: true }).optional().describe('HMAC key for recording links (env CALLBRIDGE_SIGNING_SECRET); generated and kept in dataDir when unset.'),
    linkTtlHours: z.number().positive().default(72).describe('How long a signed recording link stays valid, hours.'),
    roots: z.array(z.string()).default([]).describe('Folders local recordings may be served from; a path outside them is refused.'),
  })
  .prefault({});

export const webhookConfigSchema = z
  .strictObject({
    secret: z.string().min(16).meta({ secret: true }).optional().describe('Path secret for POST /webhooks/dstny/<secret> (env CALLBRIDGE_WEBHOOK_SECRET). Unset: receiver off.'),
    signingSecret: z.string().min(16).meta({ secret: true }).optional().describe('HMAC key for signed `conversation.completed` events (X-Webhook-Signature).'),
  })
  .prefault({});
