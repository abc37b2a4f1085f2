import { z } from 'zod';

export const emulatorConfigSchema = z
  .object({
    port: z.number().int().min(0).max(65535).default(0).describe('Sandbox emulator port; 0 picks a free one.'),
    appearDelayMs: z.number().int().nonnegative().default(5_000).describe('Delay before a created conversation shows in GET /conversations.'),
    ratePerSecond: z.number().positive().default(5).describe('Requests per second before 429.'),
    errorRate: z.number().min(0).max(1).default(0).describe('Share of requests answered 5xx.'),
    timeoutRate: z.number().min(0).max(1).default(0).describe('Share of requests never answered.'),
    dropRate: z.number().min(0).max(1).default(0).describe('Share of creations accepted but never appearing.'),
    latencyMs: z.number().int().nonnegative().default(0).describe('Added latency per request, ms.'),
    fetchRecordings: z.boolean().default(true).describe('Check that call_recording_url answers 200, as Dstny does.'),
  })
  .prefault({});
