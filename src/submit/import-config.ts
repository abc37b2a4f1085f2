import { z } from 'zod';

/** How a backlog loaded with `callbridge import` is sent: behind every live call, within its share of the quota. */
export const importConfigSchema = z
  .strictObject({
    maxShareOfDailyQuota: z
      .number()
      .min(0)
      .max(1)
      .default(0.5)
      .describe(
        'Share of submit.dailyQuota imported calls may use each UTC day (0 to 1); live calls may always use the rest, and go first. 0 holds the backlog. Without a daily quota the backlog takes whatever rate the live calls leave.',
      ),
  })
  .prefault({});
export type ImportConfig = z.infer<typeof importConfigSchema>;
