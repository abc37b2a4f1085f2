import { z } from 'zod';

export const retentionConfigSchema = z
  .strictObject({
    keepDetailDays: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(90)
      .describe(
        'Confirmed and skipped calls keep their full record, request and history this many days after they last changed, then are compacted to what duplicate detection and audit need (external id, content hash, state, conversation id, times, source location): a compacted call still refuses its CDR dropped again. null: never compact. Failed, missing, rejected and held calls are never compacted.',
      ),
    keepIdsDays: z
      .number()
      .int()
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'Delete compacted calls this many days after they last changed; null (the default): keep them. After that a CDR dropped again is a new call and is sent again: set it only longer than any PBX could re-send a CDR.',
      ),
  })
  .superRefine((retention, ctx) => {
    if (retention.keepIdsDays === null) return;
    if (retention.keepDetailDays === null || retention.keepIdsDays <= retention.keepDetailDays) {
      ctx.addIssue({
        code: 'custom',
        path: ['keepIdsDays'],
        params: { plain: true },
        message: `only compacted calls are deleted, so keepIdsDays must be longer than keepDetailDays; e.g. keepDetailDays: 90, keepIdsDays: 730`,
      });
    }
  })
  .prefault({});
export type RetentionConfig = z.infer<typeof retentionConfigSchema>;

export const ledgerConfigSchema = z
  .strictObject({
    driver: z
      .enum(['sqlite', 'postgres'])
      .optional()
      .describe('Ledger implementation: sqlite, a WAL-mode file under dataDir (the default); postgres, a PostgreSQL database (the default when url is set), shared by every replica.'),
    path: z.string().optional().describe('SQLite file; default <dataDir>/callbridge.sqlite.'),
    url: z
      .string()
      .regex(/^postgres(?:ql)?:\/\/[^/]+\/[^/?]+/, 'use postgres://USER:PASSWORD@HOST:PORT/DATABASE (e.g. "postgres://callbridge:${LEDGER_DB_PASSWORD}@db.example.com:5432/callbridge", or "${DATABASE_URL}")')
      .optional()
      .meta({ secret: true })
      .describe(
        'The ledger in PostgreSQL (12 or newer): postgres://USER:PASSWORD@HOST:PORT/DATABASE, or ${DATABASE_URL}; ?sslmode=require and the other libpq parameters are understood. Its tables are made in the schema callbridge, which the user must be allowed to create (or own). Several bridges with the same url share one ledger (high availability). Write the password as ${ENV_VAR}; it never appears in logs, /status or messages, which name the user, host and database only.',
      ),
    retention: retentionConfigSchema,
  })
  .superRefine((ledger, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], params: { plain: true }, message });
    if (ledger.driver === 'postgres' && !ledger.url) problem('url', 'the postgres ledger needs its database: url: postgres://USER:PASSWORD@HOST:PORT/DATABASE');
    if (ledger.url && ledger.driver === 'sqlite') problem('url', 'url is the PostgreSQL ledger\'s database, and driver says sqlite: remove one of them');
    if (ledger.url && ledger.path) problem('path', 'path is the SQLite ledger\'s file, and url puts the ledger in PostgreSQL: remove one of them');
  })
  .prefault({});
export type LedgerConfig = z.infer<typeof ledgerConfigSchema>;

/** Where a configuration's ledger is: a SQLite file, or a PostgreSQL database (its url). */
export type LedgerPlace = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string };
