import { z } from 'zod';

export const submitConfigSchema = z
  .strictObject({
    rateLimit: z
      .strictObject({
        perSecond: z
          .number()
          .positive()
          .default(1)
          .describe('Requests per second to the API (submissions and reconciler look-ups share it). 1/s stays under Dstny\'s default 60/min.'),
        adaptive: z
          .boolean()
          .default(true)
          .describe('When Dstny keeps answering 429 at this rate, lower it (and climb back slowly) so it settles just under the real limit; false = always the configured rate.'),
      })
      .prefault({}),
    concurrency: z.number().int().positive().default(1).describe('Requests in flight at once.'),
    dailyQuota: z
      .number()
      .int()
      .nonnegative()
      .default(1000)
      .describe('Conversations created per UTC day before submission holds until midnight (0 = no quota). Dstny\'s default is 1,000.'),
    maxAttempts: z.number().int().positive().default(8).describe('Attempts for retryable errors (5xx, network, timeout) before a row is failed.'),
    backoff: z
      .strictObject({
        baseMs: z.number().int().positive().default(2_000).describe('First retry delay ceiling, ms; it doubles per retry (up to maxMs) and each retry waits a random time between half and all of it ("equal jitter": at least half the wait gives Dstny time to recover, the random half spreads rows that failed together).'),
        maxMs: z.number().int().positive().default(600_000).describe('Longest retry delay, ms: once the doubling reaches it, each retry waits between maxMs/2 and maxMs.'),
      })
      .prefault({}),
    pumpIntervalMs: z.number().int().positive().default(1_000).describe('How often due rows are looked for, ms.'),
    leaseMs: z.number().int().positive().default(120_000).describe('A row being submitted is leased for this long; an expired lease means the process died mid-request.'),
    authProbeIntervalMs: z.number().int().positive().default(60_000).describe('After a 401/403, how often one request probes whether the token works again, ms.'),
    maxPauseMs: z.number().int().positive().default(3_600_000).describe('Longest pause honoured for a 429 Retry-After, ms.'),
    shutdownTimeoutMs: z.number().int().positive().default(10_000).describe('On SIGTERM, how long in-flight requests may finish, ms.'),
  })
  .prefault({});
export type SubmitConfig = z.infer<typeof submitConfigSchema>;
