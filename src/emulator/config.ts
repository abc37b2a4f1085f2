import { z } from 'zod';

const rate = z.number().min(0).max(1);

/** A URL the emulator posts `conversation_created` (or signed `conversation.completed`) events to. */
export const emulatorWebhookSchema = z.object({
  url: z.url().describe('Where events are posted.'),
  style: z
    .enum(['v2', 'signed'])
    .default('v2')
    .describe('v2: unsigned {"event_type":"conversation_created",...} as documented; signed: the newer API\'s HMAC-signed conversation.completed.'),
  signingSecret: z.string().min(16).meta({ secret: true }).optional().describe('HMAC key for style "signed".'),
});
export type EmulatorWebhook = z.input<typeof emulatorWebhookSchema>;

/**
 * Fault injection and pacing. All of these can also be changed at runtime (POST /_emulator/faults).
 * Rates are shares of /api/v2 requests (0..1), rolled independently per request.
 */
export const emulatorFaultsSchema = z.object({
  appearDelayMs: z.number().int().nonnegative().default(5_000).describe('Delay before a created conversation shows in GET /conversations.'),
  ratePerSecond: z.number().positive().default(5).describe('Requests per second (token bucket refill) before 429 + Retry-After.'),
  burst: z.number().positive().optional().describe('Token bucket size (requests that may arrive at once). Default: ratePerSecond.'),
  errorRate: rate.default(0).describe('Share of requests answered 503 before anything happens.'),
  timeoutRate: rate.default(0).describe('Share of requests never answered (nothing created); connections are closed at shutdown.'),
  lostResponseRate: rate
    .default(0)
    .describe('Share of creations that succeed but whose response is lost (connection reset): the ambiguous failure a client must verify.'),
  dropRate: rate.default(0).describe('Share of creations accepted (conversation_id answered) but never appearing.'),
  latencyMs: z.number().int().nonnegative().default(0).describe('Added latency per request, ms. Lowering it at runtime also shortens the wait of requests already waiting.'),
  fetchRecordings: z.boolean().default(true).describe('Check that call_recording_url answers 200 with audio (WAV, MP3, AAC, Ogg, FLAC, MP4/M4A or WebM), as Dstny does.'),
  requireKnownOwner: z.boolean().default(false).describe('Refuse (422) an owner_email that is not a seeded user (undocumented; off by default).'),
  listLimit: z.number().int().nonnegative().default(0).describe('At most this many conversations per list answer, newest first (0 = all): emulates a truncating list.'),
  // The documentation leaves the list and per-id answers open (its sample is `[{}]`); these choose among plausible ones.
  listShape: z
    .enum(['full', 'minimal'])
    .default('full')
    .describe(
      'Shape of a conversation in GET /conversations and GET /conversations/{id} (undocumented). full: id, external_id, type, title, times, direction, outcome, owner, participant; minimal: only id, type, title, start_time (no external id, owner or participant), and search no longer matches external ids.',
    ),
  listEnvelope: z
    .enum(['array', 'data'])
    .default('array')
    .describe('How GET /conversations wraps its items (undocumented). array: a bare JSON array; data: {"data": [...], "meta": {"total": n}}, n counting every match before listLimit.'),
});
export type EmulatorFaults = z.infer<typeof emulatorFaultsSchema>;
export type ListShape = EmulatorFaults['listShape'];
export type ListEnvelope = EmulatorFaults['listEnvelope'];

export const emulatorConfigSchema = z
  .strictObject({
    port: z.number().int().min(0).max(65535).default(0).describe('Sandbox emulator port; 0 picks a free one.'),
    host: z.string().default('127.0.0.1').describe('Address the emulator listens on.'),
    token: z.string().min(6).meta({ secret: true }).optional().describe('Bearer token the emulator accepts; generated at start when unset.'),
    ...emulatorFaultsSchema.shape,
    recordingTimeoutMs: z.number().int().positive().default(10_000).describe('How long the recording URL check may take, ms.'),
    // Strict here only: the POST /_emulator/webhooks body keeps its own, lenient shape.
    webhooks: z.array(emulatorWebhookSchema.strict()).default([]).describe('Registered webhook receivers.'),
    webhookRetryDelaysMs: z
      .array(z.number().int().nonnegative())
      .default([1_000, 5_000, 25_000])
      .describe('Delays before each retry of a failed webhook delivery (the docs: up to 3 retries, increasing delay).'),
    randomSeed: z.number().int().optional().describe('Seed for fault rolls, for reproducible runs; unset = Math.random.'),
  })
  .prefault({});
export type EmulatorConfig = z.infer<typeof emulatorConfigSchema>;
export type EmulatorConfigInput = z.input<typeof emulatorConfigSchema>;

/** A runtime change of faults (POST /_emulator/faults): any subset, no defaults filled in; `storm429Ms` answers 429 to everything for that long. */
export type EmulatorFaultsPatch = Partial<EmulatorFaults> & { storm429Ms?: number };
export const emulatorFaultsPatchSchema: z.ZodType<EmulatorFaultsPatch> = z.strictObject({
  ...Object.fromEntries(
    Object.entries(emulatorFaultsSchema.shape).map(([key, field]) => [key, (field instanceof z.ZodDefault ? field.unwrap() : field).optional()]),
  ),
  storm429Ms: z.number().int().nonnegative().optional().describe('Answer every API request 429 for this long, ms, from now.'),
}) as z.ZodType<EmulatorFaultsPatch>;
