import { z } from 'zod';

/**
 * Who may read what reveals the bridge's insides (/status, /metrics, the detail of /readyz). With credentials, only a
 * request carrying them; without, only a client connecting from this host (loopback, not through a proxy).
 */
export const adminConfigSchema = z
  .strictObject({
    token: z
      .string()
      .min(16)
      .meta({ secret: true })
      .optional()
      .describe('Bearer token for /status, /metrics and the detail of /readyz (`Authorization: Bearer <token>`); e.g. "${CALLBRIDGE_ADMIN_TOKEN}". Unset with no username: those answer only clients on this host (loopback).'),
    username: z.string().min(1).optional().describe('User name for HTTP basic auth on /status, /metrics and the detail of /readyz; set together with password.'),
    password: z
      .string()
      .min(8)
      .meta({ secret: true })
      .optional()
      .describe('Password for HTTP basic auth on /status, /metrics and the detail of /readyz; e.g. "${CALLBRIDGE_ADMIN_PASSWORD}".'),
  })
  .superRefine((admin, ctx) => {
    if ((admin.username === undefined) !== (admin.password === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [admin.username === undefined ? 'username' : 'password'],
        message: 'basic auth needs both username and password (e.g. username: ops, password: "${CALLBRIDGE_ADMIN_PASSWORD}"), or neither',
      });
    }
  });
export type AdminConfig = z.infer<typeof adminConfigSchema>;

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
    admin: adminConfigSchema
      .optional()
      .describe('Credentials for /status, /metrics and the detail of /readyz (bearer token, basic auth, or both). Unset: those answer only clients on this host (loopback) and 403 the rest.'),
  })
  .prefault({});

export const webhookConfigSchema = z
  .strictObject({
    secret: z.string().min(16).meta({ secret: true }).optional().describe('Path secret for POST /webhooks/dstny/<secret> (env CALLBRIDGE_WEBHOOK_SECRET). Unset: receiver off.'),
    signingSecret: z.string().min(16).meta({ secret: true }).optional().describe('HMAC key for signed `conversation.completed` events (X-Webhook-Signature).'),
  })
  .prefault({});
