import { z } from 'zod';

export const ledgerConfigSchema = z
  .strictObject({
    driver: z.enum(['sqlite']).default('sqlite').describe('Ledger implementation. sqlite: a WAL-mode file under dataDir.'),
    path: z.string().optional().describe('SQLite file; default <dataDir>/callbridge.sqlite.'),
  })
  .prefault({});
export type LedgerConfig = z.infer<typeof ledgerConfigSchema>;
